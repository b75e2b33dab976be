"""A minimal FastCGI client, to talk to a pool directly over its socket
(bypassing nginx) in tests."""

import socket
import struct

BEGIN_REQUEST, END_REQUEST, PARAMS, STDIN, STDOUT, STDERR = 1, 3, 4, 5, 6, 7


def _record(rtype, content, rid=1):
    return struct.pack("!BBHHBB", 1, rtype, rid, len(content), 0, 0) + content


def _nv(name, value):
    out = b""
    for part in (name, value):
        n = len(part)
        out += bytes([n]) if n < 128 else struct.pack("!I", n | 0x80000000)
    return out + name + value


def request(sock_path, params, body=b"", timeout=10):
    """Sends one request; returns (status, headers dict, body bytes)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(sock_path)
    try:
        payload = _record(BEGIN_REQUEST, struct.pack("!HB5x", 1, 0))
        blob = b"".join(_nv(k.encode(), v.encode()) for k, v in params.items())
        for i in range(0, len(blob), 65535):
            payload += _record(PARAMS, blob[i:i + 65535])
        payload += _record(PARAMS, b"")
        for i in range(0, len(body), 65535):
            payload += _record(STDIN, body[i:i + 65535])
        payload += _record(STDIN, b"")
        s.sendall(payload)
        out = b""
        buf = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
            done = False
            while len(buf) >= 8:
                _, rtype, _, clen, plen, _ = struct.unpack("!BBHHBB", buf[:8])
                if len(buf) < 8 + clen + plen:
                    break
                content = buf[8:8 + clen]
                buf = buf[8 + clen + plen:]
                if rtype == STDOUT:
                    out += content
                elif rtype == END_REQUEST:
                    done = True
            if done:
                break
    finally:
        s.close()
    head, _, body = out.partition(b"\r\n\r\n")
    headers = {}
    for line in head.decode("latin-1").split("\r\n"):
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    status = int(headers.get("status", "200").split()[0])
    return status, headers, body


def get(sock_path, uri, method="GET", body=b"", extra=None):
    path, _, query = uri.partition("?")
    params = {
        "REQUEST_METHOD": method,
        "REQUEST_URI": uri,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTPS": "on",
        "CONTENT_LENGTH": str(len(body)) if body else "",
        "CONTENT_TYPE": "application/x-www-form-urlencoded" if body else "",
    }
    params.update(extra or {})
    return request(sock_path, params, body)
