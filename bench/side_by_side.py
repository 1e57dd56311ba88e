#!/usr/bin/env python3
"""kalive and keepalived 2.2.7 measured side by side in the same run (`make bench-live`).

Topology and method (written out in METHOD below and in bench/RESULTS.md): for each
(daemon, VRRP variant) a "bed" of three network namespaces -- node 1 and node 2, each with an
eth0 veth whose peer is a port of bridge br0 in a third namespace -- IPv6 off, VIP on eth0.
Node 1 has priority 100, node 2 priority 90; both configurations are identical otherwise and the
same file text is given to both daemons.

Measurements (printed as tables and written to bench/RESULTS.md):
  1. failover: start -> VIP on node 1; SIGTERM of node 1 -> VIP on node 2; SIGKILL of node 1's
     process group (+ VIP deleted by hand) -> VIP on node 2; plus wire times from a bridge capture.
  2. advert jitter of the master, idle and with two busy loops, from a bridge capture.
  3. footprint: VmRSS / VmHWM and CPU per minute, 1 and 200 instances, master and backup.
  4. the 200-instance start-up race: backup started first, master DELAY ms later; VRIDs for which
     the backup ever advertised as master.

python3 stdlib only; needs root, iproute2, tcpdump, /usr/sbin/keepalived.
Every namespace and process is removed on exit, also on failure or Ctrl-C.
"""

import argparse
import datetime
import os
import platform
import random
import re
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time

KEEPALIVED = "/usr/sbin/keepalived"
VIP = "10.77.0.100"
DAEMONS = ("kalive", "keepalived")
VARIANTS = {  # name -> (VRRP version, advert_int in seconds)
    "v2": (2, 1.0),
    "v3": (3, 0.1),
}
PRIO = {1: 100, 2: 90}

# ---------------------------------------------------------------------------------------------
# process and namespace bookkeeping: everything started here is registered and torn down in
# cleanup(), which runs from a finally block.

PROCS = []  # Popen objects, each the leader of its own process group
NAMESPACES = []


def sh(*args, check=True, timeout=10):
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {r.stderr.strip()}")
    return r.stdout


def spawn(args, **kw):
    kw.setdefault("stdin", subprocess.DEVNULL)
    p = subprocess.Popen(args, start_new_session=True, **kw)
    PROCS.append(p)
    return p


def killgroup(p, sig=signal.SIGKILL, wait=3.0):
    try:
        os.killpg(p.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        p.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            p.wait(timeout=2)
        except subprocess.TimeoutExpired:
            pass
    # keepalived's children may outlive the parent for a moment: sweep the group once more
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def cleanup():
    for p in reversed(PROCS):
        killgroup(p, signal.SIGKILL, wait=2.0)
    PROCS.clear()
    for ns in reversed(NAMESPACES):
        subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
    NAMESPACES.clear()


# ---------------------------------------------------------------------------------------------
# test bed


class Bed:
    """Three namespaces: <p>-1, <p>-2 (nodes) and <p>-br (bridge br0)."""

    def __init__(self, prefix):
        self.p = prefix
        self.br = f"{prefix}-br"
        brns = self.br
        sh("ip", "netns", "add", brns)
        NAMESPACES.append(brns)
        sh("ip", "-n", brns, "link", "add", "br0", "type", "bridge")
        sh("ip", "-n", brns, "link", "set", "br0", "up")
        for k in (1, 2):
            ns = self.ns(k)
            sh("ip", "netns", "add", ns)
            NAMESPACES.append(ns)
            sh("ip", "link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", f"n{k}", "netns", brns)
            sh("ip", "-n", brns, "link", "set", f"n{k}", "master", "br0", "up")
            sh("ip", "-n", ns, "link", "set", "lo", "up")
            sh("ip", "-n", ns, "link", "set", "eth0", "up")
            sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.eth0.disable_ipv6=1")
            sh("ip", "-n", ns, "addr", "add", f"10.77.0.{k}/24", "dev", "eth0")

    def ns(self, k):
        return f"{self.p}-{k}"

    def vips(self, k):
        out = sh("ip", "-n", self.ns(k), "-4", "-o", "addr", "show", "dev", "eth0")
        return [m.group(1) for m in re.finditer(r"inet (\S+)/\d+", out) if m.group(1) != f"10.77.0.{k}"]

    def flush_vips(self):
        for k in (1, 2):
            for a in self.vips(k):
                sh("ip", "-n", self.ns(k), "addr", "del", f"{a}/32", "dev", "eth0", check=False)


class Monitor:
    """`ip -ts monitor address` in a node namespace; events (t, added?, address) collected."""

    RX = re.compile(r"^\[(\S+)\] (Deleted )?\d+: \S+\s+inet (\d+\.\d+\.\d+\.\d+)/")

    def __init__(self, ns):
        self.events = []
        self.p = spawn(["ip", "-n", ns, "-ts", "monitor", "address"], stdout=subprocess.PIPE, text=True, bufsize=1)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            m = self.RX.match(line)
            if m:
                t = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f").timestamp()
                self.events.append((t, m.group(2) is None, m.group(3)))

    def wait_add(self, addr, after, timeout):
        """Time of the first add of addr at or after `after`, polling the event list every 2 ms."""
        deadline = time.time() + timeout
        while True:
            for t, added, a in list(self.events):
                if added and a == addr and t >= after:
                    return t
            if time.time() > deadline:
                return None
            time.sleep(0.002)

    def count(self, after, before):
        return sum(1 for t, _, a in list(self.events) if after <= t <= before)


class Capture:
    """tcpdump on the bed's bridge, pcap to a file (kernel timestamps, CLOCK_REALTIME)."""

    def __init__(self, bed, path, filt="ip proto 112 or arp"):
        self.path = path
        self.err = path + ".err"
        with open(self.err, "w") as ef:
            self.p = spawn(
                ["ip", "netns", "exec", bed.br, "tcpdump", "-i", "br0", "-n", "-U", "--immediate-mode", "-s", "128", "-w", path, filt],
                stdout=subprocess.DEVNULL,
                stderr=ef,
            )
        deadline = time.time() + 5
        while time.time() < deadline:
            with open(self.err) as f:
                if "listening on" in f.read():
                    break
            time.sleep(0.02)
        else:
            raise RuntimeError("tcpdump did not start")

    def stop(self):
        time.sleep(0.3)  # let the last packets reach the file
        killgroup(self.p, signal.SIGINT, wait=3.0)
        return read_pcap(self.path)


def read_pcap(path):
    """Tiny pcap reader: returns [(t, kind, src_ip, vrid, prio, extra)] with kind 'vrrp' or 'arp'
    (for ARP, src_ip is the sender protocol address)."""
    out = []
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return out
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        e = "<"
    else:
        e = ">"
        magic = struct.unpack(">I", data[:4])[0]
    frac = 1e-9 if magic == 0xA1B23C4D else 1e-6
    off = 24
    while off + 16 <= len(data):
        sec, sub, incl, _orig = struct.unpack(e + "IIII", data[off : off + 16])
        pkt = data[off + 16 : off + 16 + incl]
        off += 16 + incl
        t = sec + sub * frac
        if len(pkt) < 14:
            continue
        etype = struct.unpack(">H", pkt[12:14])[0]
        if etype == 0x0800 and len(pkt) >= 34:
            ihl = (pkt[14] & 0x0F) * 4
            if pkt[23] != 112:
                continue
            src = ".".join(map(str, pkt[26:30]))
            v = pkt[14 + ihl :]
            if len(v) < 8:
                continue
            ver = v[0] >> 4
            adv = v[5] if ver == 2 else ((v[4] & 0x0F) << 8) | v[5]
            out.append((t, "vrrp", src, v[1], v[2], adv))
        elif etype == 0x0806 and len(pkt) >= 42:
            spa = ".".join(map(str, pkt[28:32]))
            out.append((t, "arp", spa, 0, 0, struct.unpack(">H", pkt[20:22])[0]))
    return out


# ---------------------------------------------------------------------------------------------
# daemons


SCRIPT_LOAD = (
    "global_defs {\n    enable_script_security\n    script_user root\n}\n"
    "vrrp_script half_second {\n    script \"/bin/sh -c 'sleep 0.5'\"\n    interval 1\n    timeout 2\n    weight 2\n}\n"
)


def conf_text(prio, version, adv, n=1, script=False):
    """`script`: add a tracked vrrp_script that sleeps 0.5 s every second (the issue's load)."""
    blocks = [SCRIPT_LOAD] if script else []
    track = "    track_script {\n        half_second\n    }\n" if script else ""
    for i in range(n):
        vrid = 51 if n == 1 else i + 1
        vip = VIP if n == 1 else f"10.77.100.{vrid}"
        adv_s = f"{adv:g}"
        blocks.append(
            f"vrrp_instance VI_{vrid} {{\n    state BACKUP\n    interface eth0\n    virtual_router_id {vrid}\n"
            f"    version {version}\n    priority {prio}\n    advert_int {adv_s}\n{track}"
            f"    virtual_ipaddress {{\n        {vip}\n    }}\n}}\n"
        )
    return "".join(blocks)


class Daemon:
    seq = 0

    def __init__(self, kind, bed, k, conf, work, kalive_bin):
        Daemon.seq += 1
        ns = bed.ns(k)
        tag = f"{ns}-{Daemon.seq}"
        pid = lambda s: os.path.join(work, f"{tag}-{s}.pid")  # noqa: E731 (distinct per run)
        if kind == "kalive":
            # Both daemons run on one host: each needs its own pid file, as keepalived does.
            cmd = [kalive_bin, "-n", "-l", "-G", "-f", conf, "-p", pid("k")]
        else:
            cmd = [KEEPALIVED, "-n", "-l", "-D", "-f", conf, "-p", pid("p"), "-r", pid("r"), "-c", pid("c")]
        self.log = os.path.join(work, f"{tag}-{kind}.log")
        with open(self.log, "w") as lf:
            self.t_launch = time.time()
            self.p = spawn(["ip", "netns", "exec", ns] + cmd, stdout=lf, stderr=subprocess.STDOUT)
        self.pid = self.p.pid  # `ip netns exec` execs the daemon: same pid, own process group

    def term(self):
        os.kill(self.pid, signal.SIGTERM)

    def crash(self):
        os.killpg(self.pid, signal.SIGKILL)

    def stop(self):
        time.sleep(0.3)  # let the last packets reach the file
        killgroup(self.p, signal.SIGKILL, wait=3.0)


def group_stats(pgid):
    """Sum over the processes of a process group: (nprocs, VmRSS kB, VmHWM kB, schedstat ns, ticks)."""
    n = rss = hwm = ns = ticks = 0
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                st = f.read()
            fields = st[st.rindex(")") + 2 :].split()
            if int(fields[2]) != pgid:  # field 5: pgrp
                continue
            ut, stt = int(fields[11]), int(fields[12])  # fields 14, 15
            with open(f"/proc/{d}/status") as f:
                status = f.read()
            with open(f"/proc/{d}/schedstat") as f:
                sched = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            continue
        m1 = re.search(r"VmRSS:\s+(\d+)", status)
        m2 = re.search(r"VmHWM:\s+(\d+)", status)
        n += 1
        rss += int(m1.group(1)) if m1 else 0
        hwm += int(m2.group(1)) if m2 else 0
        ns += sched
        ticks += ut + stt
    return n, rss, hwm, ns, ticks


def cpu_busy():
    with open("/proc/stat") as f:
        v = list(map(int, f.readline().split()[1:]))
    return sum(v), v[3] + v[4]


def busy_between(a, b):
    tot, idle = b[0] - a[0], b[1] - a[1]
    return 1 - idle / tot if tot else 0.0


# ---------------------------------------------------------------------------------------------
# statistics and formatting


def rfc(prio, adv):
    """Master_Down_Interval and Skew_Time (ms) for a priority (RFC 3768 for 1 s, RFC 5798 scaled)."""
    skew = (256 - prio) / 256 * adv * 1000
    return 3 * adv * 1000 + skew, skew


def mmm(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return "–"
    return f"{sum(xs) / len(xs):.1f} ({min(xs):.1f}–{max(xs):.1f}, n={len(xs)})"


def pct(xs, p):
    s = sorted(xs)
    if not s:
        return None
    k = max(0, min(len(s) - 1, int(round(p / 100 * len(s) + 0.5)) - 1))
    return s[k]


def f3(x):
    return "–" if x is None else f"{x:.3f}"


def table(title, head, rows):
    md = [f"### {title}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    md += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    widths = [max(len(str(r[i])) for r in [head] + rows) for i in range(len(head))]
    txt = [f"== {title}"]
    for r in [head] + rows:
        txt.append("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))
    print("\n".join(txt) + "\n", flush=True)
    return "\n".join(md) + "\n"


# ---------------------------------------------------------------------------------------------
# 1. failover


def failover(args, beds, work):
    trials = []
    caps = {}
    mons = {}
    for key, bed in beds.items():
        caps[key] = Capture(bed, os.path.join(work, f"failover-{key[0]}-{key[1]}.pcap"))
        mons[key] = (Monitor(bed.ns(1)), Monitor(bed.ns(2)))
    time.sleep(0.3)
    confs = {}
    for var, (ver, adv) in VARIANTS.items():
        for k in (1, 2):
            confs[(var, k)] = os.path.join(work, f"fo-{var}-node{k}.conf")
            with open(confs[(var, k)], "w") as f:
                f.write(conf_text(PRIO[k], ver, adv))
    rnd = random.Random(1)
    for var, (ver, adv) in VARIANTS.items():
        mdi2, _ = rfc(PRIO[2], adv)
        for i in range(args.trials):
            for mode in ("kill", "term"):
                order = DAEMONS if i % 2 == 0 else DAEMONS[::-1]
                for dk in order:
                    key = (dk, var)
                    bed, (m1, m2) = beds[key], mons[key]
                    bed.flush_vips()
                    tr = dict(daemon=dk, var=var, mode=mode, adv=adv)
                    d1 = Daemon(dk, bed, 1, confs[(var, 1)], work, args.kalive)
                    d2 = Daemon(dk, bed, 2, confs[(var, 2)], work, args.kalive)
                    tr["t_l1"], tr["t_l2"] = d1.t_launch, d2.t_launch
                    try:
                        tr["t_vip1"] = m1.wait_add(VIP, d1.t_launch, 10 * adv + 3)
                        if tr["t_vip1"] is None:
                            tr["fail"] = "node 1 never got the VIP"
                            continue
                        # let it settle, then act at a random phase of the advert interval
                        time.sleep(1.5 * adv + 0.2 + rnd.uniform(0, adv))
                        tr["t_act"] = time.time()
                        if mode == "kill":
                            d1.crash()
                            sh("ip", "-n", bed.ns(1), "addr", "del", f"{VIP}/32", "dev", "eth0", check=False)
                        else:
                            d1.term()
                        tr["t_vip2"] = m2.wait_add(VIP, tr["t_act"], mdi2 / 1000 + 3)
                        if tr["t_vip2"] is None:
                            tr["fail"] = "node 2 did not take over"
                        time.sleep(2 * adv if adv < 1 else 0.3)  # a few backup adverts on the wire
                        tr["t_end"] = time.time()
                    finally:
                        d1.stop()
                        d2.stop()
                        trials.append(tr)
                        bed.flush_vips()
                        time.sleep(0.3)
                    print(
                        f"  failover {dk:10s} {var} {mode} #{i + 1}: start->vip "
                        f"{(tr['t_vip1'] - tr['t_l1']) * 1000:.1f} ms, act->vip "
                        + (f"{(tr['t_vip2'] - tr['t_act']) * 1000:.1f} ms" if tr.get("t_vip2") else "FAILED"),
                        flush=True,
                    )
    pkts = {key: cap.stop() for key, cap in caps.items()}
    for (m1, m2) in mons.values():
        killgroup(m1.p, signal.SIGKILL, 1)
        killgroup(m2.p, signal.SIGKILL, 1)

    # wire metrics per trial
    for tr in trials:
        if "t_act" not in tr:
            continue
        ps = [p for p in pkts[(tr["daemon"], tr["var"])] if tr["t_l1"] - 0.05 <= p[0] <= tr["t_end"]]
        a1 = [p[0] for p in ps if p[1] == "vrrp" and p[2] == "10.77.0.1" and p[4] > 0]
        z1 = [p[0] for p in ps if p[1] == "vrrp" and p[2] == "10.77.0.1" and p[4] == 0 and p[0] >= tr["t_act"]]
        a2 = [p[0] for p in ps if p[1] == "vrrp" and p[2] == "10.77.0.2" and p[4] > 0]
        tr["first_adv1"] = a1[0] if a1 else None
        tr["backup_early"] = any(t < tr["t_act"] for t in a2)
        after = [t for t in a2 if t >= tr["t_act"]]
        last1 = [t for t in a1 if t <= tr["t_act"]]
        tr["adv2"] = after[0] if after else None
        tr["last1"] = last1[-1] if last1 else None
        tr["prio0"] = z1[0] if z1 else None
    return trials


def failover_tables(trials):
    md = []
    for var, (ver, adv) in VARIANTS.items():
        mdi1, _ = rfc(PRIO[1], adv)
        mdi2, skew2 = rfc(PRIO[2], adv)

        def col(dk, fn, mode=None):
            xs = []
            for tr in trials:
                if tr["daemon"] == dk and tr["var"] == var and (mode is None or tr["mode"] == mode):
                    try:
                        v = fn(tr)
                    except (KeyError, TypeError):
                        v = None
                    xs.append(v)
            return mmm(xs)

        ms = lambda a, b: lambda tr: (tr[b] - tr[a]) * 1000  # noqa: E731
        rows = []
        spec = [
            ("start → VIP on master (ip monitor)", ms("t_l1", "t_vip1"), None, f"{mdi1:.1f}"),
            ("start → master's first advert (wire)", ms("t_l1", "first_adv1"), None, f"{mdi1:.1f}"),
            ("SIGTERM → VIP on backup (ip monitor)", ms("t_act", "t_vip2"), "term", f"≈{skew2:.1f}"),
            ("SIGTERM → priority-0 advert (wire)", ms("t_act", "prio0"), "term", "0"),
            ("priority-0 advert → backup's advert (wire)", ms("prio0", "adv2"), "term", f"{skew2:.1f}"),
            ("SIGKILL → VIP on backup (ip monitor)", ms("t_act", "t_vip2"), "kill", f"{mdi2 - adv * 1000:.0f}–{mdi2:.0f}"),
            ("SIGKILL: master's last advert → backup's advert (wire)", ms("last1", "adv2"), "kill", f"{mdi2:.1f}"),
        ]
        for name, fn, mode, r in spec:
            rows.append([name, r, col("kalive", fn, mode), col("keepalived", fn, mode)])
        for name, pred in (
            ("failed takeovers", lambda tr: "fail" in tr),
            ("trials where the backup advertised before the master won", lambda tr: tr.get("backup_early")),
        ):
            row = [name, "0"]
            for dk in DAEMONS:
                ts = [tr for tr in trials if tr["daemon"] == dk and tr["var"] == var]
                row.append(f"{sum(1 for tr in ts if pred(tr))} of {len(ts)}")
            rows.append(row)
        md.append(
            table(
                f"1{'ab'[var == 'v3']}. Failover, VRRP{ver} advert_int {adv:g} s, priorities 100/90 "
                "(ms: mean (min–max, n))",
                ["metric", "RFC value", "kalive", "keepalived 2.2.7"],
                rows,
            )
        )
    return md


# ---------------------------------------------------------------------------------------------
# 2. jitter (+ 3. footprint with 1 instance, from the idle v2 window)


def jitter(args, beds, work):
    res = {}
    caps = {key: Capture(bed, os.path.join(work, f"jitter-{key[0]}-{key[1]}.pcap")) for key, bed in beds.items()}
    mons = {key: (Monitor(bed.ns(1)), Monitor(bed.ns(2))) for key, bed in beds.items()}
    daemons = {}
    for key, bed in beds.items():
        bed.flush_vips()
        ver, adv = VARIANTS[key[1]]
        for k in (1, 2):
            c = os.path.join(work, f"jit-{key[0]}-{key[1]}-node{k}.conf")
            with open(c, "w") as f:
                f.write(conf_text(PRIO[k], ver, adv, script=True))
            daemons[(key, k)] = Daemon(key[0], bed, k, c, work, args.kalive)
    loads = []
    try:
        t0 = time.time()
        for key in beds:
            if mons[key][0].wait_add(VIP, t0 - 1, 15) is None:
                raise RuntimeError(f"{key}: node 1 never got the VIP")
        time.sleep(0.5)
        windows = {}
        for load in ("idle", "load"):
            if load == "load":
                loads = [
                    spawn(["nice", "-n", "0", "python3", "-c", "while True: pass"], stdout=subprocess.DEVNULL)
                    for _ in range(2)
                ]
                time.sleep(0.5)
            s0 = {dk: group_stats(d.pid) for dk, d in daemons.items()}
            c0, w0 = cpu_busy(), time.time()
            print(f"  jitter: {load} window of {args.window:g} s", flush=True)
            time.sleep(args.window)
            c1, w1 = cpu_busy(), time.time()
            s1 = {dk: group_stats(d.pid) for dk, d in daemons.items()}
            windows[load] = (w0, w1, busy_between(c0, c1), s0, s1)
            for p in loads:
                killgroup(p, signal.SIGKILL, 2)
            loads = []
    finally:
        for p in loads:
            killgroup(p, signal.SIGKILL, 2)
        for d in daemons.values():
            d.stop()
        pkts = {key: cap.stop() for key, cap in caps.items()}
        for (m1, m2) in mons.values():
            killgroup(m1.p, signal.SIGKILL, 1)
            killgroup(m2.p, signal.SIGKILL, 1)
        for bed in beds.values():
            bed.flush_vips()
    for key in beds:
        adv = VARIANTS[key[1]][1]
        for load, (w0, w1, busy, s0, s1) in windows.items():
            ps = [p for p in pkts[key] if w0 <= p[0] <= w1]
            a1 = [p[0] for p in ps if p[1] == "vrrp" and p[2] == "10.77.0.1" and p[4] > 0]
            garps = [p[0] for p in ps if p[1] == "arp" and p[2] == VIP]
            iv = [(a, b) for a, b in zip(a1, a1[1:])]
            err = [abs((b - a) - adv) * 1000 for a, b in iv]
            err_ng = [abs((b - a) - adv) * 1000 for a, b in iv if not any(a <= g <= b for g in garps)]
            res[(key, load)] = dict(
                n=len(iv),
                mean=(sum(b - a for a, b in iv) / len(iv) * 1000) if iv else None,
                p50=pct(err, 50),
                p99=pct(err, 99),
                max=max(err) if err else None,
                max_ng=max(err_ng) if err_ng else None,
                backup=sum(1 for p in ps if p[1] == "vrrp" and p[2] == "10.77.0.2"),
                vipev=mons[key][0].count(w0, w1) + mons[key][1].count(w0, w1),
                busy=busy,
                win=w1 - w0,
                stats={k: (s0[(key, k)], s1[(key, k)]) for k in (1, 2)},
            )
    return res


def jitter_tables(res, window):
    rows = []
    for var, (ver, adv) in VARIANTS.items():
        for load in ("idle", "load"):
            lab = f"VRRP{ver} {adv:g} s, {'idle' if load == 'idle' else '2 busy loops'}"
            r = {dk: res[((dk, var), load)] for dk in DAEMONS}
            for name, fn in (
                ("intervals", lambda x: str(x["n"])),
                ("mean interval (ms)", lambda x: f3(x["mean"])),
                ("\\|error\\| p50 (ms)", lambda x: f3(x["p50"])),
                ("\\|error\\| p99 (ms)", lambda x: f3(x["p99"])),
                ("\\|error\\| max (ms)", lambda x: f3(x["max"])),
                ("\\|error\\| max without GARP-burst intervals (ms)", lambda x: f3(x["max_ng"])),
                ("backup adverts / VIP events in window", lambda x: f"{x['backup']} / {x['vipev']}"),
                ("machine busy fraction", lambda x: f"{x['busy']:.2f}"),
            ):
                rows.append([lab, name] + [fn(r[dk]) for dk in DAEMONS])
    return table(
        f"2. Advert interval error of the master (|interval − advert_int|), {window:g} s windows",
        ["variant / load", "metric", "kalive", "keepalived 2.2.7"],
        rows,
    )


# ---------------------------------------------------------------------------------------------
# 4. the 200-instance start-up race (+ 3. footprint with 200 instances)


def race(args, bed, dk, work, n=200):
    ver, adv = VARIANTS["v2"]
    bed.flush_vips()
    confs = {}
    for k in (1, 2):
        confs[k] = os.path.join(work, f"race-{dk}-node{k}.conf")
        with open(confs[k], "w") as f:
            f.write(conf_text(PRIO[k], ver, adv, n))
    cap = Capture(bed, os.path.join(work, f"race-{dk}.pcap"), "ip proto 112")
    ds = []
    out = dict(n=n)
    try:
        d2 = Daemon(dk, bed, 2, confs[2], work, args.kalive)
        ds.append(d2)
        time.sleep(args.race_delay / 1000)
        d1 = Daemon(dk, bed, 1, confs[1], work, args.kalive)
        ds.append(d1)
        out["gap"] = (d1.t_launch - d2.t_launch) * 1000
        deadline = time.time() + 60
        t_all = None
        while time.time() < deadline:
            if len(bed.vips(1)) >= n:
                t_all = time.time()
                break
            time.sleep(0.1)
        out["t_all"] = (t_all - d1.t_launch) if t_all else None
        time.sleep(8)
        s0 = {1: group_stats(d1.pid), 2: group_stats(d2.pid)}
        w0 = time.time()
        print(f"  {dk}: {n} instances, {'all VIPs up' if t_all else 'NOT all VIPs up'}; "
              f"footprint window of {args.fp_window:g} s", flush=True)
        time.sleep(args.fp_window)
        w1 = time.time()
        s1 = {1: group_stats(d1.pid), 2: group_stats(d2.pid)}
        out["stats"] = {k: (s0[k], s1[k]) for k in (1, 2)}
        out["win"] = w1 - w0
        out["vips"] = (len(bed.vips(1)), len(bed.vips(2)))
    finally:
        for d in ds:
            d.stop()
        pk = cap.stop()
        bed.flush_vips()
    b = [p for p in pk if p[1] == "vrrp" and p[2] == "10.77.0.2" and p[4] > 0]
    out["backup_vrids"] = len({p[3] for p in b})
    out["last_backup"] = (b[-1][0] - ds[0].t_launch) if b else None
    out["backup_in_win"] = sum(1 for p in b if w0 <= p[0] <= w1)
    out["master_in_win"] = sum(1 for p in pk if p[1] == "vrrp" and p[2] == "10.77.0.1" and w0 <= p[0] <= w1)
    out["vrids_seen"] = len({p[3] for p in pk if p[1] == "vrrp"})
    return out


def footprint_tables(jit, races):
    rows = []
    for n in (1, 200):
        for k, role in ((1, "master"), (2, "backup")):
            cells = {}
            for dk in DAEMONS:
                if n == 1:
                    x = jit[((dk, "v2"), "idle")]
                    (s0, s1), win = x["stats"][k], x["win"]
                else:
                    x = races[dk]
                    (s0, s1), win = x["stats"][k], x["win"]
                cells[dk] = (
                    str(s1[0]),
                    str(s1[1]),
                    str(s1[2]),
                    f"{(s1[3] - s0[3]) / 1e6 / win * 60:.2f}",
                    f"{(s1[4] - s0[4]) * 1000 / os.sysconf('SC_CLK_TCK') / win * 60:.0f}",
                )
            for i, name in enumerate(
                ("processes", "VmRSS kB (sum)", "VmHWM kB (sum)", "CPU ms per minute (schedstat)",
                 "CPU ms per minute (utime+stime, 10 ms ticks)")
            ):
                rows.append([str(n), role, name] + [cells[dk][i] for dk in DAEMONS])
    return table(
        "3. Footprint (VRRPv2, advert_int 1 s; summed over the daemon's process group)",
        ["instances", "node", "metric", "kalive", "keepalived 2.2.7"],
        rows,
    )


def race_tables(races, delay):
    rows = []
    for name, fn in (
        ("launch gap backup → master (ms)", lambda x: f"{x['gap']:.1f}"),
        ("master start → all 200 VIPs on master (s)", lambda x: f3(x["t_all"])),
        ("VRIDs the backup advertised as master", lambda x: f"**{x['backup_vrids']} of {x['n']}**"),
        ("backup start → backup's last advert (s)", lambda x: f3(x["last_backup"]) if x["last_backup"] else "– (none)"),
        ("VRIDs seen on the wire", lambda x: str(x["vrids_seen"])),
        ("VIPs master / backup at the end", lambda x: f"{x['vips'][0]} / {x['vips'][1]}"),
        ("master adverts in the footprint window", lambda x: str(x["master_in_win"])),
        ("backup adverts in the footprint window", lambda x: str(x["backup_in_win"])),
    ):
        rows.append([name] + [fn(races[dk]) for dk in DAEMONS])
    return table(
        f"4. 200-instance start-up race: backup (90) started first, master (100) {delay:g} ms later",
        ["metric", "kalive", "keepalived 2.2.7"],
        rows,
    )


# ---------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kalive", default="target/x86_64-unknown-linux-musl/release/kalive")
    ap.add_argument("--trials", type=int, default=5, help="failover trials per mode (kill, term)")
    ap.add_argument("--window", type=float, default=60, help="jitter window, seconds (idle and loaded)")
    ap.add_argument("--fp-window", type=float, default=30, help="200-instance footprint window, seconds")
    ap.add_argument("--race-delay", type=float, default=20, help="ms between starting the backup and the master")
    ap.add_argument("--out", default="bench/RESULTS.md")
    ap.add_argument("--only", default="1234", help="which measurements to run (digits)")
    args = ap.parse_args()
    args.kalive = os.path.realpath(args.kalive)
    if os.geteuid() != 0:
        sys.exit("bench-live: needs root (network namespaces)")
    for b in (args.kalive, KEEPALIVED):
        if not os.access(b, os.X_OK):
            sys.exit(f"bench-live: {b} is missing")
    cmdline = "python3 " + " ".join([sys.argv[0]] + sys.argv[1:])

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    t_begin = time.time()
    work = tempfile.mkdtemp(prefix="kalive-sbs-")
    md = []
    notes = []
    try:
        tag = f"sb{os.getpid() % 1000}"
        beds = {(dk, var): Bed(f"{tag}{dk[:2]}{var}") for dk in DAEMONS for var in VARIANTS}
        jit = races = None
        if "1" in args.only:
            print("1. failover", flush=True)
            md += failover_tables(failover(args, beds, work))
        if "2" in args.only or "3" in args.only:
            print("2. jitter (and 1-instance footprint)", flush=True)
            jit = jitter(args, beds, work)
            md.append(jitter_tables(jit, args.window))
        if "4" in args.only or "3" in args.only:
            print("4. 200-instance race (and 200-instance footprint)", flush=True)
            races = {dk: race(args, beds[(dk, "v2")], dk, work) for dk in DAEMONS}
        if jit and races:
            md.append(footprint_tables(jit, races))
        if races:
            md.append(race_tables(races, args.race_delay))
    finally:
        cleanup()
        runtime = time.time() - t_begin
        for f in sorted(os.listdir(work)):
            os.unlink(os.path.join(work, f))
        os.rmdir(work)
    write_results(args, md, notes, runtime, cmdline)


METHOD = """## Method

- Topology, one bed per (daemon, VRRP variant): namespaces `<bed>-1`, `<bed>-2` (eth0 10.77.0.1/24,
  10.77.0.2/24, a veth whose peer is a port of bridge br0; IPv6 off) and `<bed>-br` (bridge br0). VIP 10.77.0.100 (/32) on eth0.
- Identical configuration text for both daemons: `state BACKUP`, VRID 51, priority 100 (node 1) / 90 (node 2),
  no authentication, VRRPv2 advert_int 1 s, or VRRPv3 advert_int 0.1 s; no `global_defs`.
- Commands: `ip netns exec NS kalive -n -l -G -f CONF`; `ip netns exec NS /usr/sbin/keepalived -n -l -D -f CONF
  -p P -r R -c C` with pid files distinct per start. Each daemon is its own process group.
- Times: VIP events from `ip -n NS -ts monitor address` (one per node, running through the whole phase); packets
  from `tcpdump -i br0 --immediate-mode -U` in the bridge namespace (kernel timestamps, same clock as the
  driver's `time.time()` at launch, SIGTERM and SIGKILL), parsed by a small pcap reader in the script.
- 1. Failover: every trial starts both daemons fresh (node 1 launched, then node 2 immediately), waits for the VIP
  on node 1, waits 1.5 × advert_int + 0.2 s + a random part of advert_int, then either SIGTERM to node 1's daemon
  or SIGKILL to its whole process group followed by `ip addr del` of the VIP (a dead box loses it). Trials
  alternate between the daemons (kalive first in even trials). n(start) = 2 × trials, n(kill) = n(term) = trials.
- 2. Jitter: the four pairs (kalive v2, keepalived v2, kalive v3, keepalived v3) run **at the same time**, each on
  its own bed, so they see the same machine load; idle window, then the same window with 2 ×
  `nice -n 0 python3 -c 'while True: pass'`; in both windows each daemon also runs a tracked vrrp_script
  `/bin/sh -c 'sleep 0.5'` every second (the same text for both; `enable_script_security`, `script_user root`). Error = |interval between node 1's consecutive adverts − advert_int|
  (nearest-rank percentiles). The idle window starts 0.5 s after the VIPs came up, so it holds keepalived's second
  GARP burst (5 s after the transition); the row "without GARP-burst intervals" leaves out intervals that contain
  a GARP for the VIP.
- 3. Footprint: VmRSS and VmHWM from `/proc/PID/status` summed over every process in the daemon's process group;
  CPU = change of `/proc/PID/schedstat` field 1 (ns) and of utime+stime (`/proc/PID/stat`, 10 ms ticks) over
  the window, scaled to one minute. 1 instance: the idle VRRPv2 jitter window. 200 instances: the window of §4
  starting 8 s after the master holds all 200 VIPs.
- 4. Race: 200 instances, VRIDs 1..200 on eth0 with VIPs 10.77.100.VRID, VRRPv2 advert_int 1 s. Node 2 (priority 90)
  is started first, node 1 (priority 100) DELAY ms later, for both daemons; by the RFC node 1's timers fire
  (3609.4 ms + DELAY) before node 2's (3648.4 ms) as long as DELAY < 39 ms, so a backup advert means the
  daemon was late. Counted from a capture of `ip proto 112` on br0: VRIDs for which node 2 sent any advert.
  The daemons are run one after the other, not at the same time.
- The machine is shared (2 vCPU, other engineers compiling); there is no quietness gate, the busy fraction of
  each jitter window is recorded instead.
"""


# The hand-kept section at the end of bench/RESULTS.md (the README's summary, the benchmarks that
# write no file): kept by this script and by bench/flood.py.
KEPT_MARK = "## Summary and the other benchmarks (kept by hand)"


def write_results(args, md, notes, runtime, cmdline):
    kv = sh(args.kalive, "--version", check=False).strip().splitlines()[0]
    kav = subprocess.run([KEEPALIVED, "-v"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout
    kav = kav.strip().splitlines()[0]
    cpu = ""
    with open("/proc/cpuinfo") as f:
        m = re.search(r"model name\s*:\s*(.*)", f.read())
        cpu = m.group(1) if m else "?"
    head = [
        "# kalive vs keepalived 2.2.7, side by side (`make bench-live`)",
        "",
        f"- date: {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')} (local time {time.strftime('%Z')})",
        f"- machine: {os.cpu_count()} CPUs ({cpu}), kernel {platform.release()}, "
        f"load average at the end {open('/proc/loadavg').read().split()[0]} (shared machine)",
        f"- versions: {kv}; {kav} (`{KEEPALIVED}`)",
        f"- command: `make bench-live` → `{cmdline}`",
        f"- runtime: {runtime:.0f} s; failover trials {args.trials} per mode, jitter windows {args.window:g} s, "
        f"200-instance footprint window {args.fp_window:g} s, race delay {args.race_delay:g} ms",
        "",
    ]
    text = "\n".join(head) + "\n" + METHOD + "\n" + "\n".join(md) + "\n" + "\n".join(notes)
    # bench/flood.py's section (`make bench-flood`) and the hand-kept summary after it are kept:
    # they are measured apart.
    old = open(args.out).read() if os.path.exists(args.out) else ""
    kept = [old.find(m) for m in ("## Floods (`make bench-flood`)", KEPT_MARK) if m in old]
    if kept:
        text = text.rstrip("\n") + "\n\n" + old[min(kept):]
    if os.path.dirname(args.out):
        os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text)
    print(f"bench-live: wrote {args.out} ({runtime:.0f} s)")


if __name__ == "__main__":
    main()
