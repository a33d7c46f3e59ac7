"""Every cell the project writes to a CSV is data when a spreadsheet opens it (OWASP CSV injection)."""

import csv
import io

import pytest

from vantio.kit.csv import rows_to_csv, safe_cell, stream_csv

HOSTILE = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A2)", "\tx", "\rx", "=1"]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_cell_that_would_run_as_a_formula_is_quoted_as_text(value: str) -> None:
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["-12.50", "+3", "-7", "1e5", "Ada Lovelace", "", "a=b"])
def test_numbers_and_plain_text_are_left_alone(value: str) -> None:
    assert safe_cell(value) == value


def test_types_other_than_text() -> None:
    assert [safe_cell(v) for v in (None, True, False, -500, 1.5)] == [
        "",
        "true",
        "false",
        -500,
        1.5,
    ]


def test_a_document_reads_back_with_every_hostile_cell_neutralised() -> None:
    text = rows_to_csv(["name", "amount"], [[name, -100] for name in HOSTILE])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["name", "amount"]
    assert [row[0] for row in rows[1:]] == ["'" + value for value in HOSTILE]
    assert all(row[1] == "-100" for row in rows[1:])
    assert all(not row[0].startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows[1:])


async def test_a_streamed_document_is_the_same_document() -> None:
    async def rows():  # type: ignore[no-untyped-def]
        for name in HOSTILE:
            yield [name, 1]

    streamed = b"".join([chunk async for chunk in stream_csv(["name", "n"], rows())]).decode()
    assert streamed == rows_to_csv(["name", "n"], [[name, 1] for name in HOSTILE])
