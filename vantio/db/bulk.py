"""Many rows into one table through the driver's executemany, for hot paths.

`connection.execute(insert(table), rows)` spends most of its time in SQLAlchemy's per-row
parameter machinery (`SQLCompiler.construct_params`: a dict per row, every bind looked up and
processed one by one): on the scan's batches it was the largest single cost in the profile. Here
the statement is compiled once per table, dialect and column list, each column's bind processor
(what SQLAlchemy itself would apply: `UTCDateTime`, JSON, booleans) is looked up once, and each
row becomes a plain tuple handed to the driver.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table

_Processor = Callable[[Any], Any] | None
_Prepared = tuple[str, tuple[str, ...], tuple[_Processor, ...]]
_prepared: dict[tuple[str, str, tuple[str, ...]], _Prepared] = {}


def insert_many(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT `rows` (all with the same keys, the columns' names) in the connection's transaction."""
    if not rows:
        return
    dialect = connection.dialect
    keys = tuple(rows[0])
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
    sql, order, processors = prepared
    pairs = tuple(zip(order, processors, strict=True))
    parameters = [
        tuple(row[name] if process is None else process(row[name]) for name, process in pairs)
        for row in rows
    ]
    connection.exec_driver_sql(sql, parameters)
