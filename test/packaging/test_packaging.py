"""The Debian package, built and installed on this machine (issue 8 §5).

Builds the .deb with `dpkg-buildpackage -us -uc -b` in a copy of the tree
(the work tree stays clean), installs it with apt-get, and checks what an
operator gets: `ombudctl --version`, the files in place, the systemd
units passing `systemd-analyze verify`, the config and its generated
secrets with the right owners and modes, the database set up by the
postinst (roles, database, migrations) on a PostgreSQL cluster of the
test's own with peer authentication, and the intake pool serving
/healthz on a socket handed to it by systemd-socket-activate
(LISTEN_FDS), running as its own system user.  At the end the package is
purged and the users it made are removed.

Needs root (dpkg, users, runuser); scripts/test runs it as root.  About
two minutes on two cores, most of it the build.
"""

import grp
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "test" / "integration"))
import fcgi  # noqa: E402

POOLS = ("intake", "auth", "cases", "scrub")
# The system users: one per database role that sql/bootstrap.sql makes
# (peer authentication), and debian/ombud.sysusers must make them all.
USERS = tuple(sorted(set(re.findall(
    r"'(ombud_[a-z]+)'", (ROOT / "sql" / "bootstrap.sql").read_text()))))
SYSUSERS = tuple(re.findall(r"(?m)^u (\S+) ",
                            (ROOT / "debian" / "ombud.sysusers").read_text()))
UNITS = ("ombud-pool@intake.socket", "ombud-pool@auth.socket",
         "ombud-pool@cases.socket", "ombud-pool@scrub.socket",
         "ombud-pool@intake.service", "ombud-pool@auth.service",
         "ombud-pool@cases.service", "ombud-pool@scrub.service",
         "ombud-outbox.service", "ombud-retention.service",
         "ombud-retention.timer", "ombud-backup.service",
         "ombud-backup.timer", "ombud.target")
SERVICES = [u for u in UNITS if u.endswith(".service")]
CONF = Path("/etc/ombud/ombud.conf")
UNIT_DIR = Path("/lib/systemd/system")

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="installs a .deb: needs root")


def run(cmd, timeout=120, check=True, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                       **kw)
    if check and r.returncode != 0:
        raise AssertionError(f"{cmd} exited {r.returncode}:\n"
                             f"{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return r


def meson_version():
    m = re.search(r"version:\s*'([^']+)'", (ROOT / "meson.build").read_text())
    return m.group(1)


def installed(pkg):
    r = run(["dpkg-query", "-W", "-f=${db:Status-Status}", pkg], check=False)
    return r.stdout == "installed"


def user_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def purge():
    run(["apt-get", "purge", "-y", "-q", "-o", "DPkg::Lock::Timeout=300",
         "ombud"], timeout=600,
        env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))


@pytest.fixture(scope="module")
def deb(tmp_path_factory):
    """Builds the package from a copy of the tree; returns the .deb."""
    top = tmp_path_factory.mktemp("deb")
    src = top / "ombud"
    files = run(["git", "ls-files", "-co", "--exclude-standard", "-z"],
                cwd=ROOT).stdout.split("\0")
    for f in filter(None, files):
        p = ROOT / f
        if p.is_file() and not p.is_symlink():
            (src / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(p, src / f)
    jobs = os.cpu_count() or 2
    env = dict(os.environ,
               DEB_BUILD_OPTIONS=f"nocheck parallel={jobs}")
    r = run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=src, env=env,
            timeout=900, check=False)
    (top / "build.log").write_text(r.stdout + r.stderr)
    assert r.returncode == 0, (r.stdout + r.stderr)[-5000:]
    debs = sorted(top.glob(f"ombud_{meson_version()}_*.deb"))
    assert len(debs) == 1, sorted(p.name for p in top.iterdir())
    return debs[0]


@pytest.fixture(scope="module")
def installed_pkg(deb):
    """Installs the .deb (database left alone; see test_database), and
    purges it afterwards, removing the users it made."""
    users_before = {u for u in SYSUSERS + ("ombud",) if user_exists(u)}
    if installed("ombud"):
        purge()
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive",
               OMBUD_SKIP_DATABASE="1")
    r = run(["apt-get", "install", "-y", "-q", "--no-install-recommends",
             "-o", "DPkg::Lock::Timeout=300", str(deb)], timeout=600,
            env=env)
    yield r.stdout + r.stderr
    purge()
    for u in SYSUSERS:
        if u not in users_before and user_exists(u):
            run(["userdel", u], check=False)
    try:
        grp.getgrnam("ombud")
        if "ombud" not in users_before:
            run(["groupdel", "ombud"], check=False)
    except KeyError:
        pass


def test_version(installed_pkg):
    r = run(["ombudctl", "--version"])
    assert r.stdout == f"ombudctl {meson_version()}\n"
    dpkg = run(["dpkg-query", "-W", "-f=${Version}", "ombud"]).stdout
    assert dpkg == meson_version()
    # debian/changelog agrees with meson.build.
    head = (ROOT / "debian" / "changelog").read_text().split("\n", 1)[0]
    assert f"({meson_version()})" in head


def test_files_in_place(installed_pkg):
    for b in ("ombud-intake", "ombud-auth", "ombud-cases", "ombud-scrub",
              "ombud-outbox", "ombud-logfilter"):
        p = Path("/usr/lib/ombud") / b
        assert p.is_file() and os.access(p, os.X_OK), p
    assert Path("/usr/bin/ombudctl").is_file()
    share = Path("/usr/share/ombud")
    for sub in ("templates", "static", "sql"):
        want = {p.relative_to(ROOT / sub)
                for p in (ROOT / sub).rglob("*") if p.is_file()}
        got = {p.relative_to(share / sub)
               for p in (share / sub).rglob("*") if p.is_file()}
        assert want and want == got, sub
    for lang in (ROOT / "po" / "LINGUAS").read_text().split():
        mo = Path(f"/usr/share/locale/{lang}/LC_MESSAGES/ombud.mo")
        assert mo.stat().st_size > 0, mo
    sysusers = Path("/usr/lib/sysusers.d/ombud.conf").read_text()
    for u in USERS:
        assert re.search(rf"(?m)^u {u} ", sysusers), u
    for u in UNITS:
        base = re.sub(r"@[a-z]+\.", "@.", u)
        assert (UNIT_DIR / base).is_file(), base
    assert (UNIT_DIR / "ombud-pool@intake.service.d/ombud.conf").is_file()
    assert (UNIT_DIR / "ombud-pool@scrub.service.d/ombud.conf").is_file()
    # The onion service's files; the clearnet site, when the tree has it.
    assert Path("/etc/nginx/sites-available/ombud-onion").is_file()
    assert Path("/usr/share/ombud/tor/ombud-onion.torrc").is_file()
    # Every file of the production nginx configuration is somewhere
    # under /etc/nginx, unchanged (debian/rules says where).
    prod = ROOT / "nginx" / "production"
    if prod.is_dir():
        etc = {p.read_bytes() for p in Path("/etc/nginx").rglob("*")
               if p.is_file()}
        for p in list(prod.iterdir()) + list((ROOT / "nginx").glob("*.conf")):
            if p.is_file():
                assert p.read_bytes() in etc, p
    # Nothing was started or enabled by the install.
    assert not Path("/etc/systemd/system/multi-user.target.wants/"
                    "ombud.target").exists()


def test_units_verify(installed_pkg):
    """systemd-analyze verify prints a line for every problem (and still
    exits 0 for most): both must be clean."""
    r = run(["systemd-analyze", "verify", "--man=no", *UNITS],
            cwd=UNIT_DIR, check=False)
    assert r.returncode == 0 and (r.stdout + r.stderr).strip() == "", \
        r.stdout + r.stderr
    # The verifier does catch mistakes: a misspelt key is reported.
    with tempfile.TemporaryDirectory(prefix="ombud-test-pkg-") as d:
        bad = Path(d) / "ombud-bad.service"
        bad.write_text((UNIT_DIR / "ombud-outbox.service").read_text()
                       .replace("ProtectSystem=", "ProtectSystm="))
        r = run(["systemd-analyze", "verify", "--man=no", str(bad)],
                check=False)
        assert "ProtectSystm" in r.stdout + r.stderr


def test_units_hardening(installed_pkg):
    """Each service keeps a low exposure score (docs/ops.md lists them),
    and the settings the design relies on."""
    for svc in SERVICES:
        r = run(["systemd-analyze", "security", "--offline=true",
                 "--no-pager", svc], cwd=UNIT_DIR)
        m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", r.stdout)
        assert m, r.stdout[-500:]
        assert float(m.group(1)) <= 2.0, (svc, m.group(1))
    pool = (UNIT_DIR / "ombud-pool@.service").read_text()
    for line in ("User=ombud_%i", "ProtectSystem=strict", "PrivateTmp=yes",
                 "NoNewPrivileges=yes", "MemoryDenyWriteExecute=yes",
                 "SystemCallFilter=@system-service",
                 "RestrictAddressFamilies=AF_UNIX\n",
                 "LoadCredential=csrf-key:/etc/ombud/secrets/csrf-key",
                 "ExecStart=/usr/lib/ombud/ombud-%i --config "
                 "/etc/ombud/ombud.conf\n"):
        assert line in pool, line
    sock = (UNIT_DIR / "ombud-pool@.socket").read_text()
    for line in ("ListenStream=/run/ombud/%i.sock", "SocketGroup=www-data",
                 "SocketMode=0660"):
        assert line in sock, line
    # Only the outbox and the backup job (its upload hook) get a network.
    for svc in SERVICES:
        text = (UNIT_DIR / re.sub(r"@[a-z]+\.", "@.", svc)).read_text()
        inet = "AF_INET" in re.findall(r"^RestrictAddressFamilies=.*$",
                                       text, re.M)[0]
        assert inet == (svc in ("ombud-outbox.service",
                                "ombud-backup.service")), svc


def test_config_and_secrets(installed_pkg):
    st = os.stat("/etc/ombud")
    assert (stat.S_IMODE(st.st_mode), st.st_uid,
            grp.getgrgid(st.st_gid).gr_name) == (0o750, 0, "ombud")
    st = CONF.stat()
    assert (stat.S_IMODE(st.st_mode), st.st_uid,
            grp.getgrgid(st.st_gid).gr_name) == (0o640, 0, "ombud")
    st = os.stat("/etc/ombud/secrets")
    assert (stat.S_IMODE(st.st_mode), st.st_uid) == (0o700, 0)
    secrets = {}
    for name in ("receipt-pepper", "csrf-key"):
        p = Path("/etc/ombud/secrets") / name
        st = p.stat()
        assert (stat.S_IMODE(st.st_mode), st.st_uid) == (0o600, 0), p
        secrets[name] = p.read_bytes()
        assert len(secrets[name]) == 32
        assert f"/etc/ombud/secrets/{name}" in CONF.read_text()
    assert secrets["receipt-pepper"] != secrets["csrf-key"]
    # Every user is in group ombud, can read the config, not the secrets.
    for u in SYSUSERS:
        pw = pwd.getpwnam(u)
        assert pw.pw_gid == grp.getgrnam("ombud").gr_gid, u
        assert run(["runuser", "-u", u, "--", "cat", str(CONF)]).stdout
        r = run(["runuser", "-u", u, "--", "cat",
                 "/etc/ombud/secrets/csrf-key"], check=False)
        assert r.returncode != 0, u
    # Each pool finds the installed config, templates and catalogs valid.
    for pool in POOLS:
        r = run([f"/usr/lib/ombud/ombud-{pool}", "--config", str(CONF),
                 "--check"])
        assert "is valid" in r.stdout
    # Configuring again keeps the secrets: a new pepper would lose every
    # receipt.
    run(["/var/lib/dpkg/info/ombud.postinst", "configure", meson_version()],
        env=dict(os.environ, OMBUD_SKIP_DATABASE="1"))
    for name, old in secrets.items():
        assert (Path("/etc/ombud/secrets") / name).read_bytes() == old


def test_onion_service_config(installed_pkg, tmp_path):
    """The onion server block loads in nginx, the torrc snippet in tor."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.skip("nginx is not installed")
    # As Debian's nginx.conf would: conf.d, then the site; the shared
    # files beside nginx.conf as in /etc/nginx.
    for name in ("ombud", "ombud-upload-limit.conf"):
        (tmp_path / name).symlink_to(Path("/etc/nginx") / name)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log stderr;\n"
        "events {}\nhttp {\n"
        "include /etc/nginx/conf.d/ombud.conf;\n"
        "include /etc/nginx/sites-available/ombud-onion;\n}\n")
    r = run([nginx, "-t", "-p", str(tmp_path), "-c",
             str(tmp_path / "nginx.conf")], check=False)
    assert r.returncode == 0, r.stderr
    tor = shutil.which("tor") or "/usr/bin/tor"
    if Path(tor).exists():
        torrc = tmp_path / "torrc"
        torrc.write_text(
            f"DataDirectory {tmp_path}/tor\n"
            + Path("/usr/share/ombud/tor/ombud-onion.torrc").read_text()
            .replace("/var/lib/tor/ombud/", f"{tmp_path}/tor/ombud/"))
        r = run([tor, "--verify-config", "-f", str(torrc)], check=False)
        assert r.returncode == 0 and "Configuration was valid" in r.stdout, \
            r.stdout + r.stderr


class Cluster:
    """A throwaway PostgreSQL cluster with peer authentication, as a
    Debian server has it, on a socket directory of its own."""

    def __init__(self, top):
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        assert bins, "postgresql is not installed"
        self.bin = bins[-1].parent
        self.top = top
        self.data = top / "data"
        self.sock = top / "run"
        self.port = "5432"
        os.chmod(top, 0o755)
        self.logdir = top / "pglog"
        for d in (self.data, self.sock, self.logdir):
            d.mkdir()
            shutil.chown(d, "postgres", "postgres")
        os.chmod(self.data, 0o700)
        self.as_pg([self.bin / "initdb", "-D", self.data, "-U", "postgres",
                    "--auth-local=peer", "--auth-host=reject", "-E", "UTF8",
                    "--locale=C", "--no-instructions"])
        (self.data / "pg_hba.conf").write_text("local all all peer\n")
        opts = (f"-c listen_addresses= -c unix_socket_directories={self.sock}"
                f" -c port={self.port}")
        self.as_pg([self.bin / "pg_ctl", "-D", self.data, "-l",
                    self.logdir / "pg.log", "-w", "-o", opts, "start"])

    def as_pg(self, cmd, **kw):
        return run(["runuser", "-u", "postgres", "--", *map(str, cmd)],
                   cwd="/", **kw)

    def psql(self, sql, db="postgres", user="postgres"):
        return run(["runuser", "-u", user, "--", "psql", "-h", str(self.sock),
                    "-p", self.port, "-d", db, "-qAtX", "-v",
                    "ON_ERROR_STOP=1", "-c", sql], cwd="/").stdout.strip()

    def stop(self):
        self.as_pg([self.bin / "pg_ctl", "-D", self.data, "-m", "fast", "-w",
                    "stop"], check=False)


def set_database(host, port):
    text = CONF.read_text()
    text = re.sub(r"(?m)^host = .*$", f"host = {host}", text, count=1)
    text = re.sub(r"(?m)^port = .*$", f"port = {port}", text, count=1)
    CONF.write_text(text)


def test_database_and_socket_activation(installed_pkg):
    top = Path(tempfile.mkdtemp(prefix="ombud-test-pkg-"))
    cluster = None
    proc = None
    original = CONF.read_text()
    try:
        cluster = Cluster(top)
        set_database(cluster.sock, cluster.port)
        # What an operator does once PostgreSQL runs: configure again.
        r = run(["dpkg-reconfigure", "ombud"], timeout=300,
                env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        assert "created database ombud owned by ombud_owner" in r.stdout, \
            r.stdout + r.stderr
        roles = cluster.psql("select string_agg(rolname, ',' order by "
                             "rolname) from pg_roles where rolname like "
                             "'ombud%'").split(",")
        assert sorted(USERS) == roles
        assert cluster.psql("select pg_get_userbyid(datdba) from "
                            "pg_database where datname = 'ombud'") == \
            "ombud_owner"
        applied = int(cluster.psql("select count(*) from ombud_migrations",
                                   db="ombud"))
        assert applied == len(list((ROOT / "sql").glob("[0-9]*.sql")))
        # Running it again is harmless.
        run(["dpkg-reconfigure", "ombud"], timeout=300,
            env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        # Peer authentication: each user is its own role, and no other.
        assert cluster.psql("select current_user", db="ombud",
                            user="ombud_intake") == "ombud_intake"
        r = run(["runuser", "-u", "ombud_intake", "--", "psql", "-h",
                 str(cluster.sock), "-p", cluster.port, "-U", "ombud_owner",
                 "-d", "ombud", "-c", "select 1"], cwd="/", check=False)
        assert r.returncode != 0 and "authentication failed" in r.stderr

        # The intake pool as systemd starts it: its own user, the secrets
        # it needs as private copies (LoadCredential), the socket on
        # fd 3 (LISTEN_FDS) from systemd-socket-activate.
        cred = top / "cred"
        cred.mkdir(mode=0o500)
        for name in ("csrf-key", "receipt-pepper"):
            shutil.copy(f"/etc/ombud/secrets/{name}", cred / name)
            os.chmod(cred / name, 0o400)
            shutil.chown(cred / name, "ombud_intake")
        shutil.chown(cred, "ombud_intake")
        conf = top / "intake.conf"
        conf.write_text(CONF.read_text().replace("/etc/ombud/secrets/",
                                                 f"{cred}/"))
        shutil.chown(conf, "root", "ombud")
        os.chmod(conf, 0o640)
        run_dir = top / "sock"
        run_dir.mkdir()
        shutil.chown(run_dir, "ombud_intake")
        sock = run_dir / "intake.sock"
        log = open(top / "intake.log", "w")
        activate = shutil.which("systemd-socket-activate")
        assert activate, "systemd-socket-activate (package systemd) missing"

        # Without a socket from anywhere the pool says so and stops.
        r = run(["runuser", "-u", "ombud_intake", "-g", "ombud", "--",
                 "/usr/lib/ombud/ombud-intake", "--config", str(conf)],
                cwd="/", check=False, stdin=subprocess.DEVNULL)
        assert r.returncode != 0 and "LISTEN_FDS" in r.stderr, r.stderr

        # setpriv and systemd-socket-activate exec (no fork), so the
        # pool master is proc.pid and LISTEN_PID names it.
        proc = subprocess.Popen(
            ["setpriv", "--reuid=ombud_intake", "--regid=ombud",
             "--init-groups", "--", activate, "-l", str(sock),
             "/usr/lib/ombud/ombud-intake", "--config", str(conf)],
            cwd="/", stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.time() + 30
        while not sock.exists() and time.time() < deadline:
            time.sleep(0.1)
        assert sock.exists(), (top / "intake.log").read_text()
        status, body = 0, b""
        while time.time() < deadline:
            try:
                status, _, body = fcgi.get(str(sock), "/healthz")
                break
            except OSError:
                time.sleep(0.2)
        assert status == 200, (body, (top / "intake.log").read_text())
        assert b'"db":"ok"' in body
        for _ in range(5):
            status, _, body = fcgi.get(str(sock), "/healthz")
            assert status == 200, body
        text = (top / "intake.log").read_text()
        assert "pool: starting 4 processes" in text, text
        # The pool took systemd's socket: it made no socket of its own,
        # and leaves systemd's in place when it stops.
        assert Path(f"/proc/{proc.pid}/exe").resolve() == \
            Path("/usr/lib/ombud/ombud-intake")
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=60) == 0, (top / "intake.log").read_text()
        proc = None
        assert "pool: stopped" in (top / "intake.log").read_text()
    finally:
        if proc is not None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        CONF.write_text(original)
        if cluster is not None:
            cluster.stop()
        if os.environ.get("OMBUD_KEEP_VAR") != "1":
            shutil.rmtree(top, ignore_errors=True)
