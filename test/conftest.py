"""Integration tests run against a real stack (PostgreSQL, nginx, every
pool, the SMTP sink) that the session starts itself in a temporary var
dir on free ports, so it runs beside a developer's stack.  OMBUD_BUILD
picks the build (build/ or build-asan/)."""

import http.client
import os
import re
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import psycopg2
import pytest
import requests
import urllib3

ROOT = Path(__file__).resolve().parents[1]
BUILD = Path(os.environ.get("OMBUD_BUILD", ROOT / "build"))
POOLS = ("intake", "auth", "cases", "scrub")
SANITIZER_MARKS = (b"AddressSanitizer", b"UndefinedBehaviorSanitizer",
                   b"LeakSanitizer", b"runtime error:")

urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def page_token(html):
    """The anti-forgery token of a page's own forms: not the language
    form's, which always carries the per-browser token (POST /lang knows
    no session), unless the page has no other form."""
    from bs4 import BeautifulSoup
    doc = BeautifulSoup(html, "html.parser")
    fields = doc.select('form:not([action="/lang"]) input[name="csrf"]') or \
        doc.select('input[name="csrf"]')
    return fields[0]["value"] if fields else None


class Stack:
    def __init__(self):
        self.var = Path(tempfile.mkdtemp(prefix="ombud-test-"))
        os.chmod(self.var, 0o755)
        self.https_port = free_port()
        self.http_port = free_port()
        # The SMTP sink too: on the default port the outbox would
        # deliver to whichever stack got there first.
        self.smtp_port = free_port()
        self.env = dict(os.environ,
                        OMBUD_VAR=str(self.var),
                        OMBUD_BUILD=str(BUILD),
                        OMBUD_HTTPS_PORT=str(self.https_port),
                        OMBUD_HTTP_PORT=str(self.http_port),
                        OMBUD_SMTP_PORT=str(self.smtp_port),
                        OMBUD_PROCESSES="2")
        self.url = f"https://localhost:{self.https_port}"
        self.http_url = f"http://localhost:{self.http_port}"
        self.info = {}

    def run(self, *args, check=True, timeout=300):
        return subprocess.run([str(ROOT / "scripts" / "stack"), *args],
                              env=self.env, check=check, timeout=timeout,
                              capture_output=True, text=True)

    def up(self):
        r = self.run("up", check=False)
        if r.returncode != 0:
            raise RuntimeError(f"stack up failed:\n{r.stdout}\n{r.stderr}")
        for line in self.run("env").stdout.splitlines():
            line = line.removeprefix("export ")
            k, _, v = line.partition("=")
            self.info[k] = shlex.split(v)[0] if v else ""

    def down(self):
        self.run("down", check=False)

    # -- helpers for tests --

    def session(self):
        s = requests.Session()
        s.verify = False
        s.trust_env = False     # else REQUESTS_CA_BUNDLE overrides verify
        return s

    def form_token(self, session, path="/"):
        """The anti-forgery token a page's forms carry (and, through
        session, the cookie behind it)."""
        r = session.get(self.url + path, allow_redirects=False, timeout=30)
        token = page_token(r.text)
        assert token is not None, f"no csrf field on {path}"
        return token

    def raw(self, method, target, headers=None, body=None):
        """Sends the request target exactly as given (requests would
        re-quote a broken percent-encoding); returns (status, headers,
        text)."""
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        conn = http.client.HTTPSConnection("localhost", self.https_port,
                                           context=ctx, timeout=30)
        try:
            hdrs = dict(headers or {})
            if body is not None:
                hdrs.setdefault("Content-Type",
                                "application/x-www-form-urlencoded")
            conn.request(method, target, body=body, headers=hdrs)
            r = conn.getresponse()
            return (r.status, {k.lower(): v for k, v in r.getheaders()},
                    r.read().decode("utf-8", "replace"))
        finally:
            conn.close()

    def get(self, path, **kw):
        kw.setdefault("allow_redirects", False)
        kw.setdefault("timeout", 30)
        return self.session().get(self.url + path, **kw)

    def post(self, path, **kw):
        kw.setdefault("allow_redirects", False)
        kw.setdefault("timeout", 30)
        return self.session().post(self.url + path, **kw)

    def socket(self, pool):
        return str(self.var / "run" / f"{pool}.sock")

    def pid(self, pool):
        return int((self.var / "run" / f"{pool}.pid").read_text().strip())

    def children(self, pool):
        out = subprocess.run(["pgrep", "-P", str(self.pid(pool))],
                             capture_output=True, text=True).stdout
        return sorted(int(p) for p in out.split())

    def log(self, name):
        p = self.var / "log" / f"{name}.log"
        return p.read_text(errors="replace") if p.exists() else ""

    def db(self, **kw):
        params = dict(host=self.info["PGHOST"], port=self.info["PGPORT"],
                      dbname=self.info["PGDATABASE"],
                      user=self.info["PGUSER"])
        params.update(kw)
        return psycopg2.connect(**params)

    def wait_healthy(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if self.get("/healthz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise AssertionError("stack did not become healthy")

    def sanitizer_reports(self):
        found = []
        for p in (self.var / "log").glob("*.log"):
            data = p.read_bytes()
            if any(m in data for m in SANITIZER_MARKS):
                found.append(p.name)
        return found


@pytest.fixture(scope="session")
def stack():
    if not (BUILD / "services" / "intake" / "ombud-intake").exists():
        pytest.exit(f"no build in {BUILD}: run scripts/test or ninja -C build",
                    returncode=2)
    st = Stack()
    try:
        st.up()
        yield st
    finally:
        st.down()
        reports = st.sanitizer_reports()
        leftovers = subprocess.run(["pgrep", "-f", str(st.var)],
                                   capture_output=True, text=True).stdout
        keep = os.environ.get("OMBUD_KEEP_VAR") == "1" or reports
        if not keep:
            shutil.rmtree(st.var, ignore_errors=True)
        if reports:
            pytest.fail(f"sanitizer reports in {st.var}/log: {reports}",
                        pytrace=False)
        if leftovers.strip():
            pytest.fail(f"processes left behind after stack down: "
                        f"{leftovers.split()}", pytrace=False)


class ScratchDB:
    """A database of the stack's cluster, migrated by ombudctl, with a
    config file naming it: tests that write freely do it here."""

    def __init__(self, stack, name, tmpdir):
        from psycopg2 import sql
        self.stack, self.name = stack, name
        self._sql = sql
        self.admin = stack.db()
        self.admin.autocommit = True
        self.drop()
        with self.admin.cursor() as cur:
            cur.execute(sql.SQL("CREATE DATABASE {} OWNER ombud_owner")
                        .format(sql.Identifier(name)))
        self.config = Path(tmpdir) / f"{name}.conf"
        self.config.write_text(re.sub(r"(?m)^name = .*$", f"name = {name}",
                                      open(stack.info["OMBUD_CONFIG"]).read()))
        r = self.ombudctl("migrate")
        assert r.returncode == 0, r.stderr

    def ombudctl(self, *args, stdin=None):
        return subprocess.run([str(BUILD / "services" / "ombudctl" / "ombudctl"),
                               "--config", str(self.config), *args],
                              input=stdin, capture_output=True, text=True,
                              timeout=120)

    def connect(self):
        c = self.stack.db(dbname=self.name)
        c.autocommit = True
        return c

    def env(self):
        return dict(os.environ,
                    OMBUD_TEST_PGHOST=self.stack.info["PGHOST"],
                    OMBUD_TEST_PGPORT=self.stack.info["PGPORT"],
                    OMBUD_TEST_PGDATABASE=self.name,
                    OMBUD_TEST_PGUSER=self.stack.info["PGUSER"])

    def drop(self):
        with self.admin.cursor() as cur:
            cur.execute(self._sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                        .format(self._sql.Identifier(self.name)))


@pytest.fixture(scope="module")
def scratch_db(stack, tmp_path_factory, request):
    """A fresh migrated database for this test module."""
    name = "ombud_t_" + request.module.__name__.removeprefix("test_")
    db = ScratchDB(stack, name, tmp_path_factory.mktemp(name))
    yield db
    db.drop()
    db.admin.close()
