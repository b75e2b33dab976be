#!/usr/bin/python3
"""SMTP sink for the dev stack (scripts/stack, docs/stack.md).

Accepts every message on a loopback address and saves each as its own
file, DIR/<ns-timestamp>-<pid>-<seq>.eml: the raw message as received,
preceded by two header lines naming the SMTP envelope:

    X-Envelope-From: <sender>
    X-Envelope-To: <rcpt1>, <rcpt2>

Files appear atomically (written under a dot name, then renamed), so a
test may read every *.eml it sees.  Unlike aiosmtpd's Mailbox handler it
adds no X-Peer header and logs no peer address: nothing the sink writes
names a client.  Needs Debian's python3-aiosmtpd (1.4).

    smtp-sink.py --listen 127.0.0.1:2525 --dir var/mail
"""

import argparse
import asyncio
import itertools
import logging
import os
import signal
import sys
import time

from aiosmtpd.smtp import SMTP

log = logging.getLogger("smtp-sink")


class Sink:
    """aiosmtpd handler: one file per message, nothing else."""

    def __init__(self, directory):
        self.directory = directory
        self.seq = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        rcpts = ", ".join("<%s>" % r for r in envelope.rcpt_tos)
        head = "X-Envelope-From: <%s>\r\nX-Envelope-To: %s\r\n" % (
            envelope.mail_from,
            rcpts,
        )
        body = envelope.original_content or b""
        name = "%d-%d-%d.eml" % (time.time_ns(), os.getpid(), next(self.seq))
        tmp = os.path.join(self.directory, "." + name + ".tmp")
        final = os.path.join(self.directory, name)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o640)
        with os.fdopen(fd, "wb") as f:
            f.write(head.encode("utf-8", "surrogateescape"))
            f.write(body)
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, final)
        log.warning("saved %s (%d bytes, %d recipients)", name, len(body), len(envelope.rcpt_tos))
        return "250 OK saved"


def parse_listen(value):
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise argparse.ArgumentTypeError("expected HOST:PORT, e.g. 127.0.0.1:2525")
    return host.strip("[]"), int(port)


async def serve(host, port, directory, size):
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    handler = Sink(directory)
    server = await loop.create_server(
        lambda: SMTP(
            handler,
            hostname="localhost",
            ident="ombud dev smtp sink",
            data_size_limit=size,
            enable_SMTPUTF8=True,
        ),
        host=host,
        port=port,
    )
    log.warning("listening on port %d, saving to %s", port, directory)
    await stop.wait()
    server.close()
    await server.wait_closed()
    log.warning("stopped")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", type=parse_listen, default=("127.0.0.1", 2525))
    ap.add_argument("--dir", required=True, help="directory for the .eml files")
    ap.add_argument("--size", type=int, default=10 * 1024 * 1024, help="message size cap in bytes")
    args = ap.parse_args()
    # WARNING, so that aiosmtpd's own INFO lines ("Peer: ...") stay out.
    logging.basicConfig(
        level=logging.WARNING,
        format="%(asctime)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    os.makedirs(args.dir, mode=0o750, exist_ok=True)
    host, port = args.listen
    asyncio.run(serve(host, port, args.dir, args.size))
    return 0


if __name__ == "__main__":
    sys.exit(main())
