#!/usr/bin/env python3
"""kalive against keepalived 2.2.7, differentially, on generated configurations.

A seeded generator writes valid keepalived.conf files (keepalived -t exits 0 on each: a
configuration it rejects is regenerated from the next sub-seed); each runs alone under kalive and
under keepalived in a pair of network namespaces of its own (the daemon's "dut" namespace with
eth0 and eth1, veth pairs to a silent "wire" namespace where tcpdump captures what the daemon
sends). Compared: the addresses, routes and rules added while running and left after stop; per
VRID the advert fields, GARP/NA counts and the first advert's time; every instance's state
history and final state (notify FIFO); notify script argv lines. Differences are grouped into
classes; tests/differential/known.txt lists the known ones with their reasons, and any class not
listed fails the run (exit 1).

Runs go in parallel, each in its own namespaces (named kdf<pid>-..., removed in `finally` and
by an atexit hook even on failure). Every wait is bounded in time.

Usage: differential.py --kalive BIN [-n 100] [--seed S] [--jobs 16] [--report FILE]
A configuration is reproducible from its seed: --seed S --only INDEX prints/runs that one.
"""

import argparse
import atexit
import collections
import fnmatch
import json
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

KEEPALIVED = "/usr/sbin/keepalived"
HERE = os.path.dirname(os.path.abspath(__file__))
PID = os.getpid()
CREATED_NS = set()
CREATED_LOCK = threading.Lock()
# Set on SIGTERM/SIGINT: runs not started yet are skipped, running ones end their window early;
# every run removes its namespaces in `finally`, and the atexit hook removes any left.
STOPPING = threading.Event()
# Time from start to the first advert: differences beyond this are a class of their own. The
# machine may be loaded (2 cores, many daemons at once), so it is generous next to the 2.6 s
# that separate the two start-up rules seen (one interval vs Master_Down_Interval).
FIRST_ADVERT_TOLERANCE = 1.0  # plus 15 % of keepalived's time
# Takeover times in pairs: a SIGKILLed master's last advert is up to one interval before the
# kill, so the Master_Down_Interval wait varies by 1 s on its own, and the machine is loaded.
PAIR_TOLERANCE = 2.0
# Two masters at once: a keepalived pair shows 0.0 s on every event here; 100 ms samples.
TWO_MASTERS_TOLERANCE = 0.5


# ---------------------------------------------------------------------------------------------
# Processes and namespaces


def sh(args, check=True, timeout=20, **kw):
    r = subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {r.stderr.strip()}")
    return r


def ns_add(name):
    with CREATED_LOCK:
        CREATED_NS.add(name)
    sh(["ip", "netns", "add", name])


def ns_del(name):
    sh(["ip", "netns", "del", name], check=False)
    with CREATED_LOCK:
        CREATED_NS.discard(name)


@atexit.register
def _cleanup_namespaces():
    for name in list(CREATED_NS):
        ns_del(name)


def killgroup(p, sig=signal.SIGKILL):
    try:
        os.killpg(p.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


class Bed:
    """Two namespaces: dut (eth0 10.0.0.1, eth1 10.1.0.1; fd00::1, fd01::1) and wire, joined by
    two veth pairs. DAD off, so the IPv6 addresses are usable at once."""

    def __init__(self, tag):
        self.dut = f"kdf{PID}{tag}d"
        self.wire = f"kdf{PID}{tag}w"
        ns_add(self.dut)
        ns_add(self.wire)
        sysctl = "sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0"
        for ns in (self.dut, self.wire):
            sh(["ip", "netns", "exec", ns, "sh", "-c", sysctl])
            sh(["ip", "-n", ns, "link", "set", "lo", "up"])
        for k in (0, 1):
            dev = f"eth{k}"
            sh(["ip", "-n", self.dut, "link", "add", dev, "address", f"02:00:00:00:0{k}:01",
                "type", "veth", "peer", "name", dev, "netns", self.wire,
                "address", f"02:00:00:00:0{k}:02"])
            for ns, host in ((self.dut, 1), (self.wire, 2)):
                sh(["ip", "-n", ns, "addr", "add", f"10.{k}.0.{host}/24", "dev", dev])
                sh(["ip", "-n", ns, "addr", "add", f"fd0{k}::{host}/64", "dev", dev, "nodad"])
                sh(["ip", "-n", ns, "link", "set", dev, "up"])
        # The kernel gives eth0 and eth1 their link-locals a moment after "up": wait (5 s at
        # most), so the baseline snapshot has them.
        t = time.time()
        while time.time() - t < 5:
            r = sh(["ip", "-n", self.dut, "-6", "-br", "addr"], check=False)
            if r.stdout.count("fe80::") >= 2:
                break
            time.sleep(0.05)

    def close(self):
        ns_del(self.dut)
        ns_del(self.wire)


BED_OWN = {"10.0.0.1", "10.1.0.1", "10.0.0.0/24", "10.1.0.0/24", "10.0.0.255", "10.1.0.255",
           "fd00::1", "fd01::1", "fd00::/64", "fd01::/64"}


def snapshot(ns):
    """Addresses, links, routes and rules in `ns`, normalised to comparable strings."""
    def j(*args):
        r = sh(["ip", "-n", ns, "-j", *args], check=False)
        try:
            return json.loads(r.stdout or "[]")
        except ValueError:
            return []
    out = {"addr": set(), "link": set(), "route": set(), "rule": set()}
    for link in j("addr"):
        out["link"].add(link.get("ifname", "?"))
        for a in link.get("addr_info", []):
            # eth0's and eth1's own link-locals (from their fixed MACs) are the kernel's.
            if link.get("ifname") in ("eth0", "eth1") and a.get("local", "").startswith("fe80::ff:fe00:"):
                continue
            # Kernel-made link-locals (from the MAC) are the kernel's, not the daemon's... but a
            # daemon that adds one to a VMAC differs: keep them, named by the interface.
            out["addr"].add(f"{link.get('ifname')} {a.get('local')}/{a.get('prefixlen')}"
                            + (f" label {a['label']}" if a.get("label") not in (None, link.get("ifname")) else ""))
    for fam in ("-4", "-6"):
        for r in j(fam, "route", "show", "table", "all"):
            if r.get("dst", "").startswith("ff00::") or r.get("type") == "multicast":
                continue
            if r.get("dev") in ("eth0", "eth1") and r.get("dst", "").startswith(("fe80::ff:fe00:", "fe80::/64")):
                continue
            # The kernel's routes for the bed's own addresses (they may appear after the baseline).
            if r.get("dst") in BED_OWN and r.get("protocol") == "kernel":
                continue
            parts = [fam, r.get("type", "unicast"), r.get("dst", "?")]
            for key in ("gateway", "dev", "table", "metric", "protocol", "scope", "prefsrc"):
                if key in r:
                    parts.append(f"{key} {r[key]}")
            out["route"].add(" ".join(str(p) for p in parts))
        for r in j(fam, "rule"):
            parts = [fam, str(r.get("priority"))]
            for key in ("src", "srclen", "dst", "dstlen", "table", "iif", "oif", "fwmark", "action"):
                if key in r:
                    parts.append(f"{key} {r[key]}")
            out["rule"].add(" ".join(parts))
    return out


# ---------------------------------------------------------------------------------------------
# The generator


class Instance:
    def __init__(self, **kw):
        self.__dict__.update(kw)


def generate(seed):
    """One configuration from `seed`: (text with @DIR@ for the run's directory, metadata)."""
    rng = random.Random(seed)
    g = []  # global_defs lines
    g.append(f"    router_id diff{seed}")
    g.append("    script_user root")
    g.append("    enable_script_security")
    g.append("    notify_fifo @DIR@/fifo")
    if rng.random() < 0.3:
        g.append(f"    vrrp_garp_master_repeat {rng.randint(1, 4)}")
    if rng.random() < 0.2:
        g.append(f"    vrrp_garp_master_delay {rng.choice([1, 5, 10])}")
    if rng.random() < 0.15:
        g.append(f"    vrrp_garp_interval {rng.choice(['0.001', '0.01', '0.1'])}")
    if rng.random() < 0.15:
        g.append(f"    vrrp_gna_interval {rng.choice(['0.001', '0.01', '0.1'])}")
    if rng.random() < 0.15:
        g.append(f"    vrrp_garp_lower_prio_repeat {rng.randint(1, 3)}")
    if rng.random() < 0.1:
        g.append("    vrrp_garp_master_refresh 0")

    scripts = {}
    for k in range(rng.choice([0, 0, 1, 2, 3])):
        scripts[f"chk{k}"] = Instance(
            ok=rng.random() < 0.75,
            rise=rng.choice([1, 1, 2, 3]),
            fall=rng.choice([1, 2, 3]),
            weight=rng.choice([None, 0, 10, -10, 30, -30]),
        )
    files = {}
    for k in range(rng.choice([0, 0, 0, 1, 2])):
        files[f"tf{k}"] = Instance(value=rng.choice([0, 0, 1, 5]),
                                   weight=rng.choice([None, 1, 2, -1]))

    n = rng.randint(1, 20)
    vrids = rng.sample(range(1, 256), n)
    insts = []
    for k in range(n):
        v6 = rng.random() < 0.2
        version = 3 if v6 else rng.choice([2, 3])
        state = rng.choice(["MASTER", "BACKUP"])
        iface = "eth1" if rng.random() < 0.15 else "eth0"
        i = Instance(name=f"VI_{k + 1}", k=k, vrid=vrids[k], v6=v6, version=version, state=state,
                     iface=iface, prio=rng.randint(1, 254),
                     advert=rng.choice([1] * 9 + [2]),
                     unicast=rng.random() < 0.25, auth=None, vips=[], routes=[], rules=[],
                     vip_other_if=False, track_if=False, scripts=[], files=[], vmac=False,
                     group=None, nopreempt=False, notify=rng.random() < 0.5, lines=[])
        if version == 2 and rng.random() < 0.4:
            i.auth = "".join(rng.choice("abcdefgh12345678") for _ in range(rng.randint(1, 8)))
        ifn = int(iface[-1])
        fam = 6 if v6 else 4
        for m in range(rng.randint(1, 4)):
            dev = ""
            if rng.random() < 0.1:
                dev = "eth1" if iface == "eth0" else "eth0"
                i.vip_other_if = True
            if v6:
                addr = f"fd10:{k}::{m + 1}/64"
            else:
                addr = f"10.{100 + k}.{m}.1/{rng.choice([24, 32])}"
            opt = f" dev {dev}" if dev else ""
            if not v6 and not dev and rng.random() < 0.15:
                opt += f" label {iface}:{k}{m}"
            i.vips.append((addr, opt))
        if rng.random() < 0.2:
            gw = f"fd0{ifn}::254" if v6 else f"10.{ifn}.0.254"
            dst = f"fd20:{k}::/64" if v6 else f"10.200.{k}.0/24"
            i.routes.append(f"{dst} via {gw} dev {iface}")
            if rng.random() < 0.5:
                dst = f"fd21:{k}::/64" if v6 else f"10.201.{k}.0/24"
                i.routes.append(f"{dst} dev {iface} table {100 + k} metric {rng.randint(1, 500)}")
            if rng.random() < 0.3:
                dst = f"fd22:{k}::/64" if v6 else f"10.202.{k}.0/24"
                i.routes.append(f"blackhole {dst}" + (" dev " + iface if rng.random() < 0.5 else ""))
        if rng.random() < 0.15:
            src = f"fd10:{k}::1/128" if v6 else f"10.{100 + k}.0.1/32"
            i.rules.append(f"from {src} table {100 + k} priority {1000 + k}")
            if rng.random() < 0.5:
                dst = f"fd23:{k}::/64" if v6 else f"10.203.{k}.0/24"
                i.rules.append(f"to {dst} table {100 + k} priority {2000 + k}")
        if rng.random() < 0.15:
            i.track_if = rng.choice([None, 5, -5, -50])
        if scripts and rng.random() < 0.5:
            for s in rng.sample(sorted(scripts), rng.randint(1, len(scripts))):
                i.scripts.append((s, rng.choice([None, None, 5, -5, 20])))
        if files and rng.random() < 0.4:
            for f in rng.sample(sorted(files), rng.randint(1, len(files))):
                i.files.append((f, rng.choice([None, 1, -1])))
        if not v6 and not i.unicast and rng.random() < 0.08:
            i.vmac = True
        if state == "BACKUP" and rng.random() < 0.15:
            i.nopreempt = True
        if rng.random() < 0.2:
            i.lines.append(f"garp_master_delay {rng.choice([1, 5])}")
        if rng.random() < 0.2:
            i.lines.append(f"garp_master_repeat {rng.randint(1, 3)}")
        if rng.random() < 0.1:
            i.lines.append(f"garp_lower_prio_repeat {rng.randint(1, 3)}")
        insts.append(i)

    groups = {}
    free = [i for i in insts]
    rng.shuffle(free)
    gk = 0
    while len(free) >= 2 and rng.random() < 0.35:
        size = rng.randint(2, min(8, len(free)))
        members, free = free[:size], free[size:]
        name = f"G{gk}"
        gk += 1
        for m in members:
            m.group = name
        groups[name] = members

    text = ["global_defs {", *g, "}"]
    for name, s in scripts.items():
        text += [f"vrrp_script {name} {{", f"    script \"{'/bin/true' if s.ok else '/bin/false'}\"",
                 "    interval 1", f"    rise {s.rise}", f"    fall {s.fall}"]
        if s.weight is not None:
            text.append(f"    weight {s.weight}")
        text.append("}")
    for name, f in files.items():
        text += [f"vrrp_track_file {name} {{", f"    file @DIR@/{name}"]
        if f.weight is not None:
            text.append(f"    weight {f.weight}")
        text.append("}")
    for name, members in groups.items():
        text += [f"vrrp_sync_group {name} {{", "    group {"]
        text += [f"        {m.name}" for m in members]
        text.append("    }")
        text.append("    sync_group_tracking_weight")
        if rng.random() < 0.5:
            text.append("    notify \"@DIR@/notify.sh\"")
        text.append("}")
    for i in insts:
        ifn = int(i.iface[-1])
        t = [f"vrrp_instance {i.name} {{", f"    state {i.state}", f"    interface {i.iface}",
             f"    virtual_router_id {i.vrid}", f"    priority {i.prio}",
             f"    advert_int {i.advert}", f"    version {i.version}"]
        if i.nopreempt:
            t.append("    nopreempt")
        if i.vmac:
            t.append(f"    use_vmac vrrp.{i.vrid}")
        if i.auth:
            t += ["    authentication {", "        auth_type PASS", f"        auth_pass {i.auth}", "    }"]
        if i.unicast:
            if i.v6:
                t += [f"    unicast_src_ip fd0{ifn}::1", "    unicast_peer {", f"        fd0{ifn}::2", "    }"]
            else:
                t += [f"    unicast_src_ip 10.{ifn}.0.1", "    unicast_peer {", f"        10.{ifn}.0.2", "    }"]
        if i.track_if is not False:
            other = "eth1" if i.iface == "eth0" else "eth0"
            w = f" weight {i.track_if}" if i.track_if is not None else ""
            t += ["    track_interface {", f"        {other}{w}", "    }"]
        if i.scripts:
            t.append("    track_script {")
            t += [f"        {s}" + (f" weight {w}" if w is not None else "") for s, w in i.scripts]
            t.append("    }")
        if i.files:
            t.append("    track_file {")
            t += [f"        {f}" + (f" weight {w}" if w is not None else "") for f, w in i.files]
            t.append("    }")
        if i.notify:
            t.append("    notify \"@DIR@/notify.sh\"")
            t.append(f"    notify_master \"@DIR@/notify.sh master {i.name}\"")
            t.append(f"    notify_backup \"@DIR@/notify.sh backup {i.name}\"")
            t.append(f"    notify_fault \"@DIR@/notify.sh fault {i.name}\"")
            t.append(f"    notify_stop \"@DIR@/notify.sh stop {i.name}\"")
        t += [f"    {x}" for x in i.lines]
        t.append("    virtual_ipaddress {")
        t += [f"        {a}{o}" for a, o in i.vips]
        t.append("    }")
        if i.routes:
            t += ["    virtual_routes {", *[f"        {r}" for r in i.routes], "    }"]
        if i.rules:
            t += ["    virtual_rules {", *[f"        {r}" for r in i.rules], "    }"]
        t.append("}")
        text += t
    knobs = sorted({ln.split()[0] for ln in g if "garp" in ln or "gna" in ln}
                   | {ln.split()[0] for i in insts for ln in i.lines})
    meta = {"insts": insts, "scripts": scripts, "files": files, "groups": groups, "garp_knobs": knobs}
    return "\n".join(text) + "\n", meta


NOTIFY_SH = "#!/bin/sh\necho \"$*\" >> \"$(dirname \"$0\")/notify.log\"\n"


def prepare_dir(d, meta):
    """The run directory: notify script, track files, an empty notify log."""
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o755)
    p = os.path.join(d, "notify.sh")
    with open(p, "w") as f:
        f.write(NOTIFY_SH)
    os.chmod(p, 0o755)
    for name, tf in meta["files"].items():
        with open(os.path.join(d, name), "w") as f:
            f.write(f"{tf.value}\n")


# ---------------------------------------------------------------------------------------------
# One run


class FifoReader:
    """Reads the notify FIFO (opened read-write, so it never sees EOF) into timestamped lines."""

    def __init__(self, path):
        os.mkfifo(path, 0o600)
        self.fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
        self.lines = []
        self.stop = threading.Event()
        self.buf = b""
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        import select
        deadline = time.time() + 120
        while not self.stop.is_set() and time.time() < deadline:
            r, _, _ = select.select([self.fd], [], [], 0.05)
            if not r:
                continue
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                continue
            now = time.time()
            self.buf += data
            while b"\n" in self.buf:
                line, self.buf = self.buf.split(b"\n", 1)
                self.lines.append((now, line.decode(errors="replace")))

    def close(self):
        self.stop.set()
        self.t.join(timeout=2)
        os.close(self.fd)


def run_one(daemon, kalive_bin, text, meta, workdir, slot, window):
    """Runs `daemon` ("kalive" or "keepalived") on `text`; returns what was observed."""
    d = os.path.join(workdir, f"{slot}-{daemon}")
    shutil.rmtree(d, ignore_errors=True)
    prepare_dir(d, meta)
    conf = os.path.join(d, "keepalived.conf")
    with open(conf, "w") as f:
        f.write(text.replace("@DIR@", d))
    res = {"daemon": daemon, "dir": d, "error": None}
    bed = None
    proc = cap = fifo = None
    try:
        bed = Bed(f"{slot}{daemon[1]}")
        pcap = os.path.join(d, "wire.pcap")
        cap = subprocess.Popen(
            ["ip", "netns", "exec", bed.wire, "timeout", "60", "tcpdump", "-n", "-U", "-i", "any",
             "-s", "512", "-w", pcap, "vrrp or arp or icmp6"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True)
        line = b""
        t_cap = time.time()
        while b"listening on" not in line and time.time() - t_cap < 10:
            line = cap.stderr.readline()
            if not line:
                break
        fifo = FifoReader(os.path.join(d, "fifo"))
        res["before"] = snapshot(bed.dut)
        t0 = time.time()
        proc = start_daemon(daemon, kalive_bin, bed.dut, d)
        res["t0"] = t0
        # The window, but not past an early exit.
        end = t0 + window
        while time.time() < end and proc.poll() is None and not STOPPING.is_set():
            time.sleep(0.05)
        res["exited_early"] = proc.poll()
        res["running"] = snapshot(bed.dut)
        res["t_stop"] = time.time()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
            res["stop_timeout"] = False
        except subprocess.TimeoutExpired:
            res["stop_timeout"] = True
            killgroup(proc)
            proc.wait(timeout=5)
        res["exit"] = proc.returncode
        # Notify scripts of the stop, and the last frames (priority-0 adverts) to the capture:
        # tcpdump, starved on a loaded machine, drops what it has not read when it stops.
        time.sleep(0.6)
        res["after"] = snapshot(bed.dut)
        size, t_wait = -1, time.time()
        while time.time() - t_wait < 3:
            time.sleep(0.3)
            now = os.path.getsize(pcap) if os.path.exists(pcap) else 0
            if now == size:
                break
            size = now
        killgroup(cap, signal.SIGINT)
        try:
            cap.wait(timeout=5)
        except subprocess.TimeoutExpired:
            killgroup(cap)
        res["frames"] = read_pcap(pcap)
    except Exception as e:  # noqa: BLE001 - reported as a harness error
        res["error"] = f"{type(e).__name__}: {e}"
    finally:
        for p in (proc, cap):
            if p is not None and p.poll() is None:
                killgroup(p)
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
        if proc is not None:
            killgroup(proc)  # scripts left in the daemon's session
        if fifo is not None:
            fifo.close()
            res["fifo"] = fifo.lines
        if bed is not None:
            bed.close()
    try:
        with open(os.path.join(d, "notify.log")) as f:
            res["notify"] = f.read().splitlines()
    except OSError:
        res["notify"] = []
    try:
        with open(os.path.join(d, "daemon.log"), errors="replace") as f:
            res["log"] = f.read()
    except OSError:
        res["log"] = ""
    return res


# ---------------------------------------------------------------------------------------------
# The capture


def read_pcap(path):
    """Frames the daemon sent (linux cooked capture, pkttype != outgoing): dicts."""
    try:
        data = open(path, "rb").read()
    except OSError:
        return []
    if len(data) < 24:
        return []
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    nano = magic in (0xA1B23C4D, 0x4D3CB2A1)
    linktype = struct.unpack(end + "I", data[20:24])[0]
    out = []
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        ts = sec + frac / (1e9 if nano else 1e6)
        if linktype == 113 and len(pkt) >= 16:
            pkttype = struct.unpack(">H", pkt[0:2])[0]
            proto = struct.unpack(">H", pkt[14:16])[0]
            payload = pkt[16:]
        elif linktype == 276 and len(pkt) >= 20:
            proto = struct.unpack(">H", pkt[0:2])[0]
            pkttype = pkt[10]
            payload = pkt[20:]
        else:
            continue
        if pkttype == 4:
            continue
        f = decode(proto, payload)
        if f:
            f["ts"] = ts
            out.append(f)
    return out


def decode(proto, p):
    if proto == 0x0806 and len(p) >= 28:
        spa = ".".join(str(b) for b in p[14:18])
        tpa = ".".join(str(b) for b in p[24:28])
        if spa == tpa:
            return {"kind": "garp", "addr": spa}
        return None
    if proto == 0x0800 and len(p) >= 20:
        ihl = (p[0] & 15) * 4
        if p[9] != 112:
            return None
        dst = ".".join(str(b) for b in p[16:20])
        return vrrp(p[ihl:], 4, dst, p[8])
    if proto == 0x86DD and len(p) >= 40:
        nh, hlim = p[6], p[7]
        dst = fmt6(p[24:40])
        body = p[40:]
        if nh == 112:
            return vrrp(body, 6, dst, hlim)
        # Unsolicited only (S flag clear): a solicited NA is the kernel's answer to a peer's
        # neighbour solicitation (its reachability checks come at times of their own).
        if nh == 58 and len(body) >= 24 and body[0] == 136 and not body[4] & 0x40:
            return {"kind": "na", "addr": fmt6(body[8:24])}
    return None


def fmt6(b):
    import ipaddress
    return str(ipaddress.IPv6Address(bytes(b)))


def vrrp(b, fam, dst, ttl):
    if len(b) < 8:
        return None
    version = b[0] >> 4
    vrid, prio, count = b[1], b[2], b[3]
    f = {"kind": "vrrp", "version": version, "vrid": vrid, "prio": prio, "dst": dst, "ttl": ttl,
         "fam": fam}
    alen = 4 if fam == 4 else 16
    addrs = b[8:8 + count * alen]
    if fam == 4:
        f["addrs"] = tuple(sorted(".".join(str(x) for x in addrs[i:i + 4]) for i in range(0, len(addrs), 4)))
    else:
        f["addrs"] = tuple(sorted(fmt6(addrs[i:i + 16]) for i in range(0, len(addrs), 16)))
    if version == 2:
        f["auth"] = b[4]
        f["interval"] = b[5] * 100
        authdata = b[8 + count * alen:8 + count * alen + 8]
        f["authdata"] = authdata.rstrip(b"\0").decode(errors="replace") if b[4] == 1 else ""
    else:
        f["auth"] = 0
        f["authdata"] = ""
        f["interval"] = struct.unpack(">H", b[4:6])[0] & 0x0FFF
    return f


# ---------------------------------------------------------------------------------------------
# Comparison


def tag_of(i):
    """The feature of an instance most likely behind a state difference (one, for the class):
    a sync group first (its members move together), then what can put an instance in FAULT."""
    if i.group:
        return "sync group"
    if i.vmac:
        return "use_vmac"
    if i.track_if is not False:
        return "track_interface"
    if i.vip_other_if:
        return "VIP on another interface"
    if i.scripts:
        return "track_script"
    if i.files:
        return "track_file"
    return "plain"


META_SCRIPTS = {}


def states(fifo, name, group=False):
    """The state sequence of instance (or group) `name` on the FIFO, STOP included."""
    want = "GROUP" if group else "INSTANCE"
    seq = []
    for _, line in fifo:
        parts = line.replace('"', "").split()
        if len(parts) >= 3 and parts[0] == want and parts[1] == name:
            if not seq or seq[-1] != parts[2]:
                seq.append(parts[2])
    return seq


def final(seq):
    running = [x for x in seq if x != "STOP"]
    return running[-1] if running else "none"


def first_advert_class(i):
    if i.group:
        return f"first advert time [config state {i.state}, sync group]"
    if i.state == "MASTER":
        return "first advert time [config state MASTER]"
    return f"first advert time [config state BACKUP, {tag_of(i)}]"


def weight_tags(i):
    """The weighted tracker most likely behind a priority difference (one, for the class)."""
    sw = []
    for s, w in i.scripts:
        w = w if w is not None else META_SCRIPTS[s].weight
        if w:
            sw.append((w > 0, META_SCRIPTS[s].ok))
    if i.track_if not in (False, None, 0) and i.track_if > 0:
        return "track_interface weight +"
    if i.files:
        return "track_file"
    for sign, ok, tag in ((True, True, "track_script weight + ok"), (False, False, "track_script weight - failing"),
                          (False, True, "track_script weight - ok"), (True, False, "track_script weight + failing")):
        if (sign, ok) in sw:
            return tag
    if i.track_if not in (False, None, 0):
        return "track_interface weight -"
    return "sync group" if i.group else "no weights"


def norm(addr):
    import ipaddress
    try:
        return ipaddress.ip_address(addr.split("/")[0]).compressed
    except ValueError:
        return addr


def compare(meta, a, b):
    """Differences between keepalived's run `a` and kalive's run `b`: [(class, detail)]."""
    diffs = []
    for r in (a, b):
        if r.get("error"):
            return [(f"harness error in the {r['daemon']} run", r["error"])], []
    if a.get("exited_early") is not None:
        return [("keepalived exited during the run", a["log"][-500:])], []
    if b.get("exited_early") is not None:
        first = next((ln for ln in b["log"].splitlines() if "rror" in ln), "")
        return [("kalive exited during the run (configuration refused?)", first[:300])], []
    if b.get("stop_timeout"):
        diffs.append(("kalive did not stop within 10 s of SIGTERM", ""))
    global META_SCRIPTS
    META_SCRIPTS = meta["scripts"]
    insts = meta["insts"]
    differs = set()  # instances whose final state differs: their effects are not compared
    seq_differs = set()
    for i in insts:
        sa = states(a.get("fifo", []), i.name)
        sb = states(b.get("fifo", []), i.name)
        fa, fb = final(sa), final(sb)
        if fa != fb:
            differs.add(i.name)
            diffs.append((f"final state: keepalived {fa}, kalive {fb} [{tag_of(i)}]",
                          f"{i.name} seq {sa} vs {sb}"))
        elif sa != sb:
            seq_differs.add(i.name)
            if "FAULT" in sb and "FAULT" not in sa:
                cls = f"state sequence: kalive passes through FAULT at start [{tag_of(i)}]"
            else:
                cls = (f"state sequence: keepalived {'>'.join(sa)}, kalive {'>'.join(sb)} "
                       f"[config state {i.state}]")
            diffs.append((cls, f"{i.name}: {sa} vs {sb}"))
    for g, members in meta["groups"].items():
        if any(m.name in differs for m in members):
            differs.update(m.name for m in members)
            continue
        sa = states(a.get("fifo", []), g, group=True)
        sb = states(b.get("fifo", []), g, group=True)
        if sa != sb:
            if "FAULT" in sb and "FAULT" not in sa:
                cls = "sync group passes through FAULT at start"
            else:
                cls = f"sync group FIFO states: keepalived {'>'.join(sa) or 'none'}, kalive {'>'.join(sb) or 'none'}"
            diffs.append((cls, f"{g}: {sa} vs {sb}"))

    # Adverts per VRID.
    by_vrid = {i.vrid: i for i in insts}
    t_firsts = []
    for i in insts:
        if i.name in differs:
            continue
        fa = [f for f in a["frames"] if f["kind"] == "vrrp" and f["vrid"] == i.vrid]
        fb = [f for f in b["frames"] if f["kind"] == "vrrp" and f["vrid"] == i.vrid]
        if bool(fa) != bool(fb):
            diffs.append((f"adverts sent only by {'keepalived' if fa else 'kalive'}", i.name))
            continue
        if not fa:
            continue
        run_a = [f for f in fa if f["prio"] != 0 and f["ts"] <= a["t_stop"]]
        run_b = [f for f in fb if f["prio"] != 0 and f["ts"] <= b["t_stop"]]
        for field in ("version", "prio", "interval", "auth", "authdata", "addrs", "dst", "ttl"):
            va = sorted({str(f[field]) for f in run_a})
            vb = sorted({str(f[field]) for f in run_b})
            if va != vb:
                tag = f" [{weight_tags(i)}]" if field == "prio" else ""
                diffs.append((f"advert {field} differs{tag}", f"{i.name}: {va} vs {vb}"))
        za = any(f["prio"] == 0 for f in fa)
        zb = any(f["prio"] == 0 for f in fb)
        if za != zb:
            diffs.append((f"priority-0 advert at stop only from {'keepalived' if za else 'kalive'}", i.name))
        if run_a and run_b and i.name not in seq_differs:
            ta = run_a[0]["ts"] - a["t0"]
            tb = run_b[0]["ts"] - b["t0"]
            t_firsts.append((ta, tb))
            if abs(ta - tb) > FIRST_ADVERT_TOLERANCE + 0.15 * ta:
                diffs.append((first_advert_class(i),
                              f"{i.name}: keepalived {ta:.2f} s, kalive {tb:.2f} s"))
        elif run_a and run_b:
            ta = run_a[0]["ts"] - a["t0"]
            tb = run_b[0]["ts"] - b["t0"]
            if abs(ta - tb) > FIRST_ADVERT_TOLERANCE + 0.15 * ta:
                diffs.append((first_advert_class(i),
                              f"{i.name}: keepalived {ta:.2f} s, kalive {tb:.2f} s"))

    # GARP / NA per address.
    owner = {}
    for i in insts:
        for addr, _ in i.vips:
            owner[norm(addr)] = i
    for kind, label in (("garp", "GARP count"), ("na", "unsolicited NA count")):
        ta = collections.defaultdict(list)
        tb = collections.defaultdict(list)
        for r, t in ((a, ta), (b, tb)):
            for f in r["frames"]:
                if f["kind"] == kind and f["ts"] <= r["t_stop"]:
                    t[f["addr"]].append(f["ts"])
        for addr in sorted(set(ta) | set(tb)):
            i = owner.get(addr)
            if i is not None and i.name in differs:
                continue
            who = "VIP" if i else "not a VIP"
            knob = "vrrp_garp_interval" if kind == "garp" else "vrrp_gna_interval"
            knob_tag = f" [{knob} {'set' if knob in meta['garp_knobs'] else 'unset'}]" if i else ""
            if not ta[addr] or not tb[addr]:
                diffs.append((f"{label} ({who}): sent only by {'keepalived' if ta[addr] else 'kalive'}{knob_tag}",
                              f"{addr}: keepalived {len(ta[addr])}, kalive {len(tb[addr])}"))
                continue
            # Counted from each daemon's first one for the address, over the same span: a
            # daemon that became master earlier must not be charged for its refresh burst.
            span = min(a["t_stop"] - ta[addr][0], b["t_stop"] - tb[addr][0]) - 0.3
            na_ = sum(1 for t in ta[addr] if t - ta[addr][0] < span)
            nb_ = sum(1 for t in tb[addr] if t - tb[addr][0] < span)
            if na_ != nb_:
                diffs.append((f"{label} ({who}) differs{knob_tag}",
                              f"{addr}: keepalived {na_}, kalive {nb_} in {span:.1f} s from the first"))

    # Addresses, links, routes, rules: added while running, left after stop.
    skip_tokens = set()
    for i in insts:
        if i.name in differs:
            for addr, _ in i.vips:
                import ipaddress
                skip_tokens.add(norm(addr))
                skip_tokens.add(str(ipaddress.ip_interface(addr).network))
            for r in i.routes:
                dst = r.split()[1] if r.startswith("blackhole") else r.split()[0]
                skip_tokens.add(norm(dst.split("/")[0]) + "/" + dst.split("/")[1])
            for r in i.rules:
                skip_tokens.add(norm(r.split()[1]))
            if i.vmac:
                skip_tokens.add(f"vrrp.{i.vrid}")
    for phase in ("running", "after"):
        when = "while running" if phase == "running" else "after stop"
        for kind in ("addr", "link", "route", "rule"):
            da = {x for x in a[phase][kind] - a["before"][kind] if not skipped(x, skip_tokens)}
            db = {x for x in b[phase][kind] - b["before"][kind] if not skipped(x, skip_tokens)}
            ka = {key_of(kind, x): x for x in da - db}
            kb = {key_of(kind, x): x for x in db - da}
            for key in sorted(set(ka) & set(kb)):
                for attr in attr_diff(ka[key], kb[key]):
                    diffs.append((f"{kind_class(kind, ka[key])}: {attr} differs {when}",
                                  f"keepalived {ka[key]} / kalive {kb[key]}"))
            for only, other, who in ((ka, kb, "keepalived"), (kb, ka, "kalive")):
                for key in sorted(set(only) - set(other)):
                    diffs.append((f"{kind_class(kind, only[key])} only with {who} {when}", only[key]))

    # Notify lines, per instance, for instances whose state history matches.
    def per_inst(lines):
        out = collections.defaultdict(list)
        for ln in lines:
            p = ln.split()
            name = next((x for x in p if x.startswith("VI_") or (x.startswith("G") and x[1:].isdigit())), "?")
            out[name].append(ln)
        return out
    na, nb = per_inst(a["notify"]), per_inst(b["notify"])
    prio_of = {i.name: i for i in insts}
    for name in sorted(set(na) | set(nb)):
        if name in differs or name in seq_differs:
            continue
        if name in meta["groups"] and any(m.name in differs or m.name in seq_differs for m in meta["groups"][name]):
            continue
        # Scripts run concurrently: the order between two of them is a race, so multisets.
        ka, kb = collections.Counter(map(shape, na[name])), collections.Counter(map(shape, nb[name]))
        if ka != kb:
            diffs.append((f"notify argv: only keepalived {words(sorted((ka - kb).elements()))}; "
                          f"only kalive {words(sorted((kb - ka).elements()))}",
                          f"{name}: {sorted(na[name])} vs {sorted(nb[name])}"))
        elif (collections.Counter(na[name]) != collections.Counter(nb[name]) and name in prio_of
              and not fifo_priority_differs(a, b, name)):
            st = prio_state(na[name], nb[name])
            tag = "" if "0)" in st else f" [{weight_tags(prio_of[name])}]"
            diffs.append((f"notify priority argument differs in {st}{tag}",
                          f"{name}: {sorted(na[name])} vs {sorted(nb[name])}"))
    skip = differs | seq_differs
    skip |= {g for g, members in meta["groups"].items() if any(m.name in skip for m in members)}
    fa = fifo_lines(a, insts, skip)
    fb = fifo_lines(b, insts, skip)
    sa_, sb_ = collections.Counter(map(shape, fa)), collections.Counter(map(shape, fb))
    if sa_ != sb_:
        diffs.append((f"FIFO lines: only keepalived {words(sorted((sa_ - sb_).elements()))}; "
                      f"only kalive {words(sorted((sb_ - sa_).elements()))}",
                      f"{sorted(fa)} vs {sorted(fb)}"))
    else:
        for name in sorted({ln.replace('"', "").split()[1] for ln in fa + fb if len(ln.split()) > 1}):
            la = [ln for ln in fa if ln.replace('"', "").split()[1:2] == [name]]
            lb = [ln for ln in fb if ln.replace('"', "").split()[1:2] == [name]]
            if la != lb and name in prio_of:
                st = prio_state(la, lb)
                tag = "" if "0)" in st else f" [{weight_tags(prio_of[name])}]"
                diffs.append((f"FIFO priority field differs in {st}{tag}", f"{name}: {la} vs {lb}"))
    return diffs, t_firsts


def fifo_priority_differs(a, b, name):
    """Whether the FIFO lines of `name` already differ (then its notify lines say the same)."""
    def lines(r):
        return [ln for _, ln in r.get("fifo", []) if ln.replace('"', "").split()[1:2] == [name]]
    return lines(a) != lines(b) and list(map(shape, lines(a))) == list(map(shape, lines(b)))


def prio_state(la, lb):
    """The first state whose line carries another priority, and how: "BACKUP (0)" when one
    daemon says 0."""
    def table(lines):
        out = {}
        for ln in lines:
            w = ln.replace('"', "").split()
            if len(w) >= 4 and w[0] in ("INSTANCE", "GROUP") and w[-1].isdigit():
                out.setdefault(w[2], w[-1])
        return out
    ta, tb = table(la), table(lb)
    for st in ("BACKUP", "MASTER", "FAULT", "STOP"):
        if ta.get(st) != tb.get(st):
            zero = " (kalive 0)" if tb.get(st) == "0" else (" (keepalived 0)" if ta.get(st) == "0" else "")
            return f"{st}{zero}"
    return "some line"


def shape(line):
    """A notify/FIFO line with its names kept and its numbers (priorities) blanked."""
    return " ".join("N" if w.isdigit() else w for w in line.split())


def words(lines):
    """The shape of notify/FIFO lines, without names and priorities: for the class."""
    shapes = sorted({" ".join("X" if (w.startswith("VI_") or w.startswith('"VI_') or w[:2] in ("G0", "G1", "G2", '"G')
                                     or w.isdigit()) else w for w in ln.split()) for ln in lines})
    return ", ".join(shapes) if shapes else "nothing"


def fifo_lines(r, insts, skip):
    out = []
    for _, line in r.get("fifo", []):
        parts = line.replace('"', "").split()
        if len(parts) >= 2 and parts[1] in skip:
            continue
        out.append(line)
    return sorted(out)


def skipped(item, tokens):
    words_ = item.split()
    return any(tok in words_ or any(w.startswith(tok + "/") for w in words_) for tok in tokens)


def key_of(kind, item):
    """What identifies an entry (the rest are its attributes): address, route destination, rule."""
    w = item.split()
    if kind == "route":
        table = w[w.index("table") + 1] if "table" in w else "main"
        return (w[0], w[1], w[2], table)
    if kind == "rule":
        return tuple(w[:2])
    if kind == "addr":
        return (w[0], w[1])
    return item


def attr_diff(x, y):
    """Attribute names whose values differ between two entries with the same key."""
    def attrs(s):
        w = s.split()
        return {w[k]: w[k + 1] for k in range(len(w) - 1) if w[k] in (
            "gateway", "dev", "table", "metric", "protocol", "scope", "prefsrc", "src", "srclen",
            "dst", "dstlen", "iif", "oif", "fwmark", "action", "label")}
    ax, ay = attrs(x), attrs(y)
    return sorted(f"{k} ({ax.get(k, '-')} vs {ay.get(k, '-')})" if k in ("scope", "protocol", "action")
                  else k for k in set(ax) | set(ay) if ax.get(k) != ay.get(k)) or ["something"]


def kind_class(kind, item):
    w = item.split()
    if kind == "addr":
        dev = w[0]
        devk = "VMAC interface" if dev.startswith("vrrp.") else dev
        a = w[1]
        fam = "IPv6 link-local" if a.startswith("fe80:") else ("IPv6" if ":" in a else "IPv4")
        lab = " with label" if "label" in w else ""
        return f"{fam} address{lab} on {devk}"
    if kind == "link":
        return "VMAC interface" if item.startswith("vrrp.") else f"interface {item}"
    if kind == "route":
        table = ""
        if "table" in w:
            t = w[w.index("table") + 1]
            table = f" in table {t if t in ('local', 'main') else 'N'}"
        dev = ""
        if "dev" in w:
            dev = " on VMAC" if w[w.index("dev") + 1].startswith("vrrp.") else ""
        return f"{w[0][1:] == '6' and 'IPv6' or 'IPv4'} {w[1]} route{table}{dev}"
    return f"{'IPv6' if item.startswith('-6') else 'IPv4'} rule"



# ---------------------------------------------------------------------------------------------
# Pairs: two daemons as peers on one LAN, scripted events


PAIR_EVENTS = ("SIGKILL", "SIGTERM", "link down", "tracked script fails", "reload lowers priority")
# Who runs the high-priority router (150, state MASTER) and who the low one (100, BACKUP).
PAIR_ROLES = (("keepalived", "keepalived"), ("kalive", "keepalived"), ("keepalived", "kalive"))
# What the pair speaks: VRRPv2 with PASS over multicast, v3, v2 over unicast, v3 over IPv6.
PAIR_MODES = ("v2 PASS", "v3", "v2 unicast", "v3 IPv6")


def pair_vip(mode):
    return "fd09::100" if mode == "v3 IPv6" else "10.9.0.100"


def pair_conf(d, mode, k, prio, state):
    version = 3 if mode.startswith("v3") else 2
    auth = ("    authentication {\n        auth_type PASS\n        auth_pass pairs\n    }\n"
            if mode == "v2 PASS" else "")
    unicast = (f"    unicast_src_ip 10.9.0.{k + 1}\n    unicast_peer {{\n        10.9.0.{2 - k}\n    }}\n"
               if mode == "v2 unicast" else "")
    vip = pair_vip(mode) + ("/64" if ":" in pair_vip(mode) else "/24")
    return (f"global_defs {{\n    router_id pair{prio}\n    script_user root\n    enable_script_security\n}}\n"
            f"vrrp_script chk {{\n    script \"{d}/chk.sh\"\n    interval 1\n    fall 1\n    rise 1\n}}\n"
            f"vrrp_instance VI_1 {{\n    state {state}\n    interface eth0\n    virtual_router_id 51\n"
            f"    priority {prio}\n    advert_int 1\n    version {version}\n{auth}{unicast}"
            f"    track_script {{\n        chk weight -60\n    }}\n"
            f"    virtual_ipaddress {{\n        {vip}\n    }}\n}}\n")


CHK_SH = "#!/bin/sh\n[ ! -e \"$(dirname \"$0\")/fail\" ]\n"


def start_daemon(kind, kalive_bin, ns, d):
    conf = os.path.join(d, "keepalived.conf")
    if kind == "kalive":
        args = [kalive_bin, "-n", "-l", "-P", "-G", "--no-realtime", "-p", os.path.join(d, "pid"), "-f", conf]
    else:
        args = [KEEPALIVED, "-n", "-l", "-P", "-G", "-p", os.path.join(d, "pid"), "-r",
                os.path.join(d, "vrrp.pid"), "-c", os.path.join(d, "check.pid"), "-f", conf]
    with open(os.path.join(d, "daemon.log"), "a") as log:
        return subprocess.Popen(["ip", "netns", "exec", ns, *args], stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)


def holds_vip(ns, vip):
    r = sh(["ip", "-n", ns, "-br", "addr"], check=False)
    return any(w.split("/")[0] == vip for w in r.stdout.split())


def run_pair(roles, event, mode, kalive_bin, workdir, slot):
    """Starts roles[0] (150, MASTER) and roles[1] (100, BACKUP), waits for the election, applies
    `event` to the 150, then undoes it (restart, link up, script passing, reload back), watching
    the VIP every 100 ms: the roles 6 s after the event and 8 s after its undoing, the time each
    took to hand over, and how long both held the VIP (a daemon that is not running holds
    nothing: a SIGKILLed one leaves its VIP on the interface of a dead router)."""
    res = {"roles": roles, "event": event, "mode": mode, "error": None}
    names = [f"kdf{PID}p{slot}{k}" for k in "abx"]
    procs = [None, None]
    vip = pair_vip(mode)
    try:
        for n in names:
            ns_add(n)
        br = names[2]
        sh(["ip", "-n", br, "link", "add", "br0", "type", "bridge"])
        sh(["ip", "-n", br, "link", "set", "br0", "up"])
        dirs = []
        for k in (0, 1):
            ns = names[k]
            sh(["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.default.accept_dad=0"])
            sh(["ip", "-n", ns, "link", "set", "lo", "up"])
            sh(["ip", "-n", ns, "link", "add", "eth0", "address", f"02:00:00:00:09:0{k + 1}", "type", "veth",
                "peer", "name", f"p{k}", "netns", br])
            sh(["ip", "-n", br, "link", "set", f"p{k}", "master", "br0", "up"])
            sh(["ip", "-n", ns, "addr", "add", f"10.9.0.{k + 1}/24", "dev", "eth0"])
            sh(["ip", "-n", ns, "link", "set", "eth0", "up"])
            d = os.path.join(workdir, f"pair{slot}-{k}")
            shutil.rmtree(d, ignore_errors=True)
            os.makedirs(d)
            os.chmod(d, 0o755)
            with open(os.path.join(d, "chk.sh"), "w") as f:
                f.write(CHK_SH)
            os.chmod(os.path.join(d, "chk.sh"), 0o755)
            prio, state = (150, "MASTER") if k == 0 else (100, "BACKUP")
            with open(os.path.join(d, "keepalived.conf"), "w") as f:
                f.write(pair_conf(d, mode, k, prio, state))
            dirs.append(d)
        both = [0.0]
        last = [time.time()]

        def watch(seconds, winner=None):
            """Samples the holders for `seconds`; with `winner`, returns also when that router
            became the only holder (seconds from now)."""
            t_start = time.time()
            h, took = (False, False), None
            while time.time() < t_start + seconds and not STOPPING.is_set():
                h = tuple(holds_vip(names[k], vip) and procs[k] is not None and procs[k].poll() is None
                          for k in (0, 1))
                now = time.time()
                if h[0] and h[1]:
                    both[0] += now - last[0]
                if winner is not None and took is None and h[winner] and not h[1 - winner]:
                    took = now - t_start
                last[0] = now
                time.sleep(0.1)
            return h, took

        def roles_now(h):
            alive = procs[0] is not None and procs[0].poll() is None
            return ("master" if h[0] else ("backup" if alive else "stopped"), "master" if h[1] else "backup")

        procs[0] = start_daemon(roles[0], kalive_bin, names[0], dirs[0])
        procs[1] = start_daemon(roles[1], kalive_bin, names[1], dirs[1])
        h, _ = watch(6)
        res["elected"] = roles_now(h)
        if event == "SIGKILL":
            killgroup(procs[0])
            procs[0].wait(timeout=5)
        elif event == "SIGTERM":
            procs[0].send_signal(signal.SIGTERM)
        elif event == "link down":
            sh(["ip", "-n", names[0], "link", "set", "eth0", "down"])
        elif event == "tracked script fails":
            open(os.path.join(dirs[0], "fail"), "w").close()
        elif event == "reload lowers priority":
            with open(os.path.join(dirs[0], "keepalived.conf"), "w") as f:
                f.write(pair_conf(dirs[0], mode, 0, 50, "MASTER"))
            procs[0].send_signal(signal.SIGHUP)
        h, res["took"] = watch(6, winner=1)
        res["after"] = roles_now(h)
        # Undo the event: the 150 comes back and preempts.
        if event in ("SIGKILL", "SIGTERM"):
            try:
                procs[0].wait(timeout=5)
            except subprocess.TimeoutExpired:
                killgroup(procs[0])
            sh(["ip", "-n", names[0], "addr", "flush", "dev", "eth0", "to", vip], check=False)
            procs[0] = start_daemon(roles[0], kalive_bin, names[0], dirs[0])
        elif event == "link down":
            sh(["ip", "-n", names[0], "link", "set", "eth0", "up"])
        elif event == "tracked script fails":
            os.unlink(os.path.join(dirs[0], "fail"))
        elif event == "reload lowers priority":
            with open(os.path.join(dirs[0], "keepalived.conf"), "w") as f:
                f.write(pair_conf(dirs[0], mode, 0, 150, "MASTER"))
            procs[0].send_signal(signal.SIGHUP)
        h, res["took_back"] = watch(8, winner=0)
        res["back"] = roles_now(h)
        res["both"] = both[0]
    except Exception as e:  # noqa: BLE001 - reported as a harness error
        res["error"] = f"{type(e).__name__}: {e}"
    finally:
        for p in procs:
            if p is not None:
                killgroup(p)
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
        for n in names:
            ns_del(n)
    return res


def pairs(kalive_bin, workdir, jobs, seed):
    """Every event for every role assignment, each event in a mode drawn from the seed:
    [(class, detail)] and the runs."""
    rng = random.Random(seed)
    modes = {ev: rng.choice(PAIR_MODES) for ev in PAIR_EVENTS}
    runs = [(roles, ev) for ev in PAIR_EVENTS for roles in PAIR_ROLES]
    with ThreadPoolExecutor(max_workers=jobs) as ex:
        out = list(ex.map(lambda x: run_pair(x[1][0], x[1][1], modes[x[1][1]], kalive_bin, workdir, x[0]),
                          enumerate(runs)))
    ref = {r["event"]: r for r in out if r["roles"] == ("keepalived", "keepalived")}
    diffs = []
    for r in out:
        if r["roles"] == ("keepalived", "keepalived"):
            continue
        who = "kalive 150" if r["roles"][0] == "kalive" else "kalive 100"
        base = ref[r["event"]]
        ev = f"pair {r['event']} ({r['mode']})"
        if r["error"] or base["error"]:
            diffs.append(("pair harness error", f"{ev} {who}: {r['error'] or base['error']}"))
            continue
        for key, what in (("elected", "roles after the election"), ("after", "roles after the event"),
                          ("back", "roles after the event is undone")):
            if r[key] != base[key]:
                diffs.append((f"pair {r['event']}: {what} differ [{who}]",
                              f"{ev}: {r[key]} vs keepalived pair {base[key]}"))
        for key, what in (("took", "takeover"), ("took_back", "takeover on return")):
            ta, tb = base.get(key), r.get(key)
            if (ta is None) != (tb is None) or (ta is not None and abs(ta - tb) > PAIR_TOLERANCE):
                diffs.append((f"pair {r['event']}: {what} time differs by over {PAIR_TOLERANCE:.0f} s [{who}]",
                              f"{ev}: {tb} s vs keepalived pair {ta} s"))
        if abs(r["both"] - base["both"]) > TWO_MASTERS_TOLERANCE:
            diffs.append((f"pair {r['event']}: time with two masters differs by over {TWO_MASTERS_TOLERANCE} s [{who}]",
                          f"{ev}: {r['both']:.1f} s vs keepalived pair {base['both']:.1f} s"))
    return diffs, out


# ---------------------------------------------------------------------------------------------
# Validation with keepalived -t


def validate(ns, text, meta, d):
    prepare_dir(d, meta)
    conf = os.path.join(d, "keepalived.conf")
    with open(conf, "w") as f:
        f.write(text.replace("@DIR@", d))
    r = sh(["ip", "netns", "exec", ns, KEEPALIVED, "-t", "-l", "-n", "-f", conf], check=False)
    return r.returncode, (r.stdout + r.stderr).strip().splitlines()[:3]


def kalive_t(kalive_bin, ns, d):
    r = sh(["ip", "netns", "exec", ns, kalive_bin, "-t", "-f", os.path.join(d, "keepalived.conf")],
           check=False)
    return r.returncode, (r.stdout + r.stderr).strip().splitlines()[:3]


def load_known(path):
    known = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if "\t" not in line and " | " not in line:
                raise SystemExit(f"{path}:{n}: want 'CLASS | REASON'")
            pattern, reason = line.split(" | ", 1) if " | " in line else line.split("\t", 1)
            # Only * and ? are wildcards: a "[" in a class is itself (fnmatch's "[[]").
            known.append((pattern.strip().replace("[", "[[]"), reason.strip()))
    return known


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kalive", required=True)
    ap.add_argument("-n", type=int, default=100, help="configurations")
    ap.add_argument("--seed", type=int, default=None, help="default: from the clock (printed)")
    ap.add_argument("--only", type=int, action="append", help="run only configuration INDEX")
    ap.add_argument("--jobs", type=int, default=16, help="runs at once (each in its namespaces)")
    ap.add_argument("--known", default=os.path.join(HERE, "known.txt"))
    ap.add_argument("--report", default=None)
    ap.add_argument("--pairs", action="store_true", help="also run kalive and keepalived as peers")
    ap.add_argument("--print-config", action="store_true", help="print the configurations and exit")
    ap.add_argument("--keep", default=None, help="keep the run directories under this path")
    ap.add_argument("--time-limit", type=float, default=None,
                    help="seconds for the whole run (default 120 + 3 per configuration)")
    args = ap.parse_args()

    def on_signal(signum, _frame):
        STOPPING.set()
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    seed = args.seed if args.seed is not None else int(time.time()) % 1000000
    started = time.time()
    print(f"differential: seed {seed}, {args.n} configurations, {args.jobs} at once "
          f"(reproduce: --seed {seed} [--only INDEX])", flush=True)
    if os.geteuid() != 0:
        raise SystemExit("differential: needs root (network namespaces)")
    for tool in (KEEPALIVED, args.kalive, shutil.which("tcpdump") or "/nonexistent/tcpdump"):
        if not os.path.exists(tool):
            raise SystemExit(f"differential: {tool} is missing")
    known = load_known(args.known)
    work = args.keep or f"/tmp/kalive-differential-{PID}"
    os.makedirs(work, exist_ok=True)
    if not args.keep:
        atexit.register(shutil.rmtree, work, ignore_errors=True)
    os.chmod(work, 0o755)

    indexes = args.only or list(range(args.n))
    # Generate and validate (keepalived -t exit 0), in parallel, in one namespace pair.
    vbed = Bed("v")
    configs = {}
    rejected = collections.Counter()
    kalive_t_codes = {}

    def gen(idx):
        for attempt in range(20):
            sub = seed * 100000 + idx * 100 + attempt
            text, meta = generate(sub)
            d = os.path.join(work, f"v{idx}")
            rc, why = validate(vbed.dut, text, meta, d)
            if rc == 0:
                kt = kalive_t(args.kalive, vbed.dut, d)
                shutil.rmtree(d, ignore_errors=True)
                return idx, sub, text, meta, None, kt
            rejected[(rc, why[0] if why else "")] += 1
            shutil.rmtree(d, ignore_errors=True)
        return idx, None, None, None, "no valid configuration in 20 attempts", None

    try:
        with ThreadPoolExecutor(max_workers=min(8, args.jobs)) as ex:
            for idx, sub, text, meta, err, kt in ex.map(gen, indexes):
                if err:
                    raise SystemExit(f"differential: configuration {idx}: {err}")
                configs[idx] = (sub, text, meta)
                kalive_t_codes[idx] = kt
    finally:
        vbed.close()
    if args.print_config:
        for idx in indexes:
            print(f"# configuration {idx} (sub-seed {configs[idx][0]})\n{configs[idx][1]}")
        return 0
    if rejected:
        print(f"differential: {sum(rejected.values())} generated configurations rejected by keepalived -t "
              f"and regenerated; first reasons: {rejected.most_common(3)}", flush=True)
    t_gen = time.time() - started

    # Run: every (configuration, daemon) is one job.
    def window_of(meta):
        adv = max(i.advert for i in meta["insts"])
        return 3 * adv + 1 + 2.2 * adv

    # The pairs run next to the single runs (they wait more than they work).
    pair_out = {}
    pair_thread = None
    if args.pairs:
        def run_pairs():
            pair_out["result"] = pairs(args.kalive, work, len(PAIR_EVENTS) * len(PAIR_ROLES), seed)
        pair_thread = threading.Thread(target=run_pairs, daemon=True)
        pair_thread.start()

    jobs = [(idx, dmn) for idx in indexes for dmn in ("keepalived", "kalive")]
    results = {}
    deadline = started + (args.time_limit or 120 + 3 * len(indexes))

    def job(j):
        idx, dmn = j
        if STOPPING.is_set():
            return j, {"daemon": dmn, "error": "stopped by a signal"}
        if time.time() > deadline:
            return j, {"daemon": dmn, "error": "time limit reached before the run"}
        sub, text, meta = configs[idx]
        return j, run_one(dmn, args.kalive, text, meta, work, idx, window_of(meta))

    done = 0
    with ThreadPoolExecutor(max_workers=args.jobs) as ex:
        for j, res in ex.map(job, jobs):
            results[j] = res
            done += 1
            if done % 20 == 0:
                print(f"differential: {done}/{len(jobs)} runs ({time.time() - started:.0f} s)", flush=True)

    pair_table = []
    pair_diffs = []
    if pair_thread is not None:
        # Each pair run is bounded (its waits, 5 s per process wait); this is a backstop.
        pair_thread.join(timeout=300)
        pair_diffs, pair_table = pair_out.get("result", ([("pair harness error", "the pairs did not finish")], []))
        print(f"differential: pairs done ({time.time() - started:.0f} s)", flush=True)

    # Compare.
    classes = collections.defaultdict(list)
    firsts = []
    for idx in indexes:
        sub, text, meta = configs[idx]
        kt = kalive_t_codes[idx]
        if kt and kt[0] != 0:
            classes[f"kalive -t exits {kt[0]} where keepalived -t exits 0"].append((idx, sub, (kt[1] or [""])[0]))
        out = compare(meta, results[(idx, "keepalived")], results[(idx, "kalive")])
        diffs, tf = out
        firsts += tf
        for cls, detail in diffs:
            classes[cls].append((idx, sub, detail))
    for cls, detail in pair_diffs:
        classes[cls].append(("pair", "-", detail))
    runtime = time.time() - started

    def known_reason(cls):
        for pat, reason in known:
            if fnmatch.fnmatchcase(cls, pat):
                return pat, reason
        return None, None

    new = [c for c in classes if known_reason(c)[0] is None]
    same = sum(1 for idx in indexes if not any(idx == x[0] for v in classes.values() for x in v))
    md = [f"# Differential test: kalive against keepalived 2.2.7", "",
          f"Seed {seed}, {len(indexes)} generated configurations ({sum(len(configs[i][2]['insts']) for i in indexes)} "
          f"instances), {args.jobs} runs at once; {runtime:.0f} s (generation and keepalived -t {t_gen:.0f} s). "
          f"Command: `{' '.join(sys.argv)}`.", "",
          f"Configurations with no difference: {same} of {len(indexes)}.", ""]
    if firsts:
        dd = sorted(abs(x - y) for x, y in firsts)
        md.append(f"First advert time, |keepalived - kalive| where they agree on the state history: "
                  f"median {dd[len(dd) // 2]:.2f} s, max {dd[-1]:.2f} s over {len(dd)} instances.")
        md.append("")
    md += ["| class | configurations | occurrences | status | example (index, sub-seed: detail) |",
           "|---|---|---|---|---|"]
    for cls in sorted(classes, key=lambda c: (-len({x[0] for x in classes[c]}), c)):
        occ = classes[cls]
        pat, reason = known_reason(cls)
        status = reason if pat else "**NEW**"
        ex = occ[0]
        md.append(f"| {cls} | {len({x[0] for x in occ})} | {len(occ)} | {status} | "
                  f"{ex[0]}, {ex[1]}: {str(ex[2])[:160].replace('|', '/')} |")
    if pair_table:
        md += ["", "Pairs (priority 150 MASTER and 100 BACKUP, one VIP, advert_int 1; the event hits the 150 "
               "and is then undone; holders sampled every 100 ms; roles as (150, 100); times in seconds):", "",
               "| event | mode | 150 | 100 | elected | after the event | takeover | after undoing | "
               "takeover back | two masters |", "|---|---|---|---|---|---|---|---|---|---|"]

        def sec(x):
            return "-" if x is None else f"{x:.1f}"
        for r in pair_table:
            if r["error"]:
                md.append(f"| {r['event']} | {r['mode']} | {r['roles'][0]} | {r['roles'][1]} | error: "
                          f"{r['error']} | | | | | |")
                continue
            md.append(f"| {r['event']} | {r['mode']} | {r['roles'][0]} | {r['roles'][1]} | "
                      f"{'/'.join(r['elected'])} | {'/'.join(r['after'])} | {sec(r['took'])} | "
                      f"{'/'.join(r['back'])} | {sec(r['took_back'])} | {r['both']:.1f} |")
    unseen = [p for p, _ in known if not any(fnmatch.fnmatchcase(c, p) for c in classes)]
    if unseen:
        md += ["", "Known classes not seen in this run (fixed, or not generated this time):", ""]
        md += [f"- {p.replace('[[]', '[')}" for p in unseen]
    report = "\n".join(md) + "\n"
    print(report, flush=True)
    if args.report:
        os.makedirs(os.path.dirname(os.path.abspath(args.report)), exist_ok=True)
        with open(args.report, "w") as f:
            f.write(report)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    if new:
        print(f"differential: {len(new)} NEW class(es) of difference (not in {args.known}):", flush=True)
        for c in new:
            print(f"  {c}  e.g. configuration {classes[c][0][0]} (sub-seed {classes[c][0][1]})", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
