"""Secrets end to end through a real environmentd with the local-file secrets controller."""

from __future__ import annotations

import base64
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from tests.integration.environmentd_harness import Environmentd, running_environmentd

pytestmark = pytest.mark.integration

# No replicas: secrets need none, and every replica is a real process on this machine.
ARGS = ("--bootstrap-default-cluster-replication-factor=0", "--log-level=debug")


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Environmentd]:
    with running_environmentd(tmp_path / "mzdata", ARGS) as e:
        yield e


def _secret_value() -> str:
    # Unique per test, so finding it anywhere is never a coincidence.
    return f"s3cr3t-{uuid.uuid4().hex}"


def _error(env: Environmentd, query: str) -> psycopg.Error:
    with pytest.raises(psycopg.Error) as info:
        env.sql(query)
    return info.value


def _notices(env: Environmentd, query: str) -> list[str]:
    messages: list[str] = []
    with env.connect() as conn:
        conn.add_notice_handler(lambda d: messages.append(d.message_primary or ""))
        conn.execute(query.encode())
    return messages


def _secret_id(env: Environmentd, name: str) -> str:
    rows = env.sql("SELECT id FROM mz_catalog.mz_secrets WHERE name = %s", (name,))
    assert len(rows) == 1, rows
    return str(rows[0][0])


def _files_containing(root: Path, needle: bytes, skip: Path) -> list[Path]:
    return [p for p in root.rglob("*")
            if p.is_file() and skip not in p.parents and needle in p.read_bytes()]


def test_secret_lifecycle(env: Environmentd) -> None:
    value = _secret_value()
    secrets_dir = env.data_dir / "secrets"
    env.sql(f"CREATE SECRET pw AS '{value}'")

    sid = _secret_id(env, "pw")
    assert sid.startswith("u")
    path = secrets_dir / sid
    assert path.read_bytes() == value.encode()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(secrets_dir.stat().st_mode) == 0o700

    rows = env.sql("SELECT s.id, s.oid, s.name, s.owner_id, s.privileges, sc.name "
                   "FROM mz_catalog.mz_secrets s JOIN mz_catalog.mz_schemas sc "
                   "ON s.schema_id = sc.id")
    assert len(rows) == 1
    (rid, oid, name, owner, privileges, schema) = rows[0]
    assert (rid, name, schema) == (sid, "pw", "public")
    assert oid >= 20_000 and owner.startswith("u") and privileges
    assert env.sql("SHOW SECRETS") == [("pw", "")]
    assert env.sql("SHOW CREATE SECRET pw") == [
        ("materialize.public.pw", 'CREATE SECRET "materialize"."public"."pw" AS \'********\'')]

    # ALTER: new contents under the same id.
    new_value = _secret_value()
    encoded = base64.b64encode(new_value.encode()).decode()
    env.sql(f"ALTER SECRET pw AS decode('{encoded}', 'base64')")
    assert path.read_bytes() == new_value.encode()
    assert _secret_id(env, "pw") == sid

    env.sql("ALTER SECRET pw RENAME TO pw2")
    assert _secret_id(env, "pw2") == sid
    assert env.sql("SHOW SECRETS LIKE 'pw%'") == [("pw2", "")]
    assert env.sql("SHOW CREATE SECRET materialize.public.pw2")[0][1] == \
        'CREATE SECRET "materialize"."public"."pw2" AS \'********\''
    assert path.read_bytes() == new_value.encode()

    # A secret in another schema, bytea hex input.
    env.sql("CREATE SCHEMA other")
    env.sql("CREATE SECRET other.hexed AS '\\x00ff41'")
    hexed = _secret_id(env, "hexed")
    assert (secrets_dir / hexed).read_bytes() == b"\x00\xffA"
    assert env.sql("SHOW SECRETS FROM other") == [("hexed", "")]
    assert env.sql("SHOW SECRETS") == [("pw2", "")]

    env.sql("DROP SECRET pw2, other.hexed")
    assert env.sql("SELECT count(*) FROM mz_catalog.mz_secrets") == [(0,)]
    assert not path.exists() and not (secrets_dir / hexed).exists()

    log = env.log_path.read_bytes()
    for v in (value, new_value, encoded):
        assert v.encode() not in log
    assert _files_containing(env.data_dir, value.encode(), secrets_dir) == []
    assert _files_containing(env.data_dir, new_value.encode(), secrets_dir) == []


def test_secret_errors(env: Environmentd) -> None:
    value = _secret_value()
    env.sql(f"CREATE SECRET s AS '{value}'")

    err = _error(env, f"CREATE SECRET s AS '{value}'")
    assert err.sqlstate == "42710"
    assert 'secret "materialize.public.s" already exists' in str(err)
    assert _notices(env, "CREATE SECRET IF NOT EXISTS s AS 'x'") == [
        'secret "materialize.public.s" already exists, skipping']
    assert (env.data_dir / "secrets" / _secret_id(env, "s")).read_bytes() == value.encode()

    for query in ("DROP SECRET nope", "ALTER SECRET nope AS 'x'",
                  "ALTER SECRET nope RENAME TO other", "SHOW CREATE SECRET nope"):
        err = _error(env, query)
        assert err.sqlstate == "42704", query
        assert "unknown catalog item 'nope'" in str(err)
    assert _notices(env, "DROP SECRET IF EXISTS nope") == [
        "unknown catalog item 'nope', skipping"]
    assert _notices(env, "ALTER SECRET IF EXISTS nope AS 'x'") == [
        'secret "nope" does not exist, skipping']

    assert _error(env, "CREATE SECRET mz_s AS 'x'").sqlstate == "42939"
    assert _error(env, "CREATE SECRET nosuch.s AS 'x'").sqlstate == "3F000"
    assert _error(env, "CREATE SECRET a.b.c.d AS 'x'").sqlstate == "42601"

    # Tables and secrets share a schema's namespace.
    env.sql("CREATE TABLE t (a int)")
    assert _error(env, "CREATE SECRET t AS 'x'").sqlstate == "42710"
    err = _error(env, "DROP SECRET t")
    assert err.sqlstate == "42809"
    assert _error(env, "ALTER SECRET s RENAME TO t").sqlstate == "42710"

    # Failing value expressions and syntax errors do not echo the value.
    other = _secret_value()
    for query, sqlstate in (
        (f"CREATE SECRET bad AS decode('{other}', 'base64')", "22023"),
        (f"CREATE SECRET bad AS decode('{other}', 'hex')", "22P02"),
        (f"CREATE SECRET bad AS '\\x{other}'", "22P02"),
        (f"CREATE SECRET bad AS decode('{other}', 'rot13')", "22023"),
        (f"CREATE SECRET bad '{other}'", "42601"),
        (f"CREATE SECRET bad AS '{other}' '{other}'", "42601"),
        (f"CREATE SECRET bad AS '{other}'::text", "42601"),
    ):
        err = _error(env, query)
        assert err.sqlstate == sqlstate, (query, str(err))
        # Only what the server sent: libpq itself quotes the query (LINE 1: ...) locally.
        diag: Any = err.diag
        sent = [diag.message_primary, diag.message_detail, diag.message_hint,
                diag.context, diag.internal_query]
        assert all(other not in (part or "") for part in sent), sent
    assert env.sql("SELECT name FROM mz_catalog.mz_secrets") == [("s",)]
    assert sorted(p.name for p in (env.data_dir / "secrets").iterdir()) == [_secret_id(env, "s")]
    log = env.log_path.read_bytes()
    assert value.encode() not in log and other.encode() not in log

    # DDL is refused inside a transaction block.
    with env.connect() as conn:
        conn.execute("BEGIN")
        with pytest.raises(psycopg.Error) as info:
            conn.execute("CREATE SECRET intx AS 'x'")
        assert info.value.sqlstate == "25001"


def test_secrets_persist_and_orphans_are_collected(tmp_path: Path) -> None:
    data_dir = tmp_path / "mzdata"
    value = _secret_value()
    env = Environmentd(data_dir, ARGS)
    try:
        env.start()
        env.sql(f"CREATE SECRET kept AS '{value}'")
        kept = _secret_id(env, "kept")
        env.stop()

        # As if a CREATE crashed between the controller and the catalog commit, and a write
        # crashed between its temporary file and the rename.
        secrets_dir = data_dir / "secrets"
        orphan = secrets_dir / "u999"
        orphan.write_bytes(b"orphaned contents")
        stale_tmp = secrets_dir / ".u998.0123456789abcdef.tmp"
        stale_tmp.write_bytes(b"half written")

        env.start()
        assert not orphan.exists()
        assert not stale_tmp.exists()
        assert (secrets_dir / kept).read_bytes() == value.encode()
        assert env.sql("SHOW SECRETS") == [("kept", "")]
        assert _secret_id(env, "kept") == kept
        assert env.sql("SHOW CREATE SECRET kept")[0][1].endswith("AS '********'")

        # New ids never reuse a committed one after restart.
        env.sql("CREATE SECRET second AS 'x'")
        assert _secret_id(env, "second") != kept
        assert value.encode() not in env.log_path.read_bytes()
    finally:
        env.cleanup()


def test_secrets_dir_flag(tmp_path: Path) -> None:
    secrets_dir = tmp_path / "elsewhere" / "secrets"
    with running_environmentd(tmp_path / "mzdata",
                              (*ARGS, f"--secrets-dir={secrets_dir}")) as env:
        env.sql("CREATE SECRET s AS 'v'")
        sid = _secret_id(env, "s")
        assert (secrets_dir / sid).read_bytes() == b"v"
        assert not (env.data_dir / "secrets" / sid).exists()
