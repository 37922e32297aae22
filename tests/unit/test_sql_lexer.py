"""Lexer: literals, identifiers, comments, operators and lexical errors."""

from __future__ import annotations

import pytest

from pymz.errors import SqlSyntaxError
from pymz.sql.lexer import T, Token, lex


def kinds_values(text: str) -> list[tuple[T, str]]:
    return [(t.kind, t.value) for t in lex(text)]


def test_words_fold_unless_quoted() -> None:
    toks = lex('SeLeCt Foo "Bar" "a""b" _x1$y')
    assert [(t.value, t.quoted) for t in toks] == [
        ("select", False),
        ("foo", False),
        ("Bar", True),
        ('a"b', True),
        ("_x1$y", False),
    ]
    assert toks[0].keyword == "SELECT"
    assert toks[2].keyword is None  # quoted words are never keywords


def test_non_ascii_identifier() -> None:
    assert kinds_values("caf\u00e9 \u00c9t\u00e9") == [
        (T.WORD, "caf\u00e9"),
        (T.WORD, "\u00e9t\u00e9"),
    ]


def test_strings() -> None:
    assert kinds_values("'it''s' ''") == [(T.STRING, "it's"), (T.STRING, "")]


def test_adjacent_strings_join_only_across_newline() -> None:
    assert kinds_values("'a'\n  'b'") == [(T.STRING, "ab")]
    assert kinds_values("'a' 'b'") == [(T.STRING, "a"), (T.STRING, "b")]


def test_extended_strings() -> None:
    toks = lex(r"E'a\nb\t\\\'c' e'\u00e9\U0001F600' E'\101\x41' E'\q'")
    assert [t.value for t in toks] == ["a\nb\t\\'c", "\u00e9\U0001f600", "AA", "q"]


def test_dollar_strings() -> None:
    assert kinds_values("$$a'b;c$$ $tag$x $$ y$tag$") == [
        (T.STRING, "a'b;c"),
        (T.STRING, "x $$ y"),
    ]


def test_hex_string() -> None:
    assert kinds_values("X'0aFF'") == [(T.HEX_STRING, "0aFF")]


def test_numbers() -> None:
    assert kinds_values("1 1.5 .5 1. 1e10 2E-3 3e+4") == [
        (T.NUMBER, "1"),
        (T.NUMBER, "1.5"),
        (T.NUMBER, ".5"),
        (T.NUMBER, "1."),
        (T.NUMBER, "1e10"),
        (T.NUMBER, "2E-3"),
        (T.NUMBER, "3e+4"),
    ]


def test_number_followed_by_e_word() -> None:
    assert kinds_values("1e") == [(T.NUMBER, "1"), (T.WORD, "e")]


def test_parameters_and_punctuation() -> None:
    assert kinds_values("$1 ($12)[a].b::c:d,;") == [
        (T.PARAM, "1"),
        (T.LPAREN, "("),
        (T.PARAM, "12"),
        (T.RPAREN, ")"),
        (T.LBRACKET, "["),
        (T.WORD, "a"),
        (T.RBRACKET, "]"),
        (T.DOT, "."),
        (T.WORD, "b"),
        (T.DOUBLE_COLON, "::"),
        (T.WORD, "c"),
        (T.COLON, ":"),
        (T.WORD, "d"),
        (T.COMMA, ","),
        (T.SEMICOLON, ";"),
    ]


def test_operators() -> None:
    assert kinds_values("a->>'k' * = != <= 1+-2 @>") == [
        (T.WORD, "a"),
        (T.OP, "->>"),
        (T.STRING, "k"),
        (T.STAR, "*"),
        (T.EQ, "="),
        (T.OP, "<>"),
        (T.OP, "<="),
        (T.NUMBER, "1"),
        (T.OP, "+"),
        (T.OP, "-"),
        (T.NUMBER, "2"),
        (T.OP, "@>"),
    ]


def test_comments() -> None:
    assert kinds_values("a -- x ; y\nb /* c /* nested */ ; */ d+/*z*/e") == [
        (T.WORD, "a"),
        (T.WORD, "b"),
        (T.WORD, "d"),
        (T.OP, "+"),
        (T.WORD, "e"),
    ]


def test_offsets() -> None:
    toks = lex("  ab 'c'")
    assert toks == [Token(T.WORD, "ab", 2, 4), Token(T.STRING, "c", 5, 8)]


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("select 'abc", "unterminated quoted string", 8),
        ("select E'abc\\'", "unterminated quoted string", 8),
        ('select "abc', "unterminated quoted identifier", 8),
        ('select ""', "zero-length delimited identifier", 8),
        ("a /* b /* c */", "unterminated multiline comment", 3),
        ("select $x$abc$y$", "unterminated dollar-quoted string", 8),
        ("select 1e-", "missing required exponent", 9),
        ("select \\", "unexpected character in input: \\", 8),
        ("select $", "unexpected character in input: $", 8),
        ("x E'\\u12'", "invalid unicode escape", 5),
    ],
)
def test_lex_errors(text: str, message: str, position: int) -> None:
    with pytest.raises(SqlSyntaxError) as ei:
        lex(text)
    assert ei.value.message == message
    assert ei.value.position == position
    assert ei.value.sqlstate == "42601"


def test_describe() -> None:
    toks = lex("""cluster foo "Foo" 'x' 1 $1 ( = * <>""")
    assert [t.describe() for t in toks] == [
        "CLUSTER",
        'identifier "foo"',
        'identifier "Foo"',
        'string literal "x"',
        'number "1"',
        'parameter "$1"',
        "left parenthesis",
        "equals sign",
        "star",
        'operator "<>"',
    ]
