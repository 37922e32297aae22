"""Typed AST for the statements pymz parses.

All nodes are frozen dataclasses. ``position`` fields are 1-based character offsets into the
*full* query text (the same convention as :attr:`pymz.errors.PymzError.position`), so a
planner can point its errors at them; they are excluded from equality so tests and callers
can compare ASTs structurally.

Adding a statement: define its dataclass here, add it to :data:`Statement`, and parse it in
the ``stmt_*`` module for its area.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# --------------------------------------------------------------------------------- names


@dataclass(frozen=True)
class Ident:
    """An identifier: folded to lower case unless it was quoted."""

    value: str
    position: int = field(default=0, compare=False, kw_only=True)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class ObjectName:
    """A possibly qualified name such as ``db.schema.item`` or ``cluster.replica``."""

    parts: tuple[Ident, ...]
    position: int = field(default=0, compare=False, kw_only=True)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.value for p in self.parts)

    def __str__(self) -> str:
        return ".".join(p.value for p in self.parts)


# -------------------------------------------------------------------------------- values


@dataclass(frozen=True)
class StringValue:
    value: str
    position: int = field(default=0, compare=False, kw_only=True)

    def to_text(self) -> str:
        return self.value


@dataclass(frozen=True)
class NumberValue:
    """A numeric literal, kept as written (sign included) so no precision is lost."""

    text: str
    position: int = field(default=0, compare=False, kw_only=True)

    def to_text(self) -> str:
        return self.text


@dataclass(frozen=True)
class BooleanValue:
    value: bool
    position: int = field(default=0, compare=False, kw_only=True)

    def to_text(self) -> str:
        return "true" if self.value else "false"


@dataclass(frozen=True)
class IdentValue:
    """A bare word used as a value, e.g. ``SCHEDULE = MANUAL`` or ``SET cluster = c``."""

    value: str
    position: int = field(default=0, compare=False, kw_only=True)

    def to_text(self) -> str:
        return self.value


@dataclass(frozen=True)
class IntervalValue:
    """``INTERVAL '1s'``: the string is kept unparsed."""

    value: str
    position: int = field(default=0, compare=False, kw_only=True)

    def to_text(self) -> str:
        return self.value


@dataclass(frozen=True)
class ListValue:
    """``('a', 'b')`` or ``ARRAY['a', 'b']`` or ``['a', 'b']``."""

    items: tuple[OptionValue, ...]
    position: int = field(default=0, compare=False, kw_only=True)

    def to_text(self) -> str:
        return ", ".join(i.to_text() for i in self.items)


@dataclass(frozen=True)
class ReplicaDefinition:
    """``name (options)`` inside ``REPLICAS (...)``."""

    name: Ident
    options: tuple[Option, ...]
    position: int = field(default=0, compare=False, kw_only=True)


@dataclass(frozen=True)
class ReplicasValue:
    """The value of the ``REPLICAS`` cluster option."""

    replicas: tuple[ReplicaDefinition, ...]
    position: int = field(default=0, compare=False, kw_only=True)

    def to_text(self) -> str:
        return ", ".join(r.name.value for r in self.replicas)


@dataclass(frozen=True)
class RefreshScheduleValue:
    """``SCHEDULE = ON REFRESH [(HYDRATION TIME ESTIMATE = '...')]``."""

    options: tuple[Option, ...]
    position: int = field(default=0, compare=False, kw_only=True)

    def to_text(self) -> str:
        return "on-refresh"


@dataclass(frozen=True)
class ExprValue:
    """An option value whose grammar is an expression, kept as source text, e.g. the
    ``REFRESH AT now()`` / ``REFRESH EVERY '1 day' ALIGNED TO ...`` materialized view
    options (``text`` is everything after ``REFRESH``)."""

    text: str
    position: int = field(default=0, compare=False, kw_only=True)

    def to_text(self) -> str:
        return self.text


OptionValue = (
    StringValue
    | NumberValue
    | BooleanValue
    | IdentValue
    | IntervalValue
    | ListValue
    | ReplicasValue
    | RefreshScheduleValue
    | ExprValue
)


@dataclass(frozen=True)
class Option:
    """``NAME [= value]``. ``name`` is normalised upper case words, e.g. ``REPLICATION
    FACTOR``; ``value`` is None when only the name was written (``DISK``)."""

    name: str
    value: OptionValue | None
    position: int = field(default=0, compare=False, kw_only=True)


# ----------------------------------------------------------------------------- clusters


@dataclass(frozen=True)
class CreateCluster:
    name: Ident
    options: tuple[Option, ...]


@dataclass(frozen=True)
class CreateClusterReplica:
    cluster: Ident
    name: Ident
    options: tuple[Option, ...]


@dataclass(frozen=True)
class AlterClusterSet:
    name: Ident
    if_exists: bool
    options: tuple[Option, ...]


@dataclass(frozen=True)
class AlterClusterReset:
    """``ALTER CLUSTER c RESET (SIZE, ...)``; reset options carry ``value=None``."""

    name: Ident
    if_exists: bool
    options: tuple[Option, ...]


@dataclass(frozen=True)
class AlterRename:
    """``ALTER <object_type> [IF EXISTS] name RENAME TO new``."""

    object_type: str  # e.g. "CLUSTER", "CLUSTER REPLICA"
    if_exists: bool
    name: ObjectName
    new_name: Ident


@dataclass(frozen=True)
class AlterOwner:
    object_type: str
    if_exists: bool
    name: ObjectName
    new_owner: Ident


# --------------------------------------------------------------------------- other DDL


@dataclass(frozen=True)
class CreateDatabase:
    name: Ident
    if_not_exists: bool


@dataclass(frozen=True)
class CreateSchema:
    name: ObjectName  # [database.]schema
    if_not_exists: bool


@dataclass(frozen=True)
class CreateRole:
    name: Ident
    options: tuple[Option, ...]  # e.g. Option("SUPERUSER", None), Option("PASSWORD", ...)


@dataclass(frozen=True)
class DropObjects:
    """``DROP <object_type> [IF EXISTS] names [CASCADE | RESTRICT]``."""

    object_type: str  # "CLUSTER", "CLUSTER REPLICA", "TABLE", "MATERIALIZED VIEW", ...
    if_exists: bool
    names: tuple[ObjectName, ...]
    cascade: bool


# ------------------------------------------------------------------------------ secrets


@dataclass(frozen=True)
class SecretValue:
    """A secret's value expression: a string literal taken as ``bytea`` input, or
    ``decode(literal, format)``. Never printed: ``repr`` redacts the literal."""

    literal: str = field(repr=False)
    decode_format: str | None = None  # None: PostgreSQL bytea input syntax
    position: int = field(default=0, compare=False, kw_only=True)

    def __repr__(self) -> str:
        return "SecretValue(<redacted>)"


@dataclass(frozen=True)
class CreateSecret:
    """``CREATE SECRET [IF NOT EXISTS] name AS value``."""

    name: ObjectName
    if_not_exists: bool
    value: SecretValue = field(repr=False)


@dataclass(frozen=True)
class AlterSecret:
    """``ALTER SECRET [IF EXISTS] name AS value`` (rename/owner use AlterRename/AlterOwner)."""

    name: ObjectName
    if_exists: bool
    value: SecretValue = field(repr=False)


# -------------------------------------------------------------------------------- SHOW


@dataclass(frozen=True)
class LikeFilter:
    pattern: str
    position: int = field(default=0, compare=False, kw_only=True)


@dataclass(frozen=True)
class WhereFilter:
    """The raw expression text after ``WHERE``, for a SQL engine to evaluate."""

    expr: str
    position: int = field(default=0, compare=False, kw_only=True)


ShowFilter = LikeFilter | WhereFilter


@dataclass(frozen=True)
class ShowObjects:
    """``SHOW CLUSTERS``, ``SHOW CLUSTER REPLICAS``, ``SHOW TABLES [FROM s]``, ...

    ``object_type`` is the upper-case plural as written, e.g. ``CLUSTER REPLICAS``,
    ``MATERIALIZED VIEWS``.
    """

    object_type: str
    from_: ObjectName | None
    in_cluster: Ident | None
    filter: ShowFilter | None


@dataclass(frozen=True)
class ShowColumns:
    table: ObjectName
    filter: ShowFilter | None


@dataclass(frozen=True)
class ShowCreate:
    object_type: str  # "CLUSTER", "TABLE", "MATERIALIZED VIEW", ...
    name: ObjectName


@dataclass(frozen=True)
class ShowVariable:
    """``SHOW name``; ``SHOW ALL`` has name ``all``; ``SHOW TIME ZONE`` is ``timezone``;
    ``SHOW TRANSACTION ISOLATION LEVEL`` is ``transaction_isolation``."""

    name: str


# --------------------------------------------------------------------- session/transaction


@dataclass(frozen=True)
class SetVariable:
    """``SET [SESSION | LOCAL] name {= | TO} value[, ...]``; ``values`` is None for
    ``DEFAULT`` (and ``SET TIME ZONE LOCAL``)."""

    name: str
    values: tuple[OptionValue, ...] | None
    local: bool = False
    position: int = field(default=0, compare=False, kw_only=True)


@dataclass(frozen=True)
class ResetVariable:
    """``RESET name``; ``name`` is None for ``RESET ALL``."""

    name: str | None


@dataclass(frozen=True)
class IsolationLevel:
    level: str  # "SERIALIZABLE", "STRICT SERIALIZABLE", "READ COMMITTED", ...


@dataclass(frozen=True)
class AccessMode:
    read_only: bool


TransactionMode = IsolationLevel | AccessMode


@dataclass(frozen=True)
class SetTransaction:
    """``SET TRANSACTION ...`` (local=True) or ``SET SESSION CHARACTERISTICS AS
    TRANSACTION ...`` (local=False)."""

    modes: tuple[TransactionMode, ...]
    local: bool


@dataclass(frozen=True)
class StartTransaction:
    modes: tuple[TransactionMode, ...]


@dataclass(frozen=True)
class Commit:
    chain: bool = False


@dataclass(frozen=True)
class Rollback:
    chain: bool = False


@dataclass(frozen=True)
class Discard:
    target: str  # "ALL", "PLANS", "SEQUENCES", "TEMP"


@dataclass(frozen=True)
class Deallocate:
    name: Ident | None  # None for ALL


# ------------------------------------------------------------------ expressions as text


class ExprText(str):
    """An expression's exact source text (a ``str``) that also remembers where it starts.

    Expressions are not parsed into trees here: the parser only finds their extent.
    Instances compare and hash as plain strings, so ``Update(..., where="a = 1")`` equals
    the parsed AST; ``position`` is the 1-based offset of the first character in the full
    query text (0 when unknown). Use :func:`expr_position` on fields typed ``str``.
    """

    position: int

    def __new__(cls, text: str, position: int = 0) -> ExprText:
        obj = super().__new__(cls, text)
        obj.position = position
        return obj


def expr_position(text: str | None) -> int:
    """The 1-based position of an expression text taken from an AST (0 when unknown)."""
    return getattr(text, "position", 0) if text is not None else 0


# --------------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class DataType:
    """A type as written: ``name`` lower-case with multi-word names joined by one space
    (``double precision``, ``timestamp with time zone``) and qualified names dotted
    (``pg_catalog.int4``); quoted parts keep their case. ``modifiers`` are the integers
    in ``(p[, s])``; ``array_dims`` counts ``[]``/``[N]``/``ARRAY`` suffixes."""

    name: str
    modifiers: tuple[int, ...] = ()
    array_dims: int = 0
    position: int = field(default=0, compare=False, kw_only=True)

    def __str__(self) -> str:
        mods = f"({', '.join(map(str, self.modifiers))})" if self.modifiers else ""
        return self.name + mods + "[]" * self.array_dims


@dataclass(frozen=True)
class ColumnDef:
    """``name data_type [NOT NULL | NULL | DEFAULT expr | constraint]...``.

    ``default`` is the DEFAULT expression's source text; ``constraints`` holds the source
    text of column constraints pymz does not implement (``PRIMARY KEY``, ``UNIQUE``,
    ``CHECK (...)``, ``REFERENCES ...``, each with any ``CONSTRAINT name`` prefix), for the
    planner to reject. Both are :class:`ExprText` instances carrying positions.
    """

    name: Ident
    data_type: DataType
    not_null: bool = False
    default: str | None = None
    constraints: tuple[str, ...] = ()
    position: int = field(default=0, compare=False, kw_only=True)


@dataclass(frozen=True)
class TableConstraint:
    """A table-level constraint, kept as source text for the planner to reject.

    ``kind`` is ``PRIMARY KEY``, ``UNIQUE``, ``CHECK`` or ``FOREIGN KEY``; ``text`` the
    whole constraint as written (including any ``CONSTRAINT name`` prefix).
    """

    kind: str
    name: Ident | None
    text: str
    position: int = field(default=0, compare=False, kw_only=True)


@dataclass(frozen=True)
class CreateTable:
    name: ObjectName
    columns: tuple[ColumnDef, ...]
    if_not_exists: bool = False
    constraints: tuple[TableConstraint, ...] = ()


# ------------------------------------------------------------------------------------ DML


@dataclass(frozen=True)
class DefaultMarker:
    """``DEFAULT`` written as an item of ``INSERT ... VALUES``."""

    position: int = field(default=0, compare=False, kw_only=True)


ValuesItem = str | DefaultMarker


@dataclass(frozen=True)
class InsertValues:
    """``VALUES (item, ...), ...``: each item an expression's source text or DEFAULT.
    All rows have the same length (checked by the parser)."""

    rows: tuple[tuple[ValuesItem, ...], ...]
    position: int = field(default=0, compare=False, kw_only=True)


@dataclass(frozen=True)
class InsertQuery:
    """Any other query source (SELECT, WITH, TABLE, parenthesised, VALUES with ORDER BY
    or set operations ...), kept as source text."""

    text: str
    position: int = field(default=0, compare=False, kw_only=True)


@dataclass(frozen=True)
class DefaultValues:
    """``DEFAULT VALUES``."""

    position: int = field(default=0, compare=False, kw_only=True)


InsertSource = InsertValues | InsertQuery | DefaultValues


@dataclass(frozen=True)
class Insert:
    """``INSERT INTO table [AS alias] [(columns)] source [RETURNING ...]``.

    ``returning`` is the source text of the RETURNING list (an :class:`ExprText`)."""

    table: ObjectName
    columns: tuple[Ident, ...]
    source: InsertSource
    returning: str | None = None
    alias: Ident | None = None


@dataclass(frozen=True)
class Assignment:
    """``column = expr`` in ``UPDATE ... SET``; ``expr`` is source text."""

    column: Ident
    expr: str
    position: int = field(default=0, compare=False, kw_only=True)


@dataclass(frozen=True)
class Update:
    table: ObjectName
    alias: Ident | None
    assignments: tuple[Assignment, ...]
    where: str | None = None


@dataclass(frozen=True)
class Delete:
    table: ObjectName
    alias: Ident | None
    where: str | None = None


@dataclass(frozen=True)
class Copy:
    """``COPY {table [(columns)] | (query)} {FROM STDIN | TO STDOUT} [options]``.

    Exactly one of ``table`` / ``query`` (source text) is set. Options are normalised:
    names upper case with ``_`` (``FORMAT``, ``DELIMITER``, ``NULL``, ``HEADER``, ``QUOTE``,
    ``ESCAPE``, ``FORCE_QUOTE``, ``FORCE_NOT_NULL``, ...); legacy ``CSV``/``BINARY`` become
    ``FORMAT`` with an ``IdentValue`` of ``csv``/``binary``; a ``FORMAT`` value is always a
    lower-case ``IdentValue``; ``FORCE_QUOTE *`` has ``IdentValue("*")``.
    """

    table: ObjectName | None
    query: str | None
    columns: tuple[Ident, ...]
    direction: Literal["FROM", "TO"]
    target: Literal["STDIN", "STDOUT"]
    options: tuple[Option, ...] = ()


# ------------------------------------------------------------------- views and indexes


@dataclass(frozen=True)
class CreateView:
    """``CREATE [OR REPLACE] [TEMP] VIEW [IF NOT EXISTS] name [(cols)] AS query``;
    ``query`` is the query's source text (an :class:`ExprText`)."""

    name: ObjectName
    columns: tuple[Ident, ...]
    query: str
    if_not_exists: bool = False
    or_replace: bool = False
    temporary: bool = False


@dataclass(frozen=True)
class CreateMaterializedView:
    """``CREATE [OR REPLACE] MATERIALIZED VIEW [IF NOT EXISTS] name [(cols)]
    [IN CLUSTER c] [WITH (options)] AS query``."""

    name: ObjectName
    columns: tuple[Ident, ...]
    in_cluster: Ident | None
    query: str
    if_not_exists: bool = False
    or_replace: bool = False
    options: tuple[Option, ...] = ()


@dataclass(frozen=True)
class CreateIndex:
    """``CREATE [DEFAULT] INDEX [IF NOT EXISTS] [name] [IN CLUSTER c] ON obj
    [USING ARRANGEMENT] [(expr, ...)] [WITH (options)]``.

    ``key_parts`` are the key expressions' source texts; None for a DEFAULT index (whose
    key the planner derives from the relation).
    """

    name: Ident | None
    on: ObjectName
    in_cluster: Ident | None
    key_parts: tuple[str, ...] | None
    if_not_exists: bool = False
    default: bool = False
    options: tuple[Option, ...] = ()


# ------------------------------------------------------------------ SUBSCRIBE / cursors


@dataclass(frozen=True)
class Subscribe:
    """``SUBSCRIBE [TO] {obj | (query)} [WITH (options)] [AS OF [AT LEAST] expr]
    [UP TO expr] [output]``.

    Exactly one of ``target`` / ``query`` (the text inside the parentheses) is set.
    ``as_of`` / ``up_to`` are expression texts. ``output`` is the source text of an
    ``ENVELOPE UPSERT (...)``, ``ENVELOPE DEBEZIUM (...)`` or
    ``WITHIN TIMESTAMP ORDER BY ...`` clause, for the planner to implement or reject.
    """

    target: ObjectName | None
    query: str | None
    options: tuple[Option, ...] = ()
    as_of: str | None = None
    as_of_at_least: bool = False
    up_to: str | None = None
    output: str | None = None


@dataclass(frozen=True)
class DeclareCursor:
    """``DECLARE name CURSOR [WITHOUT HOLD] FOR statement``; the planner decides which
    inner statements (queries, SUBSCRIBE) are allowed."""

    name: Ident
    statement: Statement


@dataclass(frozen=True)
class Fetch:
    """``FETCH [FORWARD] [count | ALL] [FROM | IN] name [WITH (TIMEOUT [=] value)]``;
    ``count`` is None for ALL and 1 when omitted."""

    name: Ident
    count: int | None = 1
    timeout: OptionValue | None = None


@dataclass(frozen=True)
class CloseCursor:
    name: Ident


# ------------------------------------------------------------------------ pass-through


@dataclass(frozen=True)
class Query:
    """SELECT / WITH / VALUES / TABLE / parenthesised query: kept as source text."""

    text: str


@dataclass(frozen=True)
class Explain:
    """``EXPLAIN [[stage] PLAN [WITH (options)] [AS format] FOR] explainee``.

    ``text`` is the whole statement's source (as before the fields below existed).
    ``stage`` is ``RAW``, ``DECORRELATED``, ``OPTIMIZED``, ``PHYSICAL`` or None when not
    written (the planner picks its default). ``explainee`` is ``QUERY`` (``query`` is
    its text), or ``VIEW`` / ``MATERIALIZED VIEW`` / ``INDEX`` (``name`` is set).
    """

    text: str
    stage: str | None = None
    options: tuple[Option, ...] = ()
    format: Literal["TEXT", "JSON"] = "TEXT"
    explainee: Literal["QUERY", "VIEW", "MATERIALIZED VIEW", "INDEX"] = "QUERY"
    query: str | None = None
    name: ObjectName | None = None


@dataclass(frozen=True)
class Unsupported:
    """A recognised statement pymz does not implement yet (answer with 0A000).

    ``kind`` is the statement's leading keywords, e.g. ``CREATE TABLE``.
    """

    text: str
    kind: str


Statement = (
    CreateCluster
    | CreateClusterReplica
    | AlterClusterSet
    | AlterClusterReset
    | AlterRename
    | AlterOwner
    | CreateDatabase
    | CreateSchema
    | CreateRole
    | DropObjects
    | CreateSecret
    | AlterSecret
    | CreateTable
    | Insert
    | Update
    | Delete
    | Copy
    | CreateView
    | CreateMaterializedView
    | CreateIndex
    | Subscribe
    | DeclareCursor
    | Fetch
    | CloseCursor
    | ShowObjects
    | ShowColumns
    | ShowCreate
    | ShowVariable
    | SetVariable
    | ResetVariable
    | SetTransaction
    | StartTransaction
    | Commit
    | Rollback
    | Discard
    | Deallocate
    | Query
    | Explain
    | Unsupported
)


@dataclass(frozen=True)
class ParsedStmt:
    """One statement of a query string.

    ``sql`` is the statement's own text (first to last token, no trailing ``;``);
    ``offset`` is the 0-based index of ``sql`` within the full query text.
    """

    sql: str
    ast: Statement
    offset: int
