"""Printable posters as PDF, drawn with fpdf2: one page per poster, A4 or US Letter.

A page, top to bottom: a red warning when the QR code's URL is not public; a band in the
program's brand color with its logo, name and headline; the incentive; the QR code, large, with
its quiet zone, "Scan to join" and the short URL under it; the ambassador; the location in small
print. Every text fits its box (vantio/posters/typesetting.py); should the texts leave the QR
code less than QR_MIN, the page is laid out again with smaller type.
"""

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import segno
from fpdf import FPDF
from PIL import Image

from vantio.kit.urls import is_public_url
from vantio.posters.typesetting import RGB, Style, Text, Typesetter

Paper = Literal["a4", "letter"]
PAPER_SIZES: dict[str, tuple[float, float]] = {"a4": (210.0, 297.0), "letter": (215.9, 279.4)}
DEFAULT_BRAND = "#1F3A5F"
INK: RGB = (17, 24, 39)
MUTED: RGB = (75, 85, 99)
RULE: RGB = (209, 213, 219)
WARNING_RED: RGB = (185, 28, 28)
WHITE: RGB = (255, 255, 255)
MARGIN = 16.0  # mm; home and office printers leave 4-6 mm unprinted at each edge
QR_MIN, QR_MAX = 80.0, 118.0  # mm; type shrinks before the code gets smaller than QR_MIN
SCALES = (1.0, 0.88, 0.76, 0.64)
PILL_PADDING = 6.0  # mm around the incentive, on its tint of the brand color
WARNING_TITLE = "Not ready to print"
CALL_TO_ACTION = "SCAN TO JOIN"


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


def _readable_on(background: RGB, rgb: RGB) -> RGB:
    """The brand color darkened just enough to read as text on `background` (a yellow brand
    prints ochre)."""
    color = rgb
    while _contrast(color, background) < 4.5:
        color = (int(color[0] * 0.85), int(color[1] * 0.85), int(color[2] * 0.85))
    return color


def _mixed(rgb: RGB, other: RGB, share: float) -> RGB:
    """`share` of `rgb` over `other`, as ink over paper."""
    r, g, b = (round(a * share + o * (1 - share)) for a, o in zip(rgb, other, strict=True))
    return r, g, b


# The type of each text on the page: sizes in points, from the largest it may take down to the
# smallest it may shrink to, and how many lines it may wrap onto.
HEADLINE = Style(bold=True, largest=40, smallest=20, lines=3, leading=1.1)
KICKER = Style(bold=True, largest=11, smallest=7, lines=1, spacing=1.2)
INCENTIVE = Style(bold=True, largest=22, smallest=12, lines=3)
URL = Style(bold=False, largest=13, smallest=7, lines=1)
AMBASSADOR = Style(bold=False, largest=12, smallest=8, lines=1)
LOCATION = Style(bold=False, largest=8.5, smallest=6.5, lines=2)
WARNING = Style(bold=False, largest=10, smallest=7, lines=4)
WARNING_HEADING = Style(bold=True, largest=13, smallest=13, lines=1, spacing=0.6)
ACTION = Style(bold=True, largest=16, smallest=16, lines=1, spacing=1.5)


# --- the document ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    """Where each part of a page goes (mm from the top) and the texts, fitted to their boxes."""

    warning: tuple[Text, Text] | None  # heading, body
    band_top: float
    band_bottom: float
    logo_top: float
    logo_height: float
    kicker: Text | None
    headline: Text
    headline_top: float
    incentive: Text | None
    incentive_top: float
    qr_top: float
    qr_size: float
    action: Text
    url: Text
    ambassador: Text | None
    location: Text | None


class _Document:
    def __init__(self, branding: Branding, paper: Paper):
        self.branding = branding
        self.width, self.height = PAPER_SIZES[paper]
        self.inner = self.width - 2 * MARGIN
        pdf = FPDF(unit="mm", format=(self.width, self.height))
        pdf.set_auto_page_break(False)
        pdf.set_margins(0, 0, 0)
        pdf.set_title(branding.program_name)
        pdf.set_creator("Vantio")
        self.pdf = pdf
        self.type = Typesetter(pdf)
        self.brand = _rgb(branding.brand_color or DEFAULT_BRAND)
        self.on_brand = WHITE if _contrast(WHITE, self.brand) >= 3.0 else INK
        # The incentive sits on a tint of the brand color; the QR code's frame and the incentive's
        # text take the brand color, darkened where it would not read on paper.
        self.tint = _mixed(self.brand, WHITE, 0.12)
        self.accent = _readable_on(self.tint, self.brand)
        self.logo_ratio = _aspect_ratio(branding.logo) if branding.logo else None
        self.program_name = self.type.printable(branding.program_name)
        self.headline = self.type.printable(branding.headline)
        self.incentive = self.type.printable(branding.incentive)

    def add(self, sheet: Sheet) -> None:
        self.pdf.add_page()
        for scale in SCALES:
            layout = self._layout(sheet, scale)
            if layout.qr_size >= QR_MIN:
                break
        self._draw(sheet, layout)

    def _layout(self, sheet: Sheet, scale: float) -> _Layout:
        inner = self.inner
        warning = None
        y = 0.0
        if not is_public_url(sheet.scan_url):
            warning = (
                self.type.fit(f"⚠ {WARNING_TITLE.upper()}", inner, WARNING_HEADING),
                self.type.fit(warning_text(sheet.scan_url), inner, WARNING),
            )
            y += 4 + warning[0].height + warning[1].height + 4
        band_top = y
        y += 14 * scale
        logo_top, logo_height = y, (20 * scale if self.logo_ratio else 0.0)
        if logo_height:
            y += logo_height + 8 * scale
        kicker = (
            self.type.fit(self.program_name.upper(), inner, KICKER)
            if self.headline and self.program_name
            else None
        )
        if kicker:
            y += kicker.height + 1.5
        headline_top = y
        headline = self.type.fit(self.headline or self.program_name, inner, HEADLINE.scaled(scale))
        band_bottom = y + headline.height + 12 * scale

        incentive = (
            self.type.fit(self.incentive, inner - 2 * PILL_PADDING, INCENTIVE.scaled(scale))
            if self.incentive
            else None
        )
        action = self.type.fit(CALL_TO_ACTION, inner, ACTION)
        url = self.type.fit(_short(sheet.scan_url), inner, URL)
        name, place = self.type.printable(sheet.ambassador), self.type.printable(sheet.location)
        ambassador = self.type.fit(f"Shared by {name}", inner, AMBASSADOR) if name else None
        location = self.type.fit(f"Poster location: {place}", inner, LOCATION) if place else None
        footer = 10 + 4 + (location.height + 4 if location else 0)
        # Under the band: the incentive, the QR code, its captions. The QR code takes the room
        # the rest leaves, up to QR_MAX; what is left then is shared above and below.
        above_qr = (incentive.height + 2 * PILL_PADDING + 9 * scale) if incentive else 0.0
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
            self.type.draw(heading, MARGIN, 4, inner, WHITE)
            self.type.draw(body, MARGIN, 4 + heading.height, inner, WHITE)

        pdf.set_fill_color(*self.brand)
        pdf.rect(0, layout.band_top, self.width, layout.band_bottom - layout.band_top, style="F")
        if self.branding.logo and self.logo_ratio:
            self._logo(self.branding.logo, self.logo_ratio, layout.logo_top, layout.logo_height)
        if layout.kicker:
            kicker_top = layout.headline_top - 1.5 - layout.kicker.height
            self.type.draw(layout.kicker, MARGIN, kicker_top, inner, self.on_brand)
        self.type.draw(layout.headline, MARGIN, layout.headline_top, inner, self.on_brand)

        if layout.incentive:
            pdf.set_fill_color(*self.tint)
            pdf.rect(
                MARGIN,
                layout.incentive_top,
                inner,
                layout.incentive.height + 2 * PILL_PADDING,
                style="F",
                round_corners=True,
                corner_radius=4.0,
            )
            self.type.draw(
                layout.incentive,
                MARGIN + PILL_PADDING,
                layout.incentive_top + PILL_PADDING,
                inner - 2 * PILL_PADDING,
                self.accent,
                "C",
            )
        left = (self.width - layout.qr_size) / 2
        self._qr(sheet.scan_url, left, layout.qr_top, layout.qr_size)
        y = layout.qr_top + layout.qr_size + 4
        self.type.draw(layout.action, MARGIN, y, inner, INK, "C")
        y += layout.action.height + 1
        self.type.draw(layout.url, MARGIN, y, inner, MUTED, "C")
        if layout.ambassador:
            self.type.draw(layout.ambassador, MARGIN, y + layout.url.height + 5, inner, INK, "C")

        if layout.location:
            top = self.height - 10 - layout.location.height
            pdf.set_draw_color(*RULE)
            pdf.set_line_width(0.3)
            pdf.line(MARGIN, top - 4, self.width - MARGIN, top - 4)
            self.type.draw(layout.location, MARGIN, top, inner, MUTED)
        pdf.set_fill_color(*self.brand)
        pdf.rect(0, self.height - 4, self.width, 4, style="F")

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
