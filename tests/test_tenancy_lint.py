"""Tenancy is written once: no code in vantio/ compares `account_id` or `livemode` by hand.

`vantio/db/repository.py` (`scoped`, `owned_by`, `same_owner`, `is_same_owner`,
`owned_by_account`) is the one place that filters rows by account and mode; the migrations are
history. Anywhere else, one forgotten clause would be a data leak that no test notices, so this
test reads the syntax tree of every module (formatting cannot hide a comparison from it) and
fails on:

- a comparison (`==`, `!=`, `in`, `is`, `<`, ...) with an operand that reads a tenant column:
  `Model.account_id`, `row["livemode"]`, `getattr(x, "account_id")`, `column("livemode")`,
  `tuple_(M.account_id, M.livemode)`, wrapped in any call (`func.lower(M.account_id)`);
- a method called on such an operand (`.in_()`, `.is_()`, `.is_not()`, `.__eq__()`, `.op("=")`,
  `.between()`, ...) other than ordering and labelling it;
- `operator.eq(M.account_id, x)` and its kin;
- `filter_by(account_id=...)` (SQLAlchemy's or `repository.filter_by`), also through
  `**{"account_id": ...}`;
- a tenant column used as a condition by itself: `.where(M.livemode)`, `.where(~M.livemode)`,
  `[k for k in keys if k.livemode]`;
- SQL text naming one in a condition: `text("... WHERE account_id = :a")`;
- `match row.livemode:`.
"""

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "vantio"
TENANT_COLUMNS = {"account_id", "livemode"}
ALLOWED = {
    "vantio/db/repository.py",  # the tenancy primitive itself
}
ALLOWED_DIRECTORIES = ("vantio/migrations/",)

# Methods that order or name a column without comparing it.
HARMLESS_METHODS = {"label", "asc", "desc", "nulls_first", "nulls_last", "key"}
# Functions that compare their arguments (operator.eq, sqlalchemy.sql.operators.is_, ...).
COMPARING_FUNCTIONS = {
    "eq", "ne", "lt", "le", "gt", "ge", "is_", "is_not", "isnot", "in_op", "not_in_op",
    "notin_op", "contains", "is_distinct_from", "is_not_distinct_from", "isnot_distinct_from",
    "between_op", "like_op", "ilike_op", "startswith_op", "endswith_op", "match_op",
}  # fmt: skip
# Calls that name a column by a string: getattr(M, "account_id"), column("livemode").
NAMING_FUNCTIONS = {"getattr", "column", "literal_column", "attrgetter", "itemgetter"}
EXPRESSION_FUNCTIONS = {"tuple_", "cast", "type_coerce", "coalesce", "lower", "upper"}
CONDITION_METHODS = {"where", "filter", "having", "and_", "or_", "not_"}
SQL_CONDITION = re.compile(
    r"\b(account_id|livemode)\b\s*(=|!=|<>|<|>|\bin\b|\bis\b|\blike\b|\bbetween\b)", re.I
)


def _name_of(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _is_tenant_string(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value in TENANT_COLUMNS


def _reads_tenant_column(node: ast.AST) -> bool:
    """Whether the expression reads `account_id` or `livemode` of something, at any depth."""
    for inner in ast.walk(node):
        if isinstance(inner, ast.Attribute) and inner.attr in TENANT_COLUMNS:
            return True
        if isinstance(inner, ast.Subscript) and _is_tenant_string(inner.slice):
            return True
        if (
            isinstance(inner, ast.Call)
            and _name_of(inner.func) in NAMING_FUNCTIONS
            and any(_is_tenant_string(arg) for arg in inner.args)
        ):
            return True
    return False


def _is_column_expression(node: ast.expr) -> bool:
    """A tenant column, or an SQL expression built on one (`tuple_(...)`, `func.lower(...)`,
    `cast(...)`), as opposed to a query that merely selects one (`select(M.account_id)`)."""
    if isinstance(node, ast.Call):
        built_on = _name_of(node.func) in EXPRESSION_FUNCTIONS or (
            isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "func"
        )
        if built_on:
            return any(_reads_tenant_column(arg) for arg in node.args)
        return _name_of(node.func) in NAMING_FUNCTIONS and _reads_tenant_column(node)
    if isinstance(node, ast.Attribute):
        return node.attr in TENANT_COLUMNS
    return isinstance(node, ast.Subscript) and _is_tenant_string(node.slice)


def _is_bare_tenant_column(node: ast.expr) -> bool:
    """`M.livemode`, `~M.livemode`, `not k.livemode`, `not_(M.livemode)`, `a.livemode and b`."""
    while True:
        if isinstance(node, ast.UnaryOp):
            node = node.operand
        elif isinstance(node, ast.Call) and _name_of(node.func) == "not_" and node.args:
            node = node.args[0]
        elif isinstance(node, ast.BoolOp):
            return any(_is_bare_tenant_column(value) for value in node.values)
        else:
            break
    return _reads_tenant_column(node) and not isinstance(node, ast.Call | ast.Compare)


def violations(source: str) -> Iterator[tuple[int, str]]:
    """(line, what) for each hand-written comparison of a tenant column in `source`."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            yield from _call_violations(node)
        elif isinstance(node, ast.Compare):
            if any(_reads_tenant_column(side) for side in (node.left, *node.comparators)):
                yield node.lineno, "compares account_id/livemode"
        elif isinstance(node, ast.comprehension):
            if any(_is_bare_tenant_column(test) for test in node.ifs):
                yield node.ifs[0].lineno, "filters a comprehension on account_id/livemode"
        elif isinstance(node, ast.Match):
            if _reads_tenant_column(node.subject):
                yield node.lineno, "matches on account_id/livemode"
        elif isinstance(node, ast.Constant) and _is_sql_condition(node.value):
            yield node.lineno, "SQL text comparing account_id/livemode"


def _call_violations(node: ast.Call) -> Iterator[tuple[int, str]]:
    name = _name_of(node.func)
    receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
    if receiver is not None and name not in HARMLESS_METHODS and _is_column_expression(receiver):
        yield node.lineno, f"calls .{name}() on account_id/livemode"
    if name in COMPARING_FUNCTIONS and any(_reads_tenant_column(a) for a in node.args):
        yield node.lineno, f"{name}() of account_id/livemode"
    if name == "filter_by" and _filters_by_tenant(node):
        yield node.lineno, "filter_by(account_id/livemode=...)"
    if name in CONDITION_METHODS and any(_is_bare_tenant_column(a) for a in node.args):
        yield node.lineno, f"{name}() on account_id/livemode itself"


def _is_sql_condition(value: object) -> bool:
    return isinstance(value, str) and SQL_CONDITION.search(value) is not None


def _filters_by_tenant(call: ast.Call) -> bool:
    for keyword in call.keywords:
        if keyword.arg in TENANT_COLUMNS:
            return True
        spread = keyword.value if keyword.arg is None else None
        if isinstance(spread, ast.Dict) and any(
            key is not None and _is_tenant_string(key) for key in spread.keys
        ):
            return True
    return False


def _modules() -> Iterator[tuple[str, str]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative in ALLOWED or relative.startswith(ALLOWED_DIRECTORIES):
            continue
        yield relative, path.read_text()


def test_no_module_compares_account_or_mode_by_hand() -> None:
    found = [
        f"{relative}:{line}: {what}"
        for relative, source in _modules()
        for line, what in violations(source)
    ]
    assert not found, (
        "Scope tenant rows through vantio.db.repository (scoped / owned_by / same_owner / "
        "is_same_owner / owned_by_account) instead of comparing account_id or livemode by "
        "hand:\n" + "\n".join(found)
    )


def test_the_walk_reads_the_whole_package() -> None:
    read = {relative for relative, _ in _modules()}
    assert "vantio/dashboard/pages_keys.py" in read
    assert "vantio/analytics/rollups.py" in read
    assert not any(relative.startswith("vantio/migrations/") for relative in read)
    assert len(read) > 100


CAUGHT = [
    "q.where(Model.account_id == auth.account_id)",
    "q.where(auth.livemode == Model.livemode)",
    "q.where(Model.account_id != other)",
    "q.where((Model.account_id, Model.livemode) == (a, b))",
    "ok = (endpoint.account_id, endpoint.livemode) != (event.account_id, event.livemode)",
    "keys = [k for k in keys if k.livemode == mode]",
    "keys = [k for k in keys if k.livemode]",
    "keys = [k for k in keys if not k.livemode]",
    "q.where(Model.livemode)",
    "q.where(~Model.livemode)",
    "q.where(not_(Model.livemode))",
    "q.where(Model.livemode.is_(True))",
    "q.where(Model.livemode.is_not(False))",
    "q.where(Model.account_id.in_(accounts))",
    "q.where(Model.account_id.not_in(accounts))",
    "q.where(Model.account_id.__eq__(a))",
    "q.where(Model.account_id.op('=')(a))",
    "q.where(Model.__table__.c.account_id == a)",
    "q.where(tuple_(Model.account_id, Model.livemode).in_(owners))",
    "q.where(func.lower(Model.account_id) == a)",
    "q.where(getattr(Model, 'account_id') == a)",
    "q.where(column('livemode') == True)",
    "q.where(row['account_id'] == a)",
    "q.where(operator.eq(Model.account_id, a))",
    "q.where(eq(Model.livemode, a))",
    "q.filter_by(account_id=a)",
    "q.filter_by(**{'livemode': True})",
    "repository.filter_by(q, Model, livemode=True)",
    "q.where(text('account_id = :a'))",
    "q.where(text('t.livemode IS TRUE'))",
    "q.where(func.coalesce(Model.livemode, False).is_(True))",
    "q.where(\n    Model.account_id\n    ==\n    a\n)",
    "match key.livemode:\n    case True:\n        pass",
    "ok = key.livemode in (True,)",
    "ok = key.account_id is not None",
]
NOT_CAUGHT = [
    "q.where(repository.owned_by(Model, auth))",
    "q = repository.scoped(Model, auth)",
    "row = Model(account_id=auth.account_id, livemode=auth.livemode)",
    "q.values(account_id=a, livemode=b)",
    "q = select(Model.account_id, Model.livemode).order_by(Model.account_id.desc())",
    "q = select(Model.account_id).where(repository.owned_by(Model, auth)).group_by(Model.id)",
    "rows = select(func.count(Model.account_id)).subquery()",
    "rows = (await session.scalars(select(Model.account_id))).all()",
    "label = 'live' if key.livemode else 'test'",
    "session.livemode = field('mode') == 'live'",
    "if account_id is None:\n    pass",
    "body = {'account_id': a, 'livemode': b}",
    "found = endpoints.get((row['account_id'], row['livemode']), [])",
    "q.where(repository.owned_by(m, repository.Tenant(owner[0], owner[1])))",
    '"""The account_id and livemode of a key."""',
]


@pytest.mark.parametrize("source", CAUGHT)
def test_each_spelling_of_a_hand_written_comparison_is_caught(source: str) -> None:
    assert list(violations(source)), source


@pytest.mark.parametrize("source", NOT_CAUGHT)
def test_scoped_queries_and_plain_uses_pass(source: str) -> None:
    assert not list(violations(source)), source
