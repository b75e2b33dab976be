"""Uploads through the real stack (issue 7): a reporter's and a
handler's files go through the scrub pool into the case, encrypted,
with a report; the handler downloads them; what no scrubber knows, what
comes without its form token, or before it, is refused and nothing is
stored; a file that kills its sandboxed child does not take the pool
down."""

import re
import struct
import subprocess
import zlib

import pytest
from bs4 import BeautifulSoup

from conftest import page_token
from test_cases import ctl, file_report, page, reporter, sign_in, token

PASSWORD = "Harbour-Lantern-47!"


def png(text_chunks=()):
    """A 2x2 PNG with tEXt chunks (keyword, text)."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(
        ">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
    for k, v in text_chunks:
        out += chunk(b"tEXt", k.encode() + b"\x00" + v.encode())
    return out + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def world(stack):
    key = stack.var / "uploads-test.key"
    ctl(stack, "tenant", "add", "files", "--name", "Files A/S",
        "--recovery-key-file", str(key))
    email, phone = "handler@files.example", "+4590000001"
    ctl(stack, "user", "add", "--email", email, "--role", "tenant-user",
        "--phone", phone, "--tenant", "files", "--recovery-key-file",
        str(key), "--password-stdin", stdin=PASSWORD + "\n")
    receipt, case_id, _ = file_report(stack, "files", "canary-uploads-case")
    return {"receipt": receipt, "case": case_id, "handler": (email, phone)}


def count_files(stack):
    with stack.db() as c, c.cursor() as cur:
        cur.execute("SELECT count(*), coalesce(sum(chunks), 0) FROM files")
        return cur.fetchone()


def upload(stack, s, path, form_path, files, csrf="page", first=True):
    t = token(stack, s, form_path) if csrf == "page" else csrf
    parts = []
    if t is not None and first:
        parts.append(("csrf", (None, t)))
    parts += [("file", f) for f in files]
    if t is not None and not first:
        parts.append(("csrf", (None, t)))
    return s.post(stack.url + path, files=parts, allow_redirects=False)


def test_unknown_types_are_refused_and_nothing_is_stored(stack, world):
    s = reporter(stack, "files", world["receipt"])
    before = count_files(stack)
    r = upload(stack, s, "/t/files/case/files", "/t/files/case",
               [("notes.txt", b"canary-upload-text by Jane Roe",
                 "text/plain")])
    assert r.status_code == 400
    doc = page(r)
    item = doc.select_one("li.file")
    assert "notes.txt" in item.text and "not accepted" in item.text
    assert count_files(stack) == before
    assert "canary-upload-text" not in r.text


def test_the_form_token_comes_first_and_must_be_right(stack, world):
    s = reporter(stack, "files", world["receipt"])
    before = count_files(stack)
    body = [("picture.png", png(), "image/png")]
    for kind in ("missing", "forged", "after"):
        if kind == "missing":
            r = upload(stack, s, "/t/files/case/files", None, body, csrf=None)
        elif kind == "forged":
            r = upload(stack, s, "/t/files/case/files", None, body,
                       csrf="A" * 43)
        else:
            r = upload(stack, s, "/t/files/case/files", "/t/files/case",
                       body, first=False)
        assert r.status_code == 403, kind
    # Without a reporter session, or with a handler's token for a
    # reporter's route: refused as well.
    anon = stack.session()
    r = upload(stack, anon, "/t/files/case/files", None, body,
               csrf=token(stack, anon, "/t/files/"))
    assert r.status_code == 403
    assert count_files(stack) == before
    # Not multipart at all.
    r = s.post(stack.url + "/t/files/case/files", data={"x": "y"},
               allow_redirects=False)
    assert r.status_code == 415


def test_the_pool_serves_on(stack, world):
    """Garbage, truncated and empty bodies get a 4xx, and the pool's
    children are all still there afterwards."""
    s = reporter(stack, "files", world["receipt"])
    pids = stack.children("scrub")
    t = token(stack, s, "/t/files/case")
    for body in (b"--x\r\n", b"garbage", b""):
        r = s.post(stack.url + "/t/files/case/files", data=body,
                   headers={"Content-Type":
                            "multipart/form-data; boundary=x"},
                   allow_redirects=False)
        assert 400 <= r.status_code < 500, (body, r.status_code)
    r = upload(stack, s, "/t/files/case/files", "/t/files/case", [])
    assert r.status_code == 200 and "No file was chosen" in r.text
    assert stack.children("scrub") == pids
    assert t


def test_a_reporters_picture_reaches_the_handler_clean(stack, world):
    """A PNG with a canary in a text chunk: stored with its report,
    listed for the reporter, downloaded by the handler without the
    canary and with the same image data."""
    s = reporter(stack, "files", world["receipt"])
    picture = png([("Author", "canary-png-author Jane Roe"),
                   ("Comment", "canary-png-comment")])
    assert b"canary-png-author" in picture
    before = count_files(stack)
    r = upload(stack, s, "/t/files/case/files", "/t/files/case",
               [("../../evil/holiday photo.png", picture, "image/png")])
    assert r.status_code == 200, r.text
    item = page(r).select_one("li.file")
    assert "holiday photo.png" in item.text and "evil" not in item.text
    report = [li.text for li in item.select("ul.report li")]
    assert any(l.startswith("removed:") for l in report), report
    assert "canary" not in r.text
    assert count_files(stack)[0] == before[0] + 1
    doc = page(s.get(stack.url + "/t/files/case"))
    assert "holiday photo.png" in doc.find(id="files").parent.text

    h = sign_in(stack, *world["handler"])
    doc = page(h.get(stack.url + f"/cases/{world['case']}"))
    link = doc.select_one("li.file a")
    assert link.text == "holiday photo.png"
    r = h.get(stack.url + link["href"])
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "attachment" in r.headers["content-disposition"]
    assert "holiday%20photo.png" in r.headers["content-disposition"]
    body = r.content
    assert body.startswith(b"\x89PNG\r\n\x1a\n")
    assert b"canary" not in body
    # The pixels are the same bytes.
    assert picture[picture.index(b"IDAT") - 4:] == body[body.index(b"IDAT") - 4:]
    with stack.db() as c, c.cursor() as cur:
        cur.execute("SELECT count(*) FROM audit_log WHERE action = "
                    "'case.file_download' AND case_id = %s", (world["case"],))
        assert cur.fetchone()[0] == 1
        # Only ciphertext in the database.
        cur.execute("SELECT string_agg(encode(data, 'escape'), '') FROM "
                    "file_chunks")
        assert "IHDR" not in (cur.fetchone()[0] or "")


def test_a_handlers_upload_and_the_walls_around_it(stack, world):
    h = sign_in(stack, *world["handler"])
    path = f"/cases/{world['case']}"
    r = upload(stack, h, path + "/files", path,
               [("scan.png", png([("Software", "canary-scanner")]),
                 "image/png")])
    assert r.status_code == 200 and "stored" in r.text
    doc = page(h.get(stack.url + path))
    assert any("scan.png" in li.text and "from a handler" in li.text
               for li in doc.select("li.file"))
    # Another tenant's case, a case that does not exist: not there.
    r = upload(stack, h, "/cases/99999999/files", path,
               [("x.png", png(), "image/png")])
    assert r.status_code == 404
    # The reporter sees only their own uploads.
    s = reporter(stack, "files", world["receipt"])
    assert "scan.png" not in s.get(stack.url + "/t/files/case").text
