"""/healthz as an uptime monitor sees it (issue 8, monitoring): 200 while
the database answers with the migrations this build expects, nothing in
the outbox is overdue, and free disk and available memory are above the
[health] thresholds; 503 naming the failed check otherwise, and 200
again once the cause is gone.

Thresholds are set the way an operator sets them, in the configuration
a pool reads at start: those tests run a pool of their own beside the
shared stack.  What the database and the outbox do is changed on the
shared stack itself, and put back before each test ends."""

import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

import fcgi
from conftest import BUILD, POOLS, ROOT

INTAKE = BUILD / "services" / "intake" / "ombud-intake"
OMBUDCTL = BUILD / "services" / "ombudctl" / "ombudctl"
CHECKS = ("db", "migrations", "outbox", "disk", "memory")
ALL_OK = {"status": "ok", **{c: "ok" for c in CHECKS}}
CACHE_S = 1.1   # a pool child reuses its last probe for a second
NEWEST = sorted(p.name for p in (ROOT / "sql").glob("[0-9][0-9][0-9][0-9]_*.sql"))[-1]


def parse(status, body):
    text = body.decode() if isinstance(body, bytes) else body
    doc = json.loads(text)
    # Which check failed, never a number, version or path: free disk
    # polled every second would show when an upload was stored.
    assert not re.search(r"[0-9/]", text), text
    assert set(doc) == {"status", *CHECKS}, doc
    assert (status == 200) == (doc["status"] == "ok"), (status, doc)
    return status, doc


def via_nginx(stack):
    r = stack.get("/healthz")
    assert r.headers["content-type"].startswith("application/json")
    return parse(r.status_code, r.text)


def via_socket(sock):
    status, headers, body = fcgi.get(str(sock), "/healthz")
    assert headers["content-type"].startswith("application/json")
    return parse(status, body)


def wait_health(probe, want_status, timeout=20, **want):
    """Polls probe() until it answers want_status with the checks in
    want.  Each child answers from its last probe for up to a second:
    what comes back before that second is over may predate the change
    being waited for, so polling starts after it."""
    time.sleep(CACHE_S)
    deadline = time.time() + timeout
    got = None
    while time.time() < deadline:
        try:
            got = probe()
        except (OSError, ValueError) as e:      # pool restarting
            got = repr(e)
        else:
            status, doc = got
            if status == want_status and all(doc[k] == v
                                              for k, v in want.items()):
                return doc
        time.sleep(0.25)
    raise AssertionError(f"wanted {want_status} {want}, last got {got}")


def steady(probe, want_status, seconds=2.5):
    """probe() keeps answering want_status for a while (past the cache
    of every child)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        status, doc = probe()
        assert status == want_status, doc
        time.sleep(0.2)
    return doc


def everywhere(stack):
    """nginx and every pool's own socket."""
    yield lambda: via_nginx(stack)
    for pool in POOLS:
        yield lambda pool=pool: via_socket(stack.socket(pool))


# ---- a pool of the test's own, with its own [health] ----

class OwnPool:
    """ombud-intake with the stack's configuration changed by edit(),
    on a socket of its own; its output goes to log."""

    def __init__(self, stack, tmp_path, edit=lambda text: text,
                 name="health"):
        self.dir = tmp_path
        self.conf = tmp_path / f"{name}.conf"
        self.conf.write_text(edit(Path(stack.info["OMBUD_CONFIG"]).read_text()))
        self.sock = tmp_path / f"{name}.sock"
        self.log = tmp_path / f"{name}.log"
        assert len(str(self.sock)) < 100
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [str(INTAKE), "--config", str(self.conf), "--socket",
                 str(self.sock), "--processes", "1"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=out)
        deadline = time.time() + 15
        while not self.sock.exists():
            assert self.proc.poll() is None, self.log.read_text()
            assert time.time() < deadline, "the pool did not bind"
            time.sleep(0.05)

    def health(self):
        return via_socket(self.sock)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def set_health(**keys):
    """An edit() that sets [health] keys."""
    def edit(text):
        lines = "".join(f"{k} = {v}\n" for k, v in keys.items())
        text = re.sub(r"(?m)^(disk_free_min_mb|mem_available_min_mb|"
                      r"outbox_overdue_max_s) = .*\n", "", text)
        return text.replace("[health]\n", "[health]\n" + lines, 1)
    return edit


@pytest.fixture
def own_pools():
    pools = []
    yield pools
    for p in pools:
        p.stop()


def test_healthz_is_200_everywhere(stack):
    for probe in everywhere(stack):
        status, doc = probe()
        assert (status, doc) == (200, ALL_OK)


def test_thresholds_from_the_configuration(stack, tmp_path, own_pools):
    # Above anything this machine has: memory fails, and only memory.
    p = OwnPool(stack, tmp_path,
                set_health(mem_available_min_mb=4294967295))
    own_pools.append(p)
    doc = wait_health(p.health, 503, memory="fail")
    assert doc == {**ALL_OK, "status": "fail", "memory": "fail"}
    steady(p.health, 503)
    # The pool's log has what it saw; the response did not.
    log = p.log.read_text()
    assert re.search(r"level=warn .*health: memory fail \([0-9]+ MB "
                     r"available, minimum 4294967295 MB\)", log), log
    p.stop()

    p = OwnPool(stack, tmp_path, set_health(disk_free_min_mb=4294967295),
                name="health2")
    own_pools.append(p)
    doc = wait_health(p.health, 503, disk="fail")
    assert doc == {**ALL_OK, "status": "fail", "disk": "fail"}
    p.stop()

    # The operator lowers them again: 200.
    p = OwnPool(stack, tmp_path, set_health(disk_free_min_mb=1,
                                            mem_available_min_mb=1),
                name="health3")
    own_pools.append(p)
    assert wait_health(p.health, 200) == ALL_OK
    steady(p.health, 200)


def test_a_bad_threshold_stops_the_start(stack, tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text(set_health(outbox_overdue_max_s="soon")(
        Path(stack.info["OMBUD_CONFIG"]).read_text()))
    r = subprocess.run([str(INTAKE), "--config", str(conf), "--check"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0
    assert f"config {conf}: [health] outbox_overdue_max_s" in r.stderr


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("mount"),
                    reason="mounting a small tmpfs needs root")
def test_free_disk_crosses_the_threshold_and_comes_back(
        stack, tmp_path, own_pools):
    """The data directory on a 64 MiB file system of its own: filling
    it past the threshold turns /healthz 503, freeing it turns it 200,
    without a restart."""
    data = tmp_path / "data"
    data.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m,mode=0755",
                        "ombud-test-healthz", str(data)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    try:
        p = OwnPool(stack, tmp_path, lambda text: set_health(
            disk_free_min_mb=32)(re.sub(r"(?m)^data = .*$", f"data = {data}",
                                        text)))
        own_pools.append(p)
        assert wait_health(p.health, 200) == ALL_OK
        filler = data / "filler"
        with open(filler, "wb") as f:
            os.posix_fallocate(f.fileno(), 0, 48 * 1024 * 1024)
        doc = wait_health(p.health, 503, disk="fail")
        assert doc == {**ALL_OK, "status": "fail", "disk": "fail"}
        filler.unlink()
        assert wait_health(p.health, 200) == ALL_OK
        log = p.log.read_text()
        assert re.search(r"health: disk fail \(1[0-9] MB free, minimum 32 MB\)",
                         log), log
        assert "health: disk ok again" in log
        p.stop()
    finally:
        subprocess.run(["umount", str(data)], check=True)


# ---- the database ----

def pg_ctl(stack, *args):
    pg = next(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    cmd = [str(pg), "-D", str(stack.var / "pg" / "data"), *args]
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--"] + cmd
    # No pipes: a server started here would hold them open.
    subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   cwd="/tmp", timeout=90)


def test_database_stopped_is_503_and_started_again_200(stack):
    pg_ctl(stack, "-m", "fast", "-w", "stop")
    try:
        for probe in everywhere(stack):
            doc = wait_health(probe, 503, db="fail")
            # What needs the database cannot be known; disk and memory
            # still are.
            assert doc == {"status": "fail", "db": "fail",
                           "migrations": "unknown", "outbox": "unknown",
                           "disk": "ok", "memory": "ok"}
        assert "health: db fail (no answer)" in stack.log("intake")
    finally:
        # scripts/stack starts what is not running (PostgreSQL, with
        # its settings) and waits for /healthz to be 200.
        r = stack.run("up", check=False)
        assert r.returncode == 0, r.stderr
    for probe in everywhere(stack):
        assert wait_health(probe, 200) == ALL_OK
    assert "health: db ok again" in stack.log("intake")


def test_migrations_behind_or_ahead_are_503(stack):
    conn = stack.db()
    conn.autocommit = True
    cur = conn.cursor()
    version = NEWEST[:4]
    cur.execute("SELECT version, name, sha256, applied_at "
                "FROM ombud_migrations WHERE version = %s", (version,))
    row = cur.fetchone()
    assert row is not None and row[1] == NEWEST
    try:
        # Behind: the newest migration this build knows is not applied.
        cur.execute("DELETE FROM ombud_migrations WHERE version = %s",
                    (version,))
        for probe in everywhere(stack):
            doc = wait_health(probe, 503, migrations="fail")
            assert doc == {**ALL_OK, "status": "fail", "migrations": "fail"}
        for pool in POOLS:
            assert re.search(r"health: migrations fail \(database at "
                             r"[0-9]{4}, this build expects " + version,
                             stack.log(pool)), pool
        cur.execute("INSERT INTO ombud_migrations VALUES (%s, %s, %s, %s)",
                    row)
        row = None
        wait_health(lambda: via_nginx(stack), 200)

        # Ahead: the database has a migration newer than these binaries.
        cur.execute("INSERT INTO ombud_migrations (version, name, sha256) "
                    "VALUES ('9999', '9999_from_the_future.sql', 'x')")
        doc = wait_health(lambda: via_nginx(stack), 503, migrations="fail")
        assert doc == {**ALL_OK, "status": "fail", "migrations": "fail"}
    finally:
        if row is not None:
            cur.execute("INSERT INTO ombud_migrations VALUES (%s, %s, %s, %s)",
                        row)
        cur.execute("DELETE FROM ombud_migrations WHERE version = '9999'")
        conn.close()
    for probe in everywhere(stack):
        assert wait_health(probe, 200) == ALL_OK


def test_pool_upgraded_before_migrate_is_503_until_migrated(
        stack, tmp_path, own_pools):
    """A database one migration behind the binaries (the binaries were
    upgraded, `ombudctl migrate` not run yet): the pool cannot prepare
    what it needs, /healthz says migrations, not db; after migrate the
    same pool is 200 without a restart."""
    name = "ombud_t_monitoring_behind"
    admin = stack.db()
    admin.autocommit = True
    acur = admin.cursor()
    acur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    acur.execute(f'CREATE DATABASE "{name}" OWNER ombud_owner')
    try:
        older = tmp_path / "sql-older"
        older.mkdir()
        for f in (ROOT / "sql").glob("*.sql"):
            if f.name != NEWEST:
                shutil.copy(f, older / f.name)

        def config(sql_dir):
            def edit(text):
                text = re.sub(r"(?m)^name = .*$", f"name = {name}", text)
                return re.sub(r"(?m)^sql = .*$", f"sql = {sql_dir}", text)
            return edit

        conf = tmp_path / "older.conf"
        conf.write_text(config(older)(
            Path(stack.info["OMBUD_CONFIG"]).read_text()))
        r = subprocess.run([str(OMBUDCTL), "--config", str(conf), "migrate"],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr

        p = OwnPool(stack, tmp_path, config(older))
        own_pools.append(p)
        doc = wait_health(p.health, 503, migrations="fail")
        assert doc["db"] == "ok" and doc["disk"] == "ok"
        steady(p.health, 503)
        assert "health: migrations fail" in p.log.read_text()

        conf.write_text(config(ROOT / "sql")(
            Path(stack.info["OMBUD_CONFIG"]).read_text()))
        r = subprocess.run([str(OMBUDCTL), "--config", str(conf), "migrate"],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        assert f"applied {NEWEST}" in r.stdout + r.stderr
        assert wait_health(p.health, 200) == ALL_OK
        assert "health: migrations ok again" in p.log.read_text()
        p.stop()
    finally:
        for p in own_pools:
            p.stop()
        acur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


# ---- the outbox ----

RCPT = "+4500000815"    # a number no test sends to


def outbox_sql(stack, *statements):
    """Runs statements in one transaction as the database owner: the
    outbox daemon sees the end state only."""
    with stack.db() as conn, conn.cursor() as cur:
        for s in statements:
            cur.execute(s, {"rcpt": RCPT})


def test_outbox_not_yet_due_or_expired_is_not_stuck(stack):
    try:
        outbox_sql(stack,
                   # Inside a notice's random 5-65 minute delay; and
                   # queued hours ago, as a notice's created_at says
                   # (the start of its day, 0006_reporting.sql).
                   """INSERT INTO outbox (channel, recipient, body,
                          created_at, next_attempt_at, expires_at)
                      VALUES ('sms', %(rcpt)s, 'monitoring test',
                              now() - interval '2 hours',
                              now() + interval '30 minutes',
                              now() + interval '2 hours')""",
                   # Fell due long ago, never sent, expired now.
                   """INSERT INTO outbox (channel, recipient, body,
                          next_attempt_at, expires_at)
                      VALUES ('sms', %(rcpt)s, 'monitoring test',
                              now() - interval '1 hour',
                              now() - interval '1 second')""")
        steady(lambda: via_nginx(stack), 200)
    finally:
        outbox_sql(stack, "DELETE FROM outbox WHERE recipient = %(rcpt)s")


def test_outbox_failing_for_minutes_is_503(stack):
    """A message that fell due ten minutes ago and keeps failing (each
    failure moves next_attempt_at on): stuck, whatever the retry time
    says."""
    try:
        outbox_sql(stack,
                   """INSERT INTO outbox (channel, recipient, body,
                          next_attempt_at, expires_at)
                      VALUES ('mail', %(rcpt)s || '@example.org',
                              'monitoring test',
                              now() - interval '10 minutes',
                              now() + interval '7 days')""",
                   """UPDATE outbox SET attempts = 4,
                          next_attempt_at = now() + interval '1 hour'
                      WHERE recipient = %(rcpt)s || '@example.org'""")
        for probe in everywhere(stack):
            doc = wait_health(probe, 503, outbox="fail")
            assert doc == {**ALL_OK, "status": "fail", "outbox": "fail"}
        assert re.search(r"health: outbox fail \(oldest message due and "
                         r"unsent: 6[0-9][0-9] s, limit 180 s\)",
                         stack.log("intake"))
        # Sent at last: 200.
        outbox_sql(stack, """UPDATE outbox SET sent_at = now()
                             WHERE recipient = %(rcpt)s || '@example.org'""")
        for probe in everywhere(stack):
            assert wait_health(probe, 200) == ALL_OK
    finally:
        outbox_sql(stack, """DELETE FROM outbox
                             WHERE recipient = %(rcpt)s || '@example.org'""")


def test_outbox_daemon_down_is_503_until_it_runs_again(stack):
    """The daemon stops; a sign-in code falls due and waits.  Started
    again, it sends the code and /healthz is 200."""
    pidfile = stack.var / "run" / "outbox.pid"
    pid = int(pidfile.read_text())
    os.kill(pid, signal.SIGTERM)
    deadline = time.time() + 15
    while Path(f"/proc/{pid}").exists() and time.time() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{pid}").exists()
    try:
        outbox_sql(stack,
                   """INSERT INTO outbox (channel, recipient, body,
                          next_attempt_at, expires_at)
                      VALUES ('sms', %(rcpt)s, 'monitoring test',
                              now() - interval '4 minutes',
                              now() + interval '1 minute')""")
        doc = wait_health(lambda: via_nginx(stack), 503, outbox="fail")
        assert doc == {**ALL_OK, "status": "fail", "outbox": "fail"}
    finally:
        r = stack.run("up", check=False)
        assert r.returncode == 0, r.stderr
    assert int(pidfile.read_text()) != pid
    assert wait_health(lambda: via_nginx(stack), 200) == ALL_OK
    with stack.db() as conn, conn.cursor() as cur:
        cur.execute("SELECT sent_at IS NOT NULL FROM outbox "
                    "WHERE recipient = %s", (RCPT,))
        assert cur.fetchall() == [(True,)]
        cur.execute("DELETE FROM outbox WHERE recipient = %s", (RCPT,))
