"""The image scrubbers (lib/scrub/{jpeg,png,gif,webp,tiff,bmp}.c) on real
files: fixtures made here with Pillow and exiftool carry canaries (a
name, an e-mail, a serial number, software, GPS coordinates) in every
place the issue lists; after scrub_cli no canary is in the bytes,
exiftool and mat2 show no identifying field, and the pixels decode the
same.  Hostile files (truncated, lying lengths, loops, too many chunks,
polyglots) are refused with a "refused:" line, or neutralised.  No stack
is needed: scrub_cli runs one scrubber over one file."""

import struct
import subprocess
import zlib

import pytest
from PIL import Image, ImageCms, ImageSequence

from conftest import BUILD

CLI = BUILD / "test" / "unit" / "scrub_cli"

CANARIES = (b"canary", b"CANARY", b"Canary")
TAGS = [
    "-Artist=Canary Person",
    "-Copyright=canary@example.org",
    "-Make=CanaryMake",
    "-Model=CanaryModel",
    "-SerialNumber=CANARY-SN-4711",
    "-LensSerialNumber=CANARY-LENS-1",
    "-OwnerName=Canary Person",
    "-Software=CanarySoft 1.0",
    "-HostComputer=CanaryHost",
    "-ImageDescription=Canary Person at home",
    "-UserComment=canary@example.org",
    "-DateTimeOriginal=2020:01:02 03:04:05",
    "-GPSLatitude=59.9139", "-GPSLatitudeRef=N",
    "-GPSLongitude=10.7522", "-GPSLongitudeRef=E",
    "-XMP-dc:Creator=Canary Person",
    "-XMP-dc:Rights=canary@example.org",
    "-XMP-exif:GPSLatitude=59.9139 N",
    "-IPTC:By-line=Canary Person",
    "-IPTC:Contact=canary@example.org",
    "-Comment=Canary Person wrote this",
]

# exiftool tags a scrubbed file may still show: structure, rendering
# (orientation, resolution, colour profile) and exiftool's own.
SAFE_GROUPS = {"ExifTool", "System", "File", "Composite", "JFIF", "GIF",
               "PNG", "RIFF", "BMP", "ICC", "ICC_Profile"}
SAFE_IFD0 = {"Orientation", "ImageWidth", "ImageHeight", "BitsPerSample",
             "Compression", "PhotometricInterpretation", "StripOffsets",
             "SamplesPerPixel", "RowsPerStrip", "StripByteCounts",
             "PlanarConfiguration", "XResolution", "YResolution",
             "ResolutionUnit", "TileWidth", "TileLength", "TileOffsets",
             "TileByteCounts", "SubfileType", "Predictor", "ExtraSamples",
             "SampleFormat", "ColorMap", "ICC_Profile", "PageNumber",
             "YCbCrSubSampling", "YCbCrPositioning", "FillOrder"}
# mat2 --show lists every field it does not know to be harmless; these
# are the rendering ones we keep on purpose (and the colour profile's
# fields, whichever exiftool shows in its ICC groups).
MAT2_OK = {"ExifByteOrder", "Orientation", "XResolution", "YResolution",
           "ResolutionUnit", "PlanarConfiguration", "Compression",
           "SRGBRendering", "Gamma", "PixelsPerUnitX", "PixelsPerUnitY",
           "PixelUnits", "AnimationFrames", "AnimationPlays",
           "ProfileName"}


def scrub(family, src, dst):
    p = subprocess.run([str(CLI), family, str(src), str(dst)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode in (0, 1), p.stderr
    return p.returncode, p.stdout


def exiftool(path):
    """(group, tag, value) of every tag exiftool finds."""
    out = subprocess.run(["exiftool", "-a", "-G1", "-s", "-u", str(path)],
                         capture_output=True, text=True, timeout=60).stdout
    tags = []
    for line in out.splitlines():
        head, _, value = line.partition(": ")
        group, _, tag = head.strip().partition("]")
        tags.append((group.strip("[ "), tag.strip(), value.strip()))
    return tags


def write_tags(path, *extra):
    subprocess.run(["exiftool", "-q", "-q", "-m", "-overwrite_original",
                    *TAGS, *extra, str(path)], check=True, timeout=60)


def picture(w=48, h=32):
    im = Image.new("RGB", (w, h))
    im.putdata([((x * 5) % 256, (y * 7) % 256, (x * y) % 256)
                for y in range(h) for x in range(w)])
    return im


def frames(path):
    with Image.open(path) as im:
        return [f.convert("RGBA").tobytes() for f in ImageSequence.Iterator(im)]


def assert_clean(src, dst, mat2_supported=True):
    raw = dst.read_bytes()
    for c in CANARIES:
        assert c not in raw, c
    tags = exiftool(dst)
    for group, tag, value in tags:
        assert "canary" not in value.lower(), (group, tag)
        # IFD0, IFD1 ... are a TIFF's pages; ICC_Profile2 the second's.
        base = group.split("-")[0].rstrip("0123456789")
        if base == "IFD":
            assert tag in SAFE_IFD0, (group, tag)
        else:
            assert base in SAFE_GROUPS, (group, tag)
    shown = subprocess.run(["mat2", "--show", str(dst)], capture_output=True,
                           text=True, timeout=60).stdout
    assert "canary" not in shown.lower()
    icc = {t for g, t, v in tags if g.startswith("ICC")}
    if mat2_supported:
        assert shown.startswith("[+] Metadata for") or "No metadata" in shown
        for line in shown.splitlines()[1:]:
            key = line.strip().partition(":")[0]
            assert key in MAT2_OK | SAFE_IFD0 | icc or key.startswith(
                "No metadata"), line
    else:
        assert "is not supported" in shown
    # Still a picture, and the same one.
    assert frames(dst) == frames(src)


def assert_dirty(path, *needles):
    """The fixture does carry what the scrubber must remove."""
    text = "\n".join(f"{g} {t} {v}" for g, t, v in exiftool(path))
    for n in needles:
        assert n in text, n


def refused(family, tmp_path, data, why=None):
    src = tmp_path / "hostile"
    src.write_bytes(data)
    rc, report = scrub(family, src, tmp_path / "out")
    assert rc == 1, report
    assert "refused: " in report
    if why:
        assert why in report, report
    return report


# -- JPEG ------------------------------------------------------------------

def test_jpeg_everything_identifying_goes(tmp_path):
    thumb = tmp_path / "thumb.jpg"
    picture(8, 8).save(thumb)
    write_tags(thumb)
    src = tmp_path / "in.jpg"
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    picture().save(src, quality=90, icc_profile=icc)
    write_tags(src, f"-ThumbnailImage<={thumb}", "-Orientation#=6")
    # Extended XMP: exiftool splits an XMP block over 64 KiB.
    subprocess.run(["exiftool", "-q", "-q", "-m", "-overwrite_original",
                    "-XMP-dc:Description=canary " + "x" * 70000, str(src)],
                   check=True)
    with open(src, "ab") as f:  # MPF-style extra image after EOI
        f.write(b"\xff\xd8canary second image\xff\xd9")
    assert_dirty(src, "Canary Person", "CANARY-SN-4711", "GPSLatitude",
                 "ThumbnailImage", "By-line", "Comment", "CanarySoft",
                 "HostComputer")
    dst = tmp_path / "out.jpg"
    rc, report = scrub("jpeg", src, dst)
    assert rc == 0, report
    for line in ("removed: EXIF GPS position", "removed: EXIF serial numbers",
                 "removed: EXIF thumbnail image", "removed: XMP metadata",
                 "removed: IPTC and Photoshop data", "removed: comment",
                 "removed: data after the end of the image"):
        assert line in report
    assert_clean(src, dst)
    tags = {(g, t): v for g, t, v in exiftool(dst)}
    # Kept: the orientation (alone) and the colour profile.
    assert tags[("IFD0", "Orientation")] == "Rotate 90 CW"
    assert ("ICC-header", "ProfileDescription") in tags or any(
        g.startswith("ICC") for g, _ in tags)
    assert "not-checked: colour profile" in report


def test_jpeg_image_data_is_copied_bit_exact(tmp_path):
    src = tmp_path / "in.jpg"
    picture(64, 64).save(src, quality=75, progressive=True)
    write_tags(src)
    dst = tmp_path / "out.jpg"
    assert scrub("jpeg", src, dst)[0] == 0
    # From the first scan on, the bytes are the same.
    a, b = src.read_bytes(), dst.read_bytes()
    assert a[a.index(b"\xff\xda"):] == b[b.index(b"\xff\xda"):]
    assert frames(src) == frames(dst)
    # Scrubbing again changes nothing and reports nothing.
    again = tmp_path / "again.jpg"
    rc, report = scrub("jpeg", dst, again)
    assert rc == 0 and again.read_bytes() == b
    assert "removed" not in report


def test_jpeg_hostile(tmp_path):
    good = tmp_path / "good.jpg"
    picture().save(good)
    data = good.read_bytes()
    refused("jpeg", tmp_path, data[: len(data) // 2], "truncated")
    # A segment that says it is longer than the file.
    i = data.index(b"\xff\xdb")
    refused("jpeg", tmp_path, data[: i + 2] + b"\xff\xf0" + data[i + 4:])
    refused("jpeg", tmp_path, b"\xff\xd8\xff\xd9", "no image data")
    refused("jpeg", tmp_path, b"\xff\xd8\xff\xe1\x00\x01", "length")
    # A polyglot: a zip after the image is cut off.
    src = tmp_path / "poly.jpg"
    src.write_bytes(data + b"PK\x03\x04canary.txt")
    rc, report = scrub("jpeg", src, tmp_path / "poly.out")
    assert rc == 0 and (tmp_path / "poly.out").read_bytes() == data
    assert "removed: data after the end of the image" in report


# -- PNG -------------------------------------------------------------------

def png_chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data +
            struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def add_chunks(path, *chunks):
    """Inserts chunks right after IHDR."""
    data = path.read_bytes()
    at = 8 + 25
    path.write_bytes(data[:at] + b"".join(chunks) + data[at:])


def test_png_everything_identifying_goes(tmp_path):
    src = tmp_path / "in.png"
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    picture().save(src, icc_profile=icc, dpi=(300, 300))
    write_tags(src, "-Orientation#=8", "-PNG:Author=Canary Person")
    add_chunks(src,
               png_chunk(b"zTXt", b"Comment\x00\x00" +
                         zlib.compress(b"canary@example.org")),
               png_chunk(b"tIME", b"\x07\xe4\x01\x02\x03\x04\x05"),
               png_chunk(b"caNy", b"Canary private chunk"))
    assert_dirty(src, "Canary Person", "CANARY-SN-4711", "GPSLatitude",
                 "ModifyDate")
    dst = tmp_path / "out.png"
    rc, report = scrub("png", src, dst)
    assert rc == 0, report
    for line in ("removed: text", "removed: XMP metadata",
                 "removed: EXIF GPS position", "removed: modification time",
                 "removed: other ancillary data"):
        assert line in report
    assert_clean(src, dst)
    # Every chunk left is one rendering needs; every CRC is right.
    data, at, kinds = dst.read_bytes(), 8, []
    while at < len(data):
        n, = struct.unpack(">I", data[at:at + 4])
        kind = data[at + 4:at + 8]
        crc, = struct.unpack(">I", data[at + 8 + n:at + 12 + n])
        assert crc == zlib.crc32(data[at + 4:at + 8 + n]) & 0xFFFFFFFF
        kinds.append(kind.decode())
        at += 12 + n
    assert set(kinds) <= {"IHDR", "iCCP", "pHYs", "eXIf", "IDAT", "IEND"}
    assert "iCCP" in kinds and "pHYs" in kinds and "eXIf" in kinds
    assert {(g, t): v for g, t, v in exiftool(dst)}[
        ("IFD0", "Orientation")] == "Rotate 270 CW"


def test_png_animation_kept(tmp_path):
    src = tmp_path / "in.png"
    a, b = picture(16, 16), picture(16, 16).rotate(90)
    a.save(src, save_all=True, append_images=[b], duration=100, loop=0)
    write_tags(src)
    dst = tmp_path / "out.png"
    assert scrub("png", src, dst)[0] == 0
    assert_clean(src, dst)
    assert len(frames(dst)) == 2


def test_png_hostile(tmp_path):
    good = tmp_path / "good.png"
    picture().save(good)
    data = good.read_bytes()
    refused("png", tmp_path, data[:-20], "truncated")
    bad = bytearray(data)
    bad[20] ^= 0xFF  # in IHDR's data
    refused("png", tmp_path, bytes(bad), "checksum")
    # A chunk length of 2 GiB - 1 in a small file.
    refused("png", tmp_path, data[:33] + b"\x7f\xff\xff\xfftEXt" + data[41:])
    # Too many chunks: more than the 100 000 entries allowed.
    many = png_chunk(b"tEXt", b"a\x00b") * 100001
    refused("png", tmp_path, data[:33] + many + data[33:], "too many")
    # Polyglot: a zip after IEND goes.
    src = tmp_path / "poly.png"
    src.write_bytes(data + b"PK\x03\x04canary")
    rc, report = scrub("png", src, tmp_path / "poly.out")
    assert rc == 0 and (tmp_path / "poly.out").read_bytes() == data


# -- GIF -------------------------------------------------------------------

def test_gif_everything_identifying_goes(tmp_path):
    src = tmp_path / "in.gif"
    a, b = picture(16, 16), picture(16, 16).rotate(90)
    a.save(src, save_all=True, append_images=[b], duration=120, loop=0,
           comment=b"Canary Person's comment")
    write_tags(src)
    data = src.read_bytes()
    # An application extension of some other program.
    app = b"\x21\xff\x0bCANARYAPP10\x06canary\x00"
    src.write_bytes(data[:-1] + app + data[-1:])
    assert_dirty(src, "Canary Person")
    dst = tmp_path / "out.gif"
    rc, report = scrub("gif", src, dst)
    assert rc == 0, report
    for line in ("removed: comment", "removed: XMP metadata",
                 "removed: application data"):
        assert line in report
    assert_clean(src, dst)
    # Still animated and looping.
    with Image.open(dst) as im:
        assert im.n_frames == 2 and im.info.get("loop") == 0
        assert im.info.get("duration") == 120


def test_gif_hostile(tmp_path):
    good = tmp_path / "good.gif"
    picture().save(good)
    data = good.read_bytes()
    refused("gif", tmp_path, data[:-1], "truncated")
    refused("gif", tmp_path, data[:len(data) // 2], "truncated")
    refused("gif", tmp_path, b"GIF89a" + b"\x01\x00\x01\x00\x00\x00\x00\x99")


# -- WebP ------------------------------------------------------------------

def riff_chunks(data):
    at, out = 12, []
    while at < len(data):
        kind, n = data[at:at + 4], struct.unpack("<I", data[at + 4:at + 8])[0]
        out.append(kind.decode())
        at += 8 + n + (n & 1)
    return out


@pytest.mark.parametrize("kind", ["lossy", "lossless", "animated"])
def test_webp_everything_identifying_goes(tmp_path, kind):
    src = tmp_path / "in.webp"
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    im = picture()
    if kind == "animated":
        im.save(src, save_all=True, append_images=[im.rotate(180)],
                duration=100, loop=0, lossless=True, icc_profile=icc)
    else:
        im.save(src, lossless=kind == "lossless", quality=90,
                icc_profile=icc)
    write_tags(src, "-Orientation#=3")
    assert_dirty(src, "Canary Person", "CANARY-SN-4711", "GPSLatitude")
    dst = tmp_path / "out.webp"
    rc, report = scrub("webp", src, dst)
    assert rc == 0, report
    assert "removed: EXIF GPS position" in report
    assert "removed: XMP metadata" in report
    assert_clean(src, dst, mat2_supported=False)
    data = dst.read_bytes()
    assert struct.unpack("<I", data[4:8])[0] == len(data) - 8
    chunks = riff_chunks(data)
    assert "XMP " not in chunks and "ICCP" in chunks
    # VP8X flags: ICC and EXIF (the orientation) stay, XMP goes.
    assert data[20] & 0x04 == 0 and data[20] & 0x20 and data[20] & 0x08
    tags = {(g, t): v for g, t, v in exiftool(dst)}
    assert tags[("IFD0", "Orientation")] == "Rotate 180"


def test_webp_hostile(tmp_path):
    good = tmp_path / "good.webp"
    picture().save(good)
    data = good.read_bytes()
    refused("webp", tmp_path, data[:len(data) // 2], "truncated")
    # A RIFF size larger than the file.
    refused("webp", tmp_path, data[:4] + struct.pack("<I", len(data) * 2) +
            data[8:])
    # A chunk that says it is larger than the RIFF.
    refused("webp", tmp_path, data[:16] + struct.pack("<I", 1 << 30) +
            data[20:], "cut off")


# -- TIFF ------------------------------------------------------------------

def test_tiff_everything_identifying_goes(tmp_path):
    src = tmp_path / "in.tif"
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    a, b = picture(), picture().rotate(180)
    a.save(src, save_all=True, append_images=[b], compression="tiff_lzw",
           icc_profile=icc, dpi=(200, 200))
    write_tags(src, "-Orientation#=6", "-DocumentName=Canary case file",
               "-PageName=Canary page")
    assert_dirty(src, "Canary Person", "CANARY-SN-4711", "GPSLatitude",
                 "CanaryHost", "Canary case file")
    dst = tmp_path / "out.tif"
    rc, report = scrub("tiff", src, dst)
    assert rc == 0, report
    for line in ("removed: author or copyright", "removed: camera make",
                 "removed: software name", "removed: computer name",
                 "removed: GPS position", "removed: XMP metadata",
                 "removed: IPTC data", "removed: document name"):
        assert line in report
    assert_clean(src, dst)
    tags = {(g, t): v for g, t, v in exiftool(dst)}
    assert tags[("IFD0", "Orientation")] == "Rotate 90 CW"
    assert tags[("IFD0", "XResolution")] == "200"
    with Image.open(dst) as im:
        assert im.n_frames == 2


@pytest.mark.parametrize("order", ["<", ">"])
def test_tiff_both_byte_orders_and_tiles(tmp_path, order):
    src = tmp_path / "in.tif"
    src.write_bytes(make_tiff(order, tiled=True, artist=b"Canary Person"))
    assert_dirty(src, "Canary Person")
    dst = tmp_path / "out.tif"
    rc, report = scrub("tiff", src, dst)
    assert rc == 0, report
    assert_clean(src, dst)


def make_tiff(order, tiled=False, artist=None, strip_at=None, loop=False,
              shared=1):
    """A 16x16 RGB TIFF, one strip or tile, with an Artist if asked;
    shared > 1 makes that many strips that are all the same bytes."""
    w = h = 16
    pix = bytes((x * 16 + y + c * 40) % 256
                for y in range(h) for x in range(w) for c in range(3))
    out = bytearray((b"II*\x00" if order == "<" else b"MM\x00*") +
                    b"\x00\x00\x00\x00")
    data_at = len(out)
    out += pix
    bps_at = len(out)
    out += struct.pack(order + "HHH", 8, 8, 8)
    tags = {256: (3, w), 257: (3, h), 258: (3, 3, bps_at), 259: (3, 1),
            262: (3, 2), 277: (3, 3), 284: (3, 1)}
    where = data_at if strip_at is None else strip_at
    if tiled:
        tags.update({322: (3, w), 323: (3, h), 324: (4, where),
                     325: (4, len(pix))})
    elif shared > 1:
        offs_at = len(out)
        out += struct.pack(order + "I", where) * shared
        counts_at = len(out)
        out += struct.pack(order + "I", len(pix)) * shared
        tags.update({273: (4, shared, offs_at), 278: (3, h),
                     279: (4, shared, counts_at)})
    else:
        tags.update({273: (4, where), 278: (3, h), 279: (4, len(pix))})
    if artist:
        art_at = len(out)
        out += artist + b"\x00"
        if len(out) % 2:
            out += b"\x00"
        tags[315] = (2, len(artist) + 1, art_at)
    ifd = len(out)
    out[4:8] = struct.pack(order + "I", ifd)
    out += struct.pack(order + "H", len(tags))
    for tag in sorted(tags):
        t = tags[tag]
        if len(t) == 3:
            out += struct.pack(order + "HHII", tag, t[0], t[1], t[2])
        elif t[0] == 3:
            out += struct.pack(order + "HHIHH", tag, 3, 1, t[1], 0)
        else:
            out += struct.pack(order + "HHII", tag, 4, 1, t[1])
    out += struct.pack(order + "I", ifd if loop else 0)
    return bytes(out)


def test_tiff_hostile(tmp_path):
    refused("tiff", tmp_path, make_tiff("<", loop=True), "loop")
    refused("tiff", tmp_path, make_tiff("<", strip_at=1 << 30),
            "points outside")
    data = make_tiff(">")
    refused("tiff", tmp_path, data[:-30], "outside")
    refused("tiff", tmp_path, b"II+\x00\x08\x00\x00\x00" + bytes(16),
            "BigTIFF")
    # A thousand strips that are all the same 768 bytes: a bomb.
    refused("tiff", tmp_path, make_tiff("<", shared=1000), "a bomb")


# -- BMP -------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["RGB", "P", "1"])
def test_bmp_passes_through(tmp_path, mode):
    src = tmp_path / "in.bmp"
    picture().convert(mode).save(src)
    dst = tmp_path / "out.bmp"
    rc, report = scrub("bmp", src, dst)
    assert rc == 0, report
    assert dst.read_bytes() == src.read_bytes()
    assert_clean(src, dst, mat2_supported=False)


def test_bmp_hidden_data_and_linked_profile(tmp_path):
    w = h = 4
    pix = bytes(range(48))
    path = b"C:\\Users\\CanaryPerson\\calibrated.icc\x00"
    hdr = bytearray(124)
    struct.pack_into("<IiiHHIIiiII", hdr, 0, 124, w, h, 1, 24, 0, len(pix),
                     2835, 2835, 0, 0)
    struct.pack_into("<I", hdr, 56, 0x4C494E4B)  # LINK
    struct.pack_into("<II", hdr, 112, 124 + len(pix), len(path))
    body = bytes(hdr) + pix + path
    src = tmp_path / "in.bmp"
    src.write_bytes(b"BM" + struct.pack("<IHHI", 14 + len(body), 0, 0, 138) +
                    body)
    dst = tmp_path / "out.bmp"
    rc, report = scrub("bmp", src, dst)
    assert rc == 0, report
    assert "removed: name of a linked colour profile file" in report
    assert_clean(src, dst, mat2_supported=False)
    assert len(dst.read_bytes()) == 14 + 124 + len(pix)


def test_bmp_hostile(tmp_path):
    good = tmp_path / "good.bmp"
    picture().save(good)
    data = good.read_bytes()
    refused("bmp", tmp_path, data[:-10], "size in the header")
    # Pixels said to be further on than the file goes.
    lying = data[:10] + struct.pack("<I", len(data) - 4) + data[14:]
    refused("bmp", tmp_path, lying, "truncated")
    # A header that claims a huge image.
    huge = data[:18] + struct.pack("<i", 1 << 30) + data[22:]
    refused("bmp", tmp_path, huge)


def test_auto_picks_family_by_bytes(tmp_path):
    src = tmp_path / "photo.png"  # the name lies: it is a JPEG
    picture().save(src, format="JPEG")
    rc, report = scrub("auto", src, tmp_path / "out")
    assert rc == 0 and report.startswith("type: image/jpeg")
