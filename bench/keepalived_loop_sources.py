#!/usr/bin/env python3
"""keepalived 2.2.7 under the four faults of tests/faults/loop_sources.rs, for tests/README.md's
"Faults and attacks" table (kalive's numbers come from the test itself).

A master (priority 200, advert_int 1, `keepalived -n -l -D -P -f CONF`) in namespace tolk<pid>,
watched from tolw<pid> over a veth pair; tcpdump -tt there stamps its adverts (kernel receive
stamps). Printed per run: the worst |interval - 1 s| between consecutive adverts from 1.5 s before
the fault to AFTER s (3.5 by default, as the test) after it, the latest advert, all intervals.

Faults: signals (the VRRP process SIGSTOPped, 5,000 SIGRTMIN+2 = JSON dump requests queued,
SIGCONT), addresses (10,000 address changes in one `ip -batch`), writer (a tracked vrrp_script
`yes` killed at its 2 s timeout, interval 1), reload (SIGHUP with a 6 MiB include of virtual
servers), none (the baseline). Needs root. Usage: keepalived_loop_sources.py FAULT [RUNS]
"""
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

KEEPALIVED = os.environ.get("KEEPALIVED", "/usr/sbin/keepalived")
NS_MASTER, NS_WATCH = f"tolk{os.getpid()}", f"tolw{os.getpid()}"


def run_ip(*args, check=True):
    return subprocess.run(["ip", *args], check=check, capture_output=True, text=True)


def lan_up():
    run_ip("netns", "add", NS_MASTER)
    run_ip("netns", "add", NS_WATCH)
    run_ip("link", "add", "tolk0", "netns", NS_MASTER, "type", "veth", "peer", "tolw0", "netns", NS_WATCH)
    run_ip("-n", NS_MASTER, "link", "set", "tolk0", "name", "eth0")
    run_ip("-n", NS_WATCH, "link", "set", "tolw0", "name", "eth0")
    for ns, addr in ((NS_MASTER, "10.99.17.1/24"), (NS_WATCH, "10.99.17.2/24")):
        run_ip("-n", ns, "addr", "add", addr, "dev", "eth0")
        run_ip("-n", ns, "link", "set", "eth0", "up")
        run_ip("-n", ns, "link", "set", "lo", "up")


def lan_down():
    for ns in (NS_MASTER, NS_WATCH):
        run_ip("netns", "del", ns, check=False)


def instance(extra=""):
    return ("vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 87\n    priority 200\n"
            f"    advert_int 1\n{extra}    virtual_ipaddress {{\n        10.99.17.100/24\n    }}\n}}\n")


class Keepalived:
    """keepalived in the master's namespace, its console log read line by line with the time."""

    def __init__(self, workdir, conf):
        self.workdir = workdir
        self.lines = []
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", NS_MASTER, KEEPALIVED, "-n", "-l", "-D", "-P", "-f", conf,
             "-p", f"{workdir}/ka.pid", "-r", f"{workdir}/vrrp.pid", "-c", f"{workdir}/chk.pid"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True, env={**os.environ, "TMPDIR": workdir})
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append((time.monotonic(), line.rstrip()))

    def wait_log(self, pattern, limit):
        start = time.monotonic()
        while time.monotonic() - start < limit:
            if any(re.search(pattern, line) for _, line in list(self.lines)):
                return True
            time.sleep(0.01)
        return False

    def vrrp_pid(self):
        for _ in range(500):
            try:
                return int(open(f"{self.workdir}/vrrp.pid").read())
            except (OSError, ValueError):
                time.sleep(0.01)
        raise RuntimeError("no VRRP process pid file")

    def stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(10)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)


def capture_start():
    proc = subprocess.Popen(["ip", "netns", "exec", NS_WATCH, "tcpdump", "-l", "-n", "-tt", "-i", "eth0",
                             "ip proto 112 and src host 10.99.17.1"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    time.sleep(0.5)  # tcpdump needs a moment before it captures
    return proc


def capture_stop(proc):
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=10)
    return [float(line.split()[0]) for line in out.splitlines() if line[:1].isdigit()]


def write_big_include(path):
    """6 MiB of virtual servers, as the kalive test writes them."""
    parts, n, size = [], 0, 0
    while size < 6 << 20:
        block = (f"virtual_server 10.203.{n // 250}.{n % 250 + 1} 80 {{\n    delay_loop 6\n    lb_algo rr\n"
                 "    lb_kind NAT\n    protocol TCP\n")
        for r in range(40):
            block += (f"    real_server 192.168.{r}.{n % 250 + 1} 80 {{\n        weight 1\n        TCP_CHECK {{\n"
                      "            connect_timeout 3\n        }\n    }\n")
        block += "}\n"
        parts.append(block)
        size += len(block)
        n += 1
    with open(path, "w") as f:
        f.write("".join(parts))
    return size


def inflict(fault, daemon, workdir, conf):
    """Applies the fault; returns what to say about it."""
    if fault == "signals":
        pid = daemon.vrrp_pid()
        os.kill(pid, signal.SIGSTOP)
        queued = 0
        for _ in range(5000):
            try:
                os.kill(pid, signal.SIGRTMIN + 2)
                queued += 1
            except OSError:
                pass
        os.kill(pid, signal.SIGCONT)
        return f"{queued} signals queued"
    if fault == "addresses":
        lines = [f"addr add 10.202.{n // 250}.{n % 250 + 1}/32 dev eth0" for n in range(5000)]
        lines += [f"addr del 10.202.{n // 250}.{n % 250 + 1}/32 dev eth0" for n in range(5000)]
        with open(f"{workdir}/burst.batch", "w") as f:
            f.write("\n".join(lines) + "\n")
        start = time.monotonic()
        run_ip("-n", NS_MASTER, "-force", "-batch", f"{workdir}/burst.batch")
        return f"batch took {time.monotonic() - start:.2f} s"
    if fault == "reload":
        size = write_big_include(f"{workdir}/big.conf")
        with open(conf, "w") as f:
            f.write(instance() + f"include {workdir}/big.conf\n")
        seen = len(daemon.lines)
        os.kill(daemon.proc.pid, signal.SIGHUP)  # ip netns exec execs keepalived: its parent
        sent = time.monotonic()
        daemon.wait_log("Reload complete", 120)
        done = [round(t - sent, 3) for t, line in daemon.lines[seen:] if "Reload complete" in line]
        return f"{size} bytes; 'Reload complete' {done} s after the SIGHUP"
    time.sleep(5)  # writer, none: the script runs meanwhile
    return f"{sum('timed_out' in line for _, line in daemon.lines)} script timeouts logged"


def run(fault):
    workdir = tempfile.mkdtemp(prefix="tolka.")
    conf = f"{workdir}/k.conf"
    text = instance()
    if fault == "writer":
        text = ("global_defs {\n    script_user root\n}\n"
                "vrrp_script chatty {\n    script \"/bin/sh -c 'exec yes keepalived-loop-sources-chatty'\"\n"
                "    interval 1\n    timeout 2\n    weight -10\n}\n"
                + instance("    track_script {\n        chatty\n    }\n"))
    with open(conf, "w") as f:
        f.write(text)
    daemon = capture = None
    lan_up()
    try:
        daemon = Keepalived(workdir, conf)
        if not daemon.wait_log(r"Entering MASTER STATE", 15):
            raise RuntimeError("never MASTER:\n" + "\n".join(line for _, line in daemon.lines))
        capture = capture_start()
        time.sleep(1.5)
        said = inflict(fault, daemon, workdir, conf)
        time.sleep(float(os.environ.get("AFTER", "3.5")))
        times = capture_stop(capture)
        capture = None
        intervals = [b - a for a, b in zip(times, times[1:])]
        worst = max((abs(i - 1.0) for i in intervals), default=float("nan"))
        latest = max((i - 1.0 for i in intervals), default=float("nan"))
        states = [line for _, line in daemon.lines if "STATE" in line][-1:]
        print(f"{fault}: worst deviation {worst * 1e3:.1f} ms, latest {latest * 1e3:.1f} ms; "
              f"alive {daemon.proc.poll() is None}; {states}; {said}")
        print(f"  intervals {[round(i, 3) for i in intervals]}")
    finally:
        if capture:
            capture.kill()
            capture.wait()
        if daemon:
            daemon.stop()
        lan_down()
        subprocess.run(["rm", "-rf", workdir])


if __name__ == "__main__":
    for _ in range(int(sys.argv[2]) if len(sys.argv) > 2 else 1):
        print("load", " ".join(open("/proc/loadavg").read().split()[:3]))
        run(sys.argv[1])
