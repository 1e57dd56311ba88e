#!/usr/bin/env python3
"""kalive and keepalived 2.2.7 at scale, side by side in the same run (`make bench-scale`, part of
`make bench`): issue 12's 1,000 VRRP instances.

Topology, one bed per daemon: namespaces <bed>-1 and <bed>-2 (nodes), each with eth0..eth4, veths
whose peers are ports of bridges br0..br4 in <bed>-br. Interface i carries 10.(80+i).0.0/16:
node k is 10.(80+i).0.k; instance (i, v), v = 1..200, has VRID v and the VIP 10.(80+i).1.v.
VRRPv3, advert_int 0.1 s: 1,000 instances send 10,000 adverts a second.

Measurements:
  1. steady: node 1 alone (priority 100), kalive and keepalived at the same time, each in its own
     bed, with two busy loops beside them: start -> all 1,000 VIPs up; then a window of WINDOW s:
     advert interval deviation |interval - 100 ms| per instance from captures on the five bridges
     (kernel timestamps at the receiving side), max and p99 over all instances; RSS (VmRSS at the
     end, VmHWM = peak) and CPU (schedstat) of the daemon's process group, per 20 s.
  2. race: node 2 (priority 90) started, node 1 (priority 100) DELAY ms later, one daemon after
     the other: adverts node 2 sent per instance, and the last one's time after node 1's start.

python3 stdlib only (the helpers of bench/side_by_side.py); needs root, iproute2, tcpdump,
/usr/sbin/keepalived. Every namespace and process is removed on exit, also on failure or Ctrl-C.
"""

import argparse
import datetime
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from side_by_side import (  # noqa: E402 (the path above first)
    DAEMONS,
    KEEPALIVED,
    KEPT_MARK,
    NAMESPACES,
    Daemon,
    busy_between,
    cleanup,
    cpu_busy,
    f3,
    group_stats,
    killgroup,
    pct,
    read_pcap,
    sh,
    spawn,
    table,
)

IFACES = 5
VRIDS = 200
ADV = 0.1
PRIO = {1: 100, 2: 90}
SECTION = "## Scale: 1,000 VRRP instances (`make bench-scale`)"


def subnet(i):
    return f"10.{80 + i}"


class ScaleBed:
    """<p>-1, <p>-2 (nodes, eth0..eth4) and <p>-br (bridges br0..br4)."""

    def __init__(self, prefix):
        self.p = prefix
        self.br = f"{prefix}-br"
        sh("ip", "netns", "add", self.br)
        NAMESPACES.append(self.br)
        for i in range(IFACES):
            sh("ip", "-n", self.br, "link", "add", f"br{i}", "type", "bridge")
            sh("ip", "-n", self.br, "link", "set", f"br{i}", "up")
        for k in (1, 2):
            ns = self.ns(k)
            sh("ip", "netns", "add", ns)
            NAMESPACES.append(ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
            for i in range(IFACES):
                port = f"n{k}i{i}"
                sh("ip", "link", "add", f"eth{i}", "netns", ns, "type", "veth", "peer", "name", port, "netns", self.br)
                sh("ip", "-n", self.br, "link", "set", port, "master", f"br{i}", "up")
                sh("ip", "netns", "exec", ns, "sysctl", "-qw", f"net.ipv6.conf.eth{i}.disable_ipv6=1")
                sh("ip", "-n", ns, "link", "set", f"eth{i}", "up")
                sh("ip", "-n", ns, "addr", "add", f"{subnet(i)}.0.{k}/16", "dev", f"eth{i}")

    def ns(self, k):
        return f"{self.p}-{k}"

    def vip_count(self, k):
        try:
            out = sh("ip", "-n", self.ns(k), "-4", "-o", "addr", "show", timeout=30)
        except subprocess.TimeoutExpired:
            return -1  # a daemon changing thousands of addresses a second can starve `ip`
        return out.count("/32 ")

    def flush_vips(self):
        for k in (1, 2):
            for i in range(IFACES):
                # the VIPs are the /32s; the node's own /16 stays
                sh("ip", "-n", self.ns(k), "addr", "flush", "dev", f"eth{i}", "to", f"{subnet(i)}.1.0/24", check=False)


class Captures:
    """tcpdump of VRRP on each bridge of a bed, one pcap file per interface."""

    def __init__(self, bed, path):
        self.caps = []
        for i in range(IFACES):
            p = f"{path}-br{i}.pcap"
            err = p + ".err"
            with open(err, "w") as ef:
                proc = spawn(
                    ["ip", "netns", "exec", bed.br, "tcpdump", "-i", f"br{i}", "-n", "-B", "16384", "-s", "96",
                     "-w", p, "ip proto 112"],
                    stdout=subprocess.DEVNULL,
                    stderr=ef,
                )
            self.caps.append((proc, p, err))
        deadline = time.time() + 10
        for _, _, err in self.caps:
            while "listening on" not in open(err).read():
                if time.time() > deadline:
                    raise RuntimeError("tcpdump did not start")
                time.sleep(0.02)

    def stop(self):
        """{interface: [(t, kind, src, vrid, prio, adv)]} and the packets the kernel dropped."""
        time.sleep(0.3)
        for proc, _, _ in self.caps:
            killgroup(proc, signal.SIGINT, wait=5.0)
        dropped = 0
        out = {}
        for i, (_, p, err) in enumerate(self.caps):
            for line in open(err):
                if "dropped by kernel" in line:
                    dropped += int(line.split()[0])
            out[i] = read_pcap(p)
        return out, dropped


def conf_text(prio):
    blocks = []
    for i in range(IFACES):
        for v in range(1, VRIDS + 1):
            blocks.append(
                f"vrrp_instance VI_{i}_{v} {{\n    state BACKUP\n    interface eth{i}\n    virtual_router_id {v}\n"
                f"    version 3\n    priority {prio}\n    advert_int {ADV:g}\n"
                f"    virtual_ipaddress {{\n        {subnet(i)}.1.{v}/32\n    }}\n}}\n"
            )
    return "".join(blocks)


def write_confs(work):
    confs = {}
    for k in (1, 2):
        confs[k] = os.path.join(work, f"scale-node{k}.conf")
        with open(confs[k], "w") as f:
            f.write(conf_text(PRIO[k]))
    return confs


def wait_all_up(beds_daemons, timeout):
    """{daemon kind: seconds from its launch until node 1 holds all VIPs (None: not in time)}."""
    n = IFACES * VRIDS
    up = {}
    deadline = time.time() + timeout
    while len(up) < len(beds_daemons) and time.time() < deadline:
        for dk, (bed, d) in beds_daemons.items():
            if dk not in up and bed.vip_count(1) >= n:
                up[dk] = time.time() - d.t_launch
        time.sleep(0.05)
    return {dk: up.get(dk) for dk in beds_daemons}


def deviations(pkts, src_host, w0, w1):
    """|interval - advert_int| in ms of every instance's consecutive adverts from src_host in [w0, w1]."""
    err = []
    instances = 0
    for i, ps in pkts.items():
        src = f"{subnet(i)}.0.{src_host}"
        last = {}
        for t, kind, s, vrid, prio, _ in ps:
            if kind != "vrrp" or s != src or prio == 0 or not (w0 <= t <= w1):
                continue
            if vrid in last:
                err.append(abs((t - last[vrid]) - ADV) * 1000)
            last[vrid] = t
        instances += len(last)
    return err, instances


def steady(args, beds, confs, work):
    caps = {dk: Captures(beds[dk], os.path.join(work, f"steady-{dk}")) for dk in DAEMONS}
    daemons = {}
    loads = []
    out = {}
    try:
        for dk in DAEMONS:
            beds[dk].flush_vips()
            daemons[dk] = Daemon(dk, beds[dk], 1, confs[1], work, args.kalive)
        up = wait_all_up({dk: (beds[dk], daemons[dk]) for dk in DAEMONS}, 60)
        # keepalived sends its second GARP burst 5 s after the transition (vrrp_garp_master_delay)
        time.sleep(args.settle)
        loads = [spawn(["nice", "-n", "0", "python3", "-c", "while True: pass"], stdout=subprocess.DEVNULL) for _ in range(2)]
        time.sleep(0.5)
        s0 = {dk: group_stats(d.pid) for dk, d in daemons.items()}
        c0, w0 = cpu_busy(), time.time()
        print(f"  steady: window of {args.window:g} s with two busy loops", flush=True)
        time.sleep(args.window)
        c1, w1 = cpu_busy(), time.time()
        s1 = {dk: group_stats(d.pid) for dk, d in daemons.items()}
    finally:
        for p in loads:
            killgroup(p, signal.SIGKILL, 2)
        for d in daemons.values():
            d.stop()
        pkts = {dk: cap.stop() for dk, cap in caps.items()}
        for bed in beds.values():
            bed.flush_vips()
    for dk in DAEMONS:
        err, inst = deviations(pkts[dk][0], 1, w0, w1)
        win = w1 - w0
        out[dk] = dict(
            up=up[dk],
            intervals=len(err),
            instances=inst,
            p50=pct(err, 50),
            p99=pct(err, 99),
            max=max(err) if err else None,
            rss=s1[dk][1],
            hwm=s1[dk][2],
            procs=s1[dk][0],
            cpu=(s1[dk][3] - s0[dk][3]) / 1e9 / win * 20,
            busy=busy_between(c0, c1),
            dropped=pkts[dk][1],
        )
    return out


def race(args, bed, dk, confs, work):
    bed.flush_vips()
    cap = Captures(bed, os.path.join(work, f"race-{dk}"))
    ds = []
    out = {}
    try:
        d2 = Daemon(dk, bed, 2, confs[2], work, args.kalive)
        ds.append(d2)
        time.sleep(args.race_delay / 1000)
        d1 = Daemon(dk, bed, 1, confs[1], work, args.kalive)
        ds.append(d1)
        out["gap"] = (d1.t_launch - d2.t_launch) * 1000
        out["up"] = wait_all_up({dk: (bed, d1)}, 60)[dk]
        print(f"  race {dk}: {'all VIPs up' if out['up'] else 'NOT all VIPs up'}; watching {args.race_window:g} s", flush=True)
        time.sleep(max(0.0, d1.t_launch + args.race_window - time.time()))
        out["vips"] = (bed.vip_count(1), bed.vip_count(2))
    finally:
        for d in ds:
            d.stop()
        pkts, out["dropped"] = cap.stop()
        bed.flush_vips()
    per = {}
    last = None
    for i, ps in pkts.items():
        src = f"{subnet(i)}.0.2"
        for t, kind, s, vrid, prio, _ in ps:
            if kind == "vrrp" and s == src and prio > 0:
                per[(i, vrid)] = per.get((i, vrid), 0) + 1
                last = t if last is None else max(last, t)
    out["backup_instances"] = len(per)
    out["backup_adverts"] = sum(per.values())
    out["backup_max_per_instance"] = max(per.values()) if per else 0
    out["last_backup"] = (last - d1.t_launch) if last is not None else None
    out["master_instances"] = len({(i, p[3]) for i, ps in pkts.items() for p in ps if p[2] == f"{subnet(i)}.0.1"})
    return out


def tables(st, races, args):
    md = []
    rows = []
    if st is None:
        return tables_race(races, args)
    for name, fn in (
        ("start → all 1,000 VIPs up (s)", lambda x: f3(x["up"])),
        ("instances seen advertising / intervals measured", lambda x: f"{x['instances']} / {x['intervals']}"),
        ("\\|deviation\\| p50 (ms)", lambda x: f3(x["p50"])),
        ("\\|deviation\\| p99 (ms)", lambda x: f3(x["p99"])),
        ("\\|deviation\\| max (ms)", lambda x: f3(x["max"])),
        ("processes", lambda x: str(x["procs"])),
        ("RSS at the end of the window (kB, sum)", lambda x: str(x["rss"])),
        ("peak RSS, VmHWM (kB, sum)", lambda x: str(x["hwm"])),
        (f"CPU s per 20 s (schedstat; window {args.window:g} s)", lambda x: f"{x['cpu']:.2f}"),
        ("machine busy fraction", lambda x: f"{x['busy']:.2f}"),
        ("packets tcpdump lost", lambda x: str(x["dropped"])),
    ):
        rows.append([name] + [fn(st[dk]) for dk in DAEMONS])
    md.append(table(
        "S1. 1,000 instances (5 × 200, VRRPv3 0.1 s) on one master, two busy loops beside it",
        ["metric", "kalive", "keepalived 2.2.7"], rows))
    return md + (tables_race(races, args) if races else [])


def tables_race(races, args):
    rows = []
    for name, fn in (
        ("launch gap backup → master (ms)", lambda x: f"{x['gap']:.1f}"),
        ("master start → all 1,000 VIPs on the master (s)", lambda x: f3(x["up"])),
        ("instances the backup advertised for", lambda x: f"**{x['backup_instances']} of 1000**"),
        ("backup adverts (all) / most for one instance", lambda x: f"{x['backup_adverts']} / {x['backup_max_per_instance']}"),
        ("master start → backup's last advert (s)", lambda x: f3(x["last_backup"]) if x["last_backup"] is not None else "– (none)"),
        ("instances the master advertised for", lambda x: str(x["master_instances"])),
        (f"VIPs master / backup after {args.race_window:g} s", lambda x: f"{x['vips'][0]} / {x['vips'][1]}"),
        ("packets tcpdump lost", lambda x: str(x["dropped"])),
    ):
        rows.append([name] + [fn(races[dk]) for dk in DAEMONS])
    return [table(
        f"S2. 1,000-instance start-up race: backup (90) started first, master (100) {args.race_delay:g} ms later",
        ["metric", "kalive", "keepalived 2.2.7"], rows)]


METHOD = """Method (bench/scale.py): one bed per daemon, namespaces `<bed>-1`, `<bed>-2` with eth0..eth4 (veths to
bridges br0..br4 in `<bed>-br`; IPv6 off); instance (i, v) on eth*i*, VRID *v* = 1..200, VRRPv3, advert_int 0.1 s,
VIP 10.(80+*i*).1.*v*/32, `state BACKUP`, priority 100 (node 1) / 90 (node 2), no `global_defs`; the same file for both
daemons. S1: node 1 only, both daemons at the same time (each in its own bed), the window starting SETTLE s after
the VIPs came up, two `python3 -c 'while True: pass'` beside them; deviation = |interval between consecutive
adverts of an instance − 100 ms| from `tcpdump -i br*i*` (kernel timestamps on the receiving bridge), nearest-rank
percentiles over all instances; RSS = VmRSS, peak = VmHWM, CPU = /proc/PID/schedstat, summed over the daemon's
process group. S2: one daemon after the other, node 2 launched, node 1 DELAY ms later; the backup's adverts
(priority > 0 from node 2) counted from the bridge captures over RACE s after node 1's launch."""


def write_results(args, md, runtime, cmdline):
    kv = sh(args.kalive, "--version", check=False).strip().splitlines()[0]
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    head = [
        SECTION,
        "",
        f"- date: {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')} (local time {time.strftime('%Z')}); "
        f"{os.cpu_count()} CPUs ({cpu}), kernel {platform.release()}, load average at the end "
        f"{open('/proc/loadavg').read().split()[0]} (shared machine)",
        f"- {kv}; keepalived 2.2.7 (`{KEEPALIVED}`)",
        f"- command: `{cmdline}` ({runtime:.0f} s; window {args.window:g} s, settle {args.settle:g} s, "
        f"race delay {args.race_delay:g} ms, race {args.race_window:g} s)",
        "",
        METHOD,
        "",
    ]
    text = "\n".join(head) + "\n" + "\n".join(md)
    old = open(args.out).read() if os.path.exists(args.out) else ""
    if SECTION in old:
        a = old.index(SECTION)
        rest = old[a + len(SECTION):]
        nxt = rest.find("\n## ")
        new = old[:a] + text.rstrip("\n") + "\n" + (rest[nxt:] if nxt >= 0 else "")
    elif KEPT_MARK in old:
        a = old.index(KEPT_MARK)
        new = old[:a] + text.rstrip("\n") + "\n\n" + old[a:]
    else:
        new = old.rstrip("\n") + ("\n\n" if old else "") + text
    if os.path.dirname(args.out):
        os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(new)
    print(f"bench-scale: wrote {args.out} ({runtime:.0f} s)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kalive", default="target/x86_64-unknown-linux-musl/release/kalive")
    ap.add_argument("--window", type=float, default=20, help="steady window with two busy loops, seconds")
    ap.add_argument("--settle", type=float, default=6, help="seconds between all VIPs up and the window")
    ap.add_argument("--race-delay", type=float, default=20, help="ms between starting the backup and the master")
    ap.add_argument("--race-window", type=float, default=20, help="seconds watched after the master's start")
    ap.add_argument("--only", default="12", help="which measurements to run (digits)")
    ap.add_argument("--out", default="bench/RESULTS.md")
    args = ap.parse_args()
    args.kalive = os.path.realpath(args.kalive)
    if os.geteuid() != 0:
        sys.exit("bench-scale: needs root (network namespaces)")
    for b in (args.kalive, KEEPALIVED):
        if not os.access(b, os.X_OK):
            sys.exit(f"bench-scale: {b} is missing")
    cmdline = "python3 " + " ".join([sys.argv[0]] + sys.argv[1:])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    t_begin = time.time()
    work = tempfile.mkdtemp(prefix="kalive-scale-")
    md = []
    try:
        tag = f"sc{os.getpid() % 1000}"
        beds = {dk: ScaleBed(f"{tag}{dk[:2]}") for dk in DAEMONS}
        confs = write_confs(work)
        st = races = None
        if "1" in args.only:
            print("S1. 1,000 instances, steady, two busy loops", flush=True)
            st = steady(args, beds, confs, work)
        if "2" in args.only:
            print("S2. 1,000-instance race", flush=True)
            races = {dk: race(args, beds[dk], dk, confs, work) for dk in DAEMONS}
        if st or races:
            md = tables(st, races, args)
    finally:
        cleanup()
        for f in sorted(os.listdir(work)):
            os.unlink(os.path.join(work, f))
        os.rmdir(work)
    if md:
        write_results(args, md, time.time() - t_begin, cmdline)


if __name__ == "__main__":
    main()
