#!/usr/bin/env python3
"""The OpenWrt package kalive-keepalived (image/openwrt/kalive/Makefile's second package: kalive
standing in for keepalived): the .ipk that `make -C image openwrt-ipk` assembles (file list,
modes, owners, control fields with Provides and Conflicts, conffiles, reproducibility), its procd
init script through the stand-ins in tests/image/openwrt-stubs (the command procd gets, and that
kalive accepts it), the packed binary (/usr/sbin/keepalived, built with the cargo feature
keepalived: it passes `--as-keepalived -t`, which kalive's own package's binary refuses), the
Makefile's two cargo builds through the SDK stub, the hotplug scripts (01-user hands the event to /etc/keepalived.user, 02-status
records it for the rpcd `status` method), the rpcd plugin without a daemon (`list`, `call status`,
`call dump` answering {}) under busybox sh, and shellcheck. The plugin against a live kalive is
tests/rpcd_keepalived.rs.

usage: openwrt_keepalived.py --bin KALIVE --keepalived-bin KALIVE_WITH_FEATURE
  --bin: a kalive without the feature keepalived, for kalive's .ipk; --keepalived-bin: one with it
  (tests/image.rs passes `make keepalived`'s binary or a test build with the feature); without
  --keepalived-bin the .ipk and the binary are not checked (SKIP; a failure under CI).
"""

import argparse
import gzip
import json
import os
import shutil
import tempfile
from pathlib import Path

from common import ROOT, cargo_version, done, expect, ok, run, shellcheck, skip
from openwrt import (EPOCH, FILES, SDK_STUB, STUBS, check_owners_and_times, extract, instances, make_ipk,
                     members, service_frame)

PACKAGE = "kalive-keepalived"

# Every entry of data.tar.gz: name -> (mode, source file or None for a directory).
DATA = {
    ".": (0o755, None),
    "./etc": (0o755, None),
    "./etc/config": (0o755, None),
    "./etc/config/keepalived": (0o600, FILES / "keepalived.config"),
    "./etc/hotplug.d": (0o755, None),
    "./etc/hotplug.d/keepalived": (0o755, None),
    "./etc/hotplug.d/keepalived/01-user": (0o644, FILES / "keepalived-hotplug-user"),
    "./etc/hotplug.d/keepalived/02-status": (0o644, FILES / "keepalived-hotplug-status"),
    "./etc/init.d": (0o755, None),
    "./etc/init.d/keepalived": (0o755, FILES / "keepalived.init"),
    "./etc/keepalived.user": (0o600, FILES / "keepalived.user"),
    "./lib": (0o755, None),
    "./lib/upgrade": (0o755, None),
    "./lib/upgrade/keep.d": (0o755, None),
    "./lib/upgrade/keep.d/kalive-keepalived": (0o644, None),
    "./usr": (0o755, None),
    "./usr/libexec": (0o755, None),
    "./usr/libexec/rpcd": (0o755, None),
    "./usr/libexec/rpcd/keepalived": (0o755, FILES / "keepalived.rpcd"),
    "./usr/sbin": (0o755, None),
    "./usr/sbin/keepalived": (0o755, "KEEPALIVED_BIN"),
}


def check_ipk(ipk, arch, ka_binary):
    raw = ipk.read_bytes()
    outer = members(raw)
    expect([n for n, _, _ in outer] == ["./debian-binary", "./data.tar.gz", "./control.tar.gz"],
           f"outer members in ipkg-build's order: {[n for n, _, _ in outer]}")
    check_owners_and_times("ipk", outer)
    parts = {n: b for n, _, b in outer}
    data = members(parts["./data.tar.gz"])
    names = [n for n, _, _ in data]
    expect(names == sorted(names), f"data.tar.gz sorted by name: {names}")
    expect(set(names) == set(DATA), f"data.tar.gz entries {names}, expected {sorted(DATA)}")
    check_owners_and_times("data.tar.gz", data)
    for name, m, content in data:
        mode, source = DATA[name]
        expect(m.mode == mode, f"{name}: mode {oct(m.mode)}, expected {oct(mode)}")
        expect(m.isdir() == (content is None), f"{name}: wrong type")
        if source == "KEEPALIVED_BIN":
            expect(content == Path(ka_binary).read_bytes(), f"{name} is the binary given as KEEPALIVED_BIN")
        elif source is not None:
            expect(content == source.read_bytes(), f"{name} differs from {source}")
    keep = dict((n, c) for n, _, c in data)["./lib/upgrade/keep.d/kalive-keepalived"]
    expect(keep == b"/etc/keepalived/\n", f"keep.d lists the conffile not shipped: {keep}")
    ok("data.tar.gz: /usr/sbin/keepalived (KEEPALIVED_BIN), init, UCI file, keepalived.user, "
       "hotplug 01-user and 02-status, rpcd plugin")

    control = members(parts["./control.tar.gz"])
    check_owners_and_times("control.tar.gz", control)
    cfiles = {n: (m, c) for n, m, c in control}
    expect(set(cfiles) == {".", "./control", "./conffiles", "./postinst", "./prerm"},
           f"control.tar.gz entries {sorted(cfiles)}")
    text = cfiles["./control"][1].decode()
    fields = {}
    for line in text.splitlines():
        if not line.startswith(" "):
            k, _, v = line.partition(": ")
            fields[k] = v
    want = {
        "Package": PACKAGE,
        "Version": f"{cargo_version()}-r1",
        "Depends": "libc, kmod-nf-ipvs, kmod-macvlan",
        "Provides": "keepalived",
        "Conflicts": "keepalived",
        "Section": "net",
        "Architecture": arch,
        "Installed-Size": str(len(gzip.decompress(parts["./data.tar.gz"]))),
    }
    for k, v in want.items():
        expect(fields.get(k) == v, f"control {k}: {fields.get(k)!r}, expected {v!r}\n{text}")
    expect(fields.get("Description", "").strip() and "\n " in text,
           f"control has a multi-line Description:\n{text}")
    expect(cfiles["./conffiles"][1] == b"/etc/config/keepalived\n/etc/keepalived.user\n",
           f"conffiles: {cfiles['./conffiles'][1]!r}")
    ok(f"control: {', '.join(f'{k} {v}' for k, v in want.items())}; conffiles")


def check_ipks(binary, ka_binary, tmp):
    ka = f"KEEPALIVED_BIN={ka_binary}"
    ipk = make_ipk(binary, tmp / "a", ka, package=PACKAGE)
    expect(ipk.name == f"{PACKAGE}_{cargo_version()}-r1_x86_64.ipk", f"file name {ipk.name}")
    check_ipk(ipk, "x86_64", ka_binary)
    again = make_ipk(binary, tmp / "b", ka, package=PACKAGE)
    expect(ipk.read_bytes() == again.read_bytes(), "two builds give the same bytes")
    ok("reproducible: two builds are byte for byte the same")
    arm = make_ipk(binary, tmp / "arm", "ARCH=aarch64", ka, package=PACKAGE)
    check_ipk(arm, "aarch64_generic", ka_binary)
    ok("ARCH=aarch64 gives Architecture aarch64_generic")
    check_packed_binaries(tmp / "a", tmp / "x")


def check_packed_binaries(out, x):
    """The binary in each .ipk of `out`, run as each package runs it: kalive-keepalived's passes
    `--as-keepalived -t` (UCI and keepalived.conf), kalive's refuses it (no feature keepalived)."""
    ka = extract(next(out.glob(f"{PACKAGE}_*.ipk")), "./usr/sbin/keepalived", x)
    plain = extract(next(out.glob("kalive_*.ipk")), "./usr/sbin/kalive", x)
    for args in (["--uci", "-t", "-f", ROOT / "config/openwrt-keepalived.uci"],
                 ["-t", "-f", ROOT / "config/master.conf"]):
        p = run([ka, "--as-keepalived", *args], check=False)
        expect(p.returncode == 0 and "0 error(s)" in p.stderr,
               f"packed keepalived --as-keepalived {args}: exit {p.returncode}: {p.stderr}")
        p = run([plain, "--as-keepalived", *args], check=False)
        expect(p.returncode == 1 and "without the cargo feature keepalived" in p.stderr,
               f"kalive's own binary refuses --as-keepalived {args}: exit {p.returncode}: {p.stderr}")
    ok("the packed /usr/sbin/keepalived passes --as-keepalived -t on a UCI file and a "
       "keepalived.conf; kalive's /usr/sbin/kalive refuses --as-keepalived")


def check_compile(tmp):
    """The feed Makefile's Build/Compile through the SDK stub's cargo install: one build for
    kalive, a second with the feature keepalived when kalive-keepalived is selected."""
    plain, with_ka = tmp / "plain", tmp / "with-ka"
    plain.write_text("plain\n")
    with_ka.write_text("keepalived\n")

    def compile_(*extra):
        inst = tmp / "install"
        run(["make", "--no-print-directory", "-C", FILES.parent, f"TOPDIR={SDK_STUB}",
             f"STUB_BIN={plain}", f"STUB_KEEPALIVED_BIN={with_ka}", f"PKG_INSTALL_DIR={inst}",
             *extra, "compile"])
        bins = {p.name: p.read_text() for p in sorted((inst / "bin").iterdir())}
        return (inst / "cargo-features").read_text().splitlines(), bins

    alone = compile_()
    expect(alone == (["features="], {"kalive": "plain\n"}), f"kalive alone: one build, no feature: {alone}")
    both = compile_("CONFIG_PACKAGE_kalive-keepalived=y")
    expect(both == (["features=", "features=keepalived"],
                    {"kalive": "plain\n", "kalive-keepalived": "keepalived\n"}),
           f"with kalive-keepalived: a second build with the feature, each binary by name: {both}")
    tls = compile_("CONFIG_PACKAGE_kalive-keepalived=y", "CONFIG_KALIVE_TLS=y")
    expect(tls[0] == ["features=tls", "features=tls keepalived"], f"KALIVE_TLS in both: {tls}")
    ok("Makefile: kalive built without the feature keepalived; kalive-keepalived selected -> a "
       "second build with it, packed as kalive-keepalived's binary; KALIVE_TLS adds tls to both")


def run_init(tmp, name, uci, action):
    root = tmp / name
    (root / "etc/config").mkdir(parents=True)
    uci_path = root / "etc/config/keepalived"
    uci_path.write_text(uci)
    (root / "etc/init.d").mkdir()
    init = root / "etc/init.d/keepalived"
    init.write_text((FILES / "keepalived.init").read_text()
                    .replace("/etc/config/keepalived", str(uci_path)))
    log = root / "log"
    log.write_text("")
    env = dict(os.environ, STUB_LOG=str(log), UCI_CONFIG_DIR=str(root / "etc/config"))
    run(["sh", STUBS / "rc.common", init, action], env=env)
    calls = [tuple(line.split("\t")) for line in log.read_text().splitlines()]
    return calls, init, uci_path


ENABLED_UCI = ("config globals 'globals'\n\toption enabled '1'\n\n"
               "config ipaddress\n\toption name 'v'\n\toption address '192.168.1.1/24'\n\n"
               "config vrrp_instance\n\toption name 'LAN'\n\toption interface 'br-lan'\n"
               "\toption virtual_router_id '51'\n\tlist virtual_ipaddress 'v'\n")


def check_init(ka_binary, tmp):
    calls, init, _ = run_init(tmp, "shipped", (FILES / "keepalived.config").read_text(), "start")
    expect(calls[0] == ("procd_open_service", "keepalived", str(init)), f"service: {calls}")
    expect(("config_load keepalived",) in calls, f"reads /etc/config/keepalived: {calls}")
    expect(instances(calls) == [], f"shipped disabled: no instance: {calls}")
    expect(("procd_add_reload_trigger", "keepalived") in calls, f"uci commit keepalived: {calls}")
    ok("init start with the shipped (disabled) /etc/config/keepalived: no instance")

    calls, init, uci_path = run_init(tmp, "enabled", ENABLED_UCI, "start")
    service_frame_keepalived(calls, init)
    inst = instances(calls)
    expect(len(inst) == 1, f"one instance: {calls}")
    argv, params = inst[0]
    expect(argv == ["/usr/sbin/keepalived", "-n", "--as-keepalived", "-p", "/var/run/keepalived.pid",
                    "--uci", "-f", str(uci_path)], f"command: {argv}")
    expect(params == {"file": [str(uci_path)], "reload_signal": ["HUP"], "respawn": [],
                      "stderr": ["1"]}, f"params: {params}")
    ok("init start: /usr/sbin/keepalived -n --as-keepalived -p /var/run/keepalived.pid --uci -f "
       "/etc/config/keepalived; reload_signal HUP, respawn")
    if ka_binary is None:
        return
    real = [str(ka_binary)] + ["-d" if a == "-n" else a for a in argv[1:]
                            if a not in ("-p", "/var/run/keepalived.pid")]
    out = run(real).stdout
    expect("vrrp_instance LAN" in out, f"kalive reads the file through that command: {out}")
    ok("kalive accepts that command line (--as-keepalived, --uci) and reads the file")


def service_frame_keepalived(calls, init):
    expect(calls[0] == ("procd_open_service", "keepalived", str(init)), f"service: {calls}")
    expect(calls[-1] == ("procd_close_service", "set"), f"closes the service: {calls}")


def check_hotplug(tmp):
    record = tmp / "hotplug.out"
    user = tmp / "keepalived.user"
    user.write_text(f'echo "$ACTION|$TYPE|$NAME|$*" >> "{record}"\n')
    hook = tmp / "01-user"
    hook.write_text((FILES / "keepalived-hotplug-user").read_text()
                    .replace("/etc/keepalived.user", str(user)))
    status_dir = tmp / "status"

    def hotplug_call(script, env, *args):
        sh = 'HOTPLUG_TYPE=$1; ( . "$0" )'
        env = dict(env, KEEPALIVED_STATUS_DIR=str(status_dir), PATH=os.environ["PATH"])
        return run(["sh", "-c", sh, script, "keepalived", *args], env=env, check=False)

    p = hotplug_call(hook, {"ACTION": "NOTIFY_MASTER", "TYPE": "INSTANCE", "NAME": "LAN"})
    expect(p.returncode == 0, "01-user exits 0")
    expect(record.read_text() == "NOTIFY_MASTER|INSTANCE|LAN|keepalived\n",
           f"keepalived.user sees ACTION, TYPE, NAME, $1: {record.read_text()!r}")
    ok("hotplug 01-user hands ACTION/TYPE/NAME to /etc/keepalived.user")

    status = FILES / "keepalived-hotplug-status"
    for env in [{"ACTION": "NOTIFY_BACKUP", "TYPE": "INSTANCE", "NAME": "LAN"},
                {"ACTION": "NOTIFY_MASTER", "TYPE": "INSTANCE", "NAME": "LAN"},
                {"ACTION": "NOTIFY_MASTER", "TYPE": "GROUP", "NAME": "GW"},
                {"ACTION": "NOTIFY", "TYPE": "GROUP", "NAME": "GW"},
                {"ACTION": "NOTIFY_UP", "TYPE": "REAL_SERVER", "NAME": "web1"},
                {"ACTION": "NOTIFY_FAULT", "TYPE": "INSTANCE", "NAME": "../x"}]:
        p = hotplug_call(status, env)
        expect(p.returncode == 0 and p.stderr == "", f"02-status {env}: {p.stderr!r}")
    got = sorted(str(p.relative_to(status_dir)) for p in status_dir.rglob("*"))
    expect(got == ["GW_GROUP", "GW_GROUP/STATUS", "GW_GROUP/TIME", "LAN_INSTANCE",
                   "LAN_INSTANCE/STATUS", "LAN_INSTANCE/TIME"], f"recorded: {got}")
    expect((status_dir / "LAN_INSTANCE/STATUS").read_text() == "NOTIFY_MASTER\n", "last ACTION")
    expect((status_dir / "GW_GROUP/STATUS").read_text() == "NOTIFY_MASTER\n",
           "a group's NOTIFY line is not recorded")
    ok("hotplug 02-status records the last ACTION and its time per instance and group")
    return status_dir


def plugin(args, env, stdin=""):
    """Runs the rpcd plugin as rpcd does, under busybox sh; returns its parsed output."""
    p = run(["busybox", "sh", FILES / "keepalived.rpcd", *args], env=env, input=stdin)
    try:
        return json.loads(p.stdout)
    except json.JSONDecodeError as e:
        expect(False, f"plugin {args}: not JSON ({e}): {p.stdout!r}")


def check_plugin(tmp, status_dir):
    if shutil.which("busybox") is None:
        skip("busybox is not installed (apt-get install busybox): rpcd plugin not run")
        return
    env = {"PATH": os.environ["PATH"], "KEEPALIVED_STATUS_DIR": str(status_dir),
           "KEEPALIVED_PID_FILE": str(tmp / "none.pid"), "TMPDIR": str(tmp),
           "KEEPALIVED_RPC_DIR": str(tmp / "rpc")}
    expect(plugin(["list"], env) == {"dump": {}, "status": {}}, "list: dump and status")
    (tmp / "rpc").mkdir()
    (tmp / "rpc/sync.sh").write_text("sync() { echo '{\"synced\":1}'; }\n")
    expect(plugin(["list"], env) == {"dump": {}, "status": {}, "sync": {}},
           "list: an extra method per /usr/libexec/keepalived/rpc/NAME.sh")
    st = plugin(["call", "status"], env, "{}")
    expect(set(st) == {"instance", "group"}, f"status: {st}")
    inst, = st["instance"]
    expect(inst["name"] == "LAN" and inst["status"] == "NOTIFY_MASTER"
           and isinstance(inst["event"], int) and inst["event"] > 1_600_000_000, f"{inst}")
    expect([g["name"] for g in st["group"]] == ["GW"], f"groups: {st['group']}")
    ok("call status: instance and group lists of {name, event, status} from 02-status")
    expect(plugin(["call", "dump"], env, "{}") == {}, "call dump without a daemon: {}")
    expect(plugin(["call", "nope"], env, "{}") == {"error": "invalid call nope"},
           "an unknown method: an error object")
    ok("call dump without a running daemon answers {}; unknown methods an error")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True, type=Path)
    ap.add_argument("--keepalived-bin", type=Path)
    args = ap.parse_args()
    binary = args.bin.resolve()
    ka_binary = args.keepalived_bin.resolve() if args.keepalived_bin else None
    with tempfile.TemporaryDirectory(prefix="kalive-openwrt-ka-") as t:
        tmp = Path(t)
        if ka_binary is None:
            skip("no kalive built with the feature keepalived (make keepalived; tests/image.rs reads "
                 "KALIVE_KEEPALIVED): the .ipk and its binary not checked")
        else:
            check_ipks(binary, ka_binary, tmp)
        check_compile(tmp)
        check_init(ka_binary, tmp)
        status_dir = check_hotplug(tmp)
        check_plugin(tmp, status_dir)
    shellcheck([FILES / "keepalived.init", FILES / "keepalived.rpcd", FILES / "keepalived.user",
                FILES / "keepalived-hotplug-user", FILES / "keepalived-hotplug-status"])
    done("openwrt_keepalived")


if __name__ == "__main__":
    main()
