"""Each tenant's file policy (issue 7; sql/0013_scrub_settings.sql),
through the real stack: the admin page sets it; files no scrubber can
clean are refused or kept marked "not scrubbed"; a reporter may keep a
file's metadata only where the tenant allows it, and then sees what stays;
PDFs are flattened to pictures of their pages, fonts they do not include
drawn inside the sandbox.  And `ombudctl scrub`, which runs the same
sandboxed child from the command line."""

import re
import subprocess

import pytest

from conftest import BUILD
from test_cases import PASSWORD, ctl, page, reporter, sign_in, token, \
    file_report
from test_scrub_pdf import CANARIES, TEXT, canary_pdf, found, qpdf_check, \
    text_of
from test_uploads import count_files, png

SLUG = "policy"
OMBUDCTL = BUILD / "services" / "ombudctl" / "ombudctl"


@pytest.fixture(scope="module")
def world(stack):
    key = stack.var / "policy-test.key"
    r = ctl(stack, "tenant", "add", SLUG, "--name", "Policy A/S",
            "--recovery-key-file", str(key))
    assert r.returncode == 0, r.stderr
    people = {}
    for name, role, extra in (
            ("handler", "tenant-user", ["--tenant", SLUG,
                                        "--recovery-key-file", str(key)]),
            ("admin", "admin", [])):
        email, phone = f"{name}@policy.example", \
            f"+45710000{len(people):02d}"
        r = ctl(stack, "user", "add", "--email", email, "--role", role,
                "--phone", phone, *extra, "--password-stdin",
                stdin=PASSWORD + "\n")
        assert r.returncode == 0, r.stderr
        people[name] = (email, phone)
    receipt, case_id, _ = file_report(stack, SLUG, "canary-policy-case")
    return {"receipt": receipt, "case": case_id, **people}


def policy(stack, **cols):
    """Sets the tenant's columns directly (the admin page is tested on
    its own below)."""
    with stack.db() as c, c.cursor() as cur:
        for k, v in cols.items():
            assert k in ("unknown_files", "flatten_pdf",
                         "reporter_keeps_metadata")
            cur.execute(f"UPDATE tenants SET {k} = %s WHERE slug = %s",
                        (v, SLUG))


def send(stack, s, path, form_path, files, keep=None):
    parts = [("csrf", (None, token(stack, s, form_path)))]
    if keep is not None:
        parts.append(("keep_metadata", (None, keep)))
    parts += [("file", f) for f in files]
    return s.post(stack.url + path, files=parts, allow_redirects=False)


def report_of(r):
    item = page(r).select_one("li.file")
    return [li.text for li in item.select("ul.report li")]


def download_last(stack, world):
    """The newest file of the case, as the handler downloads it."""
    h = sign_in(stack, *world["handler"])
    doc = page(h.get(stack.url + f"/cases/{world['case']}"))
    links = doc.select("li.file a")
    assert links
    r = h.get(stack.url + links[-1]["href"])
    assert r.status_code == 200
    return r.content


def test_the_admin_page_sets_the_policy(stack, world):
    admin = sign_in(stack, *world["admin"])
    path = f"/admin/tenants/{SLUG}"
    doc = page(admin.get(stack.url + path))
    assert doc.find(id="unknown_refuse").has_attr("checked")
    assert not doc.find(id="flatten_pdf").has_attr("checked")
    assert not doc.find(id="reporter_keeps_metadata").has_attr("checked")
    base = {"name": "Policy A/S", "retention_days": "60",
            "external_channels": "", "categories_en": "",
            "categories_da": "", "csrf": token(stack, admin, path)}
    r = admin.post(stack.url + path, allow_redirects=False,
                   data=dict(base, unknown_files="keep", flatten_pdf="1",
                             reporter_keeps_metadata="1"))
    assert r.status_code == 200 and page(r).find(id="saved"), \
        page(r).find(id="error-summary")
    with stack.db() as c, c.cursor() as cur:
        cur.execute("SELECT unknown_files, flatten_pdf, "
                    "reporter_keeps_metadata FROM tenants WHERE slug = %s",
                    (SLUG,))
        assert cur.fetchone() == ("keep", True, True)
    doc = page(admin.get(stack.url + path))
    assert doc.find(id="unknown_keep").has_attr("checked")
    assert doc.find(id="flatten_pdf").has_attr("checked")
    # A value that is not a policy changes nothing.
    r = admin.post(stack.url + path, allow_redirects=False,
                   data=dict(base, unknown_files="maybe",
                             csrf=token(stack, admin, path)))
    assert r.status_code == 400 and page(r).find(id="error-summary")
    # Unticked boxes are sent as nothing: off.
    r = admin.post(stack.url + path, allow_redirects=False,
                   data=dict(base, unknown_files="refuse",
                             csrf=token(stack, admin, path)))
    assert r.status_code == 200
    with stack.db() as c, c.cursor() as cur:
        cur.execute("SELECT unknown_files, flatten_pdf, "
                    "reporter_keeps_metadata FROM tenants WHERE slug = %s",
                    (SLUG,))
        assert cur.fetchone() == ("refuse", False, False)


def test_files_that_cannot_be_cleaned(stack, world):
    s = reporter(stack, SLUG, world["receipt"])
    text = b"canary-policy-text by Jane Roe\n"
    files = [("notes.txt", text, "text/plain")]
    policy(stack, unknown_files="refuse")
    before = count_files(stack)
    r = send(stack, s, f"/t/{SLUG}/case/files", f"/t/{SLUG}/case", files)
    assert r.status_code == 400 and "not accepted" in r.text
    assert count_files(stack) == before

    policy(stack, unknown_files="keep")
    try:
        r = send(stack, s, f"/t/{SLUG}/case/files", f"/t/{SLUG}/case",
                 files)
    finally:
        policy(stack, unknown_files="refuse")
    assert r.status_code == 200, r.text
    assert "not-checked: the whole file (not scrubbed)" in report_of(r)
    assert count_files(stack)[0] == before[0] + 1
    assert download_last(stack, world) == text


def test_a_reporter_keeps_metadata_only_where_allowed(stack, world):
    picture = png([("Author", "canary-keep-author Jane Roe")])
    s = reporter(stack, SLUG, world["receipt"])
    form, action = f"/t/{SLUG}/case", f"/t/{SLUG}/case/files"

    policy(stack, reporter_keeps_metadata=False)
    assert page(s.get(stack.url + form)).find(id="keep_metadata") is None
    # Asking anyway changes nothing: the file is cleaned.
    r = send(stack, s, action, form, [("a.png", picture, "image/png")],
             keep="1")
    assert r.status_code == 200
    assert not any(l.startswith("kept:") for l in report_of(r))
    assert b"canary-keep-author" not in download_last(stack, world)

    policy(stack, reporter_keeps_metadata=True)
    try:
        box = page(s.get(stack.url + form)).find(id="keep_metadata")
        assert box is not None and not box.has_attr("checked")
        r = send(stack, s, action, form, [("b.png", picture, "image/png")],
                 keep="1")
        assert r.status_code == 200, r.text
        report = report_of(r)
        assert report[1].startswith("kept: the file as it was sent")
        assert any(re.match(r"kept: .*text", l) for l in report[2:]), report
        assert not any(l.startswith("removed:") for l in report), report
        assert download_last(stack, world) == picture
        # Not ticked: cleaned as always.
        r = send(stack, s, action, form, [("c.png", picture, "image/png")])
        assert any(l.startswith("removed:") for l in report_of(r))
        assert b"canary-keep-author" not in download_last(stack, world)
        # A handler's file is always cleaned.
        h = sign_in(stack, *world["handler"])
        path = f"/cases/{world['case']}"
        r = send(stack, h, path + "/files", path,
                 [("d.png", picture, "image/png")], keep="1")
        assert r.status_code == 200
        assert any(l.startswith("removed:") for l in report_of(r))
        assert b"canary-keep-author" not in download_last(stack, world)
    finally:
        policy(stack, reporter_keeps_metadata=False)


def test_pdfs_flattened_for_the_tenant_that_asks(stack, world, tmp_path):
    # The fixture's text is in Helvetica, which it does not include:
    # drawn with the system's fonts, read inside the sandbox.
    data = canary_pdf(tmp_path)
    s = reporter(stack, SLUG, world["receipt"])
    form, action = f"/t/{SLUG}/case", f"/t/{SLUG}/case/files"
    r = send(stack, s, action, form, [("plain.pdf", data,
                                       "application/pdf")])
    assert r.status_code == 200, r.text
    out = tmp_path / "plain.pdf"
    out.write_bytes(download_last(stack, world))
    assert TEXT in text_of(out)

    policy(stack, flatten_pdf=True)
    try:
        r = send(stack, s, action, form, [("flat.pdf", data,
                                           "application/pdf")])
    finally:
        policy(stack, flatten_pdf=False)
    assert r.status_code == 200, r.text
    assert any("every page was replaced by a picture" in l
               for l in report_of(r))
    out = tmp_path / "flat.pdf"
    out.write_bytes(download_last(stack, world))
    qpdf_check(out)
    assert text_of(out).strip() == b""
    assert found(CANARIES, out.read_bytes()) == []


# ---- ombudctl scrub ---------------------------------------------------------

def run_scrub(*args):
    return subprocess.run([str(OMBUDCTL), "scrub", *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def test_ombudctl_scrub(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    out.mkdir()
    (src / "photo.png").write_bytes(png([("Author", "canary-ctl Jane")]))
    (src / "notes.txt").write_bytes(b"canary-ctl text\n")
    (src / "doc.pdf").write_bytes(canary_pdf(tmp_path))
    r = run_scrub(src / "photo.png", src / "notes.txt", src / "doc.pdf",
                  "--out", out)
    assert r.returncode == 1, r.stderr        # the text file is refused
    assert "photo.png: cleaned" in r.stdout
    assert "notes.txt: refused (cannot be cleaned)" in r.stdout
    assert "doc.pdf: cleaned" in r.stdout
    assert "type: image/png" in r.stdout
    assert "removed: document information" in r.stdout
    assert sorted(p.name for p in out.iterdir()) == ["doc.pdf", "photo.png"]
    assert b"canary" not in (out / "photo.png").read_bytes()
    assert found(CANARIES, (out / "doc.pdf").read_bytes()) == []
    assert TEXT in text_of(out / "doc.pdf")
    # Never over an existing file; all clean: 0.
    r = run_scrub(src / "photo.png", "--out", out)
    assert r.returncode == 1 and "exists" in r.stderr
    flat = tmp_path / "flat"
    flat.mkdir()
    r = run_scrub("--flatten-pdf", "--out", flat, src / "doc.pdf")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "every page was replaced by a picture" in r.stdout
    assert text_of(flat / "doc.pdf").strip() == b""
    assert run_scrub(src / "doc.pdf").returncode == 2
    assert run_scrub("--out", tmp_path / "missing",
                     src / "doc.pdf").returncode == 1
