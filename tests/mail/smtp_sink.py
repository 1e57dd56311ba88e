"""An SMTP server for tests/mail_alerts.rs (aiosmtpd): every message it takes becomes a file
OUT/NNNN.eml holding "PEER ip", "FROM addr", "RCPT a,b", a blank line, then the DATA as sent
(CRLF line ends, dot-unstuffed). Usage: smtp_sink.py ADDRESS PORT OUT [NAME]; writes OUT/ready
once it listens and runs until killed. With NAME it also answers DNS queries (UDP port 53 on
ADDRESS) for NAME's A record with ADDRESS, and every other question with no record."""

import os
import signal
import socket
import struct
import sys
import threading

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, out):
        self.out = out
        self.n = 0

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        head = "PEER %s\nFROM %s\nRCPT %s\n\n" % (
            session.peer[0],
            envelope.mail_from,
            ",".join(envelope.rcpt_tos),
        )
        tmp = os.path.join(self.out, "%04d.tmp" % self.n)
        with open(tmp, "wb") as f:
            f.write(head.encode() + envelope.original_content)
        os.rename(tmp, os.path.join(self.out, "%04d.eml" % self.n))
        return "250 OK"


def dns(address, name):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((address, 53))
    wanted = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
    while True:
        query, peer = sock.recvfrom(512)
        qname_end = query.index(b"\0", 12) + 1
        qname, qtype = query[12:qname_end], struct.unpack("!H", query[qname_end : qname_end + 2])[0]
        question = query[12 : qname_end + 4]
        found = qname.lower() == wanted and qtype == 1
        head = query[:2] + struct.pack("!HHHHH", 0x8180, 1, 1 if found else 0, 0, 0)
        answer = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton(address)
        sock.sendto(head + question + (answer if found else b""), peer)


address, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if len(sys.argv) > 4:
    threading.Thread(target=dns, args=(address, sys.argv[4]), daemon=True).start()
controller = Controller(Sink(out), hostname=address, port=port)
controller.start()
open(os.path.join(out, "ready"), "w").close()
signal.sigwait([signal.SIGTERM, signal.SIGINT])
controller.stop()
