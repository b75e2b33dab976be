"""The schema's walls, tried from inside the database: each service role
is refused what it must not do, row-level security keeps tenants apart
even for hand-written queries, and the audit log's hash chain names the
row someone edited or deleted.  Runs in a scratch database migrated with
ombudctl, so it cannot disturb the stack's own."""

import os
import re
import subprocess

import psycopg2
import pytest
from psycopg2 import errors, sql

from conftest import BUILD

ROLES = ("ombud_intake", "ombud_auth", "ombud_cases", "ombud_scrub",
         "ombud_outbox", "ombud_retention")
K32 = b"\x01" * 32
SEALED = b"\x02" * 97   # lengths of lib/crypto.h, version 1
WRAPPED = b"\x03" * 73


@pytest.fixture(scope="module")
def scratch(scratch_db):
    return scratch_db


def ombudctl(config, *args):
    return subprocess.run([str(BUILD / "services" / "ombudctl" / "ombudctl"),
                           "--config", str(config), *args],
                          capture_output=True, text=True, timeout=120)


def as_role(conn, role, session=None, reporter=None):
    cur = conn.cursor()
    cur.execute("RESET ROLE")
    cur.execute("SELECT set_config('ombud.session', %s, false)",
                (session or "",))
    cur.execute("SELECT set_config('ombud.reporter', %s, false)",
                (reporter or "",))
    cur.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(role)))
    return cur


def refused(cur, query, args=None):
    try:
        cur.execute(query, args)
    except (errors.InsufficientPrivilege, errors.CheckViolation) as e:
        return True
    return False


@pytest.fixture(scope="module")
def world(scratch):
    """Two tenants, a member of each, live sessions, a case and items in
    each.  Keys are placeholders: these tests are about the database."""
    conn = scratch.connect()
    cur = conn.cursor()
    ids = {}
    for t in ("a", "b"):
        cur.execute("""INSERT INTO tenants (slug, name, public_key,
                         recovery_public_key, recovery_sealed)
                       VALUES (%s, %s, %s, %s, %s) RETURNING id""",
                    (f"tenant-{t}", f"Tenant {t.upper()}", K32, K32, SEALED))
        tid = cur.fetchone()[0]
        cur.execute("""INSERT INTO users (email, role, pw_salt, pw_opslimit,
                         pw_memlimit, pw_verifier, public_key, sk_wrapped)
                       VALUES (%s, 'tenant-user', %s, 3, 67108864, %s, %s, %s)
                       RETURNING id""",
                    (f"user-{t}@example.org", b"s" * 16, K32, K32, WRAPPED))
        uid = cur.fetchone()[0]
        cur.execute("INSERT INTO memberships VALUES (%s, %s, %s)",
                    (tid, uid, SEALED))
        token_hash = bytes([ord(t)]) * 32
        cur.execute("""INSERT INTO sessions (user_id, token_hash, mfa_done,
                         expires_at) VALUES (%s, %s, true,
                         now() + interval '1 hour')""", (uid, token_hash))
        cur.execute("""INSERT INTO cases (tenant_id, number, category,
                         public_key, sk_sealed_tenant, receipt_lookup,
                         receipt_salt, receipt_opslimit, receipt_memlimit,
                         sk_wrapped_receipt)
                       VALUES (%s, '2026-1', 'fraud', %s, %s, %s, %s, 3,
                         67108864, %s) RETURNING id""",
                    (tid, K32, SEALED, bytes([ord(t)]) * 32, b"r" * 16,
                     WRAPPED))
        cid = cur.fetchone()[0]
        cur.execute("""INSERT INTO items (tenant_id, case_id, kind, side,
                         key_sealed, ciphertext)
                       VALUES (%s, %s, 'report', 'reporter', %s, %s)""",
                    (tid, cid, SEALED, b"c"))
        ids[t] = dict(tenant=tid, user=uid, case=cid,
                      session=token_hash.hex())
    cur.execute("""INSERT INTO sessions (user_id, token_hash, mfa_done,
                     expires_at) VALUES (%s, %s, true,
                     now() - interval '1 minute')""",
                (ids["a"]["user"], b"e" * 32))
    ids["expired"] = (b"e" * 32).hex()
    cur.execute("""INSERT INTO sessions (user_id, token_hash, mfa_done,
                     expires_at) VALUES (%s, %s, false,
                     now() + interval '1 hour')""",
                (ids["a"]["user"], b"h" * 32))
    ids["half"] = (b"h" * 32).hex()
    yield conn, ids
    conn.close()


# ---- role walls ----

@pytest.mark.parametrize("role", ROLES)
def test_no_role_can_change_or_read_the_audit_log(world, role):
    conn, ids = world
    cur = as_role(conn, role)
    cur.execute("INSERT INTO audit_log (action, detail) VALUES (%s, %s)",
                (f"test.{role}", "inserted by the role"))
    assert refused(cur, "UPDATE audit_log SET detail = 'forged'")
    assert refused(cur, "DELETE FROM audit_log")
    assert refused(cur, "TRUNCATE audit_log")
    assert refused(cur, "SELECT * FROM audit_log")
    # Forged chain fields are ignored: the trigger computes them.
    cur.execute("INSERT INTO audit_log (action) VALUES ('test.forge')")
    assert refused(cur, "INSERT INTO audit_log (action, hash) VALUES ('x', %s)",
                   (K32,))


@pytest.mark.parametrize("role,query", [
    ("ombud_intake", "SELECT * FROM items"),
    ("ombud_intake", "SELECT * FROM cases"),
    ("ombud_intake", "SELECT email FROM users"),
    ("ombud_intake", "SELECT recovery_sealed FROM tenants"),
    ("ombud_intake", "SELECT * FROM files"),
    ("ombud_intake", "UPDATE cases SET status = 'closed'"),
    ("ombud_scrub", "SELECT * FROM users"),
    ("ombud_scrub", "SELECT pw_verifier FROM users"),
    ("ombud_scrub", "SELECT phone FROM users"),
    ("ombud_scrub", "SELECT * FROM items"),
    ("ombud_scrub", "SELECT * FROM file_chunks"),
    ("ombud_scrub", "SELECT sk_wrapped_receipt FROM cases"),
    ("ombud_scrub", "DELETE FROM files"),
    ("ombud_outbox", "SELECT * FROM users"),
    ("ombud_outbox", "SELECT * FROM cases"),
    ("ombud_outbox", "SELECT * FROM items"),
    ("ombud_auth", "SELECT * FROM items"),
    ("ombud_auth", "SELECT * FROM cases"),
    ("ombud_auth", "SELECT tenant_sk_sealed FROM memberships"),
    ("ombud_auth", "UPDATE users SET role = 'admin'"),
    ("ombud_auth", "UPDATE users SET disabled = false"),
    ("ombud_cases", "SELECT pw_verifier FROM users"),
    ("ombud_cases", "SELECT sk_wrapped FROM users"),
    ("ombud_cases", "SELECT receipt_lookup FROM cases"),
    ("ombud_cases", "SELECT sk_wrapped_receipt FROM cases"),
    ("ombud_cases", "DELETE FROM items"),
    ("ombud_cases", "UPDATE items SET ciphertext = 'x'"),
    ("ombud_cases", "INSERT INTO memberships VALUES (1, 1, 'x')"),
    ("ombud_intake", "SELECT nextval('users_id_seq')"),
    ("ombud_scrub", "SELECT nextval('items_id_seq')"),
    ("ombud_cases", "SELECT * FROM otp_challenges"),
])
def test_each_role_is_refused_what_it_must_not_do(world, role, query):
    conn, _ = world
    assert refused(as_role(conn, role), query), f"{role} may: {query}"


def test_intake_reaches_only_the_reporter_sessions_case(world):
    conn, ids = world
    a, b = ids["a"], ids["b"]
    token = b"r" * 32
    setup = conn.cursor()
    setup.execute("RESET ROLE")
    setup.execute("""INSERT INTO reporter_sessions (tenant_id, case_id,
                       token_hash, case_sk_wrapped, expires_at)
                     VALUES (%s, %s, %s, %s, now() + interval '1 hour')""",
                  (a["tenant"], a["case"], token, WRAPPED))
    message = """INSERT INTO items (tenant_id, case_id, kind, side,
                   key_sealed, ciphertext)
                 VALUES (%s, %s, 'message', 'reporter', %s, 'c')"""
    # Without a session: reads nothing, writes no message.
    cur = as_role(conn, "ombud_intake")
    cur.execute("SELECT count(*) FROM items")
    assert cur.fetchone()[0] == 0
    cur.execute("SELECT count(*) FROM cases")
    assert cur.fetchone()[0] == 0
    assert refused(cur, message, (a["tenant"], a["case"], SEALED))
    # With one: that case only, and only reporter messages.
    cur = as_role(conn, "ombud_intake", reporter=token.hex())
    cur.execute("SELECT DISTINCT tenant_id, case_id FROM items")
    assert cur.fetchall() == [(a["tenant"], a["case"])]
    cur.execute(message, (a["tenant"], a["case"], SEALED))
    assert refused(cur, message, (b["tenant"], b["case"], SEALED))
    assert refused(cur, """INSERT INTO items (tenant_id, case_id, kind, side,
                             author_id, key_sealed, ciphertext)
                           VALUES (%s, %s, 'note', 'handler', %s, %s, 'c')""",
                   (a["tenant"], a["case"], a["user"], SEALED))
    assert refused(cur, "SELECT receipt_lookup FROM cases")
    # An expired session is no session.
    setup = conn.cursor()
    setup.execute("RESET ROLE")
    setup.execute("UPDATE reporter_sessions SET expires_at = now() - "
                  "interval '1 second' WHERE token_hash = %s", (token,))
    cur = as_role(conn, "ombud_intake", reporter=token.hex())
    cur.execute("SELECT count(*) FROM items")
    assert cur.fetchone()[0] == 0


def test_only_an_admin_session_reads_the_audit_log(world):
    conn, ids = world
    setup = conn.cursor()
    setup.execute("RESET ROLE")
    setup.execute("""INSERT INTO users (email, role, pw_salt, pw_opslimit,
                       pw_memlimit, pw_verifier, public_key, sk_wrapped)
                     VALUES ('admin@example.org', 'admin', %s, 3, 67108864,
                       %s, %s, %s) RETURNING id""",
                  (b"s" * 16, K32, K32, WRAPPED))
    admin = setup.fetchone()[0]
    setup.execute("""INSERT INTO sessions (user_id, token_hash, mfa_done,
                       expires_at) VALUES (%s, %s, true,
                       now() + interval '1 hour')""", (admin, b"A" * 32))
    query = "SELECT count(*) FROM ombud_audit_rows(NULL, NULL, NULL, 10, NULL)"
    for session in (ids["a"]["session"], ids["half"], ""):
        assert refused(as_role(conn, "ombud_cases", session), query), session
    cur = as_role(conn, "ombud_cases", (b"A" * 32).hex())
    cur.execute(query)
    assert cur.fetchone()[0] > 0
    assert refused(cur, "SELECT * FROM audit_log")
    for role in ("ombud_intake", "ombud_auth", "ombud_scrub"):
        assert refused(as_role(conn, role, (b"A" * 32).hex()), query)


# ---- tenants apart ----

def visible(cur, table):
    cur.execute(f"SELECT DISTINCT tenant_id FROM {table}")  # noqa: S608 (fixed names)
    return {r[0] for r in cur.fetchall()}


def test_handler_sees_only_own_tenant_even_by_hand(world):
    conn, ids = world
    a, b = ids["a"], ids["b"]
    cur = as_role(conn, "ombud_cases", a["session"])
    for table in ("cases", "items", "memberships"):
        assert visible(cur, table) == {a["tenant"]}, table
    cur.execute("SELECT count(*) FROM items WHERE tenant_id = %s",
                (b["tenant"],))
    assert cur.fetchone()[0] == 0
    cur.execute("UPDATE cases SET category = 'stolen' WHERE tenant_id = %s",
                (b["tenant"],))
    assert cur.rowcount == 0
    cur.execute("SELECT tenant_sk_sealed FROM memberships")
    assert len(cur.fetchall()) == 1

    cur = as_role(conn, "ombud_cases", b["session"])
    assert visible(cur, "cases") == {b["tenant"]}


@pytest.mark.parametrize("session", ["", "expired", "half", "ff" * 32, "zz"])
def test_without_a_live_signed_in_session_nothing_is_visible(world, session):
    conn, ids = world
    token = ids.get(session, session)
    cur = as_role(conn, "ombud_cases", token)
    try:
        for table in ("cases", "items", "memberships", "files"):
            assert visible(cur, table) == set(), (session, table)
    except psycopg2.Error:
        # A malformed hex value is an error, which also shows nothing.
        assert session == "zz"


def test_disabled_user_sees_nothing(world, scratch):
    conn, ids = world
    cur = conn.cursor()
    cur.execute("RESET ROLE")
    cur.execute("UPDATE users SET disabled = true WHERE id = %s",
                (ids["b"]["user"],))
    try:
        cur = as_role(conn, "ombud_cases", ids["b"]["session"])
        assert visible(cur, "cases") == set()
    finally:
        cur.execute("RESET ROLE")
        cur.execute("UPDATE users SET disabled = false WHERE id = %s",
                    (ids["b"]["user"],))


# ---- the audit chain ----

def test_audit_verify_names_an_edited_or_deleted_row(world, scratch):
    conn, _ = world
    cur = as_role(conn, "ombud_cases")
    for i in range(5):
        cur.execute("INSERT INTO audit_log (action, detail) VALUES "
                    "('case.view', %s)", (f"row {i}",))
    cur.execute("RESET ROLE")
    r = ombudctl(scratch.config, "audit", "verify")
    assert r.returncode == 0, r.stderr
    assert "chain intact" in r.stdout
    cur.execute("SELECT id FROM audit_log ORDER BY id")
    rows = [x[0] for x in cur.fetchall()]
    assert len(rows) >= 5

    # Edit one row (as the superuser: no service role can).
    victim = rows[2]
    cur.execute("UPDATE audit_log SET detail = 'forged' WHERE id = %s", (victim,))
    r = ombudctl(scratch.config, "audit", "verify")
    assert r.returncode == 1
    assert f"row {victim}" in r.stderr

    # Recomputing that row's hash does not help: the next link breaks.
    cur.execute("""UPDATE audit_log SET hash = ombud_audit_hash_v1(prev_hash,
                     id, at, actor_id, tenant_id, case_id, action, detail)
                   WHERE id = %s""", (victim,))
    r = ombudctl(scratch.config, "audit", "verify")
    assert r.returncode == 1 and f"row {rows[3]}" in r.stderr

    # A deleted row: the one after it is named.
    cur.execute("TRUNCATE audit_log")
    cur = as_role(conn, "ombud_auth")
    for i in range(4):
        cur.execute("INSERT INTO audit_log (action) VALUES ('auth.login')")
    cur.execute("RESET ROLE")
    cur.execute("SELECT id FROM audit_log ORDER BY id")
    rows = [x[0] for x in cur.fetchall()]
    assert ombudctl(scratch.config, "audit", "verify").returncode == 0
    cur.execute("DELETE FROM audit_log WHERE id = %s", (rows[1],))
    r = ombudctl(scratch.config, "audit", "verify")
    assert r.returncode == 1 and f"row {rows[2]}" in r.stderr


def test_deadlines_follow_the_directive(world):
    conn, ids = world
    cur = conn.cursor()
    cur.execute("RESET ROLE")
    cur.execute("""SELECT opened_on, ack_due, feedback_due FROM cases
                   WHERE id = %s""", (ids["a"]["case"],))
    opened, ack, feedback = cur.fetchone()
    assert (ack - opened).days == 7
    cur.execute("""SELECT (%s::date + interval '3 months')::date""", (ack,))
    assert feedback == cur.fetchone()[0]
    cur.execute("""UPDATE cases SET acknowledged_on = opened_on + 2
                   WHERE id = %s RETURNING feedback_due,
                   (opened_on + 2 + interval '3 months')::date""",
                (ids["a"]["case"],))
    got, want = cur.fetchone()
    assert got == want


def test_the_owner_is_no_superuser(scratch):
    c = scratch.connect()
    with c.cursor() as cur:
        cur.execute("""SELECT rolsuper, rolcreaterole, rolcreatedb,
                              rolbypassrls FROM pg_roles
                       WHERE rolname = 'ombud_owner'""")
        assert cur.fetchone() == (False, False, False, False)
        cur.execute("""SELECT DISTINCT tableowner FROM pg_tables
                       WHERE schemaname = 'public'""")
        assert {r[0] for r in cur.fetchall()} == {"ombud_owner"}
        for role in ROLES:
            cur.execute("""SELECT rolsuper OR rolcreaterole OR rolbypassrls
                           FROM pg_roles WHERE rolname = %s""", (role,))
            assert cur.fetchone()[0] is False
    c.close()
