"""Statement splitting: offsets, empty statements, and never splitting inside quotes."""

from __future__ import annotations

import random

import pytest

from pymz.errors import SqlSyntaxError
from pymz.sql import ast, parse


def test_empty_inputs() -> None:
    for text in ("", "   ", ";", " ; ;\n;", "-- only a comment", "/* c */ ; -- x\n"):
        assert parse(text) == []


def test_split_offsets_and_text() -> None:
    text = "  SELECT 1 ;BEGIN;; -- c\n COMMIT /* x */;SHOW cluster"
    stmts = parse(text)
    assert [s.sql for s in stmts] == ["SELECT 1", "BEGIN", "COMMIT", "SHOW cluster"]
    for s in stmts:
        assert text[s.offset : s.offset + len(s.sql)] == s.sql
    assert [type(s.ast) for s in stmts] == [
        ast.Query,
        ast.StartTransaction,
        ast.Commit,
        ast.ShowVariable,
    ]


def test_semicolons_inside_literals_comments_and_parens() -> None:
    text = (
        "SELECT ';', \"a;b\", $$;$$, $t$ ; $t$, E'\\';' /* ; */ FROM (SELECT 1) -- ;\n"
        "WHERE x = $1; VALUES (';')"
    )
    stmts = parse(text)
    assert len(stmts) == 2
    assert stmts[0].sql.endswith("WHERE x = $1")
    assert stmts[1].sql == "VALUES (';')"


def test_error_position_is_into_full_text() -> None:
    text = "SELECT 1; CREATE CLUSTER c (SIZE = )"
    with pytest.raises(SqlSyntaxError) as ei:
        parse(text)
    assert ei.value.position == text.index(")") + 1


_CHARS = ";'\"$-/* \nab\\"


def _rand_text(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(_CHARS) for _ in range(n))


def _literal(rng: random.Random) -> str:
    body = _rand_text(rng, rng.randint(0, 12))
    kind = rng.randrange(5)
    if kind == 0:
        return "'" + body.replace("'", "''") + "'"
    if kind == 1:
        return '"' + (body or "x").replace('"', '""') + '"'
    if kind == 2:
        tag = rng.choice(["", "t", "tag_1"])
        delim = f"${tag}$"
        return delim + body.replace("$", "") + delim
    if kind == 3:
        # E'' strings: escape backslashes and quotes.
        return "E'" + body.replace("\\", "\\\\").replace("'", "\\'") + "'"
    # A block comment followed by a literal, so the comment is never the last token.
    return "/*" + body.replace("*", "").replace("/", "") + "*/ 1"


def test_property_split_never_breaks_inside_quotes() -> None:
    rng = random.Random(20240521)
    for _ in range(300):
        stmts = []
        for _ in range(rng.randint(1, 4)):
            items = ", ".join(_literal(rng) for _ in range(rng.randint(1, 4)))
            stmts.append(f"SELECT {items}")
        seps = [rng.choice([";", " ; ", ";\n;", "; -- c;\n", ";/* ; */"]) for _ in stmts]
        text = "".join(s + sep for s, sep in zip(stmts, seps, strict=True))
        parsed = parse(text)
        assert [p.sql for p in parsed] == stmts, text
        assert all(isinstance(p.ast, ast.Query) for p in parsed)
