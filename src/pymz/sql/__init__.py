"""SQL front end: lexer, statement splitter and parser for Materialize's dialect.

Guarantees:
- :func:`parse` turns a query string into a list of :class:`ParsedStmt`, one per
  non-empty ``;``-separated statement, each with its own source text, a typed AST
  (frozen dataclasses in :mod:`pymz.sql.ast`) and its 0-based offset in the full text.
- Keywords are case-insensitive; identifiers are folded to lower case unless quoted.
- Every error is a :class:`pymz.errors.SqlSyntaxError` (SQLSTATE 42601) with a
  Materialize-style message and a 1-based ``position`` into the full text; the whole
  string is lexed first, so a lexical error anywhere fails the whole string.

Does not guarantee:
- Parsing of query grammar: SELECT/WITH/VALUES/TABLE/``(``/EXPLAIN statements are
  returned as :class:`ast.Query` / :class:`ast.Explain` holding their source text.
- Parsing of expressions: in CREATE TABLE defaults, INSERT/UPDATE/DELETE and COPY only
  their extent is found; they are kept as exact source text (:class:`ast.ExprText`, a
  ``str`` that also carries its ``position``).
- Semantic validation (duplicate options, value types, name resolution): the planner's job.
- Recognised statements that are not implemented yet come back as :class:`ast.Unsupported`
  rather than raising, so callers can answer ``0A000 feature not supported``.
"""

from pymz.sql.ast import ParsedStmt, Statement
from pymz.sql.statements import parse, parse_one, split

__all__ = ["ParsedStmt", "Statement", "parse", "parse_one", "split"]
