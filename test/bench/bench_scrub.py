#!/usr/bin/python3
"""bench_scrub.py - the scrubbers against mat2 (issue 7).

Run by scripts/bench against the stack it started (the environment of
`scripts/stack env`, with OMBUD_UPLOAD_MAX_BYTES raised for the large
video).  Three measurements:

1. A mixed corpus made here, every file carrying canaries (names, an
   e-mail address, GPS coordinates, serial numbers): multi-megabyte
   photos (JPEG, PNG, TIFF), a PDF of hundreds of pages, office
   documents, MP3 and WAV, and a long MP4.  `ombudctl scrub` and Debian's
   `mat2` clean the same files in the same run, one after the other;
   the wall time of each, their ratio (aim: ombudctl at least 20 times
   faster), and per file whether the result is clean: no canary in the
   raw bytes, in any zip member or in any decompressed PDF stream, and
   nothing left for `mat2 --show`.
2. The peak RSS of `ombudctl scrub` (and so of its sandboxed child) on
   a video of OMBUD_BENCH_VIDEO_MB (default 1024) megabytes.
3. The same video uploaded by a reporter through nginx and the scrub
   pool into a case: the pool child's peak RSS during the upload (its
   high-water mark is reset first), aim under 64 MiB, and the stored
   size.  The upload's plaintext lives in memfds, which are not
   counted as RSS (docs/scrub.md: "Memory").

    bench_scrub.py [--pdf-pages N] [--video-mb N] [--skip-upload]
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "test"), str(ROOT / "test" / "integration")]

import media_fixtures as media  # noqa: E402
# What mat2 --show lists that describes only the streams or the format:
# the same allowlists as the scrubbers' tests.
from test_scrub_media import MAT2_OK  # noqa: E402
from test_scrub_pdf import MAT2_HARMLESS  # noqa: E402

NAME, MAIL = "Canary Person", "canary@example.org"
CANARIES = [b"canary", b"48.8584", b"48,8584", b"CANARYSN"]
PASSWORD = "Harbour-Lantern-47!"


def run(*args, **kw):
    kw.setdefault("check", True)
    return subprocess.run([str(a) for a in args], **kw)


def exif(path, *tags):
    run("exiftool", "-q", "-overwrite_original", *tags, path)


# ---- the corpus -------------------------------------------------------------

GPS_TAGS = ["-GPSLatitude=48.8584", "-GPSLatitudeRef=N",
            "-GPSLongitude=2.2945", "-GPSLongitudeRef=E"]
PERSON_TAGS = [f"-Artist={NAME}", f"-Copyright={MAIL}",
               "-SerialNumber=CANARYSN1234", f"-XMP-dc:Creator={NAME}",
               "-Make=CanaryCam", "-Model=CanaryCam X1"]


def photo(path, size, fmt, **save):
    from PIL import Image
    # Noise compresses badly: a realistic photo size for its pixels.
    img = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    img.save(path, fmt, **save)
    exif(path, *GPS_TAGS, *PERSON_TAGS)


def pdf(path, pages):
    """A PDF of `pages` pages of text, with an Info dictionary and XMP."""
    objs = {1: b"<< /Type /Catalog /Pages 2 0 R /Metadata 4 0 R >>",
            3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"}
    xmp = (b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><dc:creator>" +
           NAME.encode() + b"</dc:creator></x:xmpmeta>")
    objs[4] = (b"<< /Type /Metadata /Subtype /XML /Length %d >>\nstream\n"
               % len(xmp) + xmp + b"\nendstream")
    kids = []
    n = 10
    for p in range(pages):
        text = b"".join(b"BT /F1 10 Tf 72 %d Td (Page %d line %d of the "
                        b"report) Tj ET\n" % (760 - 14 * i, p, i)
                        for i in range(50))
        data = zlib.compress(text)
        objs[n] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                   b"/Contents %d 0 R /Resources << /Font << /F1 3 0 R >> "
                   b">> >>" % (n + 1))
        objs[n + 1] = (b"<< /Length %d /Filter /FlateDecode >>\nstream\n"
                       % len(data) + data + b"\nendstream")
        kids.append(b"%d 0 R" % n)
        n += 2
    objs[2] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(kids), pages)
    objs[5] = (b"<< /Author (%s) /Creator (CanaryWriter) /Producer "
               b"(CanaryPDF) /Title (Canary report) >>" % NAME.encode())
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for k in sorted(objs):
        offsets[k] = len(out)
        out += b"%d 0 obj\n" % k + objs[k] + b"\nendobj\n"
    size = max(objs) + 1
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for k in range(1, size):
        out += (b"%010d 00000 n \n" % offsets[k] if k in offsets
                else b"0000000000 65535 f \n")
    out += (b"trailer\n<< /Size %d /Root 1 0 R /Info 5 0 R >>\nstartxref\n"
            b"%d\n%%%%EOF\n" % (size, xref))
    Path(path).write_bytes(bytes(out))


CORE = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>{NAME}</dc:creator><cp:lastModifiedBy>{MAIL}</cp:lastModifiedBy><dcterms:created xsi:type="dcterms:W3CDTF">2021-02-03T04:05:06Z</dcterms:created></cp:coreProperties>"""


def docx(path, paragraphs, picture):
    body = "".join(
        f'<w:p w:rsidR="00CA0001"><w:r><w:t>Paragraph {i} of the '
        f'report.</w:t></w:r></w:p>' for i in range(paragraphs))
    doc = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
           '<w:document xmlns:w="http://schemas.openxmlformats.org/'
           'wordprocessingml/2006/main"><w:body>' + body +
           '<w:p><w:ins w:id="1" w:author="' + NAME + '" w:date="2021-02-03'
           'T04:05:06Z"><w:r><w:t>inserted</w:t></w:r></w:ins></w:p>'
           '</w:body></w:document>')
    types = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
             'content-types"><Default Extension="rels" ContentType="'
             'application/vnd.openxmlformats-package.relationships+xml"/>'
             '<Default Extension="xml" ContentType="application/xml"/>'
             '<Default Extension="jpeg" ContentType="image/jpeg"/>'
             '<Override PartName="/word/document.xml" ContentType="'
             'application/vnd.openxmlformats-officedocument.'
             'wordprocessingml.document.main+xml"/><Override PartName="'
             '/docProps/core.xml" ContentType="application/vnd.'
             'openxmlformats-package.core-properties+xml"/></Types>')
    rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId1" Type="'
            'http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/officeDocument" Target="word/document.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org'
            '/package/2006/relationships/metadata/core-properties" Target="'
            'docProps/core.xml"/></Relationships>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", types)
        z.writestr("_rels/.rels", rels)
        z.writestr("docProps/core.xml", CORE)
        z.writestr("word/document.xml", doc)
        z.write(picture, "word/media/image1.jpeg")


def video(path, seconds, size="1280x720"):
    media.ffmpeg("-f", "lavfi", "-i", f"testsrc2=s={size}:r=30:d={seconds}",
                 "-f", "lavfi", "-i", f"sine=d={seconds}",
                 "-c:v", "mpeg4", "-q:v", "1", "-g", "1",
                 "-c:a", "aac", "-b:a", "64k", *media.meta_args(),
                 "-metadata", f"location={media.GPS}",
                 "-movflags", "use_metadata_tags", path)
    exif(path, f"-XMP-dc:Creator={NAME}", "-XMP-exif:GPSLatitude=48.8584",
         f"-UserData:Author={NAME}")


def corpus(d, pdf_pages):
    d.mkdir(parents=True)
    photo(d / "photo1.jpg", (4000, 3000), "JPEG", quality=92)
    photo(d / "photo2.jpg", (3000, 2000), "JPEG", quality=92)
    photo(d / "scan.png", (2000, 1500), "PNG")
    photo(d / "scan.tif", (1600, 1200), "TIFF")
    pdf(d / "report.pdf", pdf_pages)
    docx(d / "minutes.docx", 2000, d / "photo2.jpg")
    media.make_mp3(d / "call.mp3", seconds=60)
    media.make_wav(d / "memo.wav", seconds=30)
    video(d / "meeting.mp4", 60)
    return sorted(d.iterdir())


# ---- cleanliness ------------------------------------------------------------

def blobs(path):
    """The raw bytes, every zip member, every decompressed PDF stream."""
    data = path.read_bytes()
    yield data
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            for n in z.namelist():
                yield z.read(n)
    if data.startswith(b"%PDF"):
        qdf = path.with_suffix(".qdf")
        run("qpdf", "--qdf", "--object-streams=disable", "--decode-level=all",
            path, qdf, check=False, capture_output=True)
        if qdf.exists():
            yield qdf.read_bytes()
            qdf.unlink()


def harmless(key, value):
    if key in MAT2_OK:
        return True
    if key in MAT2_HARMLESS:   # a PDF's format, and dates only unset
        return key == "format" or value == "-1"
    return "Date" in key and value.startswith("0000:00:00")


def dirty(path):
    """Canaries found anywhere, and what mat2 --show would still remove
    (beyond what describes only the streams or the format)."""
    found = sorted({c.decode() for b in blobs(path) for c in CANARIES
                    if c in b.lower() or c in b})
    show = run("mat2", "--show", path, capture_output=True, text=True,
               check=False).stdout
    left = []
    for line in show.splitlines()[1:]:
        m = re.match(r"^\s+([^:]+): (.*)$", line)
        if m and not harmless(m.group(1), m.group(2)):
            left.append(m.group(1))
    return found, left


def timed(args, cwd=None):
    t0 = time.monotonic()
    r = run(*args, capture_output=True, text=True, check=False, cwd=cwd)
    return time.monotonic() - t0, r


def peak_rss_kib(args):
    """/usr/bin/time's maximum resident set size: the largest of the
    command and its waited-for children."""
    r = run("/usr/bin/time", "-f", "maxrss %M", *args, capture_output=True,
            text=True, check=False)
    m = re.search(r"maxrss (\d+)", r.stderr)
    return int(m.group(1)) if m else None, r


def compare(work, ombudctl, pdf_pages):
    src = work / "corpus"
    files = corpus(src, pdf_pages)
    total = sum(f.stat().st_size for f in files)
    print(f"corpus: {len(files)} files, {total / 2**20:.0f} MiB "
          f"({', '.join(f.name for f in files)}); PDF of {pdf_pages} pages")
    ours = work / "ombud"
    ours.mkdir()
    t_ours, r = timed([ombudctl, "scrub", "--out", ours, *files])
    if r.returncode != 0:
        print(r.stdout, r.stderr, file=sys.stderr)
        raise SystemExit("bench: ombudctl scrub refused a corpus file")
    theirs = work / "mat2"
    shutil.copytree(src, theirs)
    targets = sorted(theirs.iterdir())
    t_mat2, r2 = timed(["mat2", *targets])
    print(f"ombudctl scrub: {t_ours:8.2f} s")
    print(f"mat2:           {t_mat2:8.2f} s  (exit {r2.returncode})")
    print(f"ratio:          {t_mat2 / t_ours:8.1f}x  (aim: >= 20x faster)")
    print()
    print(f"{'file':<14} {'ombud':<28} {'mat2':<40}")
    all_clean = True
    for f in files:
        o = dirty(ours / f.name)
        m_out = theirs / (f.stem + ".cleaned" + f.suffix)
        m = dirty(m_out) if m_out.exists() else (["no output"], [])
        all_clean &= not o[0] and not o[1]

        def say(res):
            found, left = res
            if not found and not left:
                return "clean"
            return ("canaries " + ",".join(found) if found else "") + \
                (" mat2 would remove " + ",".join(left) if left else "")
        print(f"{f.name:<14} {say(o):<28} {say(m):<40}")
    print()
    if not all_clean:
        raise SystemExit("bench: ombudctl left something in a file")


def big_video(work, mb):
    # 720p intra-only MPEG-4 at the best quality: about 2.5 MB a second.
    path = work / "long.mp4"
    seconds = max(10, mb * 20 // 51)
    video(path, seconds)
    return path


def video_rss(work, ombudctl, path):
    out = work / "video-out"
    out.mkdir()
    t0 = time.monotonic()
    kib, r = peak_rss_kib([ombudctl, "scrub", "--out", out, path])
    secs = time.monotonic() - t0
    if r.returncode != 0:
        print(r.stdout, r.stderr, file=sys.stderr)
        raise SystemExit("bench: the long video was refused")
    size = path.stat().st_size
    print(f"ombudctl scrub, {size / 2**20:.0f} MiB MP4: {secs:.1f} s, "
          f"peak RSS {kib / 1024:.1f} MiB (ombudctl or its sandboxed child)")
    (out / path.name).unlink()


# ---- the upload path --------------------------------------------------------

def upload(work, path):
    import psycopg2
    import requests
    import urllib3
    from bs4 import BeautifulSoup
    urllib3.disable_warnings()
    env = os.environ
    url, config = env["OMBUD_URL"], env["OMBUD_CONFIG"]
    build = env.get("OMBUD_BUILD", str(ROOT / "build"))
    ctl = [os.path.join(build, "services/ombudctl/ombudctl"), "--config",
           config]
    slug = "benchfiles"
    run(*ctl, "tenant", "add", slug, "--name", "Bench Files",
        "--recovery-key-file", work / "files.key", capture_output=True)

    def token(s, path):
        doc = BeautifulSoup(s.get(url + path, verify=False).text,
                            "html.parser")
        return [i["value"] for i in doc.select("input[name=csrf]")
                if "/lang" not in (i.find_parent("form").get("action")
                                   or "")][0]
    s = requests.Session()
    s.verify = False
    r = s.post(url + f"/t/{slug}/report", data={
        "category": "other", "description": "A report with a long video.",
        "csrf": token(s, f"/t/{slug}/report")})
    receipt = BeautifulSoup(r.text, "html.parser").find(id="receipt")
    receipt = receipt.text.strip()
    s = requests.Session()
    s.verify = False
    s.post(url + f"/t/{slug}/followup", allow_redirects=False, data={
        "receipt": receipt, "csrf": token(s, f"/t/{slug}/followup")})
    csrf = token(s, f"/t/{slug}/case")
    var = Path(env["OMBUD_VAR"])
    master = int((var / "run" / "scrub.pid").read_text())
    kids = [int(p) for p in run("pgrep", "-P", master, capture_output=True,
                                text=True).stdout.split()]
    for k in kids:       # 5: reset the peak RSS (VmHWM)
        Path(f"/proc/{k}/clear_refs").write_text("5")
    cookies = "; ".join(f"{k}={v}" for k, v in s.cookies.items())
    t0 = time.monotonic()
    # curl streams the file from disk; requests would read it whole.
    r = run("curl", "-sk", "--noproxy", "*", "-o", work / "upload.html",
            "-w", "%{http_code}", "-H", f"Cookie: {cookies}",
            "-F", f"csrf={csrf}", "-F",
            f"file=@{path};type=video/mp4;filename={path.name}",
            url + f"/t/{slug}/case/files", capture_output=True, text=True,
            check=False)
    secs = time.monotonic() - t0
    peaks = {}
    for k in kids:
        m = re.search(r"VmHWM:\s+(\d+) kB",
                      Path(f"/proc/{k}/status").read_text())
        peaks[k] = int(m.group(1))
    if r.stdout != "200":
        print((work / "upload.html").read_text(errors="replace")[-2000:],
              file=sys.stderr)
        raise SystemExit(f"bench: the upload answered {r.stdout}")
    with psycopg2.connect(dbname=env.get("PGDATABASE", "ombud")) as db, \
            db.cursor() as cur:
        cur.execute("SELECT f.size_bytes, f.chunks FROM files f JOIN tenants t "
                    "ON t.id = f.tenant_id WHERE t.slug = %s", (slug,))
        size, chunks = cur.fetchone()
    peak = max(peaks.values()) / 1024
    print(f"upload of {path.stat().st_size / 2**20:.0f} MiB MP4 through "
          f"nginx and the scrub pool: {secs:.1f} s, stored {size / 2**20:.0f}"
          f" MiB in {chunks} chunks")
    print(f"  scrub pool child peak RSS: {peak:.1f} MiB  (aim: < 64 MiB; "
          f"all children: {', '.join(f'{v / 1024:.1f}' for v in peaks.values())})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pdf-pages", type=int, default=300)
    ap.add_argument("--video-mb", type=int,
                    default=int(os.environ.get("OMBUD_BENCH_VIDEO_MB", 1024)))
    ap.add_argument("--skip-upload", action="store_true")
    a = ap.parse_args()
    build = os.environ.get("OMBUD_BUILD", str(ROOT / "build"))
    ombudctl = Path(build) / "services" / "ombudctl" / "ombudctl"
    base = os.environ.get("OMBUD_VAR", tempfile.gettempdir())
    with tempfile.TemporaryDirectory(prefix="bench-scrub-", dir=base) as t:
        work = Path(t)
        compare(work, ombudctl, a.pdf_pages)
        path = big_video(work, a.video_mb)
        video_rss(work, ombudctl, path)
        if not a.skip_upload:
            upload(work, path)


if __name__ == "__main__":
    main()
