"""Reading a PDF back as a person would: its text, its pages, and its QR codes, with poppler's
command-line tools (pdftotext, pdfinfo, pdftoppm) and zxing-cpp."""

import io
import re
import subprocess
from dataclasses import dataclass
from html import unescape

import zxingcpp
from PIL import Image


def _run(*command: str, data: bytes) -> bytes:
    # Fixed poppler commands; only the PDF under test goes in, on stdin.
    return subprocess.run(command, input=data, capture_output=True, check=True).stdout  # noqa: S603


def text_of(pdf: bytes, page: int | None = None) -> str:
    """The text of the PDF (or of one page), with runs of whitespace made single spaces."""
    pages = ["-f", str(page), "-l", str(page)] if page else []
    text = _run("pdftotext", *pages, "-", "-", data=pdf).decode()
    return " ".join(text.split())


def info_of(pdf: bytes) -> dict[str, str]:
    lines = _run("pdfinfo", "-", data=pdf).decode().splitlines()
    return {key.strip(): value.strip() for key, _, value in (line.partition(":") for line in lines)}


def page_count(pdf: bytes) -> int:
    return int(info_of(pdf)["Pages"])


def page_png(pdf: bytes, page: int = 1, dpi: int = 150) -> bytes:
    """One page rendered to PNG, as `pdftoppm -r 150` does."""
    return _run("pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page), "-png", "-", data=pdf)


def qr_codes_on(pdf: bytes, page: int = 1) -> list[str]:
    """The texts of the QR codes zxing-cpp finds on a page rendered at 150 dpi."""
    image = Image.open(io.BytesIO(page_png(pdf, page)))
    return [result.text for result in zxingcpp.read_barcodes(image)]


@dataclass(frozen=True)
class Word:
    text: str
    x_min: float
    y_min: float
    x_max: float
    y_max: float


_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">')
_WORD = re.compile(
    r'<word xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" yMax="([\d.-]+)">([^<]*)</word>'
)


def words_of(pdf: bytes) -> list[tuple[tuple[float, float], list[Word]]]:
    """Each page's size (points) and the bounding box of every word on it."""
    html = _run("pdftotext", "-bbox", "-", "-", data=pdf).decode()
    pages = []
    for chunk in html.split("</page>")[:-1]:
        size = _PAGE.search(chunk)
        assert size is not None
        words = [
            Word(unescape(m.group(5)), *(float(m.group(i)) for i in range(1, 5)))
            for m in _WORD.finditer(chunk)
        ]
        pages.append(((float(size.group(1)), float(size.group(2))), words))
    return pages
