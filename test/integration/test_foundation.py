"""What the foundation promises, seen from outside: TLS and routing
through nginx, health, security headers, clear 4xx pages for bad input,
no client address anywhere, pools that survive crashes and drain."""

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests
from bs4 import BeautifulSoup

import fcgi
from conftest import BUILD, POOLS, ROOT

SECURITY_HEADERS = {
    "content-security-policy": None,
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "strict-transport-security": None,
}


def assert_security_headers(r, dynamic=True):
    h = {k.lower(): v for k, v in r.headers.items()}
    for name, want in SECURITY_HEADERS.items():
        assert name in h, f"{name} missing on {r.url} ({r.status_code})"
        if want:
            assert h[name] == want
    csp = h["content-security-policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "default-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "http:" not in csp and "https:" not in csp and "*" not in csp
    if dynamic:
        assert "no-store" in h.get("cache-control", "")


def page_text(r):
    return BeautifulSoup(r.text, "html.parser").get_text(" ", strip=True)


# ---- TLS, health, routing ----

def test_healthz_over_tls(stack):
    r = stack.get("/healthz")
    assert r.status_code == 200
    body = r.json()
    # Which check failed, and no numbers (test_monitoring.py).
    assert body == {"status": "ok", "db": "ok", "migrations": "ok",
                    "outbox": "ok", "disk": "ok", "memory": "ok"}
    assert r.headers["content-type"].startswith("application/json")
    assert_security_headers(r)


def test_http_redirects_to_https(stack):
    r = stack.session().get(stack.http_url + "/healthz?x=1",
                            allow_redirects=False, timeout=10)
    assert r.status_code in (301, 308)
    assert r.headers["location"] == f"{stack.url}/healthz?x=1"


def test_tls_versions(stack):
    import ssl
    import socket
    for version, ok in ((ssl.TLSVersion.TLSv1_1, False),
                        (ssl.TLSVersion.TLSv1_2, True),
                        (ssl.TLSVersion.TLSv1_3, True)):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        try:
            ctx.minimum_version = ctx.maximum_version = version
        except ValueError:
            continue
        try:
            with socket.create_connection(("127.0.0.1", stack.https_port),
                                          timeout=5) as raw:
                with ctx.wrap_socket(raw, server_hostname="localhost"):
                    connected = True
        except (ssl.SSLError, OSError):
            connected = False
        assert connected == ok, version


@pytest.mark.parametrize("pool", POOLS)
def test_every_pool_answers_healthz_on_its_socket(stack, pool):
    status, headers, body = fcgi.get(stack.socket(pool), "/healthz")
    assert status == 200, body
    assert b'"db":"ok"' in body


def lines(stack, pool):
    return stack.log(pool).count("\n")


@pytest.mark.parametrize("method,path,pool", [
    ("GET", "/", "intake"),
    ("GET", "/healthz", "intake"),
    ("GET", "/t/acme/", "intake"),
    ("GET", "/t/acme/case/files", "intake"),
    ("POST", "/t/acme/case/files", "scrub"),
    ("POST", "/cases/42/files", "scrub"),
    ("GET", "/cases/42/files", "cases"),
    ("GET", "/cases/", "cases"),
    ("GET", "/admin/audit", "cases"),
    ("GET", "/auth/login", "auth"),
    ("GET", "/no-such-page", "intake"),
])
def test_nginx_routes_each_path_to_its_pool(stack, method, path, pool):
    before = {p: lines(stack, p) for p in POOLS}
    r = stack.session().request(method, stack.url + path,
                                allow_redirects=False, timeout=10, data=b"")
    assert r.status_code < 500
    time.sleep(0.2)
    grew = [p for p in POOLS if lines(stack, p) > before[p]]
    assert grew == [pool], (path, grew)


def test_static_files_are_served_with_headers(stack):
    r = stack.get("/static/ombud.css")
    assert r.status_code == 200
    assert "text/css" in r.headers["content-type"]
    assert_security_headers(r, dynamic=False)


# ---- pages, errors, language ----

def test_home_page(stack):
    r = stack.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert_security_headers(r)
    soup = BeautifulSoup(r.text, "html.parser")
    assert soup.html["lang"] == "en"
    assert not soup.find_all("script")
    for tag in soup.find_all(["link", "img", "a", "form"]):
        ref = tag.get("href") or tag.get("src") or tag.get("action") or "/"
        assert ref.startswith("/") or ref.startswith("#"), ref


def test_language_switch_without_javascript(stack):
    s = stack.session()
    token = stack.form_token(s)
    r = s.post(stack.url + "/lang", data={"lang": "da", "return": "/",
                                          "csrf": token},
               allow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("__Host-ombud-lang=da")
    for attr in ("Secure", "HttpOnly", "Path=/"):
        assert attr in cookie
    r = s.get(stack.url + "/")
    soup = BeautifulSoup(r.text, "html.parser")
    assert soup.html["lang"] == "da"
    r = s.get(stack.url + "/no-such-page")
    assert r.status_code == 404
    assert "Siden findes ikke" in page_text(r) or "ikke fundet" in page_text(r).lower()
    # Back to English.
    s.post(stack.url + "/lang", data={"lang": "en", "return": "/",
                                      "csrf": stack.form_token(s)})
    assert BeautifulSoup(s.get(stack.url + "/").text,
                         "html.parser").html["lang"] == "en"


def test_language_switch_refuses_open_redirect(stack):
    s = stack.session()
    token = stack.form_token(s)
    for ret in ("//evil.example/", "https://evil.example/", "/\\evil"):
        r = s.post(stack.url + "/lang", allow_redirects=False,
                   data={"lang": "da", "return": ret, "csrf": token})
        assert r.status_code == 303
        assert r.headers["location"] == "/"
    r = s.post(stack.url + "/lang", allow_redirects=False,
               data={"lang": "xx", "return": "/", "csrf": token})
    assert r.status_code == 400


@pytest.mark.parametrize("case", ["missing", "wrong", "other browser",
                                  "no cookie"])
def test_post_without_its_form_token_is_refused(stack, case):
    s = stack.session()
    token = stack.form_token(s)
    data = {"lang": "da", "return": "/"}
    if case == "wrong":
        data["csrf"] = token[:-1] + ("A" if token[-1] != "A" else "B")
    elif case == "other browser":
        data["csrf"] = stack.form_token(stack.session())
    elif case == "no cookie":
        data["csrf"] = token
        s.cookies.clear()
    r = s.post(stack.url + "/lang", data=data, allow_redirects=False)
    assert r.status_code == 403
    assert "This form has expired" in page_text(r)
    assert "__Host-ombud-lang" not in r.headers.get("set-cookie", "")


def test_unknown_route_gets_a_404_page(stack):
    r = stack.get("/no/such/page")
    assert r.status_code == 404
    assert "Page not found" in page_text(r)
    assert_security_headers(r)


@pytest.mark.parametrize("method,path,allow", [
    ("DELETE", "/", "GET, HEAD"),
    ("POST", "/healthz", "GET, HEAD"),
    ("GET", "/lang", "POST"),
])
def test_wrong_method_gets_405_with_allow(stack, method, path, allow):
    r = stack.session().request(method, stack.url + path,
                                allow_redirects=False, timeout=10)
    assert r.status_code == 405
    assert r.headers["allow"] == allow
    assert "Method not allowed" in page_text(r)


BAD_REQUESTS = [
    ("broken percent-encoding in query", "GET", "/?x=%ZZ", None, 400),
    ("truncated percent-encoding", "GET", "/?x=%4", None, 400),
    ("broken percent-encoding in path", "GET", "/t/%ZZ/", None, 400),
    ("encoded slash in a segment", "GET", "/t/a%2Fb/", None, 400),
    ("NUL in query", "GET", "/?x=%00", None, 400),
    ("invalid UTF-8 in query", "GET", "/?x=%C0%80", None, 400),
    ("invalid UTF-8 in body", "POST", "/lang", b"lang=%FF%FE&return=/", 400),
    ("surrogate in body", "POST", "/lang", b"lang=%ED%A0%80", 400),
    ("broken encoding in body", "POST", "/lang", b"lang=%G1", 400),
    ("too many fields", "POST", "/lang", b"&".join(b"f%d=1" % i for i in range(100)), 413),
    ("body over the app's form cap", "POST", "/lang", b"lang=" + b"a" * 300_000, 413),
    ("body over nginx's cap", "POST", "/lang", b"lang=" + b"a" * 2_000_000, 413),
]


@pytest.mark.parametrize("name,method,path,body,status", BAD_REQUESTS,
                         ids=[b[0] for b in BAD_REQUESTS])
def test_bad_requests_get_a_clear_4xx(stack, name, method, path, body, status):
    got, headers, text = stack.raw(method, path, body=body)
    assert got == status, text[:300]
    assert headers["content-type"].startswith("text/html")
    soup = BeautifulSoup(text, "html.parser")
    # A heading and a sentence: the app's pages and nginx's own.
    assert soup.h1 and len(soup.get_text(" ", strip=True)) > 40
    for name in ("content-security-policy", "referrer-policy",
                 "x-content-type-options"):
        assert name in headers
    assert "no-store" in headers.get("cache-control", "")
    assert stack.get("/healthz").status_code == 200


def test_wrong_content_type_is_415(stack):
    r = stack.post("/lang", data=b"{}", headers={"Content-Type": "application/json"})
    assert r.status_code == 415
    assert stack.get("/healthz").status_code == 200


def test_header_flood_is_refused_by_nginx(stack):
    headers = {f"X-Flood-{i}": "x" * 100 for i in range(300)}
    r = stack.session().get(stack.url + "/", headers=headers, timeout=10)
    assert 400 <= r.status_code < 500
    assert "text/html" in r.headers.get("content-type", "")
    big = {"Cookie": "a=" + "x" * 20000}
    r = stack.session().get(stack.url + "/", headers=big, timeout=10)
    assert 400 <= r.status_code < 500
    assert_security_headers(r)
    assert stack.get("/healthz").status_code == 200


def test_long_uri_is_refused(stack):
    r = stack.get("/" + "a" * 20000)
    assert 400 <= r.status_code < 500
    assert stack.get("/healthz").status_code == 200


def test_pools_survive_garbage_from_fastcgi(stack):
    """Requests nginx would never send still get 4xx, not a crash."""
    sock = stack.socket("intake")
    cases = [
        {"REQUEST_METHOD": "", "REQUEST_URI": "/"},
        {"REQUEST_METHOD": "G E T", "REQUEST_URI": "/"},
        {"REQUEST_METHOD": "GET", "REQUEST_URI": "no-slash"},
        {"REQUEST_METHOD": "GET", "REQUEST_URI": "/\x01"},
        {"REQUEST_METHOD": "GET", "REQUEST_URI": "/", "CONTENT_LENGTH": "-1"},
        {"REQUEST_METHOD": "POST", "REQUEST_URI": "/lang",
         "CONTENT_LENGTH": "99999999999999999999999"},
        {"REQUEST_METHOD": "GET", "REQUEST_URI": "/" + "a/" * 5000},
    ]
    for params in cases:
        status, _, _ = fcgi.request(sock, params)
        assert 400 <= status < 500, params
    # A body shorter than its Content-Length.
    status, _, _ = fcgi.request(sock, {
        "REQUEST_METHOD": "POST", "REQUEST_URI": "/lang",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": "100"}, b"lang=da")
    assert 400 <= status < 500
    assert stack.get("/healthz").status_code == 200


# ---- pools: crashes and draining ----

def wait_for(pred, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.1)
    return False


def test_killed_child_is_replaced_and_requests_keep_succeeding(stack):
    before = stack.children("intake")
    assert len(before) == 2
    os.kill(before[0], signal.SIGKILL)
    ok = sum(stack.get("/healthz").status_code == 200 for _ in range(40))
    assert ok == 40
    assert wait_for(lambda: len(stack.children("intake")) == 2)
    after = stack.children("intake")
    assert before[0] not in after


def test_sigterm_drains_and_stack_restarts_the_pool(stack):
    pid = stack.pid("cases")
    kids = stack.children("cases")
    os.kill(pid, signal.SIGTERM)
    assert wait_for(lambda: not Path(f"/proc/{pid}").exists())
    for k in kids:
        assert not Path(f"/proc/{k}").exists()
    assert not Path(stack.socket("cases")).exists()
    assert "pool: stopped" in stack.log("cases")
    stack.run("up")
    status, _, _ = fcgi.get(stack.socket("cases"), "/healthz")
    assert status == 200


def test_database_restart_is_survived(stack):
    pgdata = stack.var / "pg" / "data"
    cmd = ["pg_ctl", "-D", str(pgdata), "-l",
           str(stack.var / "log" / "postgresql.log"), "-w", "restart",
           "-m", "fast"]
    pg_ctl = next(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    cmd[0] = str(pg_ctl)
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--"] + cmd
    # No pipes: the restarted server would hold them open.
    subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   cwd="/tmp", timeout=60)
    # Every child notices its dead connection and reconnects (after the
    # one second for which a child reuses its last probe).
    time.sleep(1.2)
    for _ in range(10):
        assert stack.get("/healthz").json()["db"] == "ok"


# ---- configuration ----

def run_pool(args, env=None):
    binary = BUILD / "services" / "intake" / "ombud-intake"
    return subprocess.run([str(binary), *args], capture_output=True, text=True,
                          timeout=30, env=env or dict(os.environ))


def test_config_errors_name_file_and_key(stack, tmp_path):
    good = Path(stack.info["OMBUD_CONFIG"]).read_text()
    assert run_pool(["--config", stack.info["OMBUD_CONFIG"], "--check"]).returncode == 0

    bad = tmp_path / "bad.conf"
    bad.write_text(re.sub(r"(?m)^name = .*\n", "", good))
    r = run_pool(["--config", str(bad), "--check"])
    assert r.returncode != 0
    assert str(bad) in r.stderr and "[database] name" in r.stderr

    bad.write_text(good.replace("[intake]\n", "[intake]\nprocesses = lots\n", 1)
                   .replace("processes = 2\n", "", 1))
    r = run_pool(["--config", str(bad), "--check"])
    assert r.returncode != 0 and "processes" in r.stderr

    bad.write_text(good.replace("[intake]\n", "[intake]\nsokcet = /x\n", 1))
    r = run_pool(["--config", str(bad), "--check"])
    assert r.returncode != 0 and "[intake] sokcet: unknown key" in r.stderr

    r = run_pool(["--config", str(tmp_path / "missing.conf"), "--check"])
    assert r.returncode != 0 and "missing.conf" in r.stderr

    env = dict(os.environ)
    env.pop("OMBUD_CONFIG", None)
    r = run_pool(["--check"], env=env)
    assert r.returncode != 0 and "OMBUD_CONFIG" in r.stderr
    env["OMBUD_CONFIG"] = stack.info["OMBUD_CONFIG"]
    assert run_pool(["--check"], env=env).returncode == 0


def test_migrations_are_recorded_and_idempotent(stack):
    ctl = BUILD / "services" / "ombudctl" / "ombudctl"
    r = subprocess.run([str(ctl), "--config", stack.info["OMBUD_CONFIG"],
                        "migrate"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "0 applied" in r.stdout
    files = sorted(p.name for p in (ROOT / "sql").glob("[0-9][0-9][0-9][0-9]_*.sql"))
    with stack.db() as conn, conn.cursor() as cur:
        cur.execute("SELECT name FROM ombud_migrations ORDER BY version")
        assert [row[0] for row in cur.fetchall()] == files
        cur.execute("SELECT rolname FROM pg_roles WHERE rolname LIKE 'ombud\\_%'")
        roles = {row[0] for row in cur.fetchall()}
    assert {"ombud_intake", "ombud_auth", "ombud_cases", "ombud_scrub"} <= roles


def test_each_pool_connects_as_its_own_role(stack):
    for pool in POOLS:
        fcgi.get(stack.socket(pool), "/healthz")
    with stack.db() as conn, conn.cursor() as cur:
        cur.execute("SELECT DISTINCT application_name, usename "
                    "FROM pg_stat_activity WHERE application_name LIKE 'ombud-%'")
        seen = dict(cur.fetchall())
    for pool in POOLS:
        assert seen.get(f"ombud-{pool}") == f"ombud_{pool}"


# ---- C modules that need a real server ----

@pytest.mark.parametrize("module", ["db", "migrate"])
def test_c_module_against_real_database(stack, module):
    """test/unit/test_db.c and test_migrate.c skip under plain meson test;
    here they run against a scratch database of the stack."""
    from psycopg2 import sql
    name = f"ombud_unit_{module}"
    admin = stack.db()
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                    .format(sql.Identifier(name)))
        cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        env = dict(os.environ,
                   OMBUD_TEST_PGHOST=stack.info["PGHOST"],
                   OMBUD_TEST_PGPORT=stack.info["PGPORT"],
                   OMBUD_TEST_PGDATABASE=name,
                   OMBUD_TEST_PGUSER=stack.info["PGUSER"])
        binary = BUILD / "test" / "unit" / f"test_{module}"
        r = subprocess.run([str(binary)], env=env, capture_output=True,
                           text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        assert "0 failed" in r.stderr
    finally:
        with admin.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                        .format(sql.Identifier(name)))
        admin.close()
