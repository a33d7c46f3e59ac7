"""A program's logo: a PNG or JPEG image, checked once on upload so that printing never fails.

It is kept in the program's row (at most 512 KB, read only by the code that prints or serves
it), as sent unless it is larger than a poster needs: past `PRINT_SIDE` pixels on a side it is
scaled down once here, instead of on every PDF drawn (fpdf2 re-encodes an image per document).
"""

import io
import warnings
from dataclasses import dataclass

from fpdf import FPDF
from fpdf.errors import FPDFException
from PIL import Image, UnidentifiedImageError

from vantio.errors import FieldError

MAX_LOGO_BYTES = 512 * 1024
# A small file can decode to a huge bitmap (a "decompression bomb"): refused before decoding.
MAX_LOGO_SIDE = 4096
# A poster prints its logo at most 70 mm wide: 830 pixels at 300 dpi; a little more is kept.
PRINT_SIDE = 1200
MEDIA_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}


@dataclass(frozen=True)
class CheckedLogo:
    content: bytes
    media_type: str


def prepare_logo(content: bytes) -> CheckedLogo:
    """The logo to store, or a 400 naming `logo` that says what is wrong with the upload."""
    if not content:
        raise FieldError("logo", "send the image as the request body (PNG or JPEG)")
    if len(content) > MAX_LOGO_BYTES:
        raise FieldError(
            "logo",
            f"the image is {len(content) // 1024} KB; a logo may be at most "
            f"{MAX_LOGO_BYTES // 1024} KB",
            code="logo_too_large",
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                kind = image.format or ""
                if kind not in MEDIA_TYPES:
                    raise FieldError("logo", f"a logo must be PNG or JPEG, not {kind or 'this'}")
                width, height = image.size
                if width > MAX_LOGO_SIDE or height > MAX_LOGO_SIDE:
                    raise FieldError(
                        "logo",
                        f"the image is {width}x{height} pixels; at most "
                        f"{MAX_LOGO_SIDE}x{MAX_LOGO_SIDE}",
                    )
                image.load()  # decodes every pixel: a truncated or corrupt file fails here
                if max(width, height) > PRINT_SIDE:
                    content = _scaled_down(image, kind)
            # Whatever Pillow reads, the PDF writer must embed too (CMYK, 16-bit, interlaced...):
            # a poster download must never fail on its logo.
            printable = FPDF()
            printable.add_page()
            printable.image(io.BytesIO(content), x=0, y=0, w=10)
    except FieldError:
        raise
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        FPDFException,
        OSError,
        ValueError,
        SyntaxError,
    ) as exc:
        raise FieldError("logo", "not a readable PNG or JPEG image") from exc
    return CheckedLogo(content, MEDIA_TYPES[kind])


def _scaled_down(image: Image.Image, kind: str) -> bytes:
    copy = image.copy()
    copy.thumbnail((PRINT_SIDE, PRINT_SIDE), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    if kind == "JPEG":
        copy.save(buffer, "JPEG", quality=90, icc_profile=image.info.get("icc_profile"))
    else:
        copy.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()
