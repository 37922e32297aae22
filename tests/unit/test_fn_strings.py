"""Text functions and regular expressions (pymz.expr.library.strings*): behaviour the
PostgreSQL comparison corpus cannot show — Unicode semantics (the comparison server runs
in the C locale), patterns pymz refuses rather than translate wrongly, capture groups it
refuses rather than risk a different answer, and the dataflow agreeing with the
evaluator."""

from __future__ import annotations

from typing import Any

import pytest
from tests.sqlcheck import checks

from pymz import errors
from pymz.expr.library.strings import quote_ident, quote_literal
from pymz.expr.library.strings_patterns import similar_to_are
from pymz.expr.library.strings_regex import Options, compile_are, parse_flags, search
from pymz.repr import Column, ScalarType

T = ScalarType
TABLE = "u_texts"
COLUMNS = (Column("id", T.INT4, nullable=False), Column("s", T.TEXT), Column("r", T.FLOAT4),
           Column("b", T.BOOL))
ROWS: list[tuple[Any, ...]] = [
    (1, "hello world", 1.100000023841858, True), (2, "Élan vital", -0.5, False),
    (3, None, None, None), (4, "", 0.0, True), (5, "a,b,,c", 3.4e38, False),
    (6, "x" * 300 + "y", 1.5, True),
]










both, one, sqlstate = checks("t", TABLE, COLUMNS, ROWS)


def test_dataflow_agrees_with_evaluator() -> None:
    rows = both("select id, concat(s, r, b), concat_ws('|', s, id), format('%s/%L', s, r), "
                "left(s, 3), lpad(s, 12, '.'), split_part(s, ' ', 2), strpos(s, 'l'), "
                "initcap(s), translate(s, 'lo', '01'), md5(s), quote_nullable(s), "
                "s ~ '^[[:alpha:]]+ ' as m, regexp_replace(s, '(l+)', '<\\1>', 'g'), "
                "regexp_match(s, '(\\w)(\\w*)'), regexp_split_to_array(s, ','), "
                "s similar to '%(ll|al)%' as st from t order by id")
    assert rows[0][1] == "hello world1.1t"
    assert rows[2][1:3] == ("", "3")


def test_unicode_semantics() -> None:
    # Departure from the C-locale comparison server: letters beyond ASCII are letters.
    assert one("select initcap('élan ÉCOLE')") == "Élan École"
    assert one("select 'É' ~* 'é'") is True
    assert one("select 'é' ~ '^[[:alpha:]]$'") is True
    assert one("select 'ß' ~ '^\\w$'") is True
    assert one("select '٣' ~ '\\d'") is False  # \d is ASCII 0-9, as in glibc
    assert one("select length(reverse('a€😀'))") == 3
    assert one("select octet_length('a€😀')") == 8
    assert one("select initcap('ßa')") == "ßa"  # 'ß'.upper() is two characters: kept
    assert one("select chr(128512)") == "😀"


def test_concat_and_format_print_with_the_output_function() -> None:
    assert both("select concat(r, b), format('%s %L', r, b), quote_literal(b), "
                "quote_literal(r) from t where id = 1") == [
        ("1.1t", "1.1 't'", "'true'", "'1.1'")]
    assert one("select concat(ARRAY[1.5::real, NULL], ARRAY['a b'])") == '{1.5,NULL}{"a b"}'


def test_quoting() -> None:
    assert [quote_ident(x) for x in ("ok_1", "select", "name", "Up", "é", "", 'a"b')] == [
        "ok_1", '"select"', "name", '"Up"', '"é"', '""', '"a""b"']
    assert quote_literal("it's") == "'it''s'" and quote_literal("a\\b") == "E'a\\\\b'"


def test_requested_length_too_large() -> None:
    assert sqlstate("select repeat('abc', 400000000)") == "54000"
    assert sqlstate("select rpad('a', 268435455)") == "54000"


def test_postgres_match_preference() -> None:
    def match(p: str, s: str) -> tuple[str, tuple[str | None, ...]] | None:
        rx = compile_are(p, Options())
        m = search(rx, s)
        return None if m is None else (m.group(0), m.groups())

    assert match("a|ab", "abc") == ("ab", ())  # longest, not first alternative
    assert match("cat|category", "category") == ("category", ())
    assert match("Y*?([0-9]{1,3})", "XY1234Z") == ("Y1", ("1",))  # non-greedy RE: shortest
    assert match("(a?)(ab)?", "ab") == ("ab", ("", "ab"))
    assert one("select regexp_match('ab', '(a|ab)(b?)')") == ["ab", ""]
    assert one("select regexp_replace('baaac', 'a*', '-', 'g')") == "-b--c-"


def test_ambiguous_captures_are_refused() -> None:
    # PostgreSQL's choice for group 1 depends on how it splits the alternation before it.
    assert sqlstate("select regexp_match('abb', '(?:a|ab)(b*)')") == "0A000"
    assert sqlstate("select regexp_replace('abab', '(a|ab)*', '\\1')") == "0A000"
    # ... but the same pattern is fine where only one split is possible, or where the
    # group is not used.
    assert one("select regexp_match('ac', '(?:a|ab)(c*)')") == ["c"]
    assert one("select regexp_replace('abab', '(a|ab)*', 'X')") == "X"
    assert one("select regexp_count('abab', '(a|ab)+')") == 1


@pytest.mark.parametrize("pattern", [
    "(ab", "a)", "a**", "*a", "a{2,1}", "a{256}", "[z-a]", "\\k", "[[:nope:]]", "^*",
    "a*+", "[[.hyphen.]]", "(?<=a+)b", "(?i", "\\", "[a", "(?=a)*", "\\1", "(a)\\2",
    "(?z)a", "a{1", "[\\D]",
])
def test_untranslatable_patterns_are_2201b(pattern: str) -> None:
    with pytest.raises(errors.PymzError) as e:
        compile_are(pattern, Options())
    assert e.value.sqlstate == "2201B"


def test_flags() -> None:
    assert parse_flags("gi")[1] is True
    for flags, state in (("z", "22023"), ("b", "0A000"), ("e", "0A000")):
        with pytest.raises(errors.PymzError) as e:
            parse_flags(flags)
        assert e.value.sqlstate == state
    assert sqlstate("select regexp_match('a', 'a', 'g')") == "22023"
    assert one("select regexp_replace('a.b', '.', 'X', 'gq')") == "aXb"
    assert one("select 'A+B' ~ '(?iq)a+b'") is True
    assert one("select 'ab' ~ '(?x) a  b  # spaced'") is True


def test_escapes_translate_to_the_same_characters() -> None:
    assert one("select 'a' || chr(8) || 'b' ~ '^a\\bb$'") is True  # \b is backspace
    assert one("select 'a\\b' ~ '^a\\Bb$'") is True  # \B is a backslash
    assert one("select chr(233) ~ '^\\u00e9$' and 'A' ~ '^\\x41$' and 'A' ~ '^\\101$'") is True
    assert one("select 'word' ~ '\\mwor' and not 'sword' ~ '\\mwor'") is True


def test_similar_to_translation() -> None:
    assert similar_to_are("a%b_c", None) == "^(?:a.*b.c)$"
    assert similar_to_are("a.b|c", None) == "^(?:a\\.b|c)$"
    assert similar_to_are("a#%", "#") == "^(?:a\\%)$"
    with pytest.raises(errors.PymzError) as e:
        similar_to_are("a", "xy")
    assert e.value.sqlstate == "22025"
    assert one("select 'abc' similar to 'a#\"b#\"c' escape '#'") is True


def test_long_strings_stay_fast() -> None:
    big = "ab" * 2000
    assert one(f"select regexp_count('{big}', 'a|ab')") == 2000
    assert one(f"select length(regexp_replace('{big}', '(a)(b)', '\\2\\1', 'g'))") == 4000
