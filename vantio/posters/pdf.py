"""Printable posters as PDF, drawn with fpdf2: one page per poster, A4 or US Letter.

A page, top to bottom: a red warning when the QR code's URL is not public; a band in the
program's brand color with its logo, name and headline; the incentive; the QR code, large, with
its quiet zone, "Scan to join" and the short URL under it; the ambassador; the location in small
print. Every text fits its box: it wraps, then shrinks, and only past its smallest size is it
cut with an ellipsis. Should the texts leave the QR code too little room, the page is laid out
again with smaller type.

Text is set in DejaVu Sans, shipped in `fonts/` (the Bitstream Vera and Arev licences allow
shipping it with software; see fonts/LICENSE), with text shaping (uharfbuzz), so that Arabic and
Hebrew are joined and run right to left. DejaVu has no CJK glyphs: characters it lacks are left
out (a name only in Chinese is not printed) rather than printed as blanks or boxes.
"""

import io
import logging
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast

import segno
from fpdf import FPDF
from fpdf.fonts import TTFFont
from PIL import Image

from vantio.kit.urls import is_public_url

Paper = Literal["a4", "letter"]
PAPER_SIZES: dict[str, tuple[float, float]] = {"a4": (210.0, 297.0), "letter": (215.9, 279.4)}
FONTS = Path(__file__).parent / "fonts"
FONT = "DejaVu"
DEFAULT_BRAND = "#1F3A5F"
RGB = tuple[int, int, int]
INK: RGB = (17, 24, 39)
MUTED: RGB = (75, 85, 99)
RULE: RGB = (209, 213, 219)
WARNING_RED: RGB = (185, 28, 28)
WHITE: RGB = (255, 255, 255)
PT = 0.3528  # millimetres in a point
MARGIN = 16.0  # mm; home and office printers leave 4-6 mm unprinted at each edge
QR_MIN, QR_MAX = 55.0, 118.0  # mm; a 55 mm code still scans from about 1.5 m
SCALES = (1.0, 0.88, 0.76, 0.64)
WARNING_TITLE = "Not ready to print"
CALL_TO_ACTION = "SCAN TO JOIN"

# fpdf2 logs each glyph the font lacks (a Chinese name: a line per character); a blank there is
# the documented outcome, not news for the server log.
logging.getLogger("fpdf.output").setLevel(logging.ERROR)


@dataclass(frozen=True)
class Branding:
    """What every poster of a program prints."""

    program_name: str
    headline: str | None = None
    incentive: str | None = None
    brand_color: str | None = None  # "#RRGGBB"
    logo: bytes | None = None  # PNG or JPEG, checked on upload (vantio/programs/logos.py)


@dataclass(frozen=True)
class Sheet:
    """What one poster prints of its own."""

    scan_url: str
    location: str | None = None
    ambassador: str | None = None


def render(branding: Branding, sheets: Sequence[Sheet], *, paper: Paper = "a4") -> bytes:
    """A PDF of these posters, one page each."""
    if not sheets:
        raise ValueError("no posters to render")
    document = _Document(branding, paper)
    for sheet in sheets:
        document.add(sheet)
    return bytes(document.pdf.output())


def warning_text(scan_url: str) -> str:
    return (
        f"This QR code points at {scan_url}, which a phone cannot reach. Set "
        "VANTIO_PUBLIC_URL to this server's public address, then download the PDF again."
    )


# --- colors ------------------------------------------------------------------------------


def _rgb(color: str) -> RGB:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def _contrast(a: RGB, b: RGB) -> float:
    """The WCAG contrast ratio of two colors (1 to 21)."""

    def luminance(rgb: RGB) -> float:
        r, g, b = (v / 255 for v in rgb)
        r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _readable_on_white(rgb: RGB) -> RGB:
    """The brand color darkened just enough to read as text on paper (a yellow prints ochre)."""
    color = rgb
    while _contrast(color, WHITE) < 4.5:
        color = (int(color[0] * 0.85), int(color[1] * 0.85), int(color[2] * 0.85))
    return color


# --- text that fits ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Style:
    bold: bool
    largest: float  # points
    smallest: float
    lines: int
    spacing: float = 0.0  # letter spacing, points


@dataclass(frozen=True)
class _Text:
    lines: list[str]
    size: float
    style: _Style
    rtl: bool

    @property
    def line_height(self) -> float:
        return self.size * PT * 1.2

    @property
    def height(self) -> float:
        return len(self.lines) * self.line_height


def _is_rtl(text: str) -> bool:
    """Whether the text starts right to left (its first strong character is Arabic, Hebrew...)."""
    for char in text:
        direction = unicodedata.bidirectional(char)
        if direction in ("R", "AL"):
            return True
        if direction == "L":
            return False
    return False


HEADLINE = _Style(bold=True, largest=40, smallest=20, lines=3)
KICKER = _Style(bold=True, largest=11, smallest=7, lines=1, spacing=1.2)
INCENTIVE = _Style(bold=True, largest=22, smallest=12, lines=3)
URL = _Style(bold=False, largest=13, smallest=7, lines=1)
AMBASSADOR = _Style(bold=False, largest=12, smallest=8, lines=1)
LOCATION = _Style(bold=False, largest=8.5, smallest=6.5, lines=2)
WARNING = _Style(bold=False, largest=10, smallest=7, lines=4)
WARNING_HEADING = _Style(bold=True, largest=13, smallest=13, lines=1, spacing=0.6)
ACTION = _Style(bold=True, largest=16, smallest=16, lines=1, spacing=1.5)


def _needs_shaping(text: str) -> bool:
    """Whether the text has letters that join or reorder (Hebrew, Arabic, Indic, Thai, ...).

    Only those go through HarfBuzz: Latin, Greek and Cyrillic print the same without it, and a
    page sets in half the time.
    """
    return any("\u0590" <= char <= "\u1fff" or "\ufb1d" <= char <= "\ufeff" for char in text)


def _scaled(style: _Style, scale: float) -> _Style:
    return _Style(
        style.bold, style.largest * scale, style.smallest * scale, style.lines, style.spacing
    )


# --- the document ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    """Where each part of a page goes (mm from the top) and the texts, fitted to their boxes."""

    warning: tuple[_Text, _Text] | None  # heading, body
    band_top: float
    band_bottom: float
    logo_top: float
    logo_height: float
    kicker: _Text | None
    headline: _Text
    headline_top: float
    incentive: _Text | None
    incentive_top: float
    qr_top: float
    qr_size: float
    action: _Text
    url: _Text
    ambassador: _Text | None
    location: _Text | None


class _Document:
    def __init__(self, branding: Branding, paper: Paper):
        self.branding = branding
        self.width, self.height = PAPER_SIZES[paper]
        self.inner = self.width - 2 * MARGIN
        pdf = FPDF(unit="mm", format=(self.width, self.height))
        pdf.set_auto_page_break(False)
        pdf.set_margins(0, 0, 0)
        pdf.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
        pdf.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        pdf.set_title(branding.program_name)
        pdf.set_creator("Vantio")
        self.pdf = pdf
        self.brand = _rgb(branding.brand_color or DEFAULT_BRAND)
        self.on_brand = WHITE if _contrast(WHITE, self.brand) >= 3.0 else INK
        self.accent = _readable_on_white(self.brand)
        self.logo_ratio = _aspect_ratio(branding.logo) if branding.logo else None
        self.glyphs: set[int] = set.intersection(
            *(set(font.cmap) for font in pdf.fonts.values() if isinstance(font, TTFFont))
        )
        self.program_name = self._printable(branding.program_name)
        self.headline = self._printable(branding.headline)
        self.incentive = self._printable(branding.incentive)
        # The program's texts are the same on every page: each is fitted once per document.
        self._fitted: dict[tuple[str, float, _Style], _Text] = {}

    def add(self, sheet: Sheet) -> None:
        self.pdf.add_page()
        for scale in SCALES:
            layout = self._layout(sheet, scale)
            if layout.qr_size >= QR_MIN:
                break
        self._draw(sheet, layout)

    def _printable(self, text: str | None) -> str:
        """The text without the characters the font lacks (CJK): leaving them out is better than
        blanks or boxes where they stood, and a text left empty is not printed at all."""
        kept = (
            char if char in " \t\n" or ord(char) in self.glyphs else " "
            for char in unicodedata.normalize("NFC", text or "")
        )
        return " ".join("".join(kept).split())

    def _fit(self, text: str, width: float, style: _Style) -> _Text:
        key = (text, width, style)
        if key not in self._fitted:
            self._fitted[key] = self._fit_now(" ".join(text.split()), width, style)
        return self._fitted[key]

    def _fit_now(self, text: str, width: float, style: _Style) -> _Text:
        pdf = self.pdf
        rtl = _is_rtl(text)
        self._font(text, style, style.largest)
        try:
            # Most texts fit on one line at their largest size: measuring it is ten times
            # cheaper than a trial wrap.
            if not _needs_shaping(text) and pdf.get_string_width(text) + 2 * pdf.c_margin <= width:
                return _Text([text], style.largest, style, rtl)
            size = style.largest
            while True:
                self._font(text, style, size)
                wrapped = pdf.multi_cell(width, 10, text, dry_run=True, output="LINES")
                lines = [line.strip() for line in cast(list[str], wrapped)]
                if len(lines) <= style.lines:
                    return _Text(lines, size, style, rtl)
                if size <= style.smallest:
                    kept = lines[: style.lines - 1]
                    rest = " ".join(lines[style.lines - 1 :])
                    return _Text([*kept, self._ellipsized(rest, width)], size, style, rtl)
                size = max(style.smallest, size - 1)
        finally:
            pdf.set_char_spacing(0)

    def _font(self, text: str, style: _Style, size: float) -> None:
        """Select the font for `text` in `style`; shaping only for the scripts that need it."""
        self.pdf.set_font(FONT, "B" if style.bold else "", size)
        self.pdf.set_char_spacing(0 if _is_rtl(text) else style.spacing)
        self.pdf.set_text_shaping(_needs_shaping(text))

    def _ellipsized(self, text: str, width: float) -> str:
        """The longest start of `text` that fits `width` with an ellipsis after it."""
        low, high = 0, len(text)
        while low < high:
            middle = (low + high + 1) // 2
            if (
                self.pdf.get_string_width(text[:middle].rstrip() + "…") + 2 * self.pdf.c_margin
                <= width
            ):
                low = middle
            else:
                high = middle - 1
        return text[:low].rstrip() + "…"

    def _layout(self, sheet: Sheet, scale: float) -> _Layout:
        inner = self.inner
        warning = None
        y = 0.0
        if not is_public_url(sheet.scan_url):
            warning = (
                self._fit(f"⚠ {WARNING_TITLE.upper()}", inner, WARNING_HEADING),
                self._fit(warning_text(sheet.scan_url), inner, WARNING),
            )
            y += 4 + warning[0].height + warning[1].height + 4
        band_top = y
        y += 14 * scale
        logo_top, logo_height = y, (20 * scale if self.logo_ratio else 0.0)
        if logo_height:
            y += logo_height + 8 * scale
        kicker = (
            self._fit(self.program_name.upper(), inner, KICKER)
            if self.headline and self.program_name
            else None
        )
        if kicker:
            y += kicker.height + 1.5
        headline_top = y
        headline = self._fit(self.headline or self.program_name, inner, _scaled(HEADLINE, scale))
        band_bottom = y + headline.height + 12 * scale

        incentive = (
            self._fit(self.incentive, inner - 10, _scaled(INCENTIVE, scale))
            if self.incentive
            else None
        )
        action = self._fit(CALL_TO_ACTION, inner, ACTION)
        url = self._fit(_short(sheet.scan_url), inner, URL)
        name, place = self._printable(sheet.ambassador), self._printable(sheet.location)
        ambassador = self._fit(f"Shared by {name}", inner, AMBASSADOR) if name else None
        location = self._fit(f"Poster location: {place}", inner, LOCATION) if place else None
        footer = 10 + 4 + (location.height + 4 if location else 0)
        # Under the band: the incentive, the QR code, its captions. The QR code takes the room
        # the rest leaves, up to QR_MAX; what is left then is shared above and below.
        above_qr = (incentive.height + 8 * scale) if incentive else 0.0
        below_qr = 4 + action.height + 1 + url.height + (5 + ambassador.height if ambassador else 0)
        room = self.height - footer - band_bottom - 2 * 10 * scale
        qr_size = max(30.0, min(QR_MAX, room - above_qr - below_qr))
        spare = max(0.0, room - above_qr - qr_size - below_qr)
        incentive_top = band_bottom + 10 * scale + spare / 2
        return _Layout(
            warning=warning,
            band_top=band_top,
            band_bottom=band_bottom,
            logo_top=logo_top,
            logo_height=logo_height,
            kicker=kicker,
            headline=headline,
            headline_top=headline_top,
            incentive=incentive,
            incentive_top=incentive_top,
            qr_top=incentive_top + above_qr,
            qr_size=qr_size,
            action=action,
            url=url,
            ambassador=ambassador,
            location=location,
        )

    def _draw(self, sheet: Sheet, layout: _Layout) -> None:
        pdf, inner = self.pdf, self.inner
        if layout.warning:
            heading, body = layout.warning
            pdf.set_fill_color(*WARNING_RED)
            pdf.rect(0, 0, self.width, layout.band_top, style="F")
            self._text(heading, MARGIN, 4, inner, WHITE)
            self._text(body, MARGIN, 4 + heading.height, inner, WHITE)

        pdf.set_fill_color(*self.brand)
        pdf.rect(0, layout.band_top, self.width, layout.band_bottom - layout.band_top, style="F")
        if self.branding.logo and self.logo_ratio:
            self._logo(self.branding.logo, self.logo_ratio, layout.logo_top, layout.logo_height)
        if layout.kicker:
            kicker_top = layout.headline_top - 1.5 - layout.kicker.height
            self._text(layout.kicker, MARGIN, kicker_top, inner, self.on_brand)
        self._text(layout.headline, MARGIN, layout.headline_top, inner, self.on_brand)

        if layout.incentive:
            self._text(
                layout.incentive, MARGIN + 5, layout.incentive_top, inner - 10, self.accent, "C"
            )
        left = (self.width - layout.qr_size) / 2
        self._qr(sheet.scan_url, left, layout.qr_top, layout.qr_size)
        y = layout.qr_top + layout.qr_size + 4
        self._text(layout.action, MARGIN, y, inner, INK, "C")
        y += layout.action.height + 1
        self._text(layout.url, MARGIN, y, inner, MUTED, "C")
        if layout.ambassador:
            self._text(layout.ambassador, MARGIN, y + layout.url.height + 5, inner, INK, "C")

        if layout.location:
            top = self.height - 10 - layout.location.height
            pdf.set_draw_color(*RULE)
            pdf.set_line_width(0.3)
            pdf.line(MARGIN, top - 4, self.width - MARGIN, top - 4)
            self._text(layout.location, MARGIN, top, inner, MUTED)
        pdf.set_fill_color(*self.brand)
        pdf.rect(0, self.height - 4, self.width, 4, style="F")

    def _text(
        self,
        text: _Text,
        x: float,
        y: float,
        width: float,
        color: RGB,
        align: Literal["L", "C"] = "L",
    ) -> None:
        pdf = self.pdf
        pdf.set_text_color(*color)
        for index, line in enumerate(text.lines):
            self._font(line, text.style, text.size)
            pdf.set_xy(x, y + index * text.line_height)
            pdf.cell(
                width, text.line_height, line, align="R" if text.rtl and align == "L" else align
            )
        pdf.set_char_spacing(0)

    def _logo(self, logo: bytes, ratio: float, top: float, height: float) -> None:
        """The logo on a white card, so that any logo reads on any brand color."""
        width = min(height * ratio, 70.0)
        height = width / ratio
        pad = 3.0
        self.pdf.set_fill_color(*WHITE)
        self.pdf.rect(
            MARGIN - pad,
            top - pad,
            width + 2 * pad,
            height + 2 * pad,
            style="F",
            round_corners=True,
            corner_radius=2.0,
        )
        # fpdf2 keys images by content: the logo is embedded once, whatever the page count.
        self.pdf.image(io.BytesIO(logo), x=MARGIN, y=top, w=width, h=height)

    def _qr(self, url: str, left: float, top: float, size: float) -> None:
        """The QR code as vector squares, sharp at any size, on white with a 4-module quiet zone."""
        matrix = segno.make(url, error="m", micro=False).matrix
        module = size / (len(matrix) + 8)
        pdf = self.pdf
        pdf.set_fill_color(*WHITE)
        pdf.set_draw_color(*self.accent)
        pdf.set_line_width(0.8)
        pdf.rect(left, top, size, size, style="DF", round_corners=True, corner_radius=3.0)
        x, y = left + 4 * module, top + 4 * module
        pdf.set_fill_color(0, 0, 0)
        # Each run reaches a hair into the row below: where two rows meet, a viewer's
        # anti-aliasing would otherwise leave a faint seam (print is unaffected either way).
        seam = min(0.08, module / 10)
        for row, cells in enumerate(matrix):
            for start, length in _dark_runs(cells):
                pdf.rect(x + start * module, y + row * module, length * module, module + seam, "F")


def _dark_runs(cells: bytearray) -> list[tuple[int, int]]:
    """(start, length) of each horizontal run of dark modules in a row of the QR code."""
    runs = []
    start = None
    for index, dark in enumerate([*cells, 0]):
        if dark and start is None:
            start = index
        elif not dark and start is not None:
            runs.append((start, index - start))
            start = None
    return runs


def _aspect_ratio(content: bytes) -> float:
    with Image.open(io.BytesIO(content)) as image:
        width, height = image.size
    return width / height


def _short(url: str) -> str:
    """The URL as people type it: without `https://`, which browsers add (`http://` stays)."""
    return url.removeprefix("https://")
