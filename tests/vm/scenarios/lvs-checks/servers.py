"""Small servers for tests/vm/scenarios/lvs-checks.sh, run in the VM as `python3 -S servers.py`
(only the standard modules build-initramfs.sh copies):

  servers.py udp ADDR PORT          answers each datagram with the bytes of /tmp/udp-reply
                                    (no reply while that file is missing)
  servers.py dns ADDR PORT          answers each query as /tmp/dns-mode says: "ok" (QR, RCODE 0,
                                    one A record), "servfail" (RCODE 2); no answer otherwise
  servers.py smtp ADDR PORT OUTDIR  an SMTP server: each message becomes OUTDIR/PEER-N.eml with
                                    "HELO ...", "FROM ...", "RCPT a,b", a blank line, the DATA

Each writes /tmp/ready-KIND-PORT once it listens."""

import os
import socket
import socketserver
import struct
import sys


def ready(kind, port):
    with open("/tmp/ready-%s-%s" % (kind, port), "w") as f:
        f.write("%d\n" % os.getpid())


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def datagrams(kind, addr, port):
    """Each datagram to ADDR:PORT with the socket and its sender, once ready."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    ready(kind, port)
    while True:
        data, peer = s.recvfrom(2048)
        yield s, data, peer


def udp(addr, port):
    for s, _, peer in datagrams("udp", addr, port):
        reply = read("/tmp/udp-reply")
        if reply is not None:
            s.sendto(reply, peer)


def dns(addr, port):
    for s, q, peer in datagrams("dns", addr, port):
        mode = (read("/tmp/dns-mode") or b"").strip()
        if len(q) < 12 or mode not in (b"ok", b"servfail"):
            continue
        qid, flags = struct.unpack("!HH", q[:4])
        rcode = 0 if mode == b"ok" else 2
        # QR, the query's opcode and RD, RA; one question back, one answer when ok.
        flags = 0x8000 | (flags & 0x7900) | 0x80 | rcode
        question = q[12:]
        answers = 1 if rcode == 0 else 0
        head = struct.pack("!HHHHHH", qid, flags, 1, answers, 0, 0)
        body = question
        if answers:
            body += struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + socket.inet_aton("10.0.1.99")
        s.sendto(head + body, peer)


class Smtp(socketserver.StreamRequestHandler):
    count = 0

    def send(self, line):
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        helo, sender, rcpt = "", "", []
        self.send("220 mx ESMTP")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line.decode(errors="replace").rstrip("\r\n")
            verb = cmd[:4].upper()
            if verb in ("HELO", "EHLO"):
                helo = cmd[5:]
                self.send("250 mx")
            elif verb == "MAIL":
                sender, rcpt = cmd[10:].strip("<>"), []
                self.send("250 ok")
            elif verb == "RCPT":
                rcpt.append(cmd[8:].strip("<>"))
                self.send("250 ok")
            elif verb == "DATA":
                self.send("354 go on")
                data = b""
                while True:
                    l = self.rfile.readline()
                    if not l or l == b".\r\n":
                        break
                    data += l[1:] if l.startswith(b".") else l
                Smtp.count += 1
                name = "%s-%04d" % (self.client_address[0], Smtp.count)
                path = os.path.join(self.server.out, name)
                with open(path + ".tmp", "wb") as f:
                    head = "HELO %s\nFROM %s\nRCPT %s\n\n" % (helo, sender, ",".join(rcpt))
                    f.write(head.encode() + data)
                os.rename(path + ".tmp", path + ".eml")
                self.send("250 queued")
            elif verb == "QUIT":
                self.send("221 bye")
                return
            else:
                self.send("500 unknown")


def smtp(addr, port, out):
    os.makedirs(out, exist_ok=True)
    socketserver.ThreadingTCPServer.allow_reuse_address = True
    server = socketserver.ThreadingTCPServer((addr, port), Smtp)
    server.out = out
    server.daemon_threads = True
    ready("smtp", port)
    server.serve_forever()


if __name__ == "__main__":
    kind, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if kind == "udp":
        udp(addr, port)
    elif kind == "dns":
        dns(addr, port)
    else:
        smtp(addr, port, sys.argv[4])
