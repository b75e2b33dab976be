"""The production nginx site (nginx/production/, docs/nginx.md) and
certificate renewal (packaging/certbot/deploy-hook, docs/ops.md "TLS
certificates"), tested on this machine against Debian's pebble, a local
ACME server.

Everything listens on 127.0.0.1 on free ports.  pebble-challtestsrv is
pebble's DNS: it answers every A query with 127.0.0.1, so pebble really
validates the HTTP-01 challenge by fetching it from the production
nginx (pebble's httpPort is nginx's plain-HTTP port; no
PEBBLE_VA_ALWAYS_VALID).  nginx runs with a copy of Debian's stock
nginx.conf (its access log, "gzip on", TLS 1.0 and 1.1 in the http
block), the production files installed under it the way docs/nginx.md
says, the Debian paths replaced by temporary ones, and the upstreams
pointing at the test stack's pools.

The path an operator walks: enable the ACME site, `certbot certonly
--webroot --cert-name ombud`, enable the HTTPS site, reload; then
`certbot renew` with the deploy hook in renewal-hooks/deploy/, which
checks the configuration and reloads nginx, which then serves the new
certificate.  A configuration nginx rejects is not reloaded.

pebble runs no OCSP responder, but puts the URL it is given into its
certificates: the test answers there itself (Ocsp below, signing with
pebble's intermediate key), so that nginx's OCSP stapling is exercised
too, verification included.
"""

import base64
import datetime
import http.server
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import pytest
import requests

from conftest import ROOT, free_port

DOMAIN = "ombud.test"
ONION = "http://" + "a" * 56 + ".onion"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
HOOK = ROOT / "packaging" / "certbot" / "deploy-hook"
MOZILLA_TLS12 = {
    "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
}

# Debian 12's /etc/nginx/nginx.conf (nginx 1.22.1-9), comments dropped,
# paths moved into the test directory: the production files must hold
# against its http-level defaults.
DEBIAN_NGINX_CONF = """\
{user}
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/log/error.log warn;

events {{
	worker_connections 64;
}}

http {{
	sendfile on;
	tcp_nopush on;
	types_hash_max_size 2048;
	include /etc/nginx/mime.types;
	default_type application/octet-stream;
	ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;
	ssl_prefer_server_ciphers on;
	access_log {tmp}/log/access.log;
	gzip on;
	client_body_temp_path {tmp}/lib/body;
	fastcgi_temp_path {tmp}/lib/fastcgi;
	proxy_temp_path {tmp}/lib/proxy;
	uwsgi_temp_path {tmp}/lib/uwsgi;
	scgi_temp_path {tmp}/lib/scgi;
	include {conf}/conf.d/*.conf;
	include {conf}/sites-enabled/*;
}}
"""

# Where each file goes on a Debian host (docs/nginx.md, "Production").
INSTALL = {
    "nginx/security-headers.conf": "ombud/security-headers.conf",
    "nginx/routes.conf": "ombud/routes.conf",
    "nginx/server.conf": "ombud/server.conf",
    "nginx/app.conf": "ombud/app.conf",
    "nginx/tls.conf": "ombud/tls.conf",
    "nginx/production/onion-location.conf": "ombud/onion-location.conf",
    "nginx/production/ombud-upload-limit.conf": "ombud-upload-limit.conf",
    "nginx/production/http.conf": "conf.d/ombud.conf",
    "nginx/production/acme.conf": "sites-available/ombud-acme",
    "nginx/production/ombud.conf": "sites-available/ombud",
}


def wait_port(port, proc, what, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{what} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{what} did not listen on {port} in {timeout}s")


def der_of(pem_path):
    return ssl.PEM_cert_to_DER_cert(Path(pem_path).read_text())


def serial_of(pem_path):
    out = subprocess.run(["openssl", "x509", "-noout", "-serial", "-in",
                          str(pem_path)], capture_output=True, text=True,
                         check=True, timeout=10).stdout
    return out.strip().removeprefix("serial=")


class Ocsp(http.server.ThreadingHTTPServer):
    """An OCSP responder on 127.0.0.1 for the certificates in a certbot
    archive directory: each is "good", signed by the issuer's key.
    nginx asks with GET /<base64 request> (RFC 6960, A.1)."""

    def __init__(self, archive):
        self.archive = archive
        self.issuer = self.key = None
        self.asked = 0
        super().__init__(("127.0.0.1", 0), OcspHandler)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    def respond(self, der):
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.x509 import ocsp
        req = ocsp.load_der_ocsp_request(der)
        self.asked += 1
        for pem in self.archive.glob("cert*.pem"):
            cert = x509.load_pem_x509_certificate(pem.read_bytes())
            if cert.serial_number == req.serial_number:
                break
        else:
            return ocsp.OCSPResponseBuilder.build_unsuccessful(
                ocsp.OCSPResponseStatus.UNAUTHORIZED)
        now = datetime.datetime.utcnow()
        return (ocsp.OCSPResponseBuilder()
                .add_response(cert=cert, issuer=self.issuer,
                              algorithm=req.hash_algorithm,
                              cert_status=ocsp.OCSPCertStatus.GOOD,
                              this_update=now - datetime.timedelta(minutes=5),
                              next_update=now + datetime.timedelta(hours=1),
                              revocation_time=None, revocation_reason=None)
                .responder_id(ocsp.OCSPResponderEncoding.HASH, self.issuer)
                .sign(self.key, hashes.SHA256()))


class OcspHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.answer(base64.b64decode(urllib.parse.unquote(self.path[1:])))

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        self.answer(self.rfile.read(n))

    def answer(self, der):
        from cryptography.hazmat.primitives.serialization import Encoding
        try:
            body = self.server.respond(der).public_bytes(Encoding.DER)
        except Exception as e:     # shown in the test's failure
            self.send_error(500, repr(e))
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/ocsp-response")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Acme:
    """pebble, its DNS, and nginx with the production site, in a
    temporary directory; certbot runs against them."""

    def __init__(self, stack):
        self.stack = stack
        self.tmp = Path(tempfile.mkdtemp(prefix="ombud-test-tls-"))
        # nginx's workers (www-data when root) read the webroot.
        os.chmod(self.tmp, 0o755)
        self.conf = self.tmp / "conf"
        self.le = self.tmp / "letsencrypt"
        self.webroot = self.tmp / "webroot"
        self.procs = {}
        self.logs = {}
        self.ocsp = Ocsp(self.le / "archive" / "ombud")
        self.https_port = free_port()
        self.http_port = free_port()
        self.acme_port = free_port()
        self.pebble_mgmt_port = free_port()
        self.dns_port = free_port()
        self.chall_mgmt_port = free_port()
        for d in ("log", "lib", "conf/ombud", "conf/conf.d",
                  "conf/sites-available", "conf/sites-enabled", "webroot"):
            (self.tmp / d).mkdir(parents=True)
        os.chmod(self.webroot, 0o755)

    # -- processes --

    def spawn(self, name, argv, env=None):
        log = open(self.tmp / "log" / f"{name}.log", "ab")
        self.logs[name] = self.tmp / "log" / f"{name}.log"
        self.procs[name] = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            env=env, start_new_session=True)
        log.close()
        return self.procs[name]

    def stop(self):
        self.ocsp.shutdown()
        self.ocsp.server_close()
        for name, p in reversed(list(self.procs.items())):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait(5)
        # nginx's workers are in its session; none may outlive it.
        for p in self.procs.values():
            try:
                os.killpg(p.pid, 0)
            except ProcessLookupError:
                continue
            time.sleep(0.5)
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def log(self, name):
        """The output of a process, or "error": nginx's error log."""
        if name == "error":
            p = self.tmp / "log" / "error.log"
            return p.read_text(errors="replace") if p.exists() else ""
        return self.logs[name].read_text(errors="replace")

    def start_pebble(self):
        cert, key = self.tmp / "pebble-cert.pem", self.tmp / "pebble-key.pem"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
             "-subj", "/CN=pebble test server",
             "-addext", "subjectAltName=IP:127.0.0.1",
             "-keyout", str(key), "-out", str(cert)],
            check=True, capture_output=True, timeout=30)
        self.pebble_ca = cert
        config = {"pebble": {
            "listenAddress": f"127.0.0.1:{self.acme_port}",
            "managementListenAddress": f"127.0.0.1:{self.pebble_mgmt_port}",
            "certificate": str(cert), "privateKey": str(key),
            # HTTP-01 is fetched from nginx's plain-HTTP port.
            "httpPort": self.http_port,
            "tlsPort": free_port(),
            "ocspResponderURL": f"http://127.0.0.1:{self.ocsp.server_port}/",
            "externalAccountBindingRequired": False}}
        cfg = self.tmp / "pebble.json"
        cfg.write_text(json.dumps(config))
        chall = self.spawn("challtestsrv", [
            "pebble-challtestsrv", "-defaultIPv4", "127.0.0.1",
            "-defaultIPv6", "", "-dns01", f"127.0.0.1:{self.dns_port}",
            "-http01", "", "-https01", "", "-tlsalpn01", "",
            "-management", f"127.0.0.1:{self.chall_mgmt_port}"])
        wait_port(self.chall_mgmt_port, chall, "pebble-challtestsrv")
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("PEBBLE_")}
        # No sleeps before validation, no nonces refused at random,
        # and every order validated afresh (no reused authorization).
        env.update(PEBBLE_VA_NOSLEEP="1", PEBBLE_WFE_NONCEREJECT="0",
                   PEBBLE_AUTHZREUSE="0")
        pebble = self.spawn("pebble", [
            "pebble", "-config", str(cfg),
            "-dnsserver", f"127.0.0.1:{self.dns_port}"], env=env)
        wait_port(self.acme_port, pebble, "pebble")
        wait_port(self.pebble_mgmt_port, pebble, "pebble management")
        # Issuance roots are made at start; the chain nginx serves must
        # lead to this one.
        r = requests.get(f"https://127.0.0.1:{self.pebble_mgmt_port}/roots/0",
                         verify=str(cert), timeout=10)
        r.raise_for_status()
        self.root = self.tmp / "pebble-root.pem"
        self.root.write_text(r.text)
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization
        mgmt = f"https://127.0.0.1:{self.pebble_mgmt_port}"
        self.ocsp.issuer = x509.load_pem_x509_certificate(requests.get(
            f"{mgmt}/intermediates/0", verify=str(cert), timeout=10).content)
        self.ocsp.key = serialization.load_pem_private_key(requests.get(
            f"{mgmt}/intermediate-keys/0", verify=str(cert),
            timeout=10).content, None)

    # -- nginx --

    def install(self):
        """Copies the files as a Debian host has them, with the Debian
        paths replaced by this test's (each replacement must apply: a
        renamed path in the files fails here, not silently)."""
        run = self.stack.var / "run"
        replace = [
            ("listen 80 default_server;",
             f"listen 127.0.0.1:{self.http_port} default_server;"),
            ("listen [::]:80 default_server;", "# no IPv6 in the test"),
            ("listen 443 ssl default_server;",
             f"listen 127.0.0.1:{self.https_port} ssl default_server;"),
            ("listen [::]:443 ssl default_server;", "# no IPv6 in the test"),
            ("/run/ombud/", f"{run}/"),
            ("/run/ombud-nginx-", f"{self.tmp}/lib/ombud-nginx-"),
            ("/usr/share/ombud", str(ROOT)),
            ("/var/www/letsencrypt", str(self.webroot)),
            ("/etc/letsencrypt", str(self.le)),
        ]
        used = set()
        for src, dst in INSTALL.items():
            text = (ROOT / src).read_text()
            for old, new in replace:
                if old in text:
                    used.add(old)
                    text = text.replace(old, new)
            (self.conf / dst).write_text(text)
        assert used == {old for old, _ in replace}, \
            f"not in the production files: {({o for o, _ in replace} - used)}"
        user = "user www-data;" if os.geteuid() == 0 else "# not root"
        (self.conf / "nginx.conf").write_text(DEBIAN_NGINX_CONF.format(
            user=user, tmp=self.tmp, conf=self.conf))

    def enable(self, site):
        link = self.conf / "sites-enabled" / site
        if not link.is_symlink():
            link.symlink_to(self.conf / "sites-available" / site)

    def nginx_args(self):
        # -e: the log of the start, before nginx.conf names one.
        return ["-c", str(self.conf / "nginx.conf"),
                "-e", str(self.tmp / "log" / "error.log")]

    def nginx(self, *args):
        return subprocess.run([NGINX, *self.nginx_args(), *args],
                              capture_output=True, text=True, timeout=30)

    def start_nginx(self):
        r = self.nginx("-t")
        assert r.returncode == 0, r.stderr
        p = self.spawn("nginx", [NGINX, *self.nginx_args(),
                                 "-g", "daemon off;"])
        wait_port(self.http_port, p, "nginx")

    def hook_env(self):
        return dict(os.environ, OMBUD_NGINX=NGINX,
                    OMBUD_NGINX_ARGS=" ".join(self.nginx_args()))

    def run_hook(self):
        return subprocess.run([str(HOOK)], env=self.hook_env(),
                              capture_output=True, text=True, timeout=60)

    # -- certbot --

    def certbot(self, *args):
        env = self.hook_env()
        env["REQUESTS_CA_BUNDLE"] = str(self.pebble_ca)
        return subprocess.run(
            ["certbot", *args, "--non-interactive",
             "--config-dir", str(self.le),
             "--work-dir", str(self.tmp / "certbot-work"),
             "--logs-dir", str(self.tmp / "certbot-logs")],
            env=env, capture_output=True, text=True, timeout=180)

    def live(self, name="cert.pem"):
        return self.le / "live" / "ombud" / name

    # -- TLS clients --

    def context(self):
        ctx = ssl.create_default_context(cafile=str(self.root))
        return ctx

    def served_cert(self):
        """The DER certificate nginx serves for DOMAIN, its chain
        verified against pebble's root and its name checked."""
        with socket.create_connection(("127.0.0.1", self.https_port),
                                      timeout=10) as raw:
            with self.context().wrap_socket(raw,
                                            server_hostname=DOMAIN) as s:
                return s.getpeercert(binary_form=True)

    def wait_served(self, der, timeout=15):
        """nginx reloads asynchronously: waits until it serves der."""
        deadline = time.time() + timeout
        while True:
            try:
                got = self.served_cert()
            except OSError:
                # The HTTPS port opens with the reload that enables it.
                if time.time() > deadline:
                    raise
                got = None
            if got == der or time.time() > deadline:
                return got
            time.sleep(0.2)

    def handshake(self, version=None, ciphers=None):
        """Connects with only this TLS version / these TLS 1.2 suites
        offered; returns (version, cipher) or None when refused.  The
        client side allows what OpenSSL's defaults forbid (security
        level 0), so that a refusal is the server's."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_ciphers((ciphers or "ALL") + ":@SECLEVEL=0")
        if version is not None:
            ctx.minimum_version = ctx.maximum_version = version
        try:
            with socket.create_connection(("127.0.0.1", self.https_port),
                                          timeout=10) as raw:
                with ctx.wrap_socket(raw, server_hostname=DOMAIN) as s:
                    return s.version(), s.cipher()[0]
        except (ssl.SSLError, ConnectionError):
            return None

    def stapled(self, timeout=20):
        """The OCSP part of `openssl s_client -status`, once nginx
        staples (it fetches the response after the first handshake that
        asks for one)."""
        deadline = time.time() + timeout
        while True:
            r = subprocess.run(
                ["openssl", "s_client", "-status", "-connect",
                 f"127.0.0.1:{self.https_port}", "-servername", DOMAIN,
                 "-CAfile", str(self.root)],
                input="", capture_output=True, text=True, timeout=20)
            m = re.search(r"OCSP response:.*?(?=\n---|\Z)", r.stdout, re.S)
            text = m.group(0) if m else r.stdout
            if "Cert Status: good" in text or time.time() > deadline:
                return text
            time.sleep(0.5)

    def request(self, method, path, port=None, tls=True, body=b"",
                headers=None):
        """One HTTP/1.1 request; returns (status, {header: value}, body).
        TLS is verified against pebble's root for DOMAIN."""
        port = port or (self.https_port if tls else self.http_port)
        lines = [f"{method} {path} HTTP/1.1", f"Host: {DOMAIN}",
                 "Connection: close"]
        if body:
            lines.append(f"Content-Length: {len(body)}")
            lines.append("Content-Type: application/x-www-form-urlencoded")
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        data = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        with socket.create_connection(("127.0.0.1", port), timeout=15) as s:
            if tls:
                s = self.context().wrap_socket(s, server_hostname=DOMAIN)
            try:
                s.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                pass    # nginx answered 413 before the body was sent
            chunks = []
            while True:
                try:
                    c = s.recv(65536)
                except ConnectionResetError:
                    break
                if not c:
                    break
                chunks.append(c)
        raw = b"".join(chunks)
        head, _, content = raw.partition(b"\r\n\r\n")
        head = head.decode("latin-1").split("\r\n")
        status = int(head[0].split()[1])
        hdrs = {}
        for line in head[1:]:
            k, _, v = line.partition(":")
            hdrs.setdefault(k.strip().lower(), []).append(v.strip())
        return status, hdrs, content


@pytest.fixture(scope="module")
def acme(stack):
    for tool in ("pebble", "pebble-challtestsrv", "certbot", "openssl"):
        assert shutil.which(tool), \
            f"{tool} is not installed: scripts/deps install test"
    a = Acme(stack)
    try:
        a.start_pebble()
        a.install()
        # Before any certificate: only the ACME site (docs/ops.md).
        a.enable("ombud-acme")
        a.start_nginx()
        r = a.certbot("certonly", "--webroot", "-w", str(a.webroot),
                      "--cert-name", "ombud", "-d", DOMAIN,
                      "--server", f"https://127.0.0.1:{a.acme_port}/dir",
                      "--agree-tos", "--register-unsafely-without-email")
        assert r.returncode == 0, f"certbot certonly:\n{r.stdout}\n{r.stderr}"
        # The hook as the package installs it: certbot runs it after
        # every renewal.
        hooks = a.le / "renewal-hooks" / "deploy"
        hooks.mkdir(parents=True, exist_ok=True)
        shutil.copy2(HOOK, hooks / "ombud-nginx")
        # Now the HTTPS site, and a reload (the hook does exactly that).
        a.enable("ombud")
        r = a.run_hook()
        assert r.returncode == 0, r.stderr
        yield a
    finally:
        a.stop()
        if os.environ.get("OMBUD_KEEP_VAR") != "1":
            shutil.rmtree(a.tmp, ignore_errors=True)


def test_obtained_certificate_is_served(acme):
    cert = acme.live()
    assert cert.exists() and acme.live("privkey.pem").exists()
    want = der_of(cert)
    assert acme.wait_served(want) == want, \
        "nginx does not serve the certificate certbot obtained"
    # pebble validated the challenge itself, through nginx: nothing set
    # it to accept every challenge.
    assert "PEBBLE_VA_ALWAYS_VALID" not in os.environ
    assert re.search(r"ombud\.test", acme.log("pebble"))


def test_acme_site_serves_challenges_and_redirects(acme):
    challenge = acme.webroot / ".well-known" / "acme-challenge"
    challenge.mkdir(parents=True, exist_ok=True)
    (challenge / "probe-token").write_text("probe-token.thumbprint")
    status, h, body = acme.request("GET",
                                   "/.well-known/acme-challenge/probe-token",
                                   tls=False)
    assert status == 200 and body == b"probe-token.thumbprint"
    assert h["strict-transport-security"] == ["max-age=63072000"]
    status, h, _ = acme.request("GET",
                                "/.well-known/acme-challenge/missing",
                                tls=False)
    assert status == 404
    status, h, _ = acme.request("GET", "/t/acme/?x=1", tls=False)
    assert status == 301
    assert h["location"] == [f"https://{DOMAIN}/t/acme/?x=1"]
    assert "onion-location" not in h


def test_tls_is_mozilla_intermediate(acme):
    # Debian's http block allows TLS 1.0 and 1.1; the site does not.
    assert acme.handshake(ssl.TLSVersion.TLSv1_1) is None
    v12 = acme.handshake(ssl.TLSVersion.TLSv1_2)
    assert v12 is not None and v12[0] == "TLSv1.2"
    assert v12[1] in MOZILLA_TLS12
    v13 = acme.handshake(ssl.TLSVersion.TLSv1_3)
    assert v13 is not None and v13[0] == "TLSv1.3"
    # TLS 1.2 suites outside the list: CBC, no forward secrecy, SHA-1.
    for weak in ("ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA384",
                 "AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA"):
        assert acme.handshake(ssl.TLSVersion.TLSv1_2, weak) is None, weak
    assert acme.handshake(ssl.TLSVersion.TLSv1_2,
                          "ECDHE-ECDSA-CHACHA20-POLY1305")[1] == \
        "ECDHE-ECDSA-CHACHA20-POLY1305"
    # No session tickets.
    assert "ssl_session_tickets off;" in acme.nginx("-T").stdout


def test_ocsp_response_is_stapled(acme):
    text = acme.stapled()
    assert "OCSP Response Status: successful" in text, text
    assert "Cert Status: good" in text, text
    assert acme.ocsp.asked > 0
    serial = serial_of(acme.live())
    assert re.search(rf"Serial Number: 0*{serial}", text, re.I), text
    # nginx verified the response (ssl_stapling_verify) or it would not
    # staple it; nothing went wrong on the way.
    assert "OCSP" not in acme.log("error"), acme.log("error")


def test_https_site_routes_to_the_pools_with_headers(acme):
    status, h, body = acme.request("GET", "/healthz")
    assert status == 200, body
    assert json.loads(body)["status"] == "ok"
    assert h["strict-transport-security"] == ["max-age=63072000"]
    assert h["cache-control"] == ["no-store"]
    assert "default-src 'none'" in h["content-security-policy"][0]
    assert h["server"] == ["nginx"]
    assert "onion-location" not in h
    status, h, body = acme.request("GET", "/static/errors/errors.css")
    assert status == 200 and h["cache-control"] == ["public, max-age=3600"]
    # Debian's http block has "gzip on"; pages carry CSRF tokens (BREACH).
    status, h, body = acme.request("GET", "/static/errors/404.html",
                                   headers={"Accept-Encoding": "gzip"})
    assert status == 200 and h["content-type"][0].startswith("text/html")
    assert "content-encoding" not in h and b"<html" in body.lower()
    status, h, body = acme.request("GET", "/static/nothing-here.css")
    assert status == 404 and b"<html" in body.lower()
    assert h["cache-control"] == ["no-store"]
    # Plain HTTP on the HTTPS port.
    status, h, _ = acme.request("GET", "/x", port=acme.https_port, tls=False)
    assert status == 301 and h["location"] == [f"https://{DOMAIN}/x"]


def test_no_client_address_is_logged(acme):
    # Errors that nginx logs with ", client: <address>": a body over the
    # limit, a failed TLS handshake.
    status, _, _ = acme.request("POST", "/", body=b"x" * (2 << 20))
    assert status == 413
    assert acme.handshake(ssl.TLSVersion.TLSv1_1) is None
    status, _, _ = acme.request("GET", "/" + "a" * 9000)
    assert status == 414
    time.sleep(0.5)
    error = acme.log("error") + acme.log("nginx")
    assert "client:" not in error
    access = acme.tmp / "log" / "access.log"
    assert not access.exists() or access.stat().st_size == 0


def test_onion_location_only_when_configured(acme):
    onion = acme.conf / "ombud" / "onion-location.conf"
    shipped = onion.read_text()
    try:
        onion.write_text(shipped + f"on {ONION}$request_uri;\n")
        r = acme.run_hook()
        assert r.returncode == 0, r.stderr
        deadline = time.time() + 15
        while True:
            status, h, _ = acme.request("GET", "/healthz?a=1")
            if "onion-location" in h or time.time() > deadline:
                break
            time.sleep(0.2)
        assert h.get("onion-location") == [f"{ONION}/healthz?a=1"]
        status, h, _ = acme.request("GET", "/static/nothing-here.css")
        assert h.get("onion-location") == [f"{ONION}/static/nothing-here.css"]
        # Not on plain HTTP (the onion service's own block is plain HTTP).
        status, h, _ = acme.request("GET", "/x", tls=False)
        assert "onion-location" not in h
    finally:
        onion.write_text(shipped)
        assert acme.run_hook().returncode == 0


def test_renewal_deploys_the_new_certificate(acme):
    first = der_of(acme.live())
    first_serial = serial_of(acme.live())
    assert acme.wait_served(first) == first

    r = acme.certbot("renew", "--force-renewal", "--no-random-sleep-on-renew")
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert "ombud deploy hook: nginx reloaded" in out, out
    second = der_of(acme.live())
    second_serial = serial_of(acme.live())
    assert second_serial != first_serial
    served = acme.wait_served(second)
    assert served == second, "nginx still serves the old certificate"
    # The new certificate's own OCSP response is stapled.
    text = acme.stapled()
    assert re.search(rf"Serial Number: 0*{second_serial}", text, re.I), text
    assert "Cert Status: good" in text, text

    # A configuration nginx rejects: the renewal gets a certificate, the
    # hook refuses to reload, nginx keeps serving the old one and still
    # answers.
    onion = acme.conf / "ombud" / "onion-location.conf"
    shipped = onion.read_text()
    try:
        onion.write_text(shipped + "this is not nginx syntax\n")
        r = acme.certbot("renew", "--force-renewal",
                         "--no-random-sleep-on-renew")
        out = r.stdout + r.stderr
        assert "not reloaded" in out, out
        third = der_of(acme.live())
        assert third != second
        time.sleep(1)
        assert acme.served_cert() == second
        assert acme.request("GET", "/healthz")[0] == 200
    finally:
        onion.write_text(shipped)
    # Fixed: the hook (as certbot would run it next time) deploys it.
    r = acme.run_hook()
    assert r.returncode == 0, r.stderr
    assert acme.wait_served(third) == third
    assert acme.procs["nginx"].poll() is None
