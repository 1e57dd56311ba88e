#!/usr/bin/env python3
"""Two kalive appliances on a virtual LAN (image/README.md "Appliance"): election, failover, respawn.

Builds the appliance (image/appliance/build.sh), boots node 1 and node 2 under qemu (TCG, via the
VM kit's image/qemu.sh) joined by a qemu `stream` netdev over a unix socket in a private
directory -- a cable between the two VMs that exists only on this machine -- and checks on their
serial consoles, in order:

  1. both boot with / read-only (node 2 starts once node 1 has booted); node 1 is MASTER with the
     VIP, node 2 BACKUP without it, and node 2 was never MASTER;
  2. kalive on node 2 is killed (SIGKILL) twice: the supervisor logs each exit and starts it
     again after 1 s, then 2 s (backoff); node 1 stays MASTER;
  3. node 1's link goes down (qemu monitor `set_link lan off`): node 2 becomes MASTER with the
     VIP, node 1 goes to FAULT and drops it;
  4. with --fault-at-start: kalive on node 1 is killed while its link is down and must come back
     in FAULT, never MASTER (keepalived's behaviour);
  5. the link comes back: node 1 preempts (MASTER with the VIP), node 2 returns to BACKUP;
  6. kalive's memory (/proc/PID/status) and `kalive status` on both nodes.

kalive's syslog lines (busybox syslogd's ring buffer, copied to the console by logread) are what
steps 1-5 wait for, next to the appliance's own hotplug lines. Every wait has a deadline and the
whole run has a hard limit; both qemu processes are killed on every exit path (and by the kernel
if this script dies: PR_SET_PDEATHSIG).

usage: test.py [--kalive BIN] [--out DIR] [--mem MB] [--limit SECONDS] [--fault-at-start]
Exit: 0 PASS, 1 FAIL, 2 usage or build error, 77 skip (qemu, the kernel or busybox-static is
missing; the message says which). Consoles: OUT/console-1.log and console-2.log.
"""

import argparse
import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
VIP = "192.168.1.1/24"
# The election budget under TCG on a 2-core machine (measured and reported; not a failure).
ELECT_BUDGET = 30.0
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
FATAL = re.compile(r"APPLIANCE: FAILED|Kernel panic|end Kernel panic")


class Fail(Exception):
    pass


def die_with_parent():
    """In the child before exec: the kernel kills it if this script dies (PR_SET_PDEATHSIG = 1)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL)


class Vm:
    """One appliance: its qemu process, its console lines (timestamped) and its monitor."""

    def __init__(self, node, t0, log_path):
        self.node = node
        self.t0 = t0
        self.lines = []  # (seconds since t0, text)
        self.cond = threading.Condition()
        self.proc = None
        self.reader = None
        self.monitor_path = None
        self.log = open(log_path, "w", encoding="utf-8")

    def start(self, cmd, monitor_path):
        self.monitor_path = monitor_path
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            text = ANSI.sub("", raw.decode("utf-8", "replace")).rstrip("\r\n").replace("\r", "")
            t = time.monotonic() - self.t0
            line = f"[{self.node} {t:6.2f}s] {text}"
            print(line, flush=True)
            self.log.write(line + "\n")
            self.log.flush()
            with self.cond:
                self.lines.append((t, text))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def mark(self):
        """The index of the next console line: waits from here see only what comes after."""
        with self.cond:
            return len(self.lines)

    def wait(self, pattern, timeout, since=0, what=None):
        """Waits for a console line matching `pattern` at index >= since; returns (index, time,
        match). Fails on a deadline, an appliance failure line or qemu's exit."""
        rx = re.compile(pattern)
        end = time.monotonic() + timeout
        i = since
        with self.cond:
            while True:
                while i < len(self.lines):
                    t, text = self.lines[i]
                    if FATAL.search(text):
                        raise Fail(f"node {self.node}: {text}")
                    m = rx.search(text)
                    if m:
                        return i, t, m
                    i += 1
                if self.proc.poll() is not None:
                    raise Fail(f"node {self.node}: qemu exited ({self.proc.returncode}) waiting for {what or pattern}")
                left = end - time.monotonic()
                if left <= 0:
                    raise Fail(f"node {self.node}: no {what or pattern!r} within {timeout:.0f} s")
                self.cond.wait(min(left, 0.5))

    def absent(self, pattern, since):
        """Fails if a console line from index `since` on matches `pattern`."""
        rx = re.compile(pattern)
        with self.cond:
            for t, text in self.lines[since:]:
                if rx.search(text):
                    raise Fail(f"node {self.node}: unexpected at {t:.2f}s: {text}")

    def type(self, command):
        """Types a command on the console's root shell."""
        self.proc.stdin.write(command.encode() + b"\n")
        self.proc.stdin.flush()

    def ask(self, command, pattern, timeout=15, what=None):
        """Types `command` and waits for its answer; the pattern must not match the echo."""
        since = self.mark()
        self.type(command)
        return self.wait(pattern, timeout, since, what)

    def monitor(self, command, timeout=10):
        """Runs one qemu monitor command; returns its output."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(self.monitor_path)
            self._until_prompt(s)
            s.sendall(command.encode() + b"\n")
            return self._until_prompt(s)

    @staticmethod
    def _until_prompt(s):
        got = b""
        while not got.endswith(b"(qemu) "):
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
        return got.decode("utf-8", "replace")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(5)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    pass
        if self.reader is not None:
            self.reader.join(5)
        self.log.close()


def wait_for_path(path, timeout, vm):
    end = time.monotonic() + timeout
    while not os.path.exists(path):
        if vm.proc.poll() is not None:
            raise Fail(f"node {vm.node}: qemu exited ({vm.proc.returncode}) before creating {path}")
        if time.monotonic() > end:
            raise Fail(f"node {vm.node}: no {path} within {timeout} s")
        time.sleep(0.05)


def master_line(node_addr):
    """The hotplug line of a MASTER that holds the VIP next to its own address."""
    return rf"APPLIANCE: hotplug VI_1 NOTIFY_MASTER; eth0: {re.escape(node_addr)} {re.escape(VIP)};"


def without_vip(state, node_addr):
    """The hotplug line of a node in `state` with only its own address."""
    return rf"APPLIANCE: hotplug VI_1 NOTIFY_{state}; eth0: {re.escape(node_addr)};"


def syslog(state):
    """kalive's own syslog line for a transition, as logread prints it."""
    return rf"daemon\.info kalive\[\d+\]: \(VI_1\) Entering {state} STATE"


def memory(vm):
    """kalive's resident memory from /proc inside the appliance: (VmRSS kB, VmHWM kB)."""
    _, _, m = vm.ask(
        "echo MEM\"\"= $(grep -E '^Vm(RSS|HWM):' /proc/$(cat /run/kalive.pid)/status | tr -s ' \\t\\n' ' ')",
        r"MEM= VmHWM: (\d+) kB VmRSS: (\d+) kB",
        what="kalive's VmRSS",
    )
    return int(m.group(2)), int(m.group(1))


def killed_and_back(vm, delay, since):
    """Kills kalive on `vm` (SIGKILL) and waits for the supervisor to log the exit with a wait of
    `delay` seconds and for the new kalive to be BACKUP again. Returns (console index, seconds from
    the kill to BACKUP)."""
    t_kill = time.monotonic() - vm.t0
    vm.type("kill -KILL $(cat /run/kalive.pid)")
    i, _, _ = vm.wait(rf"kalive-supervise: /usr/sbin/kalive exited with status 137 after \d+s; restarting in {delay}s",
                      15, since, f"the supervisor to see kalive die and wait {delay} s")
    i, _, _ = vm.wait(r"kalive-supervise: starting /usr/sbin/kalive", 15, i, "the supervisor to restart kalive")
    i, t_back, _ = vm.wait(syslog("BACKUP"), 15, i, "the restarted kalive in BACKUP")
    return i, t_back - t_kill


def scenario(vms, t0, results, fault_at_start):
    one, two = vms
    addr1, addr2 = "192.168.1.11/24", "192.168.1.12/24"

    # 1. Boot and election.
    for vm in vms:
        vm.wait(r"APPLIANCE: node \d+: .*/ read-only", 90, what="boot with / read-only")
    _, t_m1, _ = one.wait(master_line(addr1), 60, what="node 1 MASTER with the VIP")
    one.wait(syslog("MASTER"), 20, what="node 1's MASTER syslog line")
    _, t_b2, _ = two.wait(without_vip("BACKUP", addr2), 60, what="node 2 BACKUP without the VIP")
    two.wait(syslog("BACKUP"), 20, what="node 2's BACKUP syslog line")
    elected = max(t_m1, t_b2)
    two.absent(r"NOTIFY_MASTER|Entering MASTER", 0)
    results["elected"] = elected
    print(f"appliance-test: both up and elected {elected:.1f} s after the first qemu started "
          f"(budget {ELECT_BUDGET:.0f} s{'' if elected <= ELECT_BUDGET else ': OVER BUDGET'})", flush=True)
    one.ask("touch /probe", r"touch: /probe: Read-only file system", what="/ to be read-only")
    memory(one)

    # 1b. LVS on the appliance: node 1's virtual server checks node 2's web server (IPVS in the
    # kernel, TCP_CHECK); it stops and comes back, and each change is a REAL_SERVER hotplug call.
    # Node 2's web server answers only once node 2 has booted: its first successful check is the
    # REAL_SERVER NOTIFY_UP call, and only after it may `kalive status` be asked to say "up"
    # (asked earlier, the check may still be on its retry and the status say "down").
    one.wait(r"APPLIANCE: hotplug REAL_SERVER web NOTIFY_UP", 30, 0, "web NOTIFY_UP on node 1 at start")
    one.ask("kalive status", r"192\.168\.1\.12\]?:tcp:80\s+up\b", what="kalive status: web up")
    m1 = one.mark()
    two.type("killall httpd")
    one.wait(r"APPLIANCE: hotplug REAL_SERVER web NOTIFY_DOWN", 30, m1, "web NOTIFY_DOWN on node 1")
    m1 = one.mark()
    two.type("httpd -p 80 -h /etc/config/www")
    one.wait(r"APPLIANCE: hotplug REAL_SERVER web NOTIFY_UP", 30, m1, "web NOTIFY_UP on node 1")
    print("appliance-test: node 1's virtual server saw node 2's web server go and come back "
          "(REAL_SERVER hotplug calls)", flush=True)

    # 2. kalive on node 2 (BACKUP) dies twice in a row: the supervisor restarts it after 1 s,
    # then after 2 s (it ran less than a minute). Node 1 stays MASTER throughout.
    m1, m2 = one.mark(), two.mark()
    i, first = killed_and_back(two, 1, m2)
    _, second = killed_and_back(two, 2, i)
    one.absent(r"NOTIFY_(BACKUP|FAULT)|Entering (BACKUP|FAULT)", m1)
    results["respawn"] = (first, second)
    print(f"appliance-test: kalive on node 2 killed twice, BACKUP again after {first:.2f} s and "
          f"{second:.2f} s (backoff 1 s, 2 s)", flush=True)

    # 3. Node 1's cable is pulled.
    m1, m2 = one.mark(), two.mark()
    t_off = time.monotonic() - t0
    one.monitor("set_link lan off")
    _, t_take, _ = two.wait(master_line(addr2), 30, m2, "node 2 MASTER with the VIP")
    two.wait(syslog("MASTER"), 20, m2, "node 2's MASTER syslog line")
    one.wait(without_vip("FAULT", addr1), 20, m1, "node 1 FAULT without the VIP")
    one.wait(syslog("FAULT"), 20, m1, "node 1's FAULT syslog line")
    results["takeover"] = t_take - t_off
    print(f"appliance-test: node 2 took over {t_take - t_off:.2f} s after node 1's link went down", flush=True)

    # 4. (--fault-at-start) kalive restarted on node 1 while its link is down: FAULT, as
    # keepalived does, never MASTER.
    if fault_at_start:
        m1 = one.mark()
        one.type("kill -KILL $(cat /run/kalive.pid)")
        i, _, _ = one.wait(r"kalive-supervise: starting /usr/sbin/kalive", 15, m1, "the supervisor to restart kalive")
        one.wait(syslog("FAULT"), 15, i, "the restarted kalive in FAULT")
        time.sleep(5)
        one.absent(r"NOTIFY_MASTER|Entering MASTER", i)

    # 5. The cable is back: node 1 preempts.
    m1, m2 = one.mark(), two.mark()
    t_on = time.monotonic() - t0
    one.monitor("set_link lan on")
    _, t_pre, _ = one.wait(master_line(addr1), 30, m1, "node 1 MASTER again")
    two.wait(without_vip("BACKUP", addr2), 20, m2, "node 2 BACKUP again")
    two.wait(syslog("BACKUP"), 20, m2, "node 2's BACKUP syslog line")
    results["failback"] = t_pre - t_on
    print(f"appliance-test: node 1 MASTER again {t_pre - t_on:.2f} s after its link came back", flush=True)

    # 6. Memory and status at the end.
    results["rss1"], results["rss2"] = memory(one), memory(two)
    one.ask("kalive status", r"^\s*VI_1\b.*MASTER", what="kalive status: VI_1 MASTER")
    two.ask("kalive status", r"^\s*VI_1\b.*BACKUP", what="kalive status: VI_1 BACKUP")


def build(args):
    cmd = [os.path.join(HERE, "build.sh"), "-o", args.out, "-k", args.kalive]
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)
    sys.stdout.write(r.stdout)
    sys.stderr.write(r.stderr)
    if r.returncode == SKIP:
        sys.exit(SKIP)
    if r.returncode != 0:
        print(f"appliance-test: build.sh failed ({r.returncode})", file=sys.stderr)
        sys.exit(2)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--kalive", default=os.environ.get("KALIVE") or
                   os.path.join(ROOT, "target/x86_64-unknown-linux-musl/release/kalive"))
    p.add_argument("--out", default=os.path.join(ROOT, "target/appliance-test"))
    p.add_argument("--mem", type=int, default=128, help="memory per VM in MB (default 128)")
    p.add_argument("--limit", type=int, default=300, help="hard limit for the whole run in seconds")
    p.add_argument("--fault-at-start", action="store_true",
                   help="also restart kalive on node 1 while its link is down and expect FAULT")
    args = p.parse_args()

    if shutil.which("qemu-system-x86_64") is None:
        print("appliance-test: SKIP: qemu-system-x86_64 not found (apt-get install qemu-system-x86)")
        return SKIP
    build(args)
    initrd = os.path.join(args.out, "initramfs.cpio.gz")
    kernel = os.path.join(args.out, "vmlinuz")
    size = os.path.getsize(initrd)

    def stop(signum, _frame):
        raise Fail(f"signal {signum}" if signum != signal.SIGALRM else f"hard limit of {args.limit} s reached")

    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGALRM):
        signal.signal(s, stop)
    signal.alarm(args.limit)

    # The cable's and the monitors' sockets, in OUT unless its path is too long for a unix socket
    # (108 bytes with the file name).
    os.makedirs(args.out, exist_ok=True)
    sockets = tempfile.mkdtemp(prefix="sockets.", dir=args.out if len(args.out) < 80 else None)
    lan = os.path.join(sockets, "lan.sock")
    t0 = time.monotonic()
    vms = [Vm(n, t0, os.path.join(args.out, f"console-{n}.log")) for n in (1, 2)]
    results = {}
    verdict = 1
    try:
        for vm, server in zip(vms, ("on", "off")):
            mon = os.path.join(sockets, f"monitor-{vm.node}.sock")
            vm.start([
                os.path.join(ROOT, "image/qemu.sh"), kernel, initrd, f"kalive.node={vm.node}",
                "-m", str(args.mem),
                "-netdev", f"stream,id=lan,server={server},addr.type=unix,addr.path={lan}",
                "-device", f"virtio-net-pci,netdev=lan,mac=52:54:00:00:00:0{vm.node}",
                "-monitor", f"unix:{mon},server=on,wait=off",
            ], mon)
            wait_for_path(mon, 20, vm)
            # Node 2 connects to node 1's end of the cable: it must be listening first.
            if server == "on":
                wait_for_path(lan, 20, vm)
                # Node 2 boots only once node 1 has: step 1 expects node 1 MASTER and node 2 never
                # MASTER, which holds only if node 1's kalive starts first. Booted together, node 2
                # sometimes won the race under TCG and, rightly, took over before node 1 was up.
                vm.wait(r"APPLIANCE: node \d+: .*/ read-only", 90, what="node 1 booted before node 2 starts")
        scenario(vms, t0, results, args.fault_at_start)
        verdict = 0
    except (Fail, OSError) as e:
        print(f"appliance-test: FAIL: {e}", flush=True)
    finally:
        # Nothing may interrupt the cleanup.
        signal.alarm(0)
        for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(s, signal.SIG_IGN)
        for vm in vms:
            vm.stop()
        shutil.rmtree(sockets, ignore_errors=True)

    if verdict == 0:
        (r1, h1), (r2, h2) = results["rss1"], results["rss2"]
        print(f"appliance-test: initramfs {size} bytes; elected {results['elected']:.1f} s; "
              f"takeover {results['takeover']:.2f} s; respawn {results['respawn'][0]:.2f} s and "
              f"{results['respawn'][1]:.2f} s; "
              f"failback {results['failback']:.2f} s; kalive VmRSS node 1 {r1} kB (peak {h1}), "
              f"node 2 {r2} kB (peak {h2})")
        print("appliance-test: PASS")
    else:
        print(f"appliance-test: FAIL (consoles in {args.out}/console-*.log)")
    return verdict


if __name__ == "__main__":
    sys.exit(main())
