"""CSV that a spreadsheet opens as data, never as formulas.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is run as a formula by
Excel, LibreOffice and Google Sheets: an ambassador named `=cmd|' /C calc'!A0` would run a
command on the machine of whoever opens the payout file. As OWASP's "CSV Injection" page
advises, such a cell gets a leading apostrophe, which spreadsheets show as text. Numbers are
left alone (an `int`, or a string that is only a number such as `-12.50`): they cannot be
formulas, and a clawback must stay a negative amount.

Every CSV the project writes goes through `rows_to_csv` or `stream_csv`.
"""

import csv
import io
import re
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Sequence

Cell = str | int | float | bool | None

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def safe_cell(value: Cell) -> str | int | float:
    """The value as a cell that cannot run as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    if value.startswith(_FORMULA_STARTS) and _PLAIN_NUMBER.fullmatch(value) is None:
        return "'" + value
    return value


def format_rows(rows: Iterable[Sequence[Cell]]) -> Iterator[str]:
    """Each row as one CSV line (RFC 4180: CRLF, quotes where needed), every cell made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def rows_to_csv(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    """A whole CSV document in memory (small files: one payout, one export page)."""
    return "".join(format_rows([header, *rows]))


async def stream_csv(
    header: Sequence[str], rows: AsyncIterable[Sequence[Cell]]
) -> AsyncIterator[bytes]:
    """A CSV document as UTF-8 chunks, for a streamed answer of any length."""
    yield "".join(format_rows([header])).encode()
    async for row in rows:
        yield "".join(format_rows([row])).encode()
