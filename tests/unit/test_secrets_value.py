"""Evaluation of secret value expressions to bytes, and errors that never quote them."""

from __future__ import annotations

import pytest

from pymz.adapter.secrets_ddl import evaluate
from pymz.errors import PymzError
from pymz.sql import ast


@pytest.mark.parametrize(
    ("literal", "fmt", "expected"),
    [
        ("plain text", None, b"plain text"),
        ("héllo", None, "héllo".encode()),
        ("\\x00ff41", None, b"\x00\xffA"),
        ("\\x", None, b""),
        ("a\\\\b\\101", None, b"a\\bA"),
        ("aGk=", "base64", b"hi"),
        ("aG\nk=", "base64", b"hi"),
        ("00 ff", "hex", b"\x00\xff"),
        ("a\\000b", "escape", b"a\x00b"),
    ],
)
def test_evaluate(literal: str, fmt: str | None, expected: bytes) -> None:
    assert evaluate(ast.SecretValue(literal, fmt)) == expected


@pytest.mark.parametrize(
    ("literal", "fmt", "sqlstate"),
    [
        ("\\xhunter2", None, "22P02"),
        ("hunter2\\", None, "22P02"),
        ("hunter2\\9", None, "22P02"),
        ("hunter2!", "base64", "22023"),
        ("hunter2", "hex", "22P02"),
        ("hunter2", "rot13", "22023"),
    ],
)
def test_errors_never_quote_the_value(literal: str, fmt: str | None, sqlstate: str) -> None:
    with pytest.raises(PymzError) as info:
        evaluate(ast.SecretValue(literal, fmt))
    err = info.value
    assert err.sqlstate == sqlstate
    assert "hunter2" not in " ".join(str(x) for x in (err.message, err.detail, err.hint, err))
