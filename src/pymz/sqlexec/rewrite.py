"""PostgreSQL → DuckDB rewriting with sqlglot: name resolution, session functions, parameters,
PostgreSQL-style output column names.

Snapshot relations live in DuckDB schemas named ``__pymz_<schema>``; every table reference in
the query is resolved here (qualified names directly, unqualified ones through the search
path) and rewritten to point at them, so DuckDB's own ``pg_catalog``/``information_schema``
are never reached by name.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

import pymz
from pymz import errors
from pymz.repr import ScalarType
from pymz.sqlexec.pg_catalog import TYPE_NAMES
from pymz.sqlexec.snapshot import RelationSnapshot
from pymz.sqlexec.types import DUCKDB_TYPE, NUMERIC_DUCKDB

INTERNAL_PREFIX = "__pymz_"
# Materialize (like PostgreSQL for pg_catalog) searches these even when not on the path.
IMPLICIT_SCHEMAS = ("mz_catalog", "pg_catalog")
SYSTEM_SCHEMAS = ("mz_catalog", "mz_internal", "mz_introspection", "pg_catalog",
                  "information_schema")


def internal_schema(schema: str) -> str:
    return INTERNAL_PREFIX + schema


def version_string() -> str:
    return f"PostgreSQL 9.5.0 on x86_64-pc-linux-gnu (pymz v{pymz.__version__})"


def mz_version_num() -> int:
    parts = [int(p) for p in re.findall(r"\d+", pymz.__version__)[:3]] + [0, 0, 0]
    return parts[0] * 1_000_000 + parts[1] * 1_000 + parts[2]


@dataclass(frozen=True)
class ParamType:
    type: ScalarType
    is_array: bool = False

    @property
    def oid(self) -> int:
        return self.type.array_oid if self.is_array else self.type.oid

    @property
    def duckdb_type(self) -> str:
        base = DUCKDB_TYPE[self.type]
        return base + "[]" if self.is_array else base


@dataclass(frozen=True)
class Rewritten:
    """A query ready for DuckDB.

    ``param_order`` lists, for each DuckDB parameter ``$k`` (k = position + 1), the 0-based
    index of the PostgreSQL parameter it binds: DuckDB refuses parameters the text does not
    use, so unused ``$n`` are dropped and the rest renumbered.
    """

    duckdb_sql: str
    relations: tuple[RelationSnapshot, ...]
    param_types: tuple[ParamType, ...]
    param_order: tuple[int, ...]
    # PostgreSQL's name for each top-level projection (None: a star, expanded by DuckDB).
    output_names: tuple[str | None, ...] = ()

    def column_names(self, duckdb_names: Sequence[str]) -> list[str]:
        """Rename DuckDB's output columns as PostgreSQL would name them.

        Renaming happens after the fact instead of by adding aliases, because aliases change
        what names WHERE/GROUP BY can see in DuckDB. Projections before the first star and
        after the last one are matched by position; ones between two stars keep DuckDB's
        names.
        """
        out = list(duckdb_names)
        names = self.output_names
        if not names:
            return out
        stars = [i for i, n in enumerate(names) if n is None]
        if not stars and len(names) != len(out):
            return out
        head = names[: stars[0]] if stars else names
        tail = names[stars[-1] + 1 :] if stars else ()
        if len(head) + len(tail) > len(out):
            return out
        for i, n in enumerate(head):
            out[i] = n or out[i]
        for j, n in enumerate(tail):
            out[len(out) - len(tail) + j] = n or out[len(out) - len(tail) + j]
        return out


def _ident_name(ident: exp.Expr | None) -> str:
    if not isinstance(ident, exp.Identifier):
        return ident.name if ident is not None else ""
    # PostgreSQL folds unquoted identifiers to lower case.
    text = str(ident.this)
    return text if ident.quoted else text.lower()


def _syntax_error(sql: str, e: ParseError | TokenError) -> errors.SqlSyntaxError:
    position: int | None = None
    message = str(e).split("\n", 1)[0]
    if isinstance(e, ParseError) and e.errors:
        first = e.errors[0]
        message = str(first.get("description") or message)
        line, col = first.get("line"), first.get("col")
        highlight = str(first.get("highlight") or "")
        if isinstance(line, int) and isinstance(col, int):
            lines = sql.split("\n")
            offset = sum(len(x) + 1 for x in lines[: line - 1])
            position = max(1, offset + col - len(highlight) + 1)
    return errors.SqlSyntaxError(f"syntax error: {message}", position=position)


# sqlglot cannot parse arrays of object-identifier types (`$1::oid[]`, asyncpg sends it);
# spell them as DuckDB's UINTEGER[], which is how OIDs are stored anyway.
_OID_ARRAY_CAST = re.compile(
    r"::\s*(?:oid|regtype|regclass|regproc|regnamespace)\s*\[\s*\]", re.IGNORECASE
)


def parse_one(sql: str) -> exp.Query | exp.Values:
    """Parse exactly one PostgreSQL query; anything but a query is rejected."""
    try:
        text = _OID_ARRAY_CAST.sub("::uinteger[]", sql)
        stmts = [s for s in sqlglot.parse(text, read="postgres") if s is not None]
    except (ParseError, TokenError) as e:
        raise _syntax_error(sql, e) from None
    if not stmts:
        raise errors.SqlSyntaxError("empty query")
    if len(stmts) > 1:
        raise errors.FeatureNotSupported("introspection queries must be a single statement")
    stmt = stmts[0]
    if not isinstance(stmt, exp.Query | exp.Values):
        raise errors.FeatureNotSupported(
            f"statement not supported over catalog relations: {stmt.key.upper()}"
        )
    return stmt


# --- output column names -------------------------------------------------------------------

_FUNC_NAMES: dict[type[exp.Expr], str] = {
    exp.CurrentTimestamp: "now",
    exp.CurrentVersion: "version",
    exp.CurrentDate: "current_date",
    exp.CurrentUser: "current_user",
    exp.SessionUser: "session_user",
    exp.CurrentDatabase: "current_database",
    exp.CurrentSchema: "current_schema",
}

_CAST_NAMES: dict[exp.DType, str] = {
    exp.DataType.Type.INT: "int4",
    exp.DataType.Type.BIGINT: "int8",
    exp.DataType.Type.SMALLINT: "int2",
    exp.DataType.Type.BOOLEAN: "bool",
    exp.DataType.Type.DOUBLE: "float8",
    exp.DataType.Type.FLOAT: "float4",
    exp.DataType.Type.DECIMAL: "numeric",
    exp.DataType.Type.VARCHAR: "varchar",
    exp.DataType.Type.CHAR: "bpchar",
    exp.DataType.Type.TIMESTAMPTZ: "timestamptz",
}


def pg_column_name(e: exp.Expr) -> str | None:
    """PostgreSQL's FigureColname, approximately: alias, column, function name, the type of
    a cast of a weakly named expression, a few keywords; otherwise ``?column?``. None marks
    a star (DuckDB names the expanded columns)."""
    if isinstance(e, exp.Star) or (isinstance(e, exp.Column) and isinstance(e.this, exp.Star)):
        return None
    return _figure(e)[0] or "?column?"


def _figure(e: exp.Expr) -> tuple[str | None, int]:
    """(name, strength) as in PostgreSQL: 2 for names from columns and functions, 1 for
    names from keywords or cast types, 0 for none. A cast keeps a strength-2 inner name."""
    if isinstance(e, exp.Alias):
        return e.alias, 2
    if isinstance(e, exp.Column):
        return _ident_name(e.this), 2
    if isinstance(e, exp.Cast):
        name, strength = _figure(e.this)
        if strength == 2:
            return name, 2
        to = e.to
        if isinstance(to, exp.DataType):
            return _CAST_NAMES.get(to.this, to.sql("postgres").lower().split("(")[0]), 1
        if isinstance(to, exp.ObjectIdentifier):
            return to.name.lower(), 1
        return name, strength
    if isinstance(e, exp.Paren):
        return _figure(e.this)
    if isinstance(e, exp.Dot) and isinstance(e.expression, exp.Func):
        return _figure(e.expression)
    keyword = {exp.Case: "case", exp.Array: "array", exp.Interval: "interval"}
    for kcls, kname in keyword.items():
        if isinstance(e, kcls):
            return kname, 1
    if isinstance(e, exp.Exists):
        return "exists", 2
    if isinstance(e, exp.Coalesce):
        return "coalesce", 2
    if isinstance(e, exp.Subquery):
        inner = e.this
        if isinstance(inner, exp.Select) and len(inner.expressions) == 1:
            return _figure(inner.expressions[0])
        return None, 0
    for cls, name in _FUNC_NAMES.items():
        if isinstance(e, cls):
            return name, 2
    if isinstance(e, exp.Anonymous):
        return str(e.name).lower(), 2
    if isinstance(e, exp.Func) and not isinstance(e, exp.Binary | exp.Unary):
        return e.sql_name().lower(), 2
    return None, 0


def _name_values_columns(tree: exp.Expr) -> None:
    """PostgreSQL names the columns of a VALUES list column1, column2...; DuckDB col0..."""
    for v in tree.find_all(exp.Values):
        if v is tree or not v.expressions:
            continue
        first = v.expressions[0]
        width = len(first.expressions) if isinstance(first, exp.Tuple) else 1
        cols = [exp.to_identifier(f"column{i + 1}") for i in range(width)]
        alias = v.args.get("alias")
        if alias is None:
            v.set("alias", exp.TableAlias(this=exp.to_identifier("values"), columns=cols))
        elif not alias.columns:
            alias.set("columns", cols)


def _leftmost_select(q: exp.Expr) -> exp.Select | None:
    while isinstance(q, exp.SetOperation):
        q = q.this
    if isinstance(q, exp.Subquery):
        return _leftmost_select(q.this)
    return q if isinstance(q, exp.Select) else None


# --- the rewriter --------------------------------------------------------------------------


class _Rewriter:
    def __init__(
        self,
        relations: Sequence[RelationSnapshot],
        search_path: Sequence[str],
        session_vars: Mapping[str, str],
    ) -> None:
        self.by_key: dict[tuple[str, str], RelationSnapshot] = {
            (r.schema, r.name): r for r in relations
        }
        self.schemas = {r.schema for r in relations} | set(SYSTEM_SCHEMAS) | set(search_path)
        path = [s for s in IMPLICIT_SCHEMAS if s not in search_path]
        self.path = [*path, *search_path]
        self.search_path = list(search_path)
        self.vars = session_vars
        self.used: dict[tuple[str, str], RelationSnapshot] = {}
        # Every name a table reference can be qualified by (alias or table name).
        self.scope: dict[str, RelationSnapshot] = {}
        # (schema as written, name) -> resolved (schema, name): what a cached rewrite needs
        # to re-check against a later query's relations.
        self.lookups: dict[tuple[str, str], tuple[str, str]] = {}

    # tables --------------------------------------------------------------------------------

    def resolve_tables(self, tree: exp.Expr) -> None:
        ctes = {_ident_name(c.args["alias"].this) for c in tree.find_all(exp.CTE)
                if c.args.get("alias") is not None}
        for table in list(tree.find_all(exp.Table)):
            if not isinstance(table.this, exp.Identifier):
                continue  # table function, e.g. generate_series(...)
            name = _ident_name(table.this)
            schema = _ident_name(table.args.get("db")) if table.args.get("db") else ""
            if not schema and name in ctes:
                continue
            snap = self._lookup(schema, name, table.sql("postgres"))
            self.used[(snap.schema, snap.name)] = snap
            alias = table.alias_or_name
            self.scope[alias.lower() if alias else snap.name] = snap
            table.set("db", exp.to_identifier(internal_schema(snap.schema), quoted=True))
            table.set("catalog", None)
            table.set("this", exp.to_identifier(snap.name, quoted=True))
        for col in tree.find_all(exp.Column):
            db = col.args.get("db")
            if db is not None:
                schema = _ident_name(db)
                col.set("db", exp.to_identifier(internal_schema(schema), quoted=True))
                col.set("catalog", None)

    def _lookup(self, schema: str, name: str, written: str) -> RelationSnapshot:
        if schema:
            if schema not in self.schemas:
                raise errors.InvalidSchemaName(f"unknown schema '{schema}'")
            snap = self.by_key.get((schema, name))
        else:
            snap = next(
                (self.by_key[(s, name)] for s in self.path if (s, name) in self.by_key), None
            )
        if snap is None:
            raise errors.UndefinedTable(f"unknown catalog item '{written}'")
        self.lookups[(schema, name)] = (snap.schema, snap.name)
        return snap

    # functions -----------------------------------------------------------------------------

    def _setting(self, node: exp.Anonymous) -> exp.Expr:
        args = node.expressions
        if not args or not isinstance(args[0], exp.Literal) or not args[0].is_string:
            raise errors.FeatureNotSupported("current_setting requires a constant setting name")
        name = str(args[0].this).lower()
        missing_ok = len(args) > 1 and isinstance(args[1], exp.Boolean) and bool(args[1].this)
        if name in self.vars:
            return exp.Literal.string(self.vars[name])
        if missing_ok:
            return exp.cast(exp.Null(), "VARCHAR")
        raise errors.UndefinedObject(f'unrecognized configuration parameter "{name}"')

    def _replacement(self, node: exp.Expr) -> exp.Expr | None:
        v = self.vars
        if isinstance(node, exp.CurrentVersion):
            return exp.Literal.string(version_string())
        if isinstance(node, exp.CurrentUser | exp.SessionUser):
            return exp.Literal.string(v.get("user", v.get("session_user", "materialize")))
        if isinstance(node, exp.CurrentDatabase):
            return exp.Literal.string(v.get("database", "materialize"))
        if isinstance(node, exp.CurrentSchema):
            if not self.search_path:
                return exp.cast(exp.Null(), "VARCHAR")
            return exp.Literal.string(self.search_path[0])
        if isinstance(node, exp.CurrentSchemas):
            implicit = isinstance(node.this, exp.Boolean) and bool(node.this.this)
            schemas = self.path if implicit else self.search_path
            return exp.Array(expressions=[exp.Literal.string(s) for s in schemas])
        if not isinstance(node, exp.Anonymous):
            return None
        fname = str(node.name).lower()
        if fname == "version":
            return exp.Literal.string(version_string())
        if fname in ("current_role", "current_user", "session_user", "user"):
            return exp.Literal.string(v.get("user", "materialize"))
        if fname == "current_database":
            return exp.Literal.string(v.get("database", "materialize"))
        if fname == "current_schema":
            return self._replacement(exp.CurrentSchema())
        if fname == "current_setting":
            return self._setting(node)
        if fname == "current_schemas":
            return exp.Array(expressions=[exp.Literal.string(s) for s in self.search_path])
        if fname == "pg_backend_pid":
            return exp.Literal.number(int(v.get("connection_id", "0") or 0))
        if fname == "mz_version":
            return exp.Literal.string(f"v{pymz.__version__}")
        if fname == "mz_version_num":
            return exp.Literal.number(mz_version_num())
        if fname == "mz_environment_id":
            return exp.Literal.string(v.get("environment_id", ""))
        if fname == "mz_now":
            return sqlglot.parse_one(
                "CAST(epoch_ms(CAST(CURRENT_TIMESTAMP AS TIMESTAMP)) AS UBIGINT)", read="duckdb"
            )
        if (fname.startswith("has_") and fname.endswith("_privilege")) or fname in (
            "pg_has_role", "pg_table_is_visible", "pg_type_is_visible",
            "pg_function_is_visible",
        ):
            return exp.true()
        return None

    def _object_identifier_cast(self, operand: exp.Expr, kind: str) -> exp.Expr:
        """``::oid``/``::regtype``/``::regclass``: OIDs are UINTEGER here (reported as OID)."""
        uint = exp.DataType.build("UINTEGER", dialect="duckdb")
        if kind == "oid" or not (isinstance(operand, exp.Literal) and operand.is_string):
            return exp.cast(operand, uint)
        name = str(operand.this).strip().lower()
        if kind == "regtype":
            oid = _TYPE_OIDS.get(name)
            if oid is None:
                raise errors.UndefinedObject(f'type "{name}" does not exist')
            return exp.cast(exp.Literal.number(oid), uint)
        if kind == "regclass":
            pg_class = self.by_key.get(("pg_catalog", "pg_class"))
            if pg_class is None:
                raise errors.FeatureNotSupported("regclass casts need pg_catalog.pg_class")
            self.used[("pg_catalog", "pg_class")] = pg_class
            self.lookups[("pg_catalog", "pg_class")] = ("pg_catalog", "pg_class")
            relname = name.rsplit(".", 1)[-1].strip('"')
            sub = (
                exp.select("oid")
                .from_(exp.table_("pg_class", db=internal_schema("pg_catalog"), quoted=True))
                .where(exp.column("relname").eq(exp.Literal.string(relname)))
                .limit(1)
            )
            found = exp.Subquery(this=sub)
            return exp.cast(found, uint)
        raise errors.FeatureNotSupported(f"casting text to {kind} is not supported")

    def rewrite_functions(self, tree: exp.Expr) -> exp.Expr:
        def fix(node: exp.Expr) -> exp.Expr:
            # pg_catalog.f(...) → f(...): our replacements and DuckDB's builtins are unqualified.
            if (
                isinstance(node, exp.Dot)
                and isinstance(node.expression, exp.Func)
                and _ident_name(node.this) == "pg_catalog"
            ):
                node = node.expression
            repl = self._replacement(node)
            if repl is not None:
                return repl
            if (
                isinstance(node, exp.DataType)
                and node.this == exp.DType.DECIMAL
                and not node.expressions
            ):
                # PostgreSQL's unconstrained numeric; DuckDB's bare DECIMAL is (18, 3).
                return exp.DataType.build(NUMERIC_DUCKDB)
            if (
                isinstance(node, exp.Cast)
                and isinstance(node.to, exp.DataType)
                and node.to.this in (exp.DType.TEXT, exp.DType.VARCHAR)
                and isinstance(node.this, exp.Cast)
                and isinstance(node.this.to, exp.ObjectIdentifier)
                and node.this.to.name.lower() == "regtype"
            ):
                operand = node.this.this
                if isinstance(operand, exp.Literal) and operand.is_string:
                    oid = _TYPE_OIDS.get(str(operand.this).strip().lower())
                    if oid is None:
                        raise errors.UndefinedObject(f'type "{operand.this}" does not exist')
                    operand = exp.Literal.number(oid)
                return _regtype_name(operand)
            if isinstance(node, exp.Cast) and isinstance(node.to, exp.ObjectIdentifier):
                return self._object_identifier_cast(node.this, node.to.name.lower())
            if isinstance(node, exp.Window) and isinstance(node.this, exp.Sum) \
                    and self._sums_small_ints(node.this, windowed=True):
                return exp.cast(node, exp.DType.BIGINT)
            if isinstance(node, exp.Sum) and self._sums_small_ints(node):
                # PostgreSQL types sum(int2|int4) as bigint; DuckDB's is a 128-bit integer
                # (numeric here). A bigint overflow then fails the cast, as it fails in PG.
                return exp.cast(node, exp.DType.BIGINT)
            if isinstance(node, exp.Div | exp.Mod | exp.IntDiv):
                # DuckDB yields NULL on division by zero; PostgreSQL raises 22012.
                divisor = node.expression
                node.set("expression", exp.Anonymous(this="pymz_nz", expressions=[divisor]))
            if (
                isinstance(node, exp.EQ)
                and isinstance(node.expression, exp.Any)
                and not isinstance(node.expression.this.unnest(), exp.Query)
            ):
                # x = ANY(array): DuckDB's ANY takes only subqueries.
                return exp.Anonymous(
                    this="list_contains",
                    expressions=[node.expression.this.unnest(), node.this],
                )
            return node

        return tree.transform(fix, copy=False)

    def _sums_small_ints(self, node: exp.Sum, *, windowed: bool = False) -> bool:
        """Whether ``node`` is ``sum(col)`` of an int2/int4 column of a base relation read
        directly by the enclosing SELECT — the only case typed for sure. A windowed sum is
        cast around its window (``windowed``), never inside it."""
        col = node.this
        if not isinstance(col, exp.Column) or isinstance(node.parent, exp.Window) != windowed:
            return False
        select = node.find_ancestor(exp.Select)
        if select is None:
            return False
        sources = [select.args.get("from_") or select.args.get("from"),
                   *(select.args.get("joins") or [])]
        tables: dict[str, RelationSnapshot] = {}
        for src in sources:
            table = src.this if src is not None else None
            if not isinstance(table, exp.Table) or not isinstance(table.this, exp.Identifier):
                return False
            key = table.alias_or_name.lower() if table.alias else _ident_name(table.this)
            snap = self.scope.get(key)
            if snap is None or snap.name != _ident_name(table.this):
                return False  # a CTE, something unresolved, or an alias used twice
            tables[key] = snap
        qualifier = _ident_name(col.args.get("table")) if col.args.get("table") else ""
        name = _ident_name(col.this)
        pool = [tables[qualifier]] if qualifier in tables else (
            [] if qualifier else list(tables.values()))
        found = [c for snap in pool for c in snap.columns if c.name == name]
        return len(found) == 1 and not found[0].is_array and found[0].type in (
            ScalarType.INT2, ScalarType.INT4)

    # parameters ----------------------------------------------------------------------------

    def _expr_type(self, e: exp.Expr) -> ParamType | None:
        if isinstance(e, exp.Paren):
            return self._expr_type(e.this)
        if isinstance(e, exp.Column):
            col_name = _ident_name(e.this)
            table = _ident_name(e.args.get("table")) if e.args.get("table") else ""
            candidates = [self.scope[table]] if table in self.scope else list(
                self.scope.values()
            )
            for snap in candidates:
                for c in snap.columns:
                    if c.name == col_name:
                        return ParamType(c.type, c.is_array)
            return None
        if isinstance(e, exp.Cast):
            return _datatype_to_param(e.to)
        if isinstance(e, exp.Literal):
            if e.is_string:
                return ParamType(ScalarType.TEXT)
            text = str(e.this)
            if re.fullmatch(r"\d+", text):
                return ParamType(ScalarType.INT4 if int(text) < 2**31 else ScalarType.INT8)
            return ParamType(ScalarType.NUMERIC)
        if isinstance(e, exp.Boolean):
            return ParamType(ScalarType.BOOL)
        return None

    def infer_param(self, p: exp.Parameter) -> ParamType:
        child: exp.Expr = p
        parent = p.parent
        while isinstance(parent, exp.Paren):
            child, parent = parent, parent.parent
        if isinstance(parent, exp.Cast):
            return _datatype_to_param(parent.to) or ParamType(ScalarType.TEXT)
        if isinstance(parent, exp.Limit | exp.Offset):
            return ParamType(ScalarType.INT8)
        if isinstance(parent, exp.And | exp.Or | exp.Not | exp.Where | exp.Having):
            return ParamType(ScalarType.BOOL)
        if isinstance(parent, exp.Between) and child is not parent.this:
            return self._expr_type(parent.this) or ParamType(ScalarType.TEXT)
        if isinstance(parent, exp.Between):
            low = self._expr_type(parent.args["low"]) or self._expr_type(parent.args["high"])
            return low or ParamType(ScalarType.TEXT)
        if isinstance(parent, exp.In) and child is not parent.this:
            return self._expr_type(parent.this) or ParamType(ScalarType.TEXT)
        if isinstance(parent, exp.Any) and isinstance(parent.parent, exp.EQ):
            lhs = self._expr_type(parent.parent.this)
            return ParamType(lhs.type, True) if lhs else ParamType(ScalarType.TEXT, True)
        if isinstance(parent, exp.Binary):
            other = parent.expression if child is parent.this else parent.this
            t = self._expr_type(other)
            if isinstance(parent, exp.Like | exp.ILike | exp.DPipe):
                return ParamType(ScalarType.TEXT)
            if t is not None:
                return t
        return ParamType(ScalarType.TEXT)


_SQLGLOT_TO_SCALAR: dict[exp.DType, ScalarType] = {
    exp.DataType.Type.BOOLEAN: ScalarType.BOOL,
    exp.DataType.Type.VARBINARY: ScalarType.BYTEA,
    exp.DataType.Type.BINARY: ScalarType.BYTEA,
    exp.DataType.Type.BLOB: ScalarType.BYTEA,
    exp.DataType.Type.SMALLINT: ScalarType.INT2,
    exp.DataType.Type.INT: ScalarType.INT4,
    exp.DataType.Type.BIGINT: ScalarType.INT8,
    exp.DataType.Type.FLOAT: ScalarType.FLOAT4,
    exp.DataType.Type.DOUBLE: ScalarType.FLOAT8,
    exp.DataType.Type.DECIMAL: ScalarType.NUMERIC,
    exp.DataType.Type.TEXT: ScalarType.TEXT,
    exp.DataType.Type.VARCHAR: ScalarType.TEXT,
    exp.DataType.Type.CHAR: ScalarType.TEXT,
    exp.DataType.Type.DATE: ScalarType.DATE,
    exp.DataType.Type.TIME: ScalarType.TIME,
    exp.DataType.Type.TIMESTAMP: ScalarType.TIMESTAMP,
    exp.DataType.Type.TIMESTAMPTZ: ScalarType.TIMESTAMPTZ,
    exp.DataType.Type.INTERVAL: ScalarType.INTERVAL,
    exp.DataType.Type.JSON: ScalarType.JSONB,
    exp.DataType.Type.JSONB: ScalarType.JSONB,
    exp.DataType.Type.UUID: ScalarType.UUID,
}


def _datatype_to_param(dt: exp.Expr | None) -> ParamType | None:
    if isinstance(dt, exp.ObjectIdentifier):
        return ParamType(ScalarType.OID)
    if not isinstance(dt, exp.DataType):
        return None
    if dt.this == exp.DType.USERDEFINED and _ident_name(dt.args.get("kind")) == "uinteger":
        return ParamType(ScalarType.OID)
    if dt.this == exp.DataType.Type.ARRAY and dt.expressions:
        inner = _datatype_to_param(dt.expressions[0])
        return ParamType(inner.type, True) if inner else None
    st = _SQLGLOT_TO_SCALAR.get(dt.this)
    return ParamType(st) if st else None


def _type_oids() -> dict[str, int]:
    out: dict[str, int] = {}
    for t in ScalarType:
        for name in (t.type_name, TYPE_NAMES[t]):
            out[name] = t.oid
            if t.array_oid:
                out[name + "[]"] = t.array_oid
        if t.array_oid:
            out["_" + TYPE_NAMES[t]] = t.array_oid
    out.update({"int": ScalarType.INT4.oid, "float": ScalarType.FLOAT8.oid,
                "json": ScalarType.JSONB.oid, "decimal": ScalarType.NUMERIC.oid})
    return out


_TYPE_OIDS = _type_oids()


def _regtype_name(operand: exp.Expr) -> exp.Expr:
    """``oid::regtype::text``: the type's SQL name, as PostgreSQL's regtype output gives it
    (``-`` for 0, the number for OIDs it does not know)."""
    case = exp.Case(this=operand.copy())
    case = case.when(exp.Literal.number(0), exp.Literal.string("-"))
    for t in ScalarType:
        case = case.when(exp.Literal.number(t.oid), exp.Literal.string(t.type_name))
        if t.array_oid:
            array_name = exp.Literal.string(t.type_name + "[]")
            case = case.when(exp.Literal.number(t.array_oid), array_name)
    return case.else_(exp.cast(operand.copy(), "VARCHAR"))


def _explicit_param(oid: int) -> ParamType:
    st = ScalarType.from_oid(oid)
    if st is not None:
        return ParamType(st)
    for t in ScalarType:
        if t.array_oid == oid and oid != 0:
            return ParamType(t, True)
    raise errors.UndefinedObject(f"type with OID {oid} does not exist")


def _rewrite(
    sql: str,
    param_oids: Sequence[int],
    relations: Sequence[RelationSnapshot],
    search_path: Sequence[str],
    session_vars: Mapping[str, str],
) -> tuple[Rewritten, dict[tuple[str, str], tuple[str, str]]]:
    tree = parse_one(sql)
    rw = _Rewriter(relations, search_path, session_vars)

    # Output names first: later rewrites replace the expressions that carry them.
    top = _leftmost_select(tree)
    names: list[str | None] = []
    if top is not None:
        names = [pg_column_name(e) for e in top.expressions]
    elif isinstance(tree, exp.Values) and tree.expressions:
        first = tree.expressions[0]
        width = len(first.expressions) if isinstance(first, exp.Tuple) else 1
        names = [f"column{i + 1}" for i in range(width)]

    rw.resolve_tables(tree)
    _name_values_columns(tree)

    params = list(tree.find_all(exp.Parameter))
    used: set[int] = set()
    for p in params:
        if not (isinstance(p.this, exp.Literal) and str(p.this.this).isdigit()):
            raise errors.SqlSyntaxError(f"invalid parameter {p.sql('postgres')}")
        n = int(p.this.this)
        if n < 1:
            raise errors.SqlSyntaxError(f"invalid parameter ${n}")
        used.add(n - 1)
    count = max([len(param_oids), *(i + 1 for i in used)])
    types: list[ParamType | None] = [
        _explicit_param(param_oids[i]) if i < len(param_oids) and param_oids[i] != 0 else None
        for i in range(count)
    ]
    for p in params:
        i = int(p.this.this) - 1
        if types[i] is None:
            types[i] = rw.infer_param(p)
    resolved = tuple(t or ParamType(ScalarType.TEXT) for t in types)
    order = tuple(sorted(used))
    renumber = {pg: k + 1 for k, pg in enumerate(order)}
    for p in params:
        i = int(p.this.this) - 1
        cast = exp.cast(
            exp.Parameter(this=exp.Literal.number(renumber[i])),
            exp.DataType.build(resolved[i].duckdb_type, dialect="duckdb"),
        )
        p.replace(cast)

    out = rw.rewrite_functions(tree)
    top = _leftmost_select(out)
    if top is not None and len(top.expressions) == len(names):
        # Alias computed expressions so ORDER BY can use the PostgreSQL name (count, ...).
        # Bare columns are left alone: `nope AS nope` turns DuckDB's "no such column" error
        # into a confusing self-reference one.
        projections = []
        for e, name in zip(top.expressions, names, strict=True):
            if (
                name is not None
                and not isinstance(e, exp.Column | exp.Alias | exp.Star)
                and name not in {_ident_name(c.this) for c in e.find_all(exp.Column)}
            ):
                projections.append(exp.alias_(e, name, quoted=True))
            else:
                projections.append(e)
        top.set("expressions", projections)

    result = Rewritten(
        duckdb_sql=out.sql(dialect="duckdb"),
        relations=tuple(rw.used.values()),
        param_types=resolved,
        param_order=order,
        output_names=tuple(names),
    )
    return result, dict(rw.lookups)


# --- the cache ------------------------------------------------------------------------------
#
# Parsing and rewriting cost milliseconds; the same query is rewritten several times (describe,
# execute, environmentd and clusterd). The result depends on the text, the parameter types,
# the search path, the session variables, and — of the relations — only on how names resolve
# and on the referenced relations' columns, never on their rows. So entries are keyed by the
# first four and re-validated against the current relations on every hit.

_CACHE_ENTRIES = 512


@dataclass(frozen=True)
class _Entry:
    rewritten: Rewritten
    lookups: dict[tuple[str, str], tuple[str, str]]
    columns: dict[tuple[str, str], tuple[object, ...]]


_cache: OrderedDict[tuple[object, ...], _Entry] = OrderedDict()
_cache_lock = threading.Lock()


def _cached(
    entry: _Entry,
    relations: Sequence[RelationSnapshot],
    search_path: Sequence[str],
) -> Rewritten | None:
    by_key = {(r.schema, r.name): r for r in relations}
    path = [*(s for s in IMPLICIT_SCHEMAS if s not in search_path), *search_path]
    for (schema, name), resolved in entry.lookups.items():
        if schema:
            found = (schema, name) if (schema, name) in by_key else None
        else:
            found = next(((s, name) for s in path if (s, name) in by_key), None)
        if found != resolved:
            return None
    current: list[RelationSnapshot] = []
    for key, columns in entry.columns.items():
        snap = by_key.get(key)
        if snap is None or snap.columns != columns:
            return None
        current.append(snap)
    return replace(entry.rewritten, relations=tuple(current))


def rewrite(
    sql: str,
    param_oids: Sequence[int],
    relations: Sequence[RelationSnapshot],
    search_path: Sequence[str],
    session_vars: Mapping[str, str],
) -> Rewritten:
    """Rewrite ``sql`` for DuckDB (cached: see above). Errors are never cached."""
    key = (sql, tuple(param_oids), tuple(search_path), tuple(sorted(session_vars.items())))
    with _cache_lock:
        entry = _cache.get(key)
        if entry is not None:
            _cache.move_to_end(key)
    if entry is not None:
        hit = _cached(entry, relations, search_path)
        if hit is not None:
            return hit
    result, lookups = _rewrite(sql, param_oids, relations, search_path, session_vars)
    entry = _Entry(
        result, lookups, {(r.schema, r.name): tuple(r.columns) for r in result.relations}
    )
    with _cache_lock:
        _cache[key] = entry
        _cache.move_to_end(key)
        while len(_cache) > _CACHE_ENTRIES:
            _cache.popitem(last=False)
    return result
