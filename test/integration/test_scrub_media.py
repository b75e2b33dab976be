"""The MP3, MP4 (MOV, M4A) and RIFF (WAV, AVI) scrubbers on real files:
fixtures made by ffmpeg and exiftool (and a few lines of Python for what
they do not write, media_fixtures.py) carry canaries in every place the
issue lists; after scrubbing no canary is in the bytes, exiftool and
ffprobe show no identifying tag, mat2 finds nothing it would remove, and
the decoded audio and video are the same as before.  Hostile files
(cut short, lying lengths, too many boxes, polyglots) are refused with a
reason, and a large MP4 is scrubbed in constant memory.

These tests need no stack: they run build/test/unit/scrub_cli."""

import hashlib
import json
import struct
import subprocess

import pytest

import media_fixtures as fx
from conftest import BUILD

CLI = BUILD / "test" / "unit" / "scrub_cli"


def scrub(family, src, dst):
    r = subprocess.run([str(CLI), family, str(src), str(dst)],
                       capture_output=True, text=True, timeout=60)
    for mark in ("AddressSanitizer", "runtime error:", "LeakSanitizer"):
        assert mark not in r.stderr, r.stderr
    return r


def scrubbed(family, src, tmp_path):
    dst = tmp_path / ("clean-" + src.name)
    r = scrub(family, src, dst)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("type: ")
    # Same again: what we store is a file we would accept.
    again = tmp_path / ("again-" + src.name)
    r2 = scrub(family, dst, again)
    assert r2.returncode == 0, r2.stdout + r2.stderr
    return dst, r.stdout


def present(data, canaries=fx.CANARIES):
    return [c for c in canaries if c.encode() in data]


def exiftool(path, *opts):
    out = subprocess.run(["exiftool", "-a", "-G1", "-s", *opts, str(path)],
                         capture_output=True, text=True, check=True).stdout
    tags = []
    for line in out.splitlines():
        group, _, rest = line.partition("]")
        name, _, value = rest.partition(":")
        tags.append((group.strip("[ "), name.strip(), value.strip()))
    return tags


def mat2_show(path):
    r = subprocess.run(["mat2", "--show", str(path)], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    keys = {}
    for line in r.stdout.splitlines()[1:]:
        k, _, v = line.strip().partition(": ")
        keys[k] = v
    return r.stdout, keys


def ffprobe_tags(path):
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams",
         "-of", "json", str(path)],
        capture_output=True, text=True, check=True).stdout
    j = json.loads(out)
    tags = dict(j["format"].get("tags", {}))
    for s in j["streams"]:
        for k, v in s.get("tags", {}).items():
            tags[f"{s['index']}:{k}"] = v
    return tags, j


def decoded(path, maps=("0:v?", "0:a?")):
    args = ["ffmpeg", "-v", "error", "-nostdin", "-i", str(path)]
    for m in maps:
        args += ["-map", m]
    r = subprocess.run(args + ["-f", "md5", "-"], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    return r.stdout.strip()


def check_no_canary(path):
    data = path.read_bytes()
    assert present(data) == [], f"canaries left in {path.name}"
    for group, name, value in exiftool(path) + exiftool(path, "-ee"):
        assert not present(value.encode()), (group, name, value)
        assert "GPS" not in name, (group, name, value)
        if "Date" in name and group != "System":
            assert value.startswith("0000:00:00 00:00:00"), (name, value)


# Tags ffprobe shows for every file of the format: they describe the
# container and codecs, nobody.
PROBE_OK = {"major_brand", "minor_version", "compatible_brands", "language",
            "vendor_id"}

# What `mat2 --show` lists for a video it has cleaned itself (mat2 keeps
# them: they describe the streams), plus its per-format allowlists.
MAT2_OK = {"AverageBitrate", "BufferSize", "CompatibleBrands", "CompressorID",
           "GraphicsMode", "HandlerDescription", "HandlerType",
           "HandlerVendorID", "MajorBrand", "MaxBitrate", "MediaDataOffset",
           "MediaDataSize", "MediaHeaderVersion", "MinorVersion",
           "MovieHeaderVersion", "NextTrackID", "PixelAspectRatio",
           "PreferredRate", "Rotation", "TimeScale", "TrackHeaderVersion",
           "TrackID", "TrackLayer", "AudioFormat", "AudioChannels",
           "AudioBitsPerSample", "AudioSampleRate", "Balance",
           "PreviewTime", "PreviewDuration", "PosterTime", "SelectionTime",
           "SelectionDuration", "CurrentTime", "OpColor", "TrackVolume",
           "PreferredVolume", "MediaLanguageCode", "PlayMode",
           "MovieFragmentSequence"}


def check_mat2_clean(path):
    out, keys = mat2_show(path)
    assert not present(out.encode()), out
    if "No metadata found" in out:
        return
    extra = set(keys) - MAT2_OK
    assert extra == set(), out
    for k, v in keys.items():
        if "Date" in k:
            assert v.startswith("0000:00:00"), (k, v)


# --- MP3 -------------------------------------------------------------------

def test_mp3_every_tag_goes_audio_stays(tmp_path):
    src = fx.make_mp3(tmp_path / "in.mp3")
    data = src.read_bytes()
    assert set(present(data)) >= {fx.NAME, fx.MAIL, fx.TITLE, fx.SERIAL,
                                  "48.8584"}
    assert b"APETAGEX" in data and b"LYRICS200" in data and b"TAG+" in data
    assert data.endswith(b"3DI\x04\x00\x10" + data[-4:])
    dst, report = scrubbed("mp3", src, tmp_path)
    for line in ("removed: ID3v2 attached picture",
                 "removed: ID3v2 titles",
                 "removed: ID3v2 user-defined text",
                 "removed: ID3v2 private data",
                 "removed: ID3v2 embedded object",
                 "removed: ID3v1 tag", "removed: enhanced ID3v1 tag",
                 "removed: APE tag", "removed: Lyrics3 tag",
                 "not-checked: encoder name in the Xing/LAME header"):
        assert line in report, report
    assert not present(report.encode())
    check_no_canary(dst)
    groups = {g for g, _, _ in exiftool(dst)}
    assert groups <= {"ExifTool", "System", "File", "MPEG", "Composite"}, \
        groups
    out, _ = mat2_show(dst)
    assert "No metadata found" in out, out
    tags, _ = ffprobe_tags(dst)
    assert tags == {}, tags
    assert decoded(dst) == decoded(src.with_suffix(".base.mp3"),
                                   maps=("0:a",))
    # The frames are the input's, byte for byte.
    clean = dst.read_bytes()
    assert clean in data


def test_mp3_stream_cut_together(tmp_path):
    """Two files joined: the second one's ID3v2 tag, and text that is not
    audio, between frames."""
    a = fx.make_mp3(tmp_path / "a.mp3", extra_tail=False)
    raw = a.read_bytes()
    joined = raw[:-128] + b"junk " + fx.MAIL.encode() + raw
    src = tmp_path / "joined.mp3"
    src.write_bytes(joined)
    dst, report = scrubbed("mp3", src, tmp_path)
    assert "removed: bytes between audio frames" in report
    check_no_canary(dst)
    r = subprocess.run(["ffmpeg", "-v", "error", "-i", str(dst), "-f", "null",
                        "-"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stderr == "", r.stderr


# --- MP4 -------------------------------------------------------------------

def check_mp4(src, dst, report, video=True):
    data, clean = src.read_bytes(), dst.read_bytes()
    # Nothing moved: every chunk offset still points at its samples.
    assert len(clean) == len(data)
    for t, pos, size in fx.top_boxes(data):
        if t == b"mdat":
            ours = clean[pos:pos + size]
            gps = data.find(fx.GPS_SAMPLE, pos, pos + size)
            if gps >= 0:
                n = len(fx.GPS_SAMPLE)
                assert ours[gps - pos:gps - pos + n] == b"\0" * n
                ours = ours[:gps - pos] + data[gps:gps + n] + \
                    ours[gps - pos + n:]
            assert ours == data[pos:pos + size]
    check_no_canary(dst)
    check_mat2_clean(dst)
    tags, probe = ffprobe_tags(dst)
    keys = {k.split(":")[-1] for k in tags}
    assert keys <= PROBE_OK, tags
    assert not present(json.dumps(tags).encode())
    kinds = {s["codec_type"] for s in probe["streams"]}
    assert kinds == ({"video", "audio"} if video else {"audio"}), kinds
    assert decoded(dst) == decoded(src)
    assert "removed: creation and modification dates" in report
    assert not present(report.encode())


@pytest.mark.parametrize("kind", ["mp4", "mov", "m4a"])
def test_mp4_mov_m4a(tmp_path, kind):
    video = kind != "m4a"
    # The M4A gets iTunes-style tags (udta/meta/ilst), the others
    # QuickTime keys (meta/keys, 'mdta').
    src = fx.make_mp4(tmp_path / f"in.{kind}", video=video,
                      fmt={"mov": "mov", "m4a": "ipod"}.get(kind),
                      movflags=None if kind == "m4a" else
                      "use_metadata_tags")
    data = src.read_bytes()
    assert set(present(data)) >= {fx.NAME, fx.MAIL, fx.TITLE, fx.SERIAL,
                                  "48.8584"}
    before = {n for _, n, _ in exiftool(src)}
    assert {"GPSLatitude", "Author", "Artist", "Title", "Make",
            "CreateDate"} <= before, before
    assert b"gpmd" in data and fx.XMP_UUID in data
    dst, report = scrubbed("mp4", src, tmp_path)
    for line in ("removed: recording location (GPS)",
                 "removed: names of authors or artists",
                 "removed: device make and model", "removed: XMP metadata",
                 "removed: timed metadata track"):
        assert line in report, report
    check_mp4(src, dst, report, video=video)


def test_mp4_fragmented(tmp_path):
    # exiftool does not write fragmented files: no XMP or UserData from
    # it here, but ffmpeg's tags and a top-level XMP box.
    src = fx.make_mp4(tmp_path / "frag.mp4", gpmd=False, exiftool=False,
                      movflags="frag_keyframe+empty_moov+use_metadata_tags")
    assert b"moof" in src.read_bytes()
    dst, report = scrubbed("mp4", src, tmp_path)
    check_mp4(src, dst, report)


def test_mp4_fragmented_with_gps_track_is_refused(tmp_path):
    src = fx.make_mp4(tmp_path / "frag.mp4", gpmd=False, xmp=False,
                      movflags="frag_keyframe+empty_moov")
    data = src.read_bytes()
    boxes = fx.top_boxes(data)
    pos, size = [(p, s) for t, p, s in boxes if t == b"moov"][0]
    moov = fx.box(b"moov", data[pos + 8:pos + size] + fx.gpmd_trak(9, 0, 0))
    src.write_bytes(data[:pos] + moov + data[pos + size:])
    r = scrub("mp4", src, tmp_path / "out.mp4")
    assert r.returncode == 1
    assert "refused: a fragmented video with a timed metadata track" in \
        r.stdout
    assert "not supported" in r.stderr


# --- RIFF ------------------------------------------------------------------

def test_wav(tmp_path):
    src = fx.make_wav(tmp_path / "in.wav")
    data = src.read_bytes()
    assert set(present(data)) >= {fx.NAME, fx.MAIL, fx.TITLE, fx.SERIAL,
                                  "48.8584"}
    for cid in (b"LIST", b"bext", b"iXML", b"_PMX", b"id3 ", b"cart"):
        assert cid in data
    dst, report = scrubbed("riff", src, tmp_path)
    for line in ("removed: artist (RIFF INFO)", "removed: Broadcast WAV",
                 "removed: iXML", "removed: XMP metadata",
                 "removed: ID3 tag", "removed: broadcast cart chunk",
                 "removed: cue point labels and notes",
                 "removed: cue points"):
        assert line in report, report
    clean = dst.read_bytes()
    assert struct.unpack("<I", clean[4:8])[0] == len(clean) - 8
    assert [c[0] for c in fx.riff_chunks(clean, 12, len(clean))] == \
        [b"fmt ", b"data"]
    check_no_canary(dst)
    out, _ = mat2_show(dst)
    assert "No metadata found" in out, out
    tags, _ = ffprobe_tags(dst)
    assert tags == {}, tags
    assert decoded(dst) == decoded(src)


def test_avi(tmp_path):
    src = fx.make_avi(tmp_path / "in.avi")
    data = src.read_bytes()
    assert set(present(data)) >= {fx.NAME, fx.MAIL, fx.TITLE}
    assert b"IDIT" in data and b"strn" in data and b"_PMX" in data
    dst, report = scrubbed("riff", src, tmp_path)
    for line in ("removed: stream name", "removed: recording date",
                 "removed: recording timecode", "removed: XMP metadata",
                 "removed: title (RIFF INFO)"):
        assert line in report, report
    clean = dst.read_bytes()
    # Same size, and movi and idx1 exactly where they were.
    assert len(clean) == len(data)
    movi = data.find(b"movi") - 8
    assert clean[movi:data.find(b"_PMX")] == data[movi:data.find(b"_PMX")]
    check_no_canary(dst)
    out, _ = mat2_show(dst)
    assert "No metadata found" in out, out
    tags, _ = ffprobe_tags(dst)
    assert tags == {}, tags
    assert decoded(dst) == decoded(src)


# --- Hostile files ---------------------------------------------------------

def refused(family, src, tmp_path, code, why):
    r = scrub(family, src, tmp_path / "out.bin")
    assert r.returncode == 1, r.stdout
    assert f"scrub_cli: {code}" in r.stderr, r.stderr
    lines = r.stdout.splitlines()
    assert any(line.startswith("refused: ") and why in line
               for line in lines), r.stdout
    assert not any(line.startswith("removed: ") for line in lines), r.stdout


MAKERS = {
    "mp3": lambda p: fx.make_mp3(p / "in.mp3"),
    "mp4": lambda p: fx.make_mp4(p / "in.mp4"),
    "wav": lambda p: fx.make_wav(p / "in.wav"),
    "avi": lambda p: fx.make_avi(p / "in.avi"),
}
FAMILY = {"mp3": "mp3", "mp4": "mp4", "wav": "riff", "avi": "riff"}


@pytest.mark.parametrize("kind", ["mp4", "wav", "avi"])
def test_truncated(tmp_path, kind):
    src = MAKERS[kind](tmp_path)
    data = src.read_bytes()
    src.write_bytes(data[:len(data) * 2 // 3])
    refused(FAMILY[kind], src, tmp_path, "invalid input", "")


def test_truncated_mp3_keeps_only_whole_frames(tmp_path):
    """An MP3 cut short loses its tail tags and its last partial frame;
    what remains is frames and nothing else."""
    src = MAKERS["mp3"](tmp_path)
    data = src.read_bytes()
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(data[:len(data) - 700])
    dst, _ = scrubbed("mp3", cut, tmp_path)
    check_no_canary(dst)
    cut.write_bytes(data[:300])  # the ID3v2 tag only
    refused("mp3", cut, tmp_path, "invalid input", "")


def test_lying_lengths(tmp_path):
    mp3 = MAKERS["mp3"](tmp_path)
    data = bytearray(mp3.read_bytes())
    data[6:10] = b"\x7f\x7f\x7f\x7f"  # ID3v2 size: 256 MB
    mp3.write_bytes(bytes(data))
    refused("mp3", mp3, tmp_path, "invalid input", "longer than the file")

    wav = MAKERS["wav"](tmp_path)
    data = bytearray(wav.read_bytes())
    at = data.find(b"data")
    data[at + 4:at + 8] = struct.pack("<I", 0xfffffff0)
    wav.write_bytes(bytes(data))
    refused("riff", wav, tmp_path, "invalid input", "longer than its list")

    mp4 = MAKERS["mp4"](tmp_path)
    data = bytearray(mp4.read_bytes())
    at = data.find(b"mvhd") - 4
    data[at:at + 4] = struct.pack(">I", 0x7ffffff0)
    mp4.write_bytes(bytes(data))
    refused("mp4", mp4, tmp_path, "invalid input", "does not fit")

    # A 64-bit box size past the end of the file.
    data = bytearray(MAKERS["mp4"](tmp_path).read_bytes())
    at = data.find(b"moov") - 4
    mp4.write_bytes(bytes(data[:at]) + struct.pack(">I4sQ", 1, b"moov",
                                                   1 << 40) + bytes(data[at + 8:]))
    refused("mp4", mp4, tmp_path, "invalid input", "does not fit in the file")


def test_too_many_boxes_and_too_large_a_header(tmp_path):
    ftyp = fx.box(b"ftyp", b"isom\0\0\2\0isom")
    many = fx.box(b"moov", fx.box(b"free", b"") * 150000)
    src = tmp_path / "many.mp4"
    src.write_bytes(ftyp + many)
    refused("mp4", src, tmp_path, "too big", "too many boxes")

    big = fx.box(b"moov", fx.box(b"free", b"\0" * (33 << 20)))
    src.write_bytes(ftyp + big)
    refused("mp4", src, tmp_path, "too big", "memory limit")

    chunks = b"".join(fx.chunk(b"JUNK", b"") for _ in range(150000))
    wav = MAKERS["wav"](tmp_path).read_bytes()
    body = wav[12:] + chunks
    src = tmp_path / "many.wav"
    src.write_bytes(b"RIFF" + struct.pack("<I", len(body) + 4) + b"WAVE" + body)
    refused("riff", src, tmp_path, "too big", "too many chunks")


def test_refused_kinds(tmp_path):
    src = tmp_path / "x.wav"
    src.write_bytes(b"RF64\xff\xff\xff\xffWAVEds64" + b"\0" * 40)
    refused("riff", src, tmp_path, "not supported", "RF64")
    src = tmp_path / "x.heic"
    src.write_bytes(fx.box(b"ftyp", b"heic\0\0\0\0mif1heic") +
                    fx.box(b"meta", b"\0" * 20))
    refused("mp4", src, tmp_path, "not supported", "HEIF")
    src = tmp_path / "noframes.mp3"
    src.write_bytes(b"ID3\x03\0\0\0\0\0\x0aTIT2\0\0\0\0\0\0" + b"text " * 100)
    refused("mp3", src, tmp_path, "invalid input", "no MPEG audio frames")


def zip_bytes(tmp_path):
    import zipfile
    z = tmp_path / "payload.zip"
    with zipfile.ZipFile(z, "w") as f:
        f.writestr("secret.txt", "written by " + fx.NAME)
    return z.read_bytes()


def test_polyglots(tmp_path):
    """A zip hidden after the audio, or in a box or chunk the scrubbers do
    not keep, does not survive."""
    zipdata = zip_bytes(tmp_path)
    # After an MP3's last frame, and after a WAV's RIFF chunk.
    for kind in ("mp3", "wav"):
        src = MAKERS[kind](tmp_path)
        src.write_bytes(src.read_bytes() + zipdata)
        dst, report = scrubbed(FAMILY[kind], src, tmp_path)
        assert b"PK\x03\x04" not in dst.read_bytes()
        check_no_canary(dst)
    # In an MP4's free box and in an unknown top-level box.
    src = MAKERS["mp4"](tmp_path)
    src.write_bytes(src.read_bytes() + fx.box(b"free", zipdata) +
                    fx.box(b"zzzz", zipdata))
    dst, report = scrubbed("mp4", src, tmp_path)
    assert b"PK\x03\x04" not in dst.read_bytes()
    assert "removed: unknown top-level box" in report
    # Bare after an MP4's last box: not a box, refused.
    src = MAKERS["mp4"](tmp_path)
    src.write_bytes(src.read_bytes() + zipdata)
    refused("mp4", src, tmp_path, "invalid input", "")
    # After an AVI's RIFF chunks.
    src = MAKERS["avi"](tmp_path)
    src.write_bytes(src.read_bytes() + zipdata)
    dst, report = scrubbed("riff", src, tmp_path)
    assert b"PK\x03\x04" not in dst.read_bytes()
    assert "removed: data after the end of the file" in report


# --- Memory ----------------------------------------------------------------

def test_large_mp4_constant_memory(tmp_path):
    """A 300 MB MP4 (a real one whose mdat has 300 MB of zeros after its
    samples; sparse on disk, so quick to make) is scrubbed with a peak RSS
    under 64 MiB, and its mdat comes out byte for byte."""
    small = fx.make_mp4(tmp_path / "small.mp4", gpmd=False, xmp=False)
    data = small.read_bytes()
    boxes = {t: (p, s) for t, p, s in fx.top_boxes(data)}
    mpos, msize = boxes[b"mdat"]
    vpos, vsize = boxes[b"moov"]
    assert mpos < vpos
    pad = 300 << 20
    src = tmp_path / "large.mp4"
    with open(src, "wb") as f:
        f.write(data[:mpos])
        f.write(struct.pack(">I4s", msize + pad, b"mdat"))
        f.write(data[mpos + 8:mpos + msize])
        f.seek(pad, 1)
        f.write(data[mpos + msize:])
    dst = tmp_path / "large-clean.mp4"
    r = subprocess.run(["/usr/bin/time", "-f", "maxrss_kb=%M", str(CLI), "mp4",
                        str(src), str(dst)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    rss = int(r.stderr.rsplit("maxrss_kb=", 1)[1].split()[0])
    assert rss < 64 * 1024, f"peak RSS {rss} KiB"
    assert dst.stat().st_size == src.stat().st_size

    def digest(path, start, n):
        h = hashlib.sha256()
        with open(path, "rb") as f:
            f.seek(start)
            while n > 0:
                b = f.read(min(n, 1 << 20))
                h.update(b)
                n -= len(b)
        return h.hexdigest()
    mdat_len = msize + pad
    assert digest(src, mpos, mdat_len) == digest(dst, mpos, mdat_len)
    check_no_canary_head(dst, mpos)


def check_no_canary_head(path, n):
    with open(path, "rb") as f:
        head = f.read(n)
        f.seek(-1 << 20, 2)
        tail = f.read()
    assert present(head + tail) == []
