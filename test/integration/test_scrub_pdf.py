"""The PDF scrubber (lib/scrub/pdf.c, issue 7) on PDFs these tests write
by hand: canaries in the Info dictionary, in XMP metadata of the document,
a page and an image, in annotations, an embedded file, JavaScript, a
Launch action, application data, an XFA form, a thumbnail, unknown keys,
the trailer and its /ID, and in an earlier revision kept by an
incremental update.  After scrubbing none is found in the raw bytes, in
any decompressed stream (qpdf --qdf), by exiftool or by mat2, and the
file still passes qpdf --check with the same pages and text.  Then the
flatten mode, and hostile files: truncated, polyglot, too many pages or
objects, nested too deeply, lying lengths, passwords.

No stack needed: build/test/unit/scrub_cli runs one scrubber."""

import io
import os
import re
import subprocess
import time
import zipfile
import zlib

import pytest

from conftest import BUILD, ROOT

CLI = BUILD / "test" / "unit" / "scrub_cli"
# In the sanitizer build: fontconfig's configuration, kept until exit,
# is not a leak of ours.
ENV = dict(os.environ, LSAN_OPTIONS=":".join(filter(None, [
    os.environ.get("LSAN_OPTIONS"),
    "suppressions=" + str(ROOT / "test" / "lsan.supp")])))

# In the PDF's own structures: every one must go.
CANARIES = [
    b"Canary Person", b"canary@example.org", b"CanaryWriter", b"CanaryPDF",
    b"Canary Title", b"Canary Subject", b"Canary Keyword", b"Canary Old Author",
    b"canary-js", b"canaryuser", b"canary-annot-id", b"Canary private",
    b"Canary embedded", b"canary-secret.txt", b"Canary XFA", b"Canary thumb",
    b"Canary trailer", b"Canary catalog", b"Canary page key",
    b"SN-CANARY-4711", b"51.5007", b"Canary signer", b"canary-home",
    b"43616e617279494431",      # the /ID, "CanaryID1" in hex
]
# Inside the JPEG image's own EXIF: the JPEG scrubber's job.
JPEG_CANARIES = [b"Canary Camera Owner", b"CanaryCam", b"SN-JPEG-0815"]
JPEG_NOT_CHECKED = "not-checked: metadata inside embedded JPEG images"

XMP = b"""<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF
 xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about=""
 xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:xmp="http://ns.adobe.com/xap/1.0/"
 xmlns:pdf="http://ns.adobe.com/pdf/1.3/"
 xmlns:aux="http://ns.adobe.com/exif/1.0/aux/"
 xmlns:exif="http://ns.adobe.com/exif/1.0/">
<dc:creator><rdf:Seq><rdf:li>Canary Person</rdf:li></rdf:Seq></dc:creator>
<dc:rights>canary@example.org</dc:rights>
<xmp:CreatorTool>CanaryWriter 9.1</xmp:CreatorTool>
<pdf:Producer>CanaryPDF 2.0</pdf:Producer>
<aux:SerialNumber>SN-CANARY-4711</aux:SerialNumber>
<exif:GPSLatitude>51.5007N</exif:GPSLatitude>
</rdf:Description></rdf:RDF></x:xmpmeta>
<?xpacket end="w"?>"""

TEXT = b"Hello visible text"


# ---- writing PDFs by hand ------------------------------------------------

def pdf_bytes(objects, root=1, info=None, trailer=b"",
              header=b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"):
    """A PDF of objects {number: body} with a classic xref table.
    Returns (bytes, /Size, offset of the xref table)."""
    out = io.BytesIO()
    out.write(header)
    offsets = {}
    for num in sorted(objects):
        offsets[num] = out.tell()
        out.write(b"%d 0 obj\n%s\nendobj\n" % (num, objects[num]))
    size = max(objects) + 1
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % size)
    for num in range(1, size):
        if num in offsets:
            out.write(b"%010d 00000 n \n" % offsets[num])
        else:
            out.write(b"0000000000 65535 f \n")
    tr = b"<< /Size %d /Root %d 0 R" % (size, root)
    if info:
        tr += b" /Info %d 0 R" % info
    out.write(b"trailer\n%s%s >>\nstartxref\n%d\n%%%%EOF\n" % (tr, trailer, xref))
    return out.getvalue(), size, xref


def pdf_update(base, size, prev, objects, root=1, info=None, trailer=b""):
    """Appends an incremental update replacing or adding objects."""
    out = io.BytesIO()
    out.write(base)
    offsets = {}
    for num in sorted(objects):
        offsets[num] = out.tell()
        out.write(b"%d 0 obj\n%s\nendobj\n" % (num, objects[num]))
    xref = out.tell()
    out.write(b"xref\n")
    for num in sorted(offsets):
        out.write(b"%d 1\n%010d 00000 n \n" % (num, offsets[num]))
    size = max(size, max(objects) + 1)
    tr = b"<< /Size %d /Root %d 0 R /Prev %d" % (size, root, prev)
    if info:
        tr += b" /Info %d 0 R" % info
    out.write(b"trailer\n%s%s >>\nstartxref\n%d\n%%%%EOF\n" % (tr, trailer, xref))
    return out.getvalue()


def stream(data, extra=b"", compress=False):
    if compress:
        data = zlib.compress(data)
        extra += b" /Filter /FlateDecode"
    return b"<< /Length %d%s >>\nstream\n%s\nendstream" % (len(data), extra, data)


def small_jpeg(tmp_path):
    """A 16x8 red JPEG with EXIF owner, camera, serial number and GPS."""
    from PIL import Image
    path = tmp_path / "photo.jpg"
    Image.new("RGB", (16, 8), (200, 30, 30)).save(path, "JPEG")
    subprocess.run(["exiftool", "-q", "-overwrite_original",
                    "-Artist=Canary Camera Owner", "-Make=CanaryCam",
                    "-SerialNumber=SN-JPEG-0815", "-GPSLatitude=51.5007",
                    "-GPSLatitudeRef=N", "-GPSLongitude=0.1246",
                    "-GPSLongitudeRef=W", str(path)], check=True)
    return path.read_bytes()


def simple_objects(text=TEXT):
    content = b"BT /F1 24 Tf 72 700 Td (%s) Tj ET" % text
    return {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
           b"/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        4: stream(content),
        5: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    }


def canary_pdf(tmp_path):
    """Every place the issue names, plus a second revision."""
    jpeg = small_jpeg(tmp_path)
    content = (b"BT /F1 24 Tf 72 700 Td (%s) Tj ET "
               b"q 160 0 0 80 72 500 cm /Im1 Do Q" % TEXT)
    objs = {
        1: b"<< /Type /Catalog /Pages 2 0 R /Metadata 10 0 R "
           b"/Names << /EmbeddedFiles << /Names [(secret.txt) 11 0 R] >> "
           b"/JavaScript << /Names [(js) 13 0 R] >> >> "
           b"/OpenAction 13 0 R /AA << /WC 13 0 R >> "
           b"/PieceInfo << /CanaryApp << /Private (Canary private) >> >> "
           b"/AcroForm << /Fields [20 0 R] /XFA 14 0 R >> "
           b"/CanaryKey (Canary catalog) >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
           b"/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> "
           b"/XObject << /Im1 16 0 R >> >> /Metadata 9 0 R "
           b"/Annots [6 0 R 7 0 R 15 0 R 20 0 R 22 0 R 23 0 R] /Thumb 17 0 R "
           b"/PieceInfo << /X << /Private (Canary private) >> >> "
           b"/LastModified (D:20200101000000Z) /Extra (Canary page key) >>",
        4: stream(content),
        5: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        6: b"<< /Type /Annot /Subtype /Text /Rect [100 100 120 120] "
           b"/Contents (A visible note) /T (Canary Person) "
           b"/M (D:20200102030405Z) /CreationDate (D:20200102030405Z) "
           b"/NM (canary-annot-id) /Popup 8 0 R >>",
        7: b"<< /Type /Annot /Subtype /FileAttachment /Rect [200 100 220 120] "
           b"/FS 11 0 R /T (Canary Person) >>",
        8: b"<< /Type /Annot /Subtype /Popup /Rect [100 100 300 200] "
           b"/Parent 6 0 R /T (Canary Person) >>",
        9: stream(XMP, b" /Type /Metadata /Subtype /XML"),
        10: stream(XMP, b" /Type /Metadata /Subtype /XML"),
        11: b"<< /Type /Filespec /F (canary-secret.txt) "
            b"/UF (canary-secret.txt) /EF << /F 12 0 R >> "
            b"/Desc (Canary Person's notes) >>",
        12: stream(b"Canary embedded file: Canary Person, canary@example.org",
                   b" /Type /EmbeddedFile", compress=True),
        13: b"<< /Type /Action /S /JavaScript /JS (app.alert('canary-js');) >>",
        14: stream(b"<xdp:xdp><author>Canary XFA</author></xdp:xdp>"),
        15: b"<< /Type /Annot /Subtype /Link /Rect [72 690 300 720] "
            b"/A << /S /Launch /F (C:\\\\Users\\\\canaryuser\\\\run.exe) >> >>",
        16: stream(jpeg, b" /Type /XObject /Subtype /Image /Width 16 "
                   b"/Height 8 /ColorSpace /DeviceRGB /BitsPerComponent 8 "
                   b"/Filter /DCTDecode /Metadata 9 0 R"),
        17: stream(b"\xff" * 48, b" /Width 4 /Height 4 /ColorSpace /DeviceRGB "
                   b"/BitsPerComponent 8 /Note (Canary thumb)"),
        18: b"<< /Author (Canary Old Author) /Creator (CanaryWriter 9.1) "
            b"/Producer (CanaryPDF 2.0) /Title (Canary Title) "
            b"/Subject (Canary Subject) /Keywords (Canary Keyword) "
            b"/CreationDate (D:20190101000000Z) /ModDate (D:20190101000000Z) >>",
        20: b"<< /Type /Annot /Subtype /Widget /FT /Sig /T (Signature1) "
            b"/Rect [0 0 0 0] /P 3 0 R /V 21 0 R >>",
        21: b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached "
            b"/Name (Canary signer) /M (D:20200101000000Z) "
            b"/ByteRange [0 10 20 10] /Contents <0000> >>",
        22: b"<< /Type /Annot /Subtype /Link /Rect [72 650 300 680] "
            b"/A << /S /URI /URI (file:///home/canary-home/report.docx) >> >>",
        23: b"<< /Type /Annot /Subtype /Link /Rect [72 610 300 640] "
            b"/A << /S /URI /URI (https://example.org/kept-link) >> >>",
    }
    trailer = (b" /ID [<43616e617279494431> <43616e617279494431>] "
               b"/Note (Canary trailer)")
    base, size, xref = pdf_bytes(objs, info=18, trailer=trailer)
    # The second revision: a new Info; the first stays in the bytes.
    return pdf_update(base, size, xref, {
        19: b"<< /Author (Canary Person) /Creator (CanaryWriter 9.1) "
            b"/Producer (CanaryPDF 2.0) /Title (Canary Title) "
            b"/Keywords (canary@example.org) "
            b"/ModDate (D:20200101000000Z) >>"},
        info=19, trailer=trailer)


# ---- running and looking -------------------------------------------------

def scrub(tmp_path, data, family="pdf", name="in.pdf"):
    src = tmp_path / name
    dst = tmp_path / ("out-" + name)
    src.write_bytes(data)
    r = subprocess.run([str(CLI), family, str(src), str(dst)], env=ENV,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode in (0, 1), r.stderr
    assert "Sanitizer" not in r.stderr and "runtime error" not in r.stderr
    return r, dst


def qdf(path):
    """Every object, every stream decompressed, as qpdf writes it."""
    r = subprocess.run(["qpdf", "--qdf", "--object-streams=disable",
                        str(path), "-"], capture_output=True, timeout=60)
    assert r.returncode in (0, 3), r.stderr
    return r.stdout


def found(canaries, *blobs):
    return [c for c in canaries if any(c.lower() in b.lower() for b in blobs)]


def exiftool(path):
    return subprocess.run(["exiftool", "-a", "-G1", "-s", str(path)],
                          capture_output=True, timeout=60).stdout


def mat2_fields(path):
    """mat2 --show: '    key: value' lines under a '[+] Metadata' head."""
    r = subprocess.run(["mat2", "--show", str(path)], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    fields = {}
    for line in r.stdout.splitlines():
        m = re.match(r"^\s+([^:]+): (.*)$", line)
        if m:
            fields[m.group(1)] = m.group(2)
    return fields, r.stdout


def pages(path):
    r = subprocess.run(["qpdf", "--show-npages", str(path)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode in (0, 3), r.stderr
    return int(r.stdout)


def text_of(path):
    return subprocess.run(["pdftotext", "-q", str(path), "-"],
                          capture_output=True, timeout=60).stdout


def qpdf_check(path):
    r = subprocess.run(["qpdf", "--check", str(path)], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr


# What poppler (and so mat2) reports for every PDF, clean or not.
MAT2_HARMLESS = {"format", "creation-date", "mod-date"}


def assert_clean(path, canaries):
    data = path.read_bytes()
    assert data.startswith(b"%PDF-")
    assert found(canaries, data) == []
    assert found(canaries, qdf(path)) == []
    exif = exiftool(path)
    assert found(canaries, exif) == []
    for line in exif.decode().splitlines():
        group = line.split("]")[0].lstrip("[")
        assert not group.startswith("XMP"), line
        if group == "PDF":
            tag = line.split("]")[1].split(":")[0].strip()
            assert tag in {"PDFVersion", "Linearized", "PageCount", "HasXFA"}, \
                line
    fields, shown = mat2_fields(path)
    assert found(canaries, shown.encode()) == []
    assert set(fields) <= MAT2_HARMLESS, shown
    assert fields.get("creation-date", "-1") == "-1", shown
    assert fields.get("mod-date", "-1") == "-1", shown
    qpdf_check(path)


# ---- the normal mode -----------------------------------------------------

def test_fixture_carries_every_canary(tmp_path):
    """The test can fail: each canary is in the file before scrubbing."""
    data = canary_pdf(tmp_path)
    (tmp_path / "f.pdf").write_bytes(data)
    assert found(CANARIES + JPEG_CANARIES, data, qdf(tmp_path / "f.pdf")) == \
        CANARIES + JPEG_CANARIES
    assert b"Canary Person" in exiftool(tmp_path / "f.pdf")
    fields, _ = mat2_fields(tmp_path / "f.pdf")
    assert fields.get("author") == "Canary Person"
    assert data.count(b"%%EOF") == 2


def test_scrub_removes_every_canary(tmp_path):
    data = canary_pdf(tmp_path)
    r, out = scrub(tmp_path, data)
    assert r.returncode == 0, r.stdout + r.stderr
    report = r.stdout
    for line in [
        "removed: document information (author, title, dates, software)",
        "removed: XMP metadata",
        "removed: embedded files",
        "removed: JavaScript",
        "removed: file attachment annotations",
        "removed: authors of annotations",
        "removed: actions that start programs",
        "removed: links to files on the author's computer",
        "removed: application private data",
        "removed: page thumbnails",
        "removed: XFA form data (the form's fields remain)",
        "removed: digital signatures (the rewrite would break them, "
        "and they name the signer)",
        "removed: earlier revisions of the document (incremental updates)",
        "removed: document identifier (it could link this file to its "
        "original)",
        "removed: unknown entries of the document catalog",
        "removed: unknown entries of the trailer",
        "changed: the PDF was rewritten as a single revision without "
        "unused objects",
    ]:
        assert line + "\n" in report, report
    # The report names kinds, never values.
    assert found(CANARIES + JPEG_CANARIES, report.encode()) == []
    assert_clean(out, CANARIES)
    clean = out.read_bytes()
    assert clean.count(b"%%EOF") == 1
    assert pages(out) == 1
    assert TEXT in text_of(out)
    # The visible note stays, without its author, and a web link stays.
    assert b"A visible note" in qdf(out)
    assert b"https://example.org/kept-link" in qdf(out)


def test_jpeg_exif_inside_the_pdf(tmp_path):
    """The image's own EXIF goes through the JPEG scrubber when there is
    one; until then the report says it was not checked."""
    r, out = scrub(tmp_path, canary_pdf(tmp_path))
    assert r.returncode == 0
    if JPEG_NOT_CHECKED in r.stdout:
        assert found(JPEG_CANARIES, qdf(out)) != []
        pytest.xfail("no JPEG scrubber registered yet")
    assert found(JPEG_CANARIES, out.read_bytes(), qdf(out)) == []


def test_output_scrubs_again_unchanged_in_content(tmp_path):
    r, out = scrub(tmp_path, canary_pdf(tmp_path))
    assert r.returncode == 0
    r2, out2 = scrub(tmp_path, out.read_bytes(), name="again.pdf")
    assert r2.returncode == 0, r2.stdout
    assert "authors of annotations" not in r2.stdout
    assert text_of(out2) == text_of(out)
    qpdf_check(out2)


def test_chosen_by_its_bytes(tmp_path):
    r, _ = scrub(tmp_path, pdf_bytes(simple_objects())[0], family="auto")
    assert r.returncode == 0
    assert r.stdout.startswith("type: application/pdf\n")


def test_empty_user_password_is_decrypted(tmp_path):
    plain = tmp_path / "plain.pdf"
    plain.write_bytes(canary_pdf(tmp_path))
    enc = tmp_path / "enc.pdf"
    subprocess.run(["qpdf", "--encrypt", "", "owner", "256", "--",
                    str(plain), str(enc)], check=True)
    r, out = scrub(tmp_path, enc.read_bytes())
    assert r.returncode == 0, r.stdout
    assert "changed: encryption removed (the PDF opened without a password)" \
        in r.stdout
    assert subprocess.run(["qpdf", "--is-encrypted", str(out)]).returncode == 2
    assert_clean(out, CANARIES)


def test_password_is_refused(tmp_path):
    plain = tmp_path / "plain.pdf"
    plain.write_bytes(pdf_bytes(simple_objects())[0])
    enc = tmp_path / "enc.pdf"
    subprocess.run(["qpdf", "--encrypt", "secret", "owner", "256", "--",
                    str(plain), str(enc)], check=True)
    for family in ("pdf", "pdf-flatten"):
        r, _ = scrub(tmp_path, enc.read_bytes(), family=family)
        assert r.returncode == 1
        assert "not supported" in r.stderr
        assert "refused: the PDF is protected by a password" in r.stdout


def test_object_and_xref_streams(tmp_path):
    """A PDF 1.5 file (object streams, a cross-reference stream) is read
    and its compressed objects cleaned too."""
    src = tmp_path / "src.pdf"
    src.write_bytes(canary_pdf(tmp_path))
    packed = tmp_path / "packed.pdf"
    subprocess.run(["qpdf", "--object-streams=generate", str(src),
                    str(packed)], check=True)
    assert b"Canary Title" not in packed.read_bytes()   # compressed
    r, out = scrub(tmp_path, packed.read_bytes())
    assert r.returncode == 0, r.stdout
    assert "removed: document information (author, title, dates, software)" \
        in r.stdout
    assert_clean(out, CANARIES)


def test_a_few_hundred_pages_quickly(tmp_path):
    objs = {1: b"<< /Type /Catalog /Pages 2 0 R >>",
            3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"}
    kids = []
    for i in range(300):
        num = 10 + 2 * i
        lines = b" ".join(b"BT /F1 10 Tf 72 %d Td (Page %d line %d) Tj ET"
                          % (760 - 12 * j, i + 1, j) for j in range(50))
        objs[num] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                     b"/Contents %d 0 R /Resources << /Font << /F1 3 0 R >> >> "
                     b"/Metadata 4 0 R >>" % (num + 1))
        objs[num + 1] = stream(lines, compress=True)
        kids.append(b"%d 0 R" % num)
    objs[2] = b"<< /Type /Pages /Kids [%s] /Count 300 >>" % b" ".join(kids)
    objs[4] = stream(XMP, b" /Type /Metadata /Subtype /XML")
    start = time.monotonic()
    r, out = scrub(tmp_path, pdf_bytes(objs, info=None)[0])
    took = time.monotonic() - start
    assert r.returncode == 0
    assert took < 10, took
    assert pages(out) == 300
    assert b"Page 300 line 49" in text_of(out)
    assert found(CANARIES, qdf(out)) == []


# ---- flatten -------------------------------------------------------------

def test_flatten_leaves_only_pictures(tmp_path):
    from PIL import Image
    data = canary_pdf(tmp_path)
    r, out = scrub(tmp_path, data, family="pdf-flatten")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "changed: every page was replaced by a picture of it (150 dpi): " \
        "text can no longer be selected or searched" in r.stdout
    assert found(CANARIES + JPEG_CANARIES, r.stdout.encode()) == []
    # The image's EXIF went with the image: only pixels are left.
    assert_clean(out, CANARIES + JPEG_CANARIES)
    assert pages(out) == 1
    assert text_of(out).strip() == b""      # no text layer: the point
    assert b"/Annots" not in qdf(out)
    # ... but the page still shows the text and the red picture.
    subprocess.run(["pdftoppm", "-r", "36", "-png", "-singlefile", str(out),
                    str(tmp_path / "page")], check=True)
    img = Image.open(tmp_path / "page.png").convert("RGB")
    colours = img.getcolors(maxcolors=1 << 20)
    assert any(r_ > 150 and g < 90 and b < 90 for _, (r_, g, b) in colours)
    assert any(r_ < 80 and g < 80 and b < 80 for _, (r_, g, b) in colours)
    r2, _ = scrub(tmp_path, out.read_bytes(), family="pdf-flatten",
                  name="again.pdf")
    assert r2.returncode == 0


# ---- hostile files -------------------------------------------------------

def refused(r, error, note):
    assert r.returncode == 1, r.stdout
    assert error in r.stderr
    assert "refused: " + note in r.stdout, r.stdout


def test_truncated_files_are_refused(tmp_path):
    whole = pdf_bytes(simple_objects())[0]
    for cut in (len(whole) // 2, len(whole) - 30, 9, 0):
        r, _ = scrub(tmp_path, whole[:cut])
        assert r.returncode == 1, cut
        assert "invalid input" in r.stderr
        assert re.search(r"^refused: (the PDF is damaged beyond repair|"
                         r"not a PDF from its first byte)", r.stdout, re.M)


def test_something_before_the_header_is_refused(tmp_path):
    data = b"<html><body>Canary</body></html>\n" + pdf_bytes(simple_objects())[0]
    for family in ("pdf", "pdf-flatten"):
        r, _ = scrub(tmp_path, data, family=family)
        refused(r, "invalid input", "not a PDF from its first byte")


def test_zip_appended_is_cut_off(tmp_path):
    z = io.BytesIO()
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("canary.txt", "Canary zip member")
    data = pdf_bytes(simple_objects())[0] + z.getvalue()
    r, out = scrub(tmp_path, data)
    assert r.returncode == 0
    assert "removed: data after the end of the PDF" in r.stdout
    clean = out.read_bytes()
    assert b"PK\x03\x04" not in clean and b"Canary zip" not in clean
    qpdf_check(out)
    assert TEXT in text_of(out)


def page_tree(n, same=False):
    objs = {1: b"<< /Type /Catalog /Pages 2 0 R >>", 3: stream(b"")}
    if same:
        objs[4] = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 9 9] >>"
        kids = [b"4 0 R"] * n
    else:
        kids = []
        for i in range(n):
            objs[10 + i] = (b"<< /Type /Page /Parent 2 0 R "
                            b"/MediaBox [0 0 9 9] /Contents 3 0 R >>")
            kids.append(b"%d 0 R" % (10 + i))
    objs[2] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), n)
    return pdf_bytes(objs)[0]


@pytest.mark.parametrize("same", [False, True])
def test_too_many_pages(tmp_path, same):
    r, _ = scrub(tmp_path, page_tree(5001, same))
    refused(r, "too big", "the PDF has more than 5000 pages")
    r, _ = scrub(tmp_path, page_tree(5001, same), family="pdf-flatten")
    refused(r, "too big", "the PDF has more than 5000 pages")


def test_too_many_objects(tmp_path):
    n = 100001
    objs = simple_objects()
    objs[3] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
               b"/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> "
               b"/Properties << /P 6 0 R >> >> >>")
    objs[6] = b"[%s]" % b" ".join(b"%d 0 R" % (10 + i) for i in range(n))
    for i in range(n):
        objs[10 + i] = b"null"
    r, _ = scrub(tmp_path, pdf_bytes(objs)[0])
    refused(r, "too big", "the PDF has too many objects (more than 100000)")


def test_nesting(tmp_path):
    objs = simple_objects()
    objs[6] = b"[" * 100 + b"1" + b"]" * 100
    objs[1] = b"<< /Type /Catalog /Pages 2 0 R /PageLabels 6 0 R >>"
    r, _ = scrub(tmp_path, pdf_bytes(objs)[0])
    refused(r, "too big", "objects nested too deeply")
    # Deeper than qpdf parses (500): qpdf drops the object, and the rest
    # of the file is kept.
    objs[6] = b"[" * 5000 + b"1" + b"]" * 5000
    r, out = scrub(tmp_path, pdf_bytes(objs)[0])
    assert r.returncode == 0, r.stdout
    assert "changed: damaged parts of the PDF were repaired" in r.stdout
    qpdf_check(out)
    assert TEXT in text_of(out)


def test_lying_length_is_repaired(tmp_path):
    objs = simple_objects()
    content = b"BT /F1 24 Tf 72 700 Td (%s) Tj ET" % TEXT
    objs[4] = b"<< /Length 999999999 >>\nstream\n%s\nendstream" % content
    r, out = scrub(tmp_path, pdf_bytes(objs)[0])
    assert r.returncode == 0, r.stdout
    assert "changed: damaged parts of the PDF were repaired" in r.stdout
    qpdf_check(out)
    assert TEXT in text_of(out)


def test_compression_bomb_in_a_stream_is_not_expanded(tmp_path):
    """Streams are copied as they are: 512 MiB of zeros stay 512 KiB."""
    objs = simple_objects()
    bomb = zlib.compress(b"\0" * (512 << 20), 9)
    objs[3] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
               b"/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> "
               b"/XObject << /B 6 0 R >> >> >>")
    objs[6] = (b"<< /Type /XObject /Subtype /Image /Width 16384 "
               b"/Height 32768 /ColorSpace /DeviceGray /BitsPerComponent 8 "
               b"/Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream"
               % (len(bomb), bomb))
    start = time.monotonic()
    r, out = scrub(tmp_path, pdf_bytes(objs)[0])
    assert r.returncode == 0, r.stdout
    assert time.monotonic() - start < 10
    assert out.stat().st_size < 2 * len(bomb)


def test_not_a_pdf(tmp_path):
    r, _ = scrub(tmp_path, b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    refused(r, "invalid input", "not a PDF from its first byte")
    r, _ = scrub(tmp_path, b"%PDF-1.7\n" + bytes(range(256)) * 8)
    refused(r, "invalid input", "the PDF is damaged beyond repair")


def test_page_tree_loop(tmp_path):
    objs = simple_objects()
    objs[2] = b"<< /Type /Pages /Kids [3 0 R 2 0 R] /Count 2 >>"
    r, _ = scrub(tmp_path, pdf_bytes(objs)[0])
    refused(r, "invalid input", "the PDF is damaged beyond repair")
