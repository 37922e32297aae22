"""CREATE / ALTER / DROP: clusters, replicas, databases, schemas, roles (tables: stmt_table).

Recognised-but-unimplemented object types produce :class:`ast.Unsupported` so the adapter
can answer ``0A000``.
"""

from __future__ import annotations

from pymz.sql import ast
from pymz.sql.lexer import T
from pymz.sql.options import CLUSTER_OPTIONS, REPLICA_OPTIONS, option, option_list, option_names
from pymz.sql.parser import Parser, one_of
from pymz.sql.stmt_secret import parse_alter_secret, parse_create_secret
from pymz.sql.stmt_table import parse_create_table
from pymz.sql.stmt_view import (
    parse_create_index,
    parse_create_materialized_view,
    parse_create_view,
)

# Object types CREATE accepts beyond the ones parsed here; each maps to Unsupported.
_CREATE_UNSUPPORTED: tuple[tuple[str, ...], ...] = (
    ("CONNECTION",),
    ("CONTINUAL", "TASK"),
    ("NETWORK", "POLICY"),
    ("SECRET",),
    ("SINK",),
    ("SOURCE",),
    ("TABLE",),
    ("TYPE",),
)

_ROLE_ATTRIBUTES = (
    "CREATECLUSTER",
    "CREATEDB",
    "CREATEROLE",
    "INHERIT",
    "LOGIN",
    "NOCREATECLUSTER",
    "NOCREATEDB",
    "NOCREATEROLE",
    "NOINHERIT",
    "NOLOGIN",
    "NOSUPERUSER",
    "PASSWORD",
    "SUPERUSER",
)

# DROP object types, longest first so CLUSTER REPLICA wins over CLUSTER.
_DROP_TYPES: tuple[tuple[str, ...], ...] = (
    ("CLUSTER", "REPLICA"),
    ("MATERIALIZED", "VIEW"),
    ("CLUSTER",),
    ("CONNECTION",),
    ("DATABASE",),
    ("INDEX",),
    ("ROLE",),
    ("SCHEMA",),
    ("SECRET",),
    ("SINK",),
    ("SOURCE",),
    ("TABLE",),
    ("TYPE",),
    ("VIEW",),
)

_ALTER_UNSUPPORTED: tuple[tuple[str, ...], ...] = (
    ("CONNECTION",),
    ("DATABASE",),
    ("DEFAULT", "PRIVILEGES"),
    ("INDEX",),
    ("MATERIALIZED", "VIEW"),
    ("NETWORK", "POLICY"),
    ("ROLE",),
    ("SCHEMA",),
    ("SINK",),
    ("SOURCE",),
    ("SYSTEM",),
    ("TABLE",),
    ("TYPE",),
    ("VIEW",),
)

# ALTER forms whose RENAME TO / OWNER TO parse to AlterRename / AlterOwner; their other
# actions (SET CLUSTER, SET (RETAIN HISTORY ...), ...) stay Unsupported.
_ALTER_RENAMEABLE = frozenset({"INDEX", "MATERIALIZED VIEW", "VIEW"})


def _first_words(types: tuple[tuple[str, ...], ...], *extra: str) -> list[str]:
    return sorted({t[0] for t in types} | set(extra))


def _match_type(p: Parser, types: tuple[tuple[str, ...], ...]) -> str | None:
    for words in sorted(types, key=len, reverse=True):
        if p.parse_kws(*words):
            return " ".join(words)
    return None


def _if_exists(p: Parser) -> bool:
    return p.parse_kws("IF", "EXISTS")


def _if_not_exists(p: Parser) -> bool:
    return p.parse_kws("IF", "NOT", "EXISTS")


def replica_name(p: Parser) -> ast.ObjectName:
    """``cluster.replica``"""
    cluster = p.ident()
    p.expect(T.DOT)
    replica = p.ident()
    return ast.ObjectName((cluster, replica), position=cluster.position)


# --------------------------------------------------------------------------------- CREATE


def parse_create(p: Parser) -> ast.Statement:
    p.expect_kw("CREATE")
    if p.parse_kws("CLUSTER", "REPLICA"):
        return _create_cluster_replica(p)
    if p.parse_kw("CLUSTER"):
        return _create_cluster(p)
    if p.parse_kw("DATABASE"):
        if_not_exists = _if_not_exists(p)
        return ast.CreateDatabase(p.ident(), if_not_exists)
    if p.parse_kw("SCHEMA"):
        if_not_exists = _if_not_exists(p)
        return ast.CreateSchema(p.object_name(), if_not_exists)
    if p.parse_kw("ROLE"):
        return _create_role(p)
    if p.parse_kw("TABLE"):
        return parse_create_table(p)
    if p.parse_kw("SECRET"):
        return parse_create_secret(p)
    # Prefixes that only make sense before unsupported object types.
    prefix = []
    if p.parse_kws("OR", "REPLACE"):
        prefix.append("OR REPLACE")
    temp = p.parse_one_of("TEMP", "TEMPORARY")
    if p.parse_kw("VIEW"):
        return parse_create_view(p, bool(prefix), temp is not None)
    if not temp and p.parse_kws("MATERIALIZED", "VIEW"):
        return parse_create_materialized_view(p, bool(prefix))
    if not temp and not prefix:
        if p.parse_kw("INDEX"):
            return parse_create_index(p, default=False)
        if p.parse_kws("DEFAULT", "INDEX"):
            return parse_create_index(p, default=True)
    if temp:
        # Only views and tables can be temporary.
        if p.parse_kw("TABLE"):
            return ast.Unsupported(p.statement_text(), "CREATE TABLE")
        raise p.error(one_of(("TABLE", "VIEW")))
    kind = _match_type(p, _CREATE_UNSUPPORTED)
    if kind is None:
        if prefix:
            raise p.error(one_of(_first_words(_CREATE_UNSUPPORTED, "MATERIALIZED", "VIEW")))
        raise p.error(
            one_of(
                _first_words(
                    _CREATE_UNSUPPORTED,
                    "CLUSTER",
                    "DATABASE",
                    "DEFAULT",
                    "INDEX",
                    "MATERIALIZED",
                    "OR",
                    "ROLE",
                    "SCHEMA",
                    "TEMP",
                    "TEMPORARY",
                    "VIEW",
                )
            )
        )
    return ast.Unsupported(p.statement_text(), f"CREATE {kind}")


def _create_cluster(p: Parser) -> ast.CreateCluster:
    name = p.ident()
    if p.at_end():
        return ast.CreateCluster(name, ())
    # Options may be parenthesised or not: `CREATE CLUSTER c REPLICAS (...)` is the
    # historical unmanaged form and parses as an unparenthesised REPLICAS option.
    if p.peek().kind is T.LPAREN:
        options = option_list(p, CLUSTER_OPTIONS)
    else:
        options = tuple(p.comma_separated(lambda: option(p, CLUSTER_OPTIONS)))
    return ast.CreateCluster(name, options)


def _create_cluster_replica(p: Parser) -> ast.CreateClusterReplica:
    name = replica_name(p)
    if p.peek().kind is T.LPAREN:
        options = option_list(p, REPLICA_OPTIONS)
    else:
        options = tuple(p.comma_separated(lambda: option(p, REPLICA_OPTIONS)))
    return ast.CreateClusterReplica(name.parts[0], name.parts[1], options)


def _create_role(p: Parser) -> ast.CreateRole:
    name = p.ident()
    p.parse_kw("WITH")
    options: list[ast.Option] = []
    while not p.at_end():
        pos = p.peek().start + 1
        attr = p.expect_one_of(*_ROLE_ATTRIBUTES)
        value: ast.OptionValue | None = None
        if attr == "PASSWORD":
            value = None if p.parse_kw("NULL") else p.string()
        options.append(ast.Option(attr, value, position=pos))
    return ast.CreateRole(name, tuple(options))


# ---------------------------------------------------------------------------------- ALTER


def parse_alter(p: Parser) -> ast.Statement:
    p.expect_kw("ALTER")
    if p.parse_kws("CLUSTER", "REPLICA"):
        if_exists = _if_exists(p)
        name = replica_name(p)
        return _rename_or_owner(p, "CLUSTER REPLICA", if_exists, name)
    if p.parse_kw("CLUSTER"):
        return _alter_cluster(p)
    if p.parse_kw("SECRET"):
        return parse_alter_secret(p)
    kind = _match_type(p, _ALTER_UNSUPPORTED)
    if kind is None:
        raise p.error(one_of(_first_words(_ALTER_UNSUPPORTED, "CLUSTER", "SECRET")))
    if kind in _ALTER_RENAMEABLE:
        if_exists = _if_exists(p)
        name = p.object_name()
        if p.peek().keyword in ("OWNER", "RENAME"):
            return _rename_or_owner(p, kind, if_exists, name)
    return ast.Unsupported(p.statement_text(), f"ALTER {kind}")


def _rename_or_owner(
    p: Parser, object_type: str, if_exists: bool, name: ast.ObjectName
) -> ast.Statement:
    action = p.expect_one_of("OWNER", "RENAME")
    p.expect_kw("TO")
    target = p.ident()
    if action == "RENAME":
        return ast.AlterRename(object_type, if_exists, name, target)
    return ast.AlterOwner(object_type, if_exists, name, target)


def _alter_cluster(p: Parser) -> ast.Statement:
    if_exists = _if_exists(p)
    name = p.ident()
    if p.parse_kw("SET"):
        return ast.AlterClusterSet(name, if_exists, option_list(p, CLUSTER_OPTIONS))
    if p.parse_kw("RESET"):
        return ast.AlterClusterReset(name, if_exists, option_names(p, CLUSTER_OPTIONS))
    if p.peek_kw("SWAP"):
        return ast.Unsupported(p.statement_text(), "ALTER CLUSTER SWAP")
    if p.peek().keyword not in ("OWNER", "RENAME"):
        raise p.error(one_of(("OWNER", "RENAME", "RESET", "SET", "SWAP")))
    obj = ast.ObjectName((name,), position=name.position)
    return _rename_or_owner(p, "CLUSTER", if_exists, obj)


# ----------------------------------------------------------------------------------- DROP


def parse_drop(p: Parser) -> ast.Statement:
    p.expect_kw("DROP")
    if p.peek_kw("OWNED"):
        return ast.Unsupported(p.statement_text(), "DROP OWNED")
    kind = _match_type(p, _DROP_TYPES)
    if kind is None:
        raise p.error(one_of(_first_words(_DROP_TYPES, "OWNED")))
    if_exists = _if_exists(p)
    item = (lambda: replica_name(p)) if kind == "CLUSTER REPLICA" else p.object_name
    names = tuple(p.comma_separated(item))
    behaviour = p.parse_one_of("CASCADE", "RESTRICT")
    return ast.DropObjects(kind, if_exists, names, behaviour == "CASCADE")
