"""Audio and video fixtures for the MP3, MP4 and RIFF scrubbers' tests
(test_scrub_media.py), made with ffmpeg and a few lines of Python for
what ffmpeg does not write (APE, Lyrics3, TAG+, a trailing ID3v2 tag,
Broadcast WAV and iXML chunks, AVI date and stream-name chunks, a GoPro
style GPS track).  Every place carries a canary.  Also run as a script
to regenerate the small fuzz seeds:

    python3 test/integration/media_fixtures.py test/fuzz/corpus
"""

import struct
import subprocess
import sys
from pathlib import Path

NAME = "Canary Person"
MAIL = "canary@example.org"
TITLE = "Canary Title"
SOFT = "CanarySoft 9.1"
SERIAL = "CANARYSN123456"
GPS = "+48.8584+002.2945/"
GPS_SAMPLE = b"GPS5 Canary 48.8584 2.2945 CANARYSN123456"
CANARIES = [NAME, MAIL, TITLE, SOFT, SERIAL, "48.8584", "Canary"]


def ffmpeg(*args):
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-nostdin", *map(str, args)],
                   check=True)


def meta_args():
    return ["-metadata", f"title={TITLE}", "-metadata", f"artist={NAME}",
            "-metadata", f"comment={MAIL}", "-metadata", f"encoder={SOFT}",
            "-metadata", "date=2021-02-03"]


# --- MP3 -------------------------------------------------------------------

def syncsafe(n):
    return bytes([(n >> 21) & 0x7f, (n >> 14) & 0x7f, (n >> 7) & 0x7f, n & 0x7f])


def id3v24_frame(fid, payload):
    return fid.encode() + syncsafe(len(payload)) + b"\0\0" + payload


def id3v24_footer_tag():
    """An ID3v2.4 tag with a footer, as appended at the end of a file."""
    frames = (id3v24_frame("TPE1", b"\x03" + NAME.encode() + b"\0") +
              id3v24_frame("PRIV", MAIL.encode() + b"\0" + SERIAL.encode()) +
              id3v24_frame("GEOB", b"\x03text/plain\0f.txt\0" + b"\0" +
                           GPS.encode()))
    size = syncsafe(len(frames))
    return (b"ID3\x04\x00\x10" + size + frames + b"3DI\x04\x00\x10" + size)


def ape_tag(with_header=True):
    items = b""
    for key, val in (("Artist", NAME), ("Comment", MAIL), ("Serial", SERIAL)):
        v = val.encode()
        items += struct.pack("<II", len(v), 0) + key.encode() + b"\0" + v
    size = len(items) + 32
    flags = 0x80000000 if with_header else 0
    footer = b"APETAGEX" + struct.pack("<IIII", 2000, size, 3, flags) + b"\0" * 8
    header = b"APETAGEX" + struct.pack("<IIII", 2000, size, 3,
                                       flags | 0x20000000) + b"\0" * 8
    return (header if with_header else b"") + items + footer


def lyrics3v2():
    body = b"LYRICSBEGIN" + b"IND00002" + b"10" + b"LYR" + \
        b"%05d" % len(MAIL) + MAIL.encode() + b"AUT" + \
        b"%05d" % len(NAME) + NAME.encode()
    return body + b"%06d" % len(body) + b"LYRICS200"


def id3v1_plus():
    def field(s, n):
        return s.encode()[:n].ljust(n, b"\0")
    return (b"TAG+" + field(TITLE, 60) + field(NAME, 60) + field(SOFT, 60) +
            b"\0" + field("", 30) + b"000:00" + b"000:01")


def make_mp3(path, seconds=0.5, extra_tail=True, rate=44100):
    """ID3v2.3 (with a picture, comment, TXXX) and ID3v1 from ffmpeg; then
    in the tail an APE tag, Lyrics3 v2, TAG+ and ID3v1 again, and an ID3v2.4
    tag with a footer."""
    path = Path(path)
    cover = path.with_suffix(".cover.png")
    ffmpeg("-f", "lavfi", "-i", "color=red:s=8x8:d=1", "-frames:v", "1",
           "-metadata", f"comment={MAIL}", cover)
    ffmpeg("-f", "lavfi", "-i", f"sine=d={seconds}:sample_rate={rate}",
           "-i", cover, "-map", "0:a", "-map", "1:v", "-c:v", "copy",
           "-b:a", "32k", *meta_args(),
           "-metadata:s:v", f"comment={NAME} cover",
           "-id3v2_version", "3", "-write_id3v1", "1", path)
    cover.unlink()
    if extra_tail:
        # ffmpeg's own file, kept: ffmpeg decodes the tail tags it does
        # not know (Lyrics3, TAG+, a trailing ID3v2) as noise, so this
        # is what the scrubbed file must decode like.
        data = path.read_bytes()
        path.with_suffix(".base.mp3").write_bytes(data)
        assert data[-128:-125] == b"TAG"
        v1 = data[-128:]
        data = data[:-128] + ape_tag() + lyrics3v2() + id3v1_plus() + v1 + \
            id3v24_footer_tag()
        path.write_bytes(data)
    return path


# --- MP4 -------------------------------------------------------------------

def box(t, payload):
    return struct.pack(">I", 8 + len(payload)) + t + payload


def full(t, version, flags, payload):
    return box(t, struct.pack(">I", version << 24 | flags) + payload)


def top_boxes(data):
    out, pos = [], 0
    while pos < len(data):
        size, t = struct.unpack(">I4s", data[pos:pos + 8])
        if size == 1:
            size = struct.unpack(">Q", data[pos + 8:pos + 16])[0]
        if size == 0:
            size = len(data) - pos
        out.append((t, pos, size))
        pos += size
    return out


def gpmd_trak(track_id, sample_off, sample_len):
    tkhd = full(b"tkhd", 0, 3, struct.pack(
        ">IIIIIQhhhH36sII", 1000000000, 1000000000, track_id, 0, 500, 0, 0,
        0, 0, 0, b"\0" * 36, 0, 0))
    mdhd = full(b"mdhd", 0, 0, struct.pack(">IIIIHH", 1000000000, 1000000000,
                                            1000, 500, 0x55c4, 0))
    hdlr = full(b"hdlr", 0, 0, b"\0" * 4 + b"meta" + b"\0" * 12 +
                b"GoPro MET " + SERIAL.encode() + b"\0")
    dref = full(b"dref", 0, 0, struct.pack(">I", 1) + full(b"url ", 0, 1, b""))
    entry = box(b"gpmd", b"\0" * 6 + struct.pack(">H", 1) + b"\0" * 4)
    stbl = box(b"stbl",
               full(b"stsd", 0, 0, struct.pack(">I", 1) + entry) +
               full(b"stts", 0, 0, struct.pack(">III", 1, 1, 500)) +
               full(b"stsc", 0, 0, struct.pack(">IIII", 1, 1, 1, 1)) +
               full(b"stsz", 0, 0, struct.pack(">III", 0, 1, sample_len)) +
               full(b"stco", 0, 0, struct.pack(">II", 1, sample_off)))
    minf = box(b"minf", full(b"nmhd", 0, 0, b"") + box(b"dinf", dref) + stbl)
    return box(b"trak", tkhd + box(b"mdia", mdhd + hdlr + minf))


def add_gpmd_track(path):
    """Appends a GoPro-style GPS sample to mdat (which comes before moov
    in ffmpeg's output, so no other offset moves) and a timed metadata
    track pointing at it."""
    data = Path(path).read_bytes()
    boxes = {t: (pos, size) for t, pos, size in top_boxes(data)}
    mpos, msize = boxes[b"mdat"]
    vpos, vsize = boxes[b"moov"]
    assert mpos < vpos and data[mpos:mpos + 4] != b"\0\0\0\1"
    sample_off = mpos + msize
    mdat = struct.pack(">I", msize + len(GPS_SAMPLE)) + \
        data[mpos + 4:mpos + msize] + GPS_SAMPLE
    moov = data[vpos + 8:vpos + vsize] + gpmd_trak(9, sample_off,
                                                    len(GPS_SAMPLE))
    out = data[:mpos] + mdat + data[mpos + msize:vpos] + box(b"moov", moov) + \
        data[vpos + vsize:]
    Path(path).write_bytes(out)


XMP = (b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
       b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf='
       b'"http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
       b'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>'
       + NAME.encode() + b'</dc:creator></rdf:Description></rdf:RDF>'
       b'</x:xmpmeta><?xpacket end="w"?>')
XMP_UUID = bytes.fromhex("BE7ACFCB97A942E89C71999491E3AFAC")


def make_mp4(path, video=True, fmt=None, gpmd=True, xmp=True, exiftool=True,
             movflags="use_metadata_tags", seconds=0.5):
    """ffmpeg metadata (udta/meta/ilst or mdta keys, ©xyz location,
    dates), exiftool XMP and QuickTime tags, a top-level XMP uuid box,
    and a GoPro GPS track."""
    path = Path(path)
    src = ["-f", "lavfi", "-i", f"sine=d={seconds}"]
    codecs = ["-c:a", "aac", "-b:a", "32k"]
    if video:
        src = ["-f", "lavfi", "-i", f"testsrc=d={seconds}:s=32x24:r=10"] + src
        codecs = ["-c:v", "mpeg4", "-q:v", "20"] + codecs
    ffmpeg(*src, *codecs, *meta_args(), "-metadata", f"location={GPS}",
           "-metadata", "creation_time=2021-02-03T04:05:06Z",
           "-metadata", f"make={SERIAL}", "-metadata", f"model={SERIAL}",
           *(["-movflags", movflags] if movflags else []),
           *(["-f", fmt] if fmt else []), path)
    if gpmd:
        add_gpmd_track(path)
    if xmp and exiftool:
        subprocess.run(["exiftool", "-q", "-overwrite_original",
                        f"-XMP-dc:Creator={NAME}",
                        f"-XMP-dc:Rights={MAIL}",
                        "-XMP-exif:GPSLatitude=48.8584",
                        "-XMP-exif:GPSLongitude=2.2945",
                        f"-UserData:Author={NAME}",
                        f"-UserData:Make={SERIAL}",
                        str(path)], check=True)
    if xmp:
        with open(path, "ab") as f:
            f.write(box(b"uuid", XMP_UUID + XMP))
    return path


# --- RIFF ------------------------------------------------------------------

def chunk(cid, payload):
    pad = b"\0" if len(payload) & 1 else b""
    return cid + struct.pack("<I", len(payload)) + payload + pad


def riff_chunks(data, start, end):
    out, pos = [], start
    while pos + 8 <= end:
        cid, size = struct.unpack("<4sI", data[pos:pos + 8])
        out.append((cid, pos, size))
        pos += 8 + size + (size & 1)
    return out


def make_wav(path, seconds=0.5, rate=44100):
    """LIST INFO from ffmpeg, then bext, iXML, _PMX, id3 , cart, LIST adtl
    and a JUNK chunk with leftovers, added here."""
    path = Path(path)
    ffmpeg("-f", "lavfi", "-i", f"sine=d={seconds}:sample_rate={rate}",
           *meta_args(), path)
    data = path.read_bytes()
    bext = (NAME.encode().ljust(256, b"\0") + SERIAL.encode().ljust(32, b"\0")
            + b"CanaryOrigRef".ljust(32, b"\0") + b"2021-02-03" + b"04:05:06"
            + b"\0" * 8 + b"\0" * 2 + b"\0" * 64 + b"\0" * 190
            + b"A=PCM,F=44100,W=16,M=mono,T=" + SOFT.encode() + b"\r\n")
    ixml = (b"<?xml version=\"1.0\"?><BWFXML><PROJECT>" + NAME.encode() +
            b"</PROJECT><NOTE>" + GPS.encode() + b"</NOTE></BWFXML>")
    id3 = b"ID3\x03\x00\x00" + syncsafe(len(NAME) + 11) + b"TPE1" + \
        struct.pack(">I", len(NAME) + 1) + b"\0\0\0" + NAME.encode()
    adtl = b"adtl" + chunk(b"labl", struct.pack("<I", 1) + MAIL.encode() + b"\0")
    cart = b"0101" + TITLE.encode().ljust(64, b"\0") + NAME.encode().ljust(64, b"\0")
    extra = (chunk(b"bext", bext) + chunk(b"iXML", ixml) +
             chunk(b"_PMX", XMP) + chunk(b"id3 ", id3) +
             chunk(b"cart", cart) + chunk(b"LIST", adtl) +
             chunk(b"JUNK", b"old " + SERIAL.encode()) +
             chunk(b"cue ", struct.pack("<I", 1) + struct.pack(
                 "<II4sIII", 1, 0, b"data", 0, 0, 0)))
    data = data + extra
    data = data[:4] + struct.pack("<I", len(data) - 8) + data[8:]
    path.write_bytes(data)
    return path


def make_avi(path, seconds=0.5):
    """LIST INFO from ffmpeg; an IDIT date and an ISMP timecode put in
    hdrl's JUNK, a stream name (strn) in a strl's JUNK, and a top-level
    _PMX (XMP) chunk at the end, by hand."""
    path = Path(path)
    ffmpeg("-f", "lavfi", "-i", f"testsrc=d={seconds}:s=32x24:r=5",
           "-f", "lavfi", "-i", f"sine=d={seconds}", "-c:v", "mpeg4",
           "-c:a", "pcm_s16le", *meta_args(), path)
    data = bytearray(path.read_bytes())
    hdrl = [c for c in riff_chunks(data, 12, len(data)) if c[0] == b"LIST"][0]
    hpos = hdrl[1]
    inner = riff_chunks(data, hpos + 12, hpos + 8 + hdrl[2])

    def fill_junk(jpos, jsize, new):
        # new chunks, then JUNK for the rest: same total size
        rest = jsize - len(new)
        assert rest >= 0
        data[jpos:jpos + 8 + jsize] = new + b"JUNK" + \
            struct.pack("<I", rest) + b"\0" * rest

    junk = [c for c in inner if c[0] == b"JUNK"][0]
    fill_junk(junk[1], junk[2], chunk(b"IDIT", b"Wed Feb 03 04:05:06 2021\n\0") +
              chunk(b"ISMP", b"04:05:06:00\0"))
    strl = [c for c in inner if c[0] == b"LIST"][0]
    sj = [c for c in riff_chunks(data, strl[1] + 12, strl[1] + 8 + strl[2])
          if c[0] == b"JUNK"][0]
    fill_junk(sj[1], sj[2], chunk(b"strn", (NAME + " camera\0").encode()))
    data += chunk(b"_PMX", XMP)
    data[4:8] = struct.pack("<I", len(data) - 8)
    path.write_bytes(bytes(data))
    return path


def tiny_avi():
    """A small hand-made AVI with every chunk the scrubber looks at (the
    frames are not a real codec's: the scrubber does not decode), and an
    OpenDML AVIX extension after it."""
    info = b"INFO" + chunk(b"IART", NAME.encode() + b"\0") + \
        chunk(b"ICMT", MAIL.encode() + b"\0") + chunk(b"ISFT", SOFT.encode())
    strh = b"vids" + b"FMP4" + b"\0" * 48
    strf = struct.pack("<IiiHH4sIiiII", 40, 16, 16, 1, 24, b"FMP4", 768,
                       0, 0, 0, 0)
    strl = b"strl" + chunk(b"strh", strh) + chunk(b"strf", strf) + \
        chunk(b"strd", b"AVIF" + SERIAL.encode()) + \
        chunk(b"strn", NAME.encode() + b"\0") + \
        chunk(b"JUNK", b"old " + SERIAL.encode())
    hdrl = b"hdrl" + chunk(b"avih", b"\0" * 56) + chunk(b"LIST", strl) + \
        chunk(b"IDIT", b"Wed Feb 03 04:05:06 2021\n\0") + \
        chunk(b"ISMP", b"04:05:06:00\0") + chunk(b"LIST", info)
    movi = b"movi" + chunk(b"00dc", b"\0\0\1\xb6frame") + \
        chunk(b"01wb", b"\0" * 7)
    body = b"AVI " + chunk(b"LIST", hdrl) + chunk(b"LIST", info) + \
        chunk(b"JUNK", b"\0" * 12) + chunk(b"LIST", movi) + \
        chunk(b"idx1", struct.pack("<4sIII", b"00dc", 16, 4, 9)) + \
        chunk(b"_PMX", XMP) + chunk(b"ncdt", SERIAL.encode())
    avix = b"AVIX" + chunk(b"LIST", b"movi" + chunk(b"00dc", b"more")) + \
        chunk(b"LIST", info)
    return chunk(b"RIFF", body) + chunk(b"RIFF", avix)


def seeds(out):
    """Small valid and broken files for the fuzz targets' seed corpora."""
    import tempfile
    out = Path(out)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        mp3 = make_mp3(tmp / "a.mp3", seconds=0.1, rate=8000)
        mp4 = make_mp4(tmp / "a.mp4", video=False, seconds=0.05, xmp=False)
        mov = make_mp4(tmp / "b.mov", video=True, seconds=0.1, gpmd=False,
                       xmp=False, fmt="mov")
        frag = make_mp4(tmp / "c.mp4", video=False, seconds=0.05, gpmd=False,
                        xmp=False,
                        movflags="frag_keyframe+empty_moov+use_metadata_tags")
        wav = make_wav(tmp / "a.wav", seconds=0.01, rate=8000)
        files = {
            "scrub_mp3": {"tags.mp3": mp3.read_bytes()},
            "scrub_mp4": {"gpmd.mp4": mp4.read_bytes(),
                          "meta.mov": mov.read_bytes(),
                          "frag.mp4": frag.read_bytes()},
            "scrub_riff": {"tags.wav": wav.read_bytes(),
                           "tags.avi": tiny_avi()},
        }
    for target, fs in files.items():
        d = out / target
        d.mkdir(parents=True, exist_ok=True)
        for name, data in fs.items():
            (d / name).write_bytes(data)
            # broken: cut in half, and a length that lies
            (d / ("cut-" + name)).write_bytes(data[:len(data) // 2])
            lie = bytearray(data)
            lie[4:8] = b"\x7f\xff\xff\xf0"
            (d / ("lie-" + name)).write_bytes(bytes(lie))
        for name, data in fs.items():
            print(target, name, len(data))


if __name__ == "__main__":
    seeds(sys.argv[1])
