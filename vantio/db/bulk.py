"""Many rows into one table through the driver's executemany (or COPY), for hot paths.

`connection.execute(insert(table), rows)` spends most of its time in SQLAlchemy's per-row
parameter machinery (`SQLCompiler.construct_params`: a dict per row, every bind looked up and
processed one by one): on the scan's batches it was the largest single cost in the profile. Here
the statement is compiled once per table, dialect and column list, each column's bind processor
(what SQLAlchemy itself would apply: `UTCDateTime`, JSON, booleans) is looked up once, and each
row becomes a plain tuple handed to the driver.

`copy_many` is the same for large loads from async code (a campaign's codes): on PostgreSQL
through asyncpg it streams the tuples with `COPY ... FROM STDIN` (binary), which the server
ingests several times faster than an executemany of INSERTs; elsewhere it is `insert_many`.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Dialect, Table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

_Processor = Callable[[Any], Any] | None
_Prepared = tuple[str, tuple[str, ...], tuple[_Processor, ...]]
_prepared: dict[tuple[str, str, tuple[str, ...]], _Prepared] = {}


def _prepare(dialect: Dialect, table: Table, keys: tuple[str, ...]) -> _Prepared:
    cache_key = (table.name, dialect.name, keys)
    prepared = _prepared.get(cache_key)
    if prepared is None:
        compiled = table.insert().compile(dialect=dialect, column_keys=list(keys))
        order = tuple(compiled.positiontup or ())
        if sorted(order) != sorted(keys):
            raise ValueError(f"insert_many needs a positional paramstyle and the columns {keys}")
        processors: tuple[_Processor, ...] = tuple(
            table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in order
        )
        prepared = _prepared[cache_key] = (str(compiled), order, processors)
    return prepared


def _tuples(
    rows: Sequence[Mapping[str, Any]],
    order: tuple[str, ...],
    processors: tuple[_Processor, ...],
    shared: Mapping[str, Any] | None = None,
) -> list[tuple[Any, ...]]:
    if shared:
        # The columns every row shares are processed once (a JSON definition: one dumps, not
        # one per row), then each row is the shared tuple with its own values set in.
        base = [
            None
            if name not in shared
            else shared[name]
            if process is None
            else process(shared[name])
            for name, process in zip(order, processors, strict=True)
        ]
        own = [
            (index, name, process)
            for index, (name, process) in enumerate(zip(order, processors, strict=True))
            if name not in shared
        ]
        out = []
        for row in rows:
            values = base.copy()
            for index, name, process in own:
                values[index] = row[name] if process is None else process(row[name])
            out.append(tuple(values))
        return out
    pairs = tuple(zip(order, processors, strict=True))
    return [
        tuple(row[name] if process is None else process(row[name]) for name, process in pairs)
        for row in rows
    ]


def insert_many(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT `rows` (all with the same keys, the columns' names) in the connection's transaction."""
    if not rows:
        return
    sql, order, processors = _prepare(connection.dialect, table, tuple(rows[0]))
    connection.exec_driver_sql(sql, _tuples(rows, order, processors))


def _insert_tuples(
    connection: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    shared: Mapping[str, Any] | None,
) -> None:
    keys = (*(shared or {}), *(k for k in rows[0] if k not in (shared or {})))
    sql, order, processors = _prepare(connection.dialect, table, keys)
    connection.exec_driver_sql(sql, _tuples(rows, order, processors, shared))


async def copy_many(
    connection: AsyncConnection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    shared: Mapping[str, Any] | None = None,
) -> None:
    """`insert_many` from async code; on PostgreSQL (asyncpg) a binary COPY into `table`.

    `shared` holds the columns equal in every row (processed once), `rows` the others. Same
    transaction, same all-or-nothing: a row that breaks a constraint fails the whole call with
    SQLAlchemy's `IntegrityError` (the driver's error as `orig`, with its `sqlstate`).
    """
    if not rows:
        return
    dialect = connection.dialect
    if dialect.name != "postgresql" or dialect.driver != "asyncpg":
        await connection.run_sync(_insert_tuples, table, rows, shared)
        return
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    if driver is None or not driver.is_in_transaction():
        # SQLAlchemy's adapter begins the transaction lazily, at its first statement: a COPY
        # sent before it would commit on its own.
        await connection.run_sync(_insert_tuples, table, rows, shared)
        return
    keys = (*(shared or {}), *(k for k in rows[0] if k not in (shared or {})))
    _, order, processors = _prepare(dialect, table, keys)
    records = _tuples(rows, order, processors, shared)
    try:
        await driver.copy_records_to_table(
            table.name, records=records, columns=list(order), schema_name=table.schema
        )
    except Exception as exc:
        # asyncpg's errors carry the SQLSTATE; class 23 is an integrity constraint violation.
        if str(getattr(exc, "sqlstate", "")).startswith("23"):
            raise IntegrityError(f"COPY {table.name}", None, exc) from exc
        raise
