"""Text that fits its box, set in DejaVu Sans with fpdf2: the poster PDF's typesetter.

A text wraps within its width, then shrinks a point at a time down to its style's smallest size,
and only past that is its last line cut with an ellipsis: it never leaves its box. DejaVu Sans is
shipped in `fonts/` (the Bitstream Vera and Arev licences allow shipping it with software; see
fonts/LICENSE). Text with letters that join or reorder (Arabic, Hebrew, Indic...) is shaped by
HarfBuzz (uharfbuzz) and runs right to left where it should. DejaVu has no CJK glyphs: the
characters it lacks are left out (a name only in Chinese is not printed) rather than printed as
blanks or boxes.
"""

import logging
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal, cast

from fpdf import FPDF
from fpdf.fonts import TTFFont

FONTS = Path(__file__).parent / "fonts"
FONT = "DejaVu"
PT = 0.3528  # millimetres in a point
RGB = tuple[int, int, int]

# fpdf2 logs each glyph the font lacks; `Typesetter.printable` has removed them already.
logging.getLogger("fpdf.output").setLevel(logging.ERROR)


@dataclass(frozen=True)
class Style:
    bold: bool
    largest: float  # points
    smallest: float
    lines: int
    spacing: float = 0.0  # letter spacing, points
    leading: float = 1.2  # line height, in font sizes

    def scaled(self, scale: float) -> "Style":
        return replace(self, largest=self.largest * scale, smallest=self.smallest * scale)


@dataclass(frozen=True)
class Text:
    """A text fitted to its box: its lines at one size."""

    lines: list[str]
    size: float
    style: Style
    rtl: bool

    @property
    def line_height(self) -> float:
        return self.size * PT * self.style.leading

    @property
    def height(self) -> float:
        return len(self.lines) * self.line_height


class Typesetter:
    """Fits and draws texts on one fpdf2 document; remembers each fit (a program's texts are
    the same on every page of its PDF)."""

    def __init__(self, pdf: FPDF):
        pdf.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
        pdf.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.pdf = pdf
        self.glyphs: set[int] = set.intersection(
            *(set(font.cmap) for font in pdf.fonts.values() if isinstance(font, TTFFont))
        )
        self._fitted: dict[tuple[str, float, Style], Text] = {}

    def printable(self, text: str | None) -> str:
        """The text without the characters the font lacks, its spaces collapsed."""
        kept = (
            char if char in " \t\n" or ord(char) in self.glyphs else " "
            for char in unicodedata.normalize("NFC", text or "")
        )
        return " ".join("".join(kept).split())

    def fit(self, text: str, width: float, style: Style) -> Text:
        key = (text, width, style)
        if key not in self._fitted:
            self._fitted[key] = self._fit(" ".join(text.split()), width, style)
        return self._fitted[key]

    def draw(
        self,
        text: Text,
        x: float,
        y: float,
        width: float,
        color: RGB,
        align: Literal["L", "C"] = "L",
    ) -> None:
        """Draw a fitted text with its top left corner at (x, y); right-to-left text set "L"
        aligns right."""
        pdf = self.pdf
        pdf.set_text_color(*color)
        for index, line in enumerate(text.lines):
            self._font(line, text.style, text.size)
            pdf.set_xy(x, y + index * text.line_height)
            pdf.cell(
                width, text.line_height, line, align="R" if text.rtl and align == "L" else align
            )
        pdf.set_char_spacing(0)

    def _fit(self, text: str, width: float, style: Style) -> Text:
        pdf = self.pdf
        rtl = _is_rtl(text)
        self._font(text, style, style.largest)
        try:
            # Most texts fit on one line at their largest size: measuring it is ten times
            # cheaper than a trial wrap.
            if not _needs_shaping(text) and self._width(text) <= width:
                return Text([text], style.largest, style, rtl)
            size = style.largest
            while True:
                self._font(text, style, size)
                wrapped = pdf.multi_cell(width, 10, text, dry_run=True, output="LINES")
                lines = [line.strip() for line in cast(list[str], wrapped)]
                if len(lines) <= style.lines:
                    return Text(lines, size, style, rtl)
                if size <= style.smallest:
                    kept = lines[: style.lines - 1]
                    rest = " ".join(lines[style.lines - 1 :])
                    return Text([*kept, self._ellipsized(rest, width)], size, style, rtl)
                size = max(style.smallest, size - 1)
        finally:
            pdf.set_char_spacing(0)

    def _font(self, text: str, style: Style, size: float) -> None:
        """Select the font for `text` in `style`; shaping only for the scripts that need it."""
        self.pdf.set_font(FONT, "B" if style.bold else "", size)
        self.pdf.set_char_spacing(0 if _is_rtl(text) else style.spacing)
        self.pdf.set_text_shaping(_needs_shaping(text))

    def _width(self, text: str) -> float:
        """The width of a cell holding `text` on one line (fpdf2 pads cells on both sides)."""
        return self.pdf.get_string_width(text) + 2 * self.pdf.c_margin

    def _ellipsized(self, text: str, width: float) -> str:
        """The longest start of `text` that fits `width` with an ellipsis after it."""
        low, high = 0, len(text)
        while low < high:
            middle = (low + high + 1) // 2
            if self._width(text[:middle].rstrip() + "…") <= width:
                low = middle
            else:
                high = middle - 1
        return text[:low].rstrip() + "…"


def _is_rtl(text: str) -> bool:
    """Whether the text starts right to left (its first strong character is Arabic, Hebrew...)."""
    for char in text:
        direction = unicodedata.bidirectional(char)
        if direction in ("R", "AL"):
            return True
        if direction == "L":
            return False
    return False


def _needs_shaping(text: str) -> bool:
    """Whether the text has letters that join or reorder (Hebrew, Arabic, Indic, Thai, ...).

    Only those go through HarfBuzz: Latin, Greek and Cyrillic print the same without it, and a
    page sets in less than half the time.
    """
    return any("\u0590" <= char <= "\u1fff" or "\ufb1d" <= char <= "\ufeff" for char in text)
