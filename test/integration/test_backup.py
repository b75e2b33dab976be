"""Encrypted backups through the real stack (ombudctl backup, docs/ops.md
"Backups"): a backup made from the live database holds no plaintext and
opens only with its age identity; the restore drill (drop the database,
restore, and the same receipt and the same handler read the same case);
restore refuses a database that is not empty, a damaged file, a wrong
identity; prune keeps exactly what the 60-day / 24-month rule names."""

import datetime as dt
import os
import re
import subprocess
from pathlib import Path

import pytest
from psycopg2 import sql

from conftest import BUILD, ROOT
from test_cases import PASSWORD, ctl, file_report, page, reporter, sign_in

CANARY = "canary-backup-7Tz2-description"
OMBUDCTL = str(BUILD / "services" / "ombudctl" / "ombudctl")


def run(config, *args, **kw):
    return subprocess.run([OMBUDCTL, "--config", str(config), *args],
                          capture_output=True, text=True, timeout=300, **kw)


def with_backup(src, dest, **keys):
    """Writes dest: the config src with a [backup] group of keys."""
    text = Path(src).read_text()
    text += "\n[backup]\n" + "".join(f"{k} = {v}\n" for k, v in keys.items())
    Path(dest).write_text(text)
    return dest


def renamed(config, dest, dbname):
    Path(dest).write_text(re.sub(r"(?m)^name = .*$", f"name = {dbname}",
                                 Path(config).read_text()))
    return dest


def backups(d):
    return sorted(p.name for p in Path(d).iterdir())


def public_tables(stack, dbname):
    with stack.db(dbname=dbname) as c, c.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_class c JOIN pg_namespace n "
                    "ON n.oid = c.relnamespace WHERE n.nspname = 'public'")
        return cur.fetchone()[0]


def create_empty_db(stack, name):
    admin = stack.db(dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                    .format(sql.Identifier(name)))
        cur.execute(sql.SQL("CREATE DATABASE {} OWNER ombud_owner "
                            "ENCODING 'UTF8' TEMPLATE template0")
                    .format(sql.Identifier(name)))
    admin.close()


def drop_db(stack, name):
    admin = stack.db(dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                    .format(sql.Identifier(name)))
    admin.close()


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    d = tmp_path_factory.mktemp("age")
    for name in ("identity", "wrong"):
        subprocess.run(["age-keygen", "-o", str(d / name)], check=True,
                       capture_output=True)
    recipient = subprocess.run(["age-keygen", "-y", str(d / "identity")],
                               check=True, capture_output=True,
                               text=True).stdout.strip()
    return {"identity": d / "identity", "wrong": d / "wrong",
            "recipient": recipient, "dir": d}


@pytest.fixture(scope="module")
def world(stack, keys, tmp_path_factory):
    """A tenant, its handler and a report with a canary in the stack's
    own database; and a backup of it, uploaded by the hook."""
    d = tmp_path_factory.mktemp("backup")
    key = d / "drill-recovery.key"
    r = ctl(stack, "tenant", "add", "drill", "--name", "Drill A/S",
            "--recovery-key-file", str(key))
    assert r.returncode == 0, r.stderr
    email, phone = "handler@drill.example", "+4561000001"
    r = ctl(stack, "user", "add", "--email", email, "--role", "tenant-user",
            "--phone", phone, "--password-stdin", stdin=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    r = ctl(stack, "user", "grant", "--email", email, "--tenant", "drill",
            "--recovery-key-file", str(key))
    assert r.returncode == 0, r.stderr
    receipt, case_id, number = file_report(stack, "drill", CANARY)

    (d / "uploaded").mkdir()
    (d / "out").mkdir()
    config = with_backup(stack.info["OMBUD_CONFIG"], d / "backup.conf",
                         recipient=keys["recipient"],
                         upload_command=f"cp {{}} {d / 'uploaded'}/")
    r = run(config, "backup", "create", "--dir", str(d / "out"))
    assert r.returncode == 0, r.stderr
    files = backups(d / "out")
    assert len(files) == 2, files
    name = files[0]
    assert re.fullmatch(r"ombud-\d{8}T\d{6}Z\.dump\.age", name), name
    assert files[1] == name + ".sha256"
    assert f"backup: {d / 'out' / name}" in r.stdout
    return {"dir": d, "file": d / "out" / name, "config": config,
            "receipt": receipt, "case_id": case_id, "number": number,
            "email": email, "phone": phone}


def test_backup_is_encrypted_checksummed_and_uploaded(stack, keys, world):
    f = world["file"]
    data = f.read_bytes()
    assert data.startswith(b"age-encryption.org/v1\n")
    assert oct(f.stat().st_mode & 0o777) == "0o600"
    # Nothing of the report, the receipt or the handler in clear.
    for needle in (CANARY, world["receipt"],
                   world["receipt"].replace("-", ""), world["email"],
                   "ombud_owner", "CREATE TABLE", "PGDMP"):
        assert needle.encode() not in data, needle
    # sha256sum(1) agrees with the checksum file.
    r = subprocess.run(["sha256sum", "-c", f.name + ".sha256"], cwd=f.parent,
                       capture_output=True, text=True)
    assert r.returncode == 0 and ": OK" in r.stdout, r.stdout + r.stderr
    # Only the identity opens it: age with another key fails.
    r = subprocess.run(["age", "-d", "-i", str(keys["wrong"]), str(f)],
                       capture_output=True)
    assert r.returncode != 0 and r.stdout == b""
    r = subprocess.run(["age", "-d", "-i", str(keys["identity"]), str(f)],
                       capture_output=True)
    assert r.returncode == 0 and r.stdout.startswith(b"PGDMP")
    # Case content is ciphertext in the database, so in the dump too.
    assert CANARY.encode() not in r.stdout
    # The upload hook got the file, byte for byte.
    assert (world["dir"] / "uploaded" / f.name).read_bytes() == data


def test_restore_drill(stack, keys, world):
    """Drop the live database, restore the backup into a new empty one,
    and the reporter's receipt and the handler's password open the same
    case again."""
    drop_db(stack, "ombud")
    create_empty_db(stack, "ombud")
    r = run(world["config"], "backup", "restore", str(world["file"]),
            "--identity", str(keys["identity"]))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "matches its checksum" in r.stdout
    assert "restored into the database ombud" in r.stdout
    assert re.search(r"audit: chain intact, [1-9]\d* rows", r.stdout), r.stdout
    # Every service role may connect, and PUBLIC may not: the list
    # restored with the database (0016_database_grants.sql), compared
    # with the roles bootstrap.sql makes.
    roles = re.findall(r"\b(ombud_(?!owner)[a-z]+)\b",
                       (ROOT / "sql" / "bootstrap.sql").read_text())
    assert "ombud_retention" in roles
    with stack.db() as c, c.cursor() as cur:
        for role in set(roles):
            cur.execute("SELECT has_database_privilege(%s, 'ombud', "
                        "'CONNECT')", (role,))
            assert cur.fetchone() == (True,), role
        cur.execute("SELECT has_database_privilege('public', 'ombud', "
                    "'CONNECT')")
        assert cur.fetchone() == (False,)
    stack.wait_healthy()

    s = reporter(stack, "drill", world["receipt"])
    r = s.get(stack.url + "/t/drill/case")
    assert r.status_code == 200 and CANARY in page(r).get_text()

    s = sign_in(stack, world["email"], world["phone"])
    r = s.get(stack.url + f"/cases/{world['case_id']}")
    assert r.status_code == 200
    assert CANARY in page(r).find(id="report").text
    # And the chain goes on from the restored head.
    r = ctl(stack, "audit", "verify")
    assert r.returncode == 0, r.stderr


def test_restore_refuses_a_database_that_is_not_empty(stack, keys, world,
                                                      scratch_db, tmp_path):
    config = with_backup(scratch_db.config, tmp_path / "c.conf")
    before = public_tables(stack, scratch_db.name)
    r = run(config, "backup", "restore", str(world["file"]), "--identity",
            str(keys["identity"]))
    assert r.returncode == 1
    assert f"the database {scratch_db.name} is not empty" in r.stderr
    assert "nothing was restored" in r.stderr
    assert public_tables(stack, scratch_db.name) == before


def test_restore_refuses_damage_and_a_wrong_identity(stack, keys, world,
                                                     tmp_path):
    name = "ombud_t_backup_empty"
    create_empty_db(stack, name)
    try:
        config = renamed(with_backup(stack.info["OMBUD_CONFIG"],
                                     tmp_path / "a.conf"),
                         tmp_path / "e.conf", name)
        # One byte changed: the checksum says so before anything runs.
        bad = tmp_path / world["file"].name
        data = bytearray(world["file"].read_bytes())
        data[len(data) // 2] ^= 0x01
        bad.write_bytes(bytes(data))
        sum_file = Path(str(world["file"]) + ".sha256")
        Path(str(bad) + ".sha256").write_text(sum_file.read_text())
        r = run(config, "backup", "restore", str(bad), "--identity",
                str(keys["identity"]))
        assert r.returncode == 1
        assert "does not match its checksum" in r.stderr, r.stderr
        assert public_tables(stack, name) == 0

        # The same damage with a checksum made after it: age's own
        # authentication refuses it, and pg_restore commits nothing.
        digest = subprocess.run(["sha256sum", str(bad)], capture_output=True,
                                text=True, check=True).stdout.split()[0]
        Path(str(bad) + ".sha256").write_text(f"{digest}  {bad.name}\n")
        r = run(config, "backup", "restore", str(bad), "--identity",
                str(keys["identity"]))
        assert r.returncode == 1
        assert "cannot decrypt" in r.stderr, r.stderr
        assert public_tables(stack, name) == 0

        # Without its checksum file, nothing is tried.
        Path(str(bad) + ".sha256").unlink()
        r = run(config, "backup", "restore", str(bad), "--identity",
                str(keys["identity"]))
        assert r.returncode == 1 and ".sha256 is missing" in r.stderr

        # The right file, the wrong identity.
        r = run(config, "backup", "restore", str(world["file"]),
                "--identity", str(keys["wrong"]))
        assert r.returncode == 1
        assert "cannot decrypt" in r.stderr
        assert "nothing was restored" in r.stderr
        assert public_tables(stack, name) == 0
    finally:
        drop_db(stack, name)


def test_create_refuses_without_a_recipient_and_reports_a_failed_hook(
        stack, keys, tmp_path):
    out = tmp_path / "out"
    config = with_backup(stack.info["OMBUD_CONFIG"], tmp_path / "n.conf")
    r = run(config, "backup", "create", "--dir", str(out))
    assert r.returncode == 1
    assert "[backup] recipient: missing" in r.stderr
    assert not out.exists() or backups(out) == []

    config = with_backup(stack.info["OMBUD_CONFIG"], tmp_path / "x.conf",
                         recipient="age1notakey")
    r = run(config, "backup", "create", "--dir", str(out))
    assert r.returncode == 1 and "not an age public key" in r.stderr

    # A database that cannot be dumped: no file, not even a temporary one.
    config = renamed(with_backup(stack.info["OMBUD_CONFIG"],
                                 tmp_path / "m.conf",
                                 recipient=keys["recipient"]),
                     tmp_path / "missing.conf", "ombud_t_no_such_db")
    r = run(config, "backup", "create", "--dir", str(out))
    assert r.returncode == 1 and "pg_dump exited" in r.stderr, r.stderr
    assert backups(out) == []

    # The hook fails: the exit status says so, the backup stays.
    config = with_backup(stack.info["OMBUD_CONFIG"], tmp_path / "h.conf",
                         recipient=keys["recipient"], upload_command="false")
    r = run(config, "backup", "create", "--dir", str(out))
    assert r.returncode == 1
    assert "upload hook failed" in r.stderr, r.stderr
    files = backups(out)
    assert len(files) == 2 and files[1] == files[0] + ".sha256"
    assert str(out / files[0]) in r.stderr


# --- prune -----------------------------------------------------------------

NOW = dt.datetime(2025, 3, 15, 12, 0, 0)


def stamp(t):
    return t.strftime("ombud-%Y%m%dT%H%M%SZ.dump.age")


def expected_kept(times, now):
    """The rule, written out again in Python: each day's newest backup
    for the 60 days ending today, each month's first for the 24 months
    ending this month (UTC), and anything dated after now."""
    past = sorted(t for t in times if t <= now)
    keep = {t for t in times if t > now}
    by_day, by_month = {}, {}
    for t in past:
        by_day[t.date()] = t            # sorted: the last one wins
        by_month.setdefault((t.year, t.month), t)   # the first one stays
    for day, t in by_day.items():
        if (now.date() - day).days < 60:
            keep.add(t)
    for (y, m), t in by_month.items():
        if (now.year * 12 + now.month) - (y * 12 + m) < 24:
            keep.add(t)
    return {stamp(t) for t in keep}


# What the rule names for the set below, as of NOW, listed by hand: the
# 60 days from 15 January to 15 March 2025 (on 1 March and 20 February
# the 18:00 backup, the later of the day), the first of each month from
# April 2023 to March 2025 (1 March's 02:30 one, the month's first), and
# the two dated in the future.
KEPT_BY_HAND = (
    [f"ombud-{(dt.date(2025, 1, 15) + dt.timedelta(days=i)):%Y%m%d}"
     f"T023000Z.dump.age" for i in range(60)
     if (dt.date(2025, 1, 15) + dt.timedelta(days=i)) not in
     (dt.date(2025, 3, 1), dt.date(2025, 2, 20))] +
    ["ombud-20250301T180000Z.dump.age", "ombud-20250220T180000Z.dump.age"] +
    ["ombud-20230401T023000Z.dump.age", "ombud-20230501T023000Z.dump.age",
     "ombud-20230601T023000Z.dump.age", "ombud-20230701T023000Z.dump.age",
     "ombud-20230801T023000Z.dump.age", "ombud-20230901T023000Z.dump.age",
     "ombud-20231001T023000Z.dump.age", "ombud-20231101T023000Z.dump.age",
     "ombud-20231201T023000Z.dump.age", "ombud-20240101T023000Z.dump.age",
     "ombud-20240201T023000Z.dump.age", "ombud-20240301T023000Z.dump.age",
     "ombud-20240401T023000Z.dump.age", "ombud-20240501T023000Z.dump.age",
     "ombud-20240601T023000Z.dump.age", "ombud-20240701T023000Z.dump.age",
     "ombud-20240801T023000Z.dump.age", "ombud-20240901T023000Z.dump.age",
     "ombud-20241001T023000Z.dump.age", "ombud-20241101T023000Z.dump.age",
     "ombud-20241201T023000Z.dump.age", "ombud-20250101T023000Z.dump.age",
     "ombud-20250201T023000Z.dump.age", "ombud-20250301T023000Z.dump.age"] +
    ["ombud-20250315T130000Z.dump.age", "ombud-20260101T000000Z.dump.age"])

# Files prune must never touch: not its name pattern, or not a file.
STRANGERS = ["notes.txt", "ombud-20200101T000000Z.dump.age.bak",
             "ombud-20250231T023000Z.dump.age", "ombud-20200101T000000Z.dump",
             ".ombud-20200101T000000Z.dump.age.Ab12Cd",
             "OMBUD-20200101T000000Z.dump.age",
             "ombud-20200101T000000Z.dump.age.sha256.orphan"]


def synthetic_set(d):
    times = [dt.datetime(2025, 3, 15, 2, 30) - dt.timedelta(days=i)
             for i in range(800)]
    times += [dt.datetime(2025, 3, 1, 18, 0), dt.datetime(2025, 2, 20, 18, 0),
              dt.datetime(2025, 3, 15, 13, 0), dt.datetime(2026, 1, 1)]
    d.mkdir()
    for t in times:
        (d / stamp(t)).write_bytes(b"x")
        (d / (stamp(t) + ".sha256")).write_text(f"{'0' * 64}  {stamp(t)}\n")
    for name in STRANGERS:
        (d / name).write_text("not a backup")
    (d / "ombud-20200201T000000Z.dump.age").mkdir()
    return times


def test_prune_keeps_exactly_what_the_rule_names(stack, tmp_path):
    d = tmp_path / "rot"
    times = synthetic_set(d)
    config = stack.info["OMBUD_CONFIG"]
    kept = expected_kept(times, NOW)
    assert kept == set(KEPT_BY_HAND)
    assert len(kept) == 60 + 23 + 2
    everything = set(backups(d))

    # A dry run lists the same decision and deletes nothing.
    r = run(config, "backup", "prune", "--dir", str(d), "--dry-run",
            "--now", "20250315T120000Z")
    assert r.returncode == 0, r.stderr
    listed_keep = set(re.findall(r"(?m)^keep\s+(\S+)", r.stdout))
    listed_delete = set(re.findall(r"(?m)^delete\s+(\S+)", r.stdout))
    assert listed_keep == kept
    assert listed_delete == {stamp(t) for t in times} - kept
    assert set(backups(d)) == everything

    r = run(config, "backup", "prune", "--dir", str(d),
            "--now", "20250315T120000Z")
    assert r.returncode == 0, r.stderr
    assert f"prune: {len(kept)} kept, {len(times) - len(kept)} deleted" \
        in r.stdout
    left = set(backups(d))
    assert left == kept | {k + ".sha256" for k in kept} | set(STRANGERS) | \
        {"ombud-20200201T000000Z.dump.age"}
    # Daily and monthly reasons as the operator reads them.
    assert re.search(r"(?m)^keep\s+ombud-20250201T023000Z\.dump\.age\s+"
                     r"daily, monthly$", r.stdout)
    assert re.search(r"(?m)^keep\s+ombud-20230401T023000Z\.dump\.age\s+"
                     r"monthly$", r.stdout)

    # Running it again changes nothing.
    r = run(config, "backup", "prune", "--dir", str(d),
            "--now", "20250315T120000Z")
    assert r.returncode == 0 and "0 deleted" in r.stdout
    assert set(backups(d)) == left


def test_prune_goes_by_the_clock_and_the_names(stack, tmp_path):
    """Without --now, today is today; every file was written just now,
    so only the dates in the names can make the old ones go."""
    d = tmp_path / "clock"
    d.mkdir()
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    recent = stamp(now - dt.timedelta(minutes=5))
    old = stamp(now - dt.timedelta(days=3 * 366))
    for name in (recent, old):
        (d / name).write_bytes(b"x")
        (d / (name + ".sha256")).write_text(f"{'0' * 64}  {name}\n")
    r = run(stack.info["OMBUD_CONFIG"], "backup", "prune", "--dir", str(d))
    assert r.returncode == 0, r.stderr
    assert backups(d) == sorted([recent, recent + ".sha256"])

    r = run(stack.info["OMBUD_CONFIG"], "backup", "prune", "--dir",
            str(tmp_path / "absent"))
    assert r.returncode == 1 and "cannot open" in r.stderr
    r = run(stack.info["OMBUD_CONFIG"], "backup", "prune", "--dir", str(d),
            "--now", "yesterday")
    assert r.returncode == 1 and "--now" in r.stderr
