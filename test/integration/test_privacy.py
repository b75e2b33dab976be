"""No client address, user agent, referrer or forwarding header reaches a
worker, a log, a file or a table.  Canary values are sent from two
loopback addresses, a pool is stopped so that nginx writes error lines
(which carry `client:` unless filtered), and then every byte under the
stack's var dir, the PostgreSQL data files included, is searched."""

import os
import signal
import time

import requests
from requests.adapters import HTTPAdapter

import fcgi

CANARIES = {
    "X-Forwarded-For": "203.0.113.77",
    "X-Real-IP": "198.51.100.23",
    "Forwarded": "for=192.0.2.60;proto=https",
    "User-Agent": "canary-ua-7f3c9",
    "Referer": "https://canary-referer.example/ref",
    "Via": "1.1 canary-via-proxy",
    "X-Client-IP": "192.0.2.199",
}
QUERY_CANARY = "canary-query-5521"


class SourceAddressAdapter(HTTPAdapter):
    def __init__(self, source, **kw):
        self.source = source
        super().__init__(**kw)

    def init_poolmanager(self, *args, **kw):
        kw["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kw)


def client(source):
    s = requests.Session()
    s.verify = False
    s.trust_env = False
    s.headers.update(CANARIES)
    s.mount("https://", SourceAddressAdapter(source))
    s.mount("http://", SourceAddressAdapter(source))
    return s


def traffic(stack, s):
    u = stack.url
    s.get(u + "/")
    s.get(u + "/healthz")
    s.get(u + f"/?q={QUERY_CANARY}")
    s.get(u + f"/no-such-page?q={QUERY_CANARY}")
    s.get(u + "/?x=%ZZ")
    stack.raw("GET", f"/t/%ZZ/?q={QUERY_CANARY}", headers=CANARIES)
    s.post(u + "/lang", data={"lang": "da", "return": "/"}, allow_redirects=False)
    s.post(u + "/lang", data=b"lang=" + b"a" * 2_000_000,
           headers={"Content-Type": "application/x-www-form-urlencoded"})
    s.get(u + "/static/ombud.css")
    s.get(u + "/static/missing.css")
    s.get(u + "/" + "a" * 20000)
    s.get(u + "/", headers={f"X-Flood-{i}": "y" * 100 for i in range(300)})
    s.get(stack.http_url + f"/?q={QUERY_CANARY}", allow_redirects=False)
    s.get(u + "/cases/", allow_redirects=False)
    s.get(u + "/auth/login", allow_redirects=False)


def test_no_client_trace_anywhere(stack):
    for source in ("127.0.0.1", "127.0.0.2"):
        traffic(stack, client(source))

    # A stopped pool: nginx logs connect() failures with the client.
    pid = stack.pid("auth")
    os.kill(pid, signal.SIGTERM)
    deadline = time.time() + 15
    while os.path.exists(f"/proc/{pid}") and time.time() < deadline:
        time.sleep(0.1)
    for source in ("127.0.0.1", "127.0.0.2"):
        r = client(source).get(stack.url + f"/auth/login?q={QUERY_CANARY}")
        assert r.status_code == 502
        assert "text/html" in r.headers["content-type"]
    stack.run("up")
    assert fcgi.get(stack.socket("auth"), "/healthz")[0] == 200

    # Push everything to disk before looking.
    with stack.db() as conn, conn.cursor() as cur:
        cur.execute("CHECKPOINT")
        cur.execute("SELECT count(*) FROM pg_stat_activity "
                    "WHERE client_addr IS NOT NULL")
        assert cur.fetchone()[0] == 0
    time.sleep(0.5)

    needles = [v.encode() for v in CANARIES.values()]
    needles += [QUERY_CANARY.encode(), b"127.0.0.2", b"canary"]
    errlog = (stack.var / "log" / "nginx-error.log")
    assert errlog.exists() and errlog.stat().st_size > 0, \
        "nginx wrote no error lines: the test did not exercise the filter"
    assert b"connect() to unix:" in errlog.read_bytes()

    scanned = 0
    for path in stack.var.rglob("*"):
        if not path.is_file() or path.is_symlink():
            continue
        data = path.read_bytes()
        scanned += 1
        for n in needles:
            assert n not in data, f"{n!r} found in {path}"
        for line in data.split(b"\n"):
            if b"127.0.0.1" in line:
                # Only the server's own listen directives may name it.
                assert line.strip().startswith(b"listen "), \
                    f"127.0.0.1 in {path}: {line[:200]!r}"
    assert scanned > 100
