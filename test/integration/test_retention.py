"""Retention through the real stack (issue 8 §1): reports filed through
intake, handled through the cases pool (replies, notes, a reporter's
message and picture), closed, and their dates then moved back in the
database.  `ombudctl retention run` must purge exactly the cases closed
longer ago than their tenant's retention - their ciphertext, keys,
receipt and number gone from the database and from a new pg_dump,
unreadable by handler and reporter - and keep the rest readable; the
statistics must not change; a dry run must change nothing; the handlers
get one content-free warning a week before; spent sessions, sign-in
challenges and mail go; each run leaves an audit row with its counts
and the chain stays intact; and the role it runs as can do no more."""

import csv
import io
import re
import subprocess

import psycopg2
import pytest

from conftest import BUILD
from test_cases import add_handler, ctl, file_report, post, reporter, sign_in, token
from test_uploads import png, upload

ONE, TWO = "keep-sixty", "keep-thirty"
ONE_NAME = "Keep-Sixty ApS"
WARN_SUBJECT = f"Ombud: closed cases in {ONE_NAME} will be deleted"

# name: (tenant, days ago opened, acknowledged, feedback, closed or None)
CASES = {
    "old": (ONE, 90, 88, 80, 61),       # purged: 61 > 60
    "old2": (ONE, 70, 69, 65, 61),      # purged
    "recent": (ONE, 80, 79, 70, 59),    # kept, purged in 2 days: warned
    "later": (ONE, 75, 74, 60, 50),     # kept, purged in 11 days: not yet
    "open": (ONE, 90, 88, None, None),  # open cases never expire
    "short": (TWO, 60, 58, 50, 45),     # purged: its tenant keeps 30 days
}
PURGED = ("old", "old2", "short")
KEPT = ("recent", "later", "open")


def retention(stack, *args):
    return ctl(stack, "retention", *args)


def sql(stack, query, *args):
    with stack.db() as c, c.cursor() as cur:
        cur.execute(query, args)
        return cur.fetchall() if cur.description else cur.rowcount


def dump(stack, *extra):
    r = subprocess.run(
        ["pg_dump", "-h", stack.info["PGHOST"], "-p", stack.info["PGPORT"],
         "-U", stack.info["PGUSER"], "-d", "ombud", *extra],
        capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr
    # pg_dump guards its output with a random \restrict key per run.
    return re.sub(rb"(?m)^\\(un)?restrict \S+$", b"", r.stdout)


def last_run(stack):
    """The newest retention.run audit row's counts."""
    rows = sql(stack, "SELECT actor_id, tenant_id, case_id, detail "
               "FROM audit_log WHERE action = 'retention.run' "
               "ORDER BY id DESC LIMIT 1")
    assert rows, "no retention.run audit row"
    actor, tenant, case, detail = rows[0]
    assert actor is None and tenant is None and case is None
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", detail)}


def stats_csv(stack, s, slug, period):
    r = s.get(stack.url + f"/cases/stats.csv?tenant={slug}&{period}")
    assert r.status_code == 200, r.text[:300]
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"),
                                       newline="")))
    return {(sec, key): value for sec, key, _, value in rows[1:]}


def follow_up(stack, slug, receipt):
    s = stack.session()
    r = s.post(stack.url + f"/t/{slug}/followup", allow_redirects=False,
               data={"receipt": receipt,
                     "csrf": token(stack, s, f"/t/{slug}/followup")})
    return s, r


@pytest.fixture(scope="module")
def world(stack):
    keys = {}
    for slug, days in ((ONE, None), (TWO, "30")):
        keys[slug] = stack.var / f"{slug}.key"
        args = ["tenant", "add", slug, "--name", slug.title() + " ApS",
                "--recovery-key-file", str(keys[slug])]
        if days:
            args += ["--retention-days", days]
        r = ctl(stack, *args)
        assert r.returncode == 0, r.stderr
    people = {}
    for n, (name, role, tenants) in enumerate((
            ("handler-one", "tenant-user", [ONE]),
            ("handler-two", "tenant-user", [TWO]),
            ("lawyer", "lawyer", [ONE, TWO]),
            ("gone", "tenant-user", [ONE]))):
        email, phone = f"{name}@retention.example", f"+4570{n:06d}"
        add_handler(stack, email, phone, role, tenants, keys)
        people[name] = (email, phone)
    # A disabled member is not warned.
    r = ctl(stack, "user", "disable", "--email", people["gone"][0])
    assert r.returncode == 0, r.stderr
    s = {slug: sign_in(stack, *people[who]) for slug, who in
         ((ONE, "handler-one"), (TWO, "handler-two"))}
    lawyer = sign_in(stack, *people["lawyer"])

    # Whatever earlier tests left to purge goes now, so that the counts
    # below are this module's.
    r = retention(stack, "run")
    assert r.returncode == 0, r.stderr

    cases = {}
    for name, (slug, opened, acked, feedback, closed) in CASES.items():
        canary = f"canary-retention-{name}-Zq8"
        receipt, case_id, number = file_report(stack, slug, canary)
        cases[name] = {"slug": slug, "receipt": receipt, "id": case_id,
                       "number": number, "canary": canary}
        h, path = s[slug], f"/cases/{case_id}"
        assert post(stack, h, path + "/acknowledge", path).status_code == 303
        if name == "old":
            # Everything a case can hold: a reply, a note, a reporter's
            # message and picture.
            r = post(stack, h, path + "/reply", path,
                     body="canary-retention-reply")
            assert r.status_code == 303
            r = post(stack, h, path + "/notes", path,
                     body="canary-retention-note")
            assert r.status_code == 303
            rs = reporter(stack, slug, receipt)
            r = rs.post(stack.url + f"/t/{slug}/case/messages",
                        allow_redirects=False,
                        data={"body": "canary-retention-message",
                              "csrf": token(stack, rs, f"/t/{slug}/case")})
            assert r.status_code == 303
            r = upload(stack, rs, f"/t/{slug}/case/files", f"/t/{slug}/case",
                       [("evidence.png", png([("Comment", "x")]),
                         "image/png")])
            assert r.status_code == 200, r.text
            cases[name]["reporter"] = rs
        if closed is not None:
            r = post(stack, h, path + "/status", path, status="closed",
                     outcome="action-taken" if name != "old2"
                     else "unfounded")
            assert r.status_code == 303
        n = sql(stack, "UPDATE cases SET opened_on = current_date - %s, "
                "acknowledged_on = current_date - %s, feedback_on = "
                "current_date - %s::int, closed_on = current_date - %s::int "
                "WHERE id = %s", opened, acked, feedback, closed, case_id)
        assert n == 1
    # In real life the notices of these reporters' actions left long ago
    # (a message to the old case names its number): as sent, they go.
    sql(stack, "UPDATE outbox SET sent_at = now() - interval '1 day' "
        "WHERE sent_at IS NULL AND tenant_id IN (SELECT id FROM tenants "
        "WHERE slug IN (%s, %s))", ONE, TWO)
    old = cases["old"]["id"]
    assert sql(stack, "SELECT count(*) FROM files WHERE case_id = %s",
               old)[0][0] == 1
    assert sql(stack, "SELECT count(*) FROM items WHERE case_id = %s",
               old)[0][0] == 4

    # Spent rows the housekeeping must delete, next to live ones it
    # must keep.
    uid = sql(stack, "SELECT id FROM users WHERE email = %s",
              people["handler-one"][0])[0][0]
    spent = {}
    spent["session"] = sql(
        stack, "INSERT INTO sessions (user_id, token_hash, expires_at) "
        "VALUES (%s, sha256('retention-expired'::bytea), now() - "
        "interval '1 hour') RETURNING id", uid)[0][0]
    live = sql(stack, "INSERT INTO sessions (user_id, token_hash, "
               "expires_at) VALUES (%s, sha256('retention-live'::bytea), "
               "now() + interval '1 hour') RETURNING id", uid)[0][0]
    spent["live_session"] = live
    spent["otp"] = sql(
        stack, "INSERT INTO otp_challenges (session_id, code_hash, "
        "expires_at) VALUES (%s, sha256('x'::bytea), now() - interval "
        "'1 minute') RETURNING id", live)[0][0]
    sql(stack, "INSERT INTO reporter_sessions (tenant_id, case_id, "
        "token_hash, case_sk_wrapped, expires_at) SELECT tenant_id, id, "
        "sha256('retention-reporter'::bytea), decode(repeat('00', 73), "
        "'hex'), now() - interval '1 hour' FROM cases WHERE id = %s",
        cases["open"]["id"])
    for what, cols in (("sent", "now() - interval '1 minute', now() + "
                        "interval '1 day', now()"),
                       ("expired", "NULL, now() - interval '1 minute', now()"),
                       ("pending", "NULL, now() + interval '2 days', now() "
                        "+ interval '1 day'")):
        spent["outbox_" + what] = sql(
            stack, "INSERT INTO outbox (channel, recipient, subject, body, "
            "sent_at, expires_at, next_attempt_at) VALUES ('mail', "
            "'retention@example.invalid', %s, 'test', " + cols + ") "
            "RETURNING id", "retention " + what)[0][0]

    with stack.db() as c, c.cursor() as cur:
        cur.execute("SELECT to_char(date_trunc('month', current_date - 90), "
                    "'YYYY-MM-DD'), to_char(current_date, 'YYYY-MM-DD')")
        period = "from=%s&to=%s" % cur.fetchone()
    return {"people": people, "handlers": s, "lawyer": lawyer,
            "cases": cases, "spent": spent, "period": period}


def secrets_of(stack, case_ids):
    """Every piece of the cases that must go, as it appears in a dump:
    case numbers, and the hex of keys, receipt hash and ciphertexts."""
    ids = list(case_ids)
    rows = sql(stack, "SELECT number, encode(public_key, 'hex'), "
               "encode(sk_sealed_tenant, 'hex'), encode(receipt_lookup, "
               "'hex'), encode(sk_wrapped_receipt, 'hex') FROM cases "
               "WHERE id = ANY(%s)", ids)
    rows += sql(stack, "SELECT encode(key_sealed, 'hex'), encode(ciphertext, "
                "'hex') FROM items WHERE case_id = ANY(%s)", ids)
    rows += sql(stack, "SELECT encode(key_sealed, 'hex'), "
                "encode(meta_ciphertext, 'hex') FROM files "
                "WHERE case_id = ANY(%s)", ids)
    rows += sql(stack, "SELECT encode(substr(k.data, 1, 64), 'hex') FROM "
                "file_chunks k JOIN files f ON f.tenant_id = k.tenant_id "
                "AND f.id = k.file_id WHERE f.case_id = ANY(%s)", ids)
    return [v.encode() for row in rows for v in row]


def test_dry_run_changes_nothing(stack, world):
    cases = world["cases"]
    # Mail the outbox daemon sends meanwhile would change the outbox;
    # what retention would delete there is compared below instead.
    skip = ["--exclude-table-data=outbox", "--exclude-table-data=digest_days"]
    before = dump(stack, *skip)
    outbox = sql(stack, "SELECT id FROM outbox WHERE sent_at IS NOT NULL "
                 "OR expires_at <= now() ORDER BY id")
    r = retention(stack, "run", "--dry-run")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    for name in PURGED:
        c = cases[name]
        assert re.search(rf"^would purge {c['slug']} case {c['number']}, ",
                         out, re.M), (name, out)
    for name in KEPT:
        assert cases[name]["number"] not in out, name
    assert "would purge 3 cases (6 items, 1 files" in out, out
    assert "would warn about 1 cases to be purged within 7 days (2 mails)" \
        in out, out
    assert "dry run, nothing was changed" in out
    m = re.search(r"would delete (\d+) expired sessions, (\d+) expired "
                  r"reporter sessions, (\d+) expired sign-in challenges, "
                  r"(\d+) sent or expired mails", out)
    assert m and all(int(n) >= 1 for n in m.groups()), out
    assert dump(stack, *skip) == before
    assert set(outbox) <= set(sql(stack, "SELECT id FROM outbox"))
    assert not sql(stack, "SELECT 1 FROM outbox WHERE subject = %s",
                   WARN_SUBJECT)


@pytest.fixture(scope="module")
def purged(stack, world):
    """Runs retention once, keeping what the tests compare with."""
    cases = world["cases"]
    period = world["period"]
    ids = [cases[n]["id"] for n in PURGED]
    before = {
        "secrets": secrets_of(stack, ids),
        "stats": {ONE: stats_csv(stack, world["handlers"][ONE], ONE, period),
                  TWO: stats_csv(stack, world["lawyer"], TWO, period)},
        "events": sql(stack, "SELECT count(*) FROM case_events WHERE "
                      "case_id = ANY(%s)", ids)[0][0],
        "chunks": sql(stack, "SELECT count(*) FROM file_chunks k JOIN files "
                      "f ON f.tenant_id = k.tenant_id AND f.id = k.file_id "
                      "WHERE f.case_id = ANY(%s)", ids)[0][0],
        "stubs": sql(stack, "SELECT count(*) FROM case_stubs")[0][0],
    }
    # The purged case is readable to its handler until the run.
    h = world["handlers"][ONE]
    r = h.get(stack.url + f"/cases/{cases['old']['id']}")
    assert r.status_code == 200 and cases["old"]["canary"] in r.text
    assert before["secrets"] and before["events"] > 0
    assert before["chunks"] > 0
    r = retention(stack, "run")
    assert r.returncode == 0, r.stderr
    return {"out": r.stdout, "counts": last_run(stack), **before}


def test_expired_cases_are_purged(stack, world, purged):
    cases = world["cases"]
    for name in PURGED:
        c = cases[name]
        assert re.search(rf"^purged {c['slug']} case {c['number']}, closed ",
                         purged["out"], re.M), purged["out"]
        # Nobody can read it any more: not the handlers, not the reporter.
        for s in (world["handlers"][c["slug"]], world["lawyer"]):
            r = s.get(stack.url + f"/cases/{c['id']}")
            assert r.status_code == 404 and c["canary"] not in r.text
        _, r = follow_up(stack, c["slug"], c["receipt"])
        assert r.status_code == 401 and c["canary"] not in r.text
        for table, col in (("cases", "id"), ("items", "case_id"),
                           ("files", "case_id"), ("case_events", "case_id"),
                           ("reporter_sessions", "case_id")):
            assert sql(stack, f"SELECT count(*) FROM {table} WHERE "
                       f"{col} = %s", c["id"])[0][0] == 0, (name, table)
    # The reporter's session on the purged case went with it.
    rs = cases["old"]["reporter"]
    r = rs.get(stack.url + f"/t/{ONE}/case", allow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == f"/t/{ONE}/followup"
    # A new dump holds none of it: keys, receipt hash, ciphertexts,
    # numbers, and (never stored in clear) the canaries.
    data = dump(stack)
    needles = purged["secrets"] + [cases[n]["canary"].encode()
                                   for n in PURGED]
    for needle in needles:
        assert needle not in data, needle[:40]


def test_the_others_stay_readable(stack, world, purged):
    cases = world["cases"]
    for name in KEPT:
        c = cases[name]
        assert c["number"] not in purged["out"]
        r = world["handlers"][c["slug"]].get(stack.url + f"/cases/{c['id']}")
        assert r.status_code == 200 and c["canary"] in r.text, name
        s, r = follow_up(stack, c["slug"], c["receipt"])
        assert r.status_code == 303, name
        r = s.get(stack.url + f"/t/{c['slug']}/case")
        assert r.status_code == 200 and c["canary"] in r.text, name


def test_statistics_still_count_the_purged_cases(stack, world, purged):
    period = world["period"]
    one = stats_csv(stack, world["handlers"][ONE], ONE, period)
    two = stats_csv(stack, world["lawyer"], TWO, period)
    assert one == purged["stats"][ONE]
    assert two == purged["stats"][TWO]
    # ... and they are the numbers of every case, the purged ones too.
    assert one[("summary", "opened")] == "5"
    assert one[("status", "closed")] == "4"
    assert one[("summary", "acknowledged")] == "5"
    assert two[("summary", "opened")] == "1"
    assert two[("status", "closed")] == "1"
    stubs = sql(stack, "SELECT t.slug, s.category, s.opened_month, "
                "s.closed_month, s.outcome FROM case_stubs s JOIN tenants t "
                "ON t.id = s.tenant_id WHERE t.slug IN (%s, %s) "
                "ORDER BY t.slug, s.outcome", ONE, TWO)
    months = sql(stack, "SELECT date_trunc('month', current_date - 90)::date, "
                 "date_trunc('month', current_date - 70)::date, "
                 "date_trunc('month', current_date - 61)::date, "
                 "date_trunc('month', current_date - 60)::date, "
                 "date_trunc('month', current_date - 45)::date")[0]
    assert stubs == [
        (ONE, "fraud", months[0], months[2], "action-taken"),
        (ONE, "fraud", months[1], months[2], "unfounded"),
        (TWO, "fraud", months[3], months[4], "action-taken")]
    assert sql(stack, "SELECT count(*) FROM case_stubs")[0][0] == \
        purged["stubs"] + 3


def test_handlers_are_warned_once_without_content(stack, world, purged):
    cases = world["cases"]
    mails = sql(stack, "SELECT recipient, body, to_char(current_date + 2, "
                "'YYYY-MM-DD') FROM outbox WHERE subject = %s "
                "ORDER BY recipient", WARN_SUBJECT)
    people = world["people"]
    assert [m[0] for m in mails] == sorted(
        [people["handler-one"][0], people["lawyer"][0]])
    for _, body, day in mails:
        assert f"{cases['recent']['number']}: {day}" in body
        assert cases["later"]["number"] not in body
        assert cases["open"]["number"] not in body
        assert "canary" not in body and "fraud" not in body.lower()
        assert "/cases/" in body
    assert sql(stack, "SELECT purge_warned_on = current_date FROM cases "
               "WHERE id = %s", cases["recent"]["id"])[0][0] is True
    assert sql(stack, "SELECT purge_warned_on FROM cases WHERE id = %s",
               cases["later"]["id"])[0][0] is None
    # A second run warns nobody again and purges nothing more.
    r = retention(stack, "run")
    assert r.returncode == 0, r.stderr
    counts = last_run(stack)
    assert counts["cases"] == 0 and counts["warned"] == 0
    assert counts["mails"] == 0
    assert "warned about 0 cases" in r.stdout


def test_spent_sessions_challenges_and_mail_are_deleted(stack, world, purged):
    spent = world["spent"]
    assert not sql(stack, "SELECT 1 FROM sessions WHERE id = %s",
                   spent["session"])
    assert sql(stack, "SELECT 1 FROM sessions WHERE id = %s",
               spent["live_session"])
    assert not sql(stack, "SELECT 1 FROM otp_challenges WHERE id = %s",
                   spent["otp"])
    assert not sql(stack, "SELECT 1 FROM reporter_sessions WHERE "
                   "expires_at <= now()")
    assert not sql(stack, "SELECT 1 FROM outbox WHERE id IN (%s, %s)",
                   spent["outbox_sent"], spent["outbox_expired"])
    assert sql(stack, "SELECT 1 FROM outbox WHERE id = %s",
               spent["outbox_pending"])
    # The handlers' own sessions are live and still work.
    r = world["handlers"][ONE].get(stack.url + "/cases/")
    assert r.status_code == 200


def test_the_run_is_audited_and_the_chain_holds(stack, world, purged):
    cases = world["cases"]
    rows = sql(stack, "SELECT actor_id, case_id, detail FROM audit_log "
               "WHERE action = 'retention.purge' AND case_id = ANY(%s) "
               "ORDER BY case_id", [cases[n]["id"] for n in PURGED])
    assert [r[1] for r in rows] == sorted(cases[n]["id"] for n in PURGED)
    assert all(r[0] is None for r in rows)
    # The old case: a report, a reply, a note, a message; a picture.
    assert rows[0][2].startswith(
        f"items=4 files=1 chunks={purged['chunks']} events="), rows[0][2]
    assert sum(int(r[2].rsplit("events=", 1)[1]) for r in rows) == \
        purged["events"]
    counts = purged["counts"]
    assert counts["cases"] == 3 and counts["items"] == 6
    assert counts["files"] == 1 and counts["chunks"] == purged["chunks"]
    assert counts["events"] == purged["events"]
    assert counts["warned"] == 1 and counts["mails"] == 2
    for k in ("sessions", "reporter_sessions", "otp", "outbox"):
        assert counts[k] >= 1, k
    assert "retention: purged 3 cases (6 items, 1 files" in purged["out"]
    r = ctl(stack, "audit", "verify")
    assert r.returncode == 0, r.stderr
    assert "chain intact" in r.stdout


def test_the_role_can_do_nothing_else(stack, world, purged, tmp_path):
    cases = world["cases"]
    c = stack.db(user="ombud_retention")
    c.autocommit = True
    try:
        with c.cursor() as cur:
            # Closed cases only, and never an open one.
            cur.execute("SELECT count(*) FROM cases WHERE id = %s",
                        (cases["open"]["id"],))
            assert cur.fetchone()[0] == 0
            # Not expired: row-level security refuses the delete.
            cur.execute("DELETE FROM case_events WHERE case_id = %s",
                        (cases["recent"]["id"],))
            assert cur.rowcount == 0
            for table, col in (("items", "case_id"), ("files", "case_id")):
                cur.execute(f"DELETE FROM {table} WHERE {col} = ANY(%s)",
                            ([cases[n]["id"] for n in KEPT],))
                assert cur.rowcount == 0, table
        for query in ("SELECT ciphertext FROM items",
                      "SELECT receipt_lookup FROM cases",
                      "SELECT sk_sealed_tenant FROM cases",
                      "SELECT data FROM file_chunks",
                      "SELECT pw_verifier FROM users",
                      "SELECT * FROM audit_log",
                      "DELETE FROM audit_log",
                      "UPDATE cases SET status = 'closed'",
                      "DELETE FROM tenants",
                      "CREATE TABLE x (y int)"):
            with c.cursor() as cur:
                with pytest.raises(psycopg2.Error) as e:
                    cur.execute(query)
            assert e.value.pgcode in ("42501", "42P01"), query
    finally:
        c.close()
    for name in KEPT:
        assert sql(stack, "SELECT count(*) FROM cases WHERE id = %s",
                   cases[name]["id"])[0][0] == 1
    # The command connects as [retention] user: a role without these
    # rights fails, and says so.
    conf = tmp_path / "ombud.conf"
    conf.write_text(open(stack.info["OMBUD_CONFIG"]).read() +
                    "\n[retention]\nuser = ombud_outbox\n")
    r = subprocess.run([str(BUILD / "services" / "ombudctl" / "ombudctl"),
                        "--config", str(conf),
                        "retention", "run"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    assert "the role ombud_outbox lacks the rights of ombud_retention" \
        in r.stderr, r.stderr


@pytest.mark.parametrize("args", [(), ("purge",), ("run", "--force"),
                                  ("run", "now"), ("run", "--dry-run", "x")])
def test_usage(stack, args):
    r = retention(stack, *args)
    assert r.returncode == 2
    assert "usage: ombudctl retention run [--dry-run]" in r.stderr
