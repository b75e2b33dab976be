"""Encryption at rest, end to end, and the operator's tool that sets
tenants and handlers up.  Everything runs in a scratch database."""

import os
import re
import stat
import subprocess

import pytest

from conftest import BUILD

CANARY = "canary-report-8c1d4e-whistle"
GOOD_PW = "Ledger-Quartz-58!river\n"


def test_key_chain_and_no_plaintext_in_a_dump(stack, scratch_db, tmp_path):
    env = dict(scratch_db.env(), OMBUD_TEST_CANARY=CANARY)
    r = subprocess.run([str(BUILD / "test" / "unit" / "test_chain")],
                       env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "0 failed" in r.stderr

    dump = subprocess.run(
        ["pg_dump", "-h", stack.info["PGHOST"], "-p", stack.info["PGPORT"],
         "-U", stack.info["PGUSER"], "--no-owner", scratch_db.name],
        capture_output=True, timeout=120, cwd="/tmp")
    assert dump.returncode == 0, dump.stderr
    data = dump.stdout
    # The dump is real: the rows are there...
    assert b"chain@example.org" in data
    assert b"COPY public.items" in data
    with scratch_db.connect() as c, c.cursor() as cur:
        cur.execute("SELECT count(*) FROM items")
        assert cur.fetchone()[0] == 2
    # ...and the content is not, in any encoding a dump might use.
    for needle in (CANARY.encode(), CANARY.encode().hex().encode(),
                   CANARY.upper().encode(), CANARY[:12].encode()):
        assert needle not in data, needle


def test_handler_sessions(scratch_db):
    """test/unit/test_session.c against the migrated scratch database."""
    r = subprocess.run([str(BUILD / "test" / "unit" / "test_session")],
                       env=scratch_db.env(), capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert "0 failed" in r.stderr


def ctl(scratch_db, *args, stdin=None):
    return scratch_db.ombudctl(*args, stdin=stdin)


def test_tenant_add_writes_a_private_recovery_key(scratch_db, tmp_path):
    key = tmp_path / "acme.key"
    r = ctl(scratch_db, "tenant", "add", "acme", "--name", "Acme A/S",
            "--recovery-key-file", str(key), "--retention-days", "30")
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    text = key.read_text()
    assert re.fullmatch(r"OMBUD-RK1-(?:[0-9A-Z]{4}-){13}[0-9A-Z]{4}\n", text)
    assert text.strip() not in r.stdout + r.stderr

    # A second tenant of that name is refused, and writes no key file.
    other = tmp_path / "again.key"
    r = ctl(scratch_db, "tenant", "add", "acme", "--name", "X",
            "--recovery-key-file", str(other))
    assert r.returncode == 1 and "exists already" in r.stderr
    assert not other.exists()
    # An existing file is never overwritten.
    r = ctl(scratch_db, "tenant", "add", "beta", "--name", "Beta",
            "--recovery-key-file", str(key))
    assert r.returncode == 1
    assert key.read_text() == text
    r = ctl(scratch_db, "tenant", "list")
    assert re.search(r"(?m)^acme\s+Acme A/S\s+30\s+0\s+0\s", r.stdout)
    assert "beta" not in r.stdout

    for bad in (["tenant", "add", "Bad Slug", "--name", "x",
                 "--recovery-key-file", str(tmp_path / "b.key")],
                ["tenant", "add", "ok", "--recovery-key-file", str(tmp_path / "c.key")],
                ["tenant", "frobnicate"]):
        r = ctl(scratch_db, *bad)
        assert r.returncode != 0 and r.stderr


def test_user_add_applies_the_password_policy(scratch_db, tmp_path):
    r = ctl(scratch_db, "user", "add", "--email", "weak@example.org",
            "--role", "lawyer", "--password-stdin", stdin="password\n")
    assert r.returncode == 1
    for rule in ("upper-case", "digit", "special", "too common"):
        assert rule in r.stderr, rule
    r = ctl(scratch_db, "user", "add", "--email", "weak@example.org",
            "--role", "lawyer", "--password-stdin", stdin="Weak@Example1\n")
    assert r.returncode == 1 and "e-mail name" in r.stderr
    r = ctl(scratch_db, "user", "add", "--email", "x@example.org",
            "--role", "boss", "--password-stdin", stdin=GOOD_PW)
    assert r.returncode == 1 and "role" in r.stderr
    r = ctl(scratch_db, "user", "add", "--email", "x@example.org",
            "--role", "lawyer", "--phone", "12345", "--password-stdin",
            stdin=GOOD_PW)
    assert r.returncode == 1 and "phone" in r.stderr
    r = ctl(scratch_db, "user", "list")
    assert "weak@example.org" not in r.stdout


def test_grants_and_the_one_tenant_rule(scratch_db, tmp_path):
    keys = {}
    for slug in ("gamma", "delta"):
        keys[slug] = tmp_path / f"{slug}.key"
        r = ctl(scratch_db, "tenant", "add", slug, "--name", slug.title(),
                "--recovery-key-file", str(keys[slug]))
        assert r.returncode == 0, r.stderr

    r = ctl(scratch_db, "user", "add", "--email", "Lawyer@Example.org",
            "--role", "lawyer", "--phone", "+4520304050", "--tenant", "gamma",
            "--recovery-key-file", str(keys["gamma"]), "--password-stdin",
            stdin=GOOD_PW)
    assert r.returncode == 0, r.stderr
    # A lawyer may serve many tenants.
    r = ctl(scratch_db, "user", "grant", "--email", "lawyer@example.org",
            "--tenant", "delta", "--recovery-key-file", str(keys["delta"]))
    assert r.returncode == 0, r.stderr
    # The wrong recovery key opens nothing.
    r = ctl(scratch_db, "user", "add", "--email", "contact@gamma.example",
            "--role", "tenant-user", "--password-stdin", stdin=GOOD_PW)
    assert r.returncode == 0, r.stderr
    r = ctl(scratch_db, "user", "grant", "--email", "contact@gamma.example",
            "--tenant", "gamma", "--recovery-key-file", str(keys["delta"]))
    assert r.returncode == 1 and "does not open" in r.stderr
    # A mistyped key is caught by its checksum.
    typo = tmp_path / "typo.key"
    text = keys["gamma"].read_text()
    pos = 20
    typo.write_text(text[:pos] + ("A" if text[pos] != "A" else "B") + text[pos + 1:])
    typo.chmod(0o600)
    r = ctl(scratch_db, "user", "grant", "--email", "contact@gamma.example",
            "--tenant", "gamma", "--recovery-key-file", str(typo))
    assert r.returncode == 1 and "recovery key" in r.stderr
    # A key file others may read is refused.
    keys["gamma"].chmod(0o644)
    r = ctl(scratch_db, "user", "grant", "--email", "contact@gamma.example",
            "--tenant", "gamma", "--recovery-key-file", str(keys["gamma"]))
    assert r.returncode == 1
    keys["gamma"].chmod(0o600)
    r = ctl(scratch_db, "user", "grant", "--email", "contact@gamma.example",
            "--tenant", "gamma", "--recovery-key-file", str(keys["gamma"]))
    assert r.returncode == 0, r.stderr
    # A tenant-user belongs to one tenant.
    r = ctl(scratch_db, "user", "grant", "--email", "contact@gamma.example",
            "--tenant", "delta", "--recovery-key-file", str(keys["delta"]))
    assert r.returncode == 1 and "one tenant" in r.stderr

    r = ctl(scratch_db, "user", "list")
    assert re.search(r"(?m)^lawyer@example\.org\s+lawyer\s+\+4520304050\s+sms\s+active\s+delta,gamma$", r.stdout), r.stdout
    assert re.search(r"(?m)^contact@gamma\.example\s+tenant-user\s+-\s+sms\s+active\s+gamma$", r.stdout)

    r = ctl(scratch_db, "user", "disable", "--email", "contact@gamma.example")
    assert r.returncode == 0
    assert re.search(r"(?m)^contact@gamma\.example\s+\S+\s+\S+\s+\S+\s+disabled",
                     ctl(scratch_db, "user", "list").stdout)
    r = ctl(scratch_db, "user", "disable", "--email", "nobody@example.org")
    assert r.returncode == 1 and "no user" in r.stderr

    # Every change is in the audit log, and the chain holds.
    with scratch_db.connect() as c, c.cursor() as cur:
        cur.execute("SELECT action FROM audit_log ORDER BY id")
        actions = [a for (a,) in cur.fetchall()]
    for want in ("tenant.add", "user.add", "user.grant", "user.disable"):
        assert want in actions
    r = ctl(scratch_db, "audit", "verify")
    assert r.returncode == 0 and "chain intact" in r.stdout


def test_files_in_the_database(scratch_db):
    """test/unit/test_filestore.c against the migrated scratch database:
    stored in chunks, read back the same, refused when tampered with."""
    r = subprocess.run([str(BUILD / "test" / "unit" / "test_filestore")],
                       env=scratch_db.env(), capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert "0 failed" in r.stderr
