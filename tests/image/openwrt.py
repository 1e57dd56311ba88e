#!/usr/bin/env python3
"""OpenWrt package checks (image/openwrt/kalive): the .ipk that `make -C image openwrt-ipk`
assembles (layout, modes, owners, control fields, reproducibility), the package Makefile's
variables, the shipped UCI file (read by kalive itself), the procd init script run through
stand-ins of rc.common, /lib/functions.sh and procd.sh (tests/image/openwrt-stubs) with the
calls procd would receive checked, the hotplug hand-over to /etc/kalive.user, and shellcheck.

usage: openwrt.py --bin KALIVE   (any kalive binary; tests/image.rs passes the test build)
"""

import argparse
import gzip
import io
import os
import tarfile
import tempfile
from pathlib import Path

from common import ROOT, cargo_version, done, expect, ok, run, shellcheck

PKG = ROOT / "image" / "openwrt" / "kalive"
FILES = PKG / "files"
STUBS = Path(__file__).resolve().parent / "openwrt-stubs"
SDK_STUB = ROOT / "image" / "openwrt" / "sdk-stub"
EPOCH = 1700000000


def make_ipk(binary, out, *extra, package="kalive"):
    """Runs openwrt-ipk into `out`; returns the .ipk of `package` (of the two it makes:
    kalive and kalive-keepalived). kalive-keepalived gets `binary` too unless `extra` sets
    KEEPALIVED_BIN."""
    run(["make", "--no-print-directory", "-C", ROOT / "image", "openwrt-ipk",
         f"BIN={binary}", f"KEEPALIVED_BIN={binary}", f"OUT={out}", f"SOURCE_DATE_EPOCH={EPOCH}", *extra])
    ipks = sorted(Path(out).glob("*.ipk"))
    names = sorted(p.name.split("_")[0] for p in ipks)
    expect(names == ["kalive", "kalive-keepalived"], f"two .ipk in {out}, found {ipks}")
    return next(p for p in ipks if p.name.split("_")[0] == package)


def members(tar_bytes):
    """[(name, TarInfo, bytes or None)] in archive order."""
    with tarfile.open(fileobj=io.BytesIO(tar_bytes), mode="r:gz") as t:
        return [(m.name, m, t.extractfile(m).read() if m.isfile() else None)
                for m in t.getmembers()]


def extract(ipk, name, into):
    """Extracts member `name` of the .ipk's data.tar.gz under `into`; returns its path."""
    into.mkdir(exist_ok=True)
    with tarfile.open(ipk, "r:gz") as outer:
        data = outer.extractfile("./data.tar.gz").read()
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as t:
        t.extract(name, into)
    return into / name


def check_owners_and_times(what, items):
    for name, m, _ in items:
        expect(m.uid == 0 and m.gid == 0, f"{what}: {name} owned by {m.uid}:{m.gid}, not 0:0")
        expect(m.mtime == EPOCH, f"{what}: {name} mtime {m.mtime}, not SOURCE_DATE_EPOCH")


# Every entry of data.tar.gz: name -> (mode, source file or None for a directory).
DATA = {
    ".": (0o755, None),
    "./etc": (0o755, None),
    "./etc/config": (0o755, None),
    "./etc/config/kalive": (0o600, FILES / "kalive.config"),
    "./etc/hotplug.d": (0o755, None),
    "./etc/hotplug.d/kalive": (0o755, None),
    "./etc/hotplug.d/kalive/01-user": (0o644, FILES / "hotplug-user"),
    "./etc/init.d": (0o755, None),
    "./etc/init.d/kalive": (0o755, FILES / "kalive.init"),
    "./etc/kalive.user": (0o600, FILES / "kalive.user"),
    "./lib": (0o755, None),
    "./lib/upgrade": (0o755, None),
    "./lib/upgrade/keep.d": (0o755, None),
    "./lib/upgrade/keep.d/kalive": (0o644, None),
    "./usr": (0o755, None),
    "./usr/sbin": (0o755, None),
    "./usr/sbin/kalive": (0o755, "BIN"),
}


def check_ipk(ipk, binary, arch):
    raw = ipk.read_bytes()
    expect(raw[:2] == b"\x1f\x8b", f"{ipk.name} is gzip (OpenWrt's .ipk is a tar.gz, not ar)")
    outer = members(raw)
    expect([n for n, _, _ in outer] == ["./debian-binary", "./data.tar.gz", "./control.tar.gz"],
           f"outer members in ipkg-build's order: {[n for n, _, _ in outer]}")
    check_owners_and_times("ipk", outer)
    parts = {n: b for n, _, b in outer}
    expect(parts["./debian-binary"] == b"2.0\n", "debian-binary is 2.0")
    ok(f"{ipk.name}: gzip'd tar of debian-binary, data.tar.gz, control.tar.gz; 0:0, fixed mtime")

    data = members(parts["./data.tar.gz"])
    names = [n for n, _, _ in data]
    expect(names == sorted(names), f"data.tar.gz sorted by name: {names}")
    expect(set(names) == set(DATA), f"data.tar.gz entries {names}, expected {sorted(DATA)}")
    check_owners_and_times("data.tar.gz", data)
    for name, m, content in data:
        mode, source = DATA[name]
        expect(m.mode == mode, f"{name}: mode {oct(m.mode)}, expected {oct(mode)}")
        expect(m.isdir() == (content is None), f"{name}: wrong type")
        if source == "BIN":
            expect(content == Path(binary).read_bytes(), f"{name} is the binary given as BIN")
        elif source is not None:
            expect(content == source.read_bytes(), f"{name} differs from {source}")
    keep = dict((n, c) for n, _, c in data)["./lib/upgrade/keep.d/kalive"]
    expect(keep == b"/etc/kalive/\n", f"keep.d lists the conffile the package does not ship: {keep}")
    ok("data.tar.gz: /usr/sbin/kalive 0755, init 0755, UCI and kalive.user 0600, hotplug 0644")

    control = members(parts["./control.tar.gz"])
    check_owners_and_times("control.tar.gz", control)
    cfiles = {n: (m, c) for n, m, c in control}
    expect(set(cfiles) == {".", "./control", "./conffiles", "./postinst", "./prerm"},
           f"control.tar.gz entries {sorted(cfiles)}")
    for name, mode in [("./control", 0o644), ("./conffiles", 0o644),
                       ("./postinst", 0o755), ("./prerm", 0o755)]:
        expect(cfiles[name][0].mode == mode, f"{name} mode {oct(cfiles[name][0].mode)}")
    text = cfiles["./control"][1].decode()
    fields = {}
    for line in text.splitlines():
        if not line.startswith(" "):
            k, _, v = line.partition(": ")
            fields[k] = v
    installed = len(gzip.decompress(parts["./data.tar.gz"]))
    want = {
        "Package": "kalive",
        "Version": f"{cargo_version()}-r1",
        "Depends": "libc, kmod-nf-ipvs, kmod-macvlan",
        "Architecture": arch,
        "Installed-Size": str(installed),
        "Section": "net",
    }
    for k, v in want.items():
        expect(fields.get(k) == v, f"control {k}: {fields.get(k)!r}, expected {v!r}\n{text}")
    expect(fields.get("Description", "").strip() and "\n " in text,
           f"control has a multi-line Description:\n{text}")
    expect(cfiles["./conffiles"][1] == b"/etc/config/kalive\n/etc/kalive.user\n",
           f"conffiles: {cfiles['./conffiles'][1]!r}")
    post, pre = cfiles["./postinst"][1].decode(), cfiles["./prerm"][1].decode()
    expect(post.startswith("#!/bin/sh\n") and 'IPKG_NO_SCRIPT}" = "1" ] && exit 0' in post
           and "\ndefault_postinst $0 $@\n" in post, f"postinst as OpenWrt writes it:\n{post}")
    expect(pre.startswith("#!/bin/sh\n") and "\ndefault_prerm $0 $@\n" in pre,
           f"prerm as OpenWrt writes it:\n{pre}")
    ok(f"control: {', '.join(f'{k} {v}' for k, v in want.items())}; conffiles; default postinst/prerm")
    return fields


def check_ipks(binary, tmp):
    ipk = make_ipk(binary, tmp / "a")
    expect(ipk.name == f"kalive_{cargo_version()}-r1_x86_64.ipk", f"file name {ipk.name}")
    check_ipk(ipk, binary, "x86_64")
    again = make_ipk(binary, tmp / "b")
    expect(ipk.read_bytes() == again.read_bytes(), "two builds give the same bytes")
    ok("reproducible: two builds are byte for byte the same")

    # The binary inside runs and reports the package version (OpenWrt's CI checks this).
    v = run([extract(ipk, "./usr/sbin/kalive", tmp / "x"), "--version"]).stdout
    expect(cargo_version() in v, f"kalive --version prints {cargo_version()}: {v!r}")
    ok("the packaged binary runs: kalive --version names the package version")

    arm = make_ipk(binary, tmp / "arm", "ARCH=aarch64")
    expect(arm.name.endswith("_aarch64_generic.ipk"), f"ARCH=aarch64 file name {arm.name}")
    check_ipk(arm, binary, "aarch64_generic")
    a53 = make_ipk(binary, tmp / "a53", "ARCH=aarch64", "PKGARCH=aarch64_cortex-a53")
    expect(a53.name.endswith("_aarch64_cortex-a53.ipk"), f"PKGARCH file name {a53.name}")
    ok("ARCH=aarch64 gives Architecture aarch64_generic; PKGARCH overrides it")

    p = run(["make", "--no-print-directory", "-C", ROOT / "image", "openwrt-ipk",
             f"BIN={tmp}/none", f"OUT={tmp}/none-out"], check=False)
    expect(p.returncode != 0 and "no kalive binary" in p.stderr,
           f"a missing BIN fails with a message: {p.returncode} {p.stderr!r}")
    p = run(["make", "--no-print-directory", "-C", ROOT / "image", "openwrt-ipk",
             f"BIN={binary}", f"KEEPALIVED_BIN={tmp}/none", f"OUT={tmp}/none-out"], check=False)
    expect(p.returncode != 0 and "feature keepalived" in p.stderr,
           f"a missing KEEPALIVED_BIN fails with a message: {p.returncode} {p.stderr!r}")
    ok("a missing binary (BIN or KEEPALIVED_BIN) stops openwrt-ipk with a message")


def check_makefile_variables():
    def var(name, *extra):
        return run(["make", "--no-print-directory", "-C", PKG, f"TOPDIR={SDK_STUB}",
                    *extra, f"print-{name}"]).stdout.strip()

    expect(var("PKG_VERSION") == cargo_version(), "PKG_VERSION comes from Cargo.toml")
    expect(var("RUST_PKG_FEATURES") == "", "no cargo feature by default")
    expect(var("RUST_PKG_FEATURES", "CONFIG_KALIVE_TLS=y") == "tls", "KALIVE_TLS adds tls")
    flags = var("CARGO_RUSTFLAGS").split()
    expect(flags[-1] == "-Ctarget-feature=+crt-static",
           f"+crt-static comes last, so it wins over OpenWrt's -crt-static: {flags}")
    pkg_vars = var("CARGO_PKG_VARS")
    expect(pkg_vars.rfind("CARGO_PROFILE_RELEASE_PANIC=abort")
           > pkg_vars.rfind("CARGO_PROFILE_RELEASE_PANIC=unwind"),
           f"panic=abort comes after OpenWrt's unwind: {pkg_vars}")
    ok("Makefile: version from Cargo.toml, KALIVE_TLS -> feature tls, static, panic=abort")


class Root:
    """A fake root for one init-script run: etc/config/kalive and the init script, whose
    /etc/config/kalive is pointed at it."""

    def __init__(self, tmp, name, uci=None):
        self.dir = tmp / name
        (self.dir / "etc/config").mkdir(parents=True)
        (self.dir / "etc/init.d").mkdir(parents=True)
        self.uci = self.dir / "etc/config/kalive"
        if uci is not None:
            self.uci.write_text(uci)
        init = (FILES / "kalive.init").read_text().replace("/etc/config/kalive", str(self.uci))
        self.init = self.dir / "etc/init.d/kalive"
        self.init.write_text(init)

    def run(self, action):
        log = self.dir / "log"
        log.write_text("")
        env = dict(os.environ, STUB_LOG=str(log), UCI_CONFIG_DIR=str(self.dir / "etc/config"))
        run(["sh", STUBS / "rc.common", self.init, action], env=env)
        return [tuple(line.split("\t")) for line in log.read_text().splitlines()]


def instances(calls):
    """The instances the calls describe: [(command argv, {param: [values]})]."""
    found, cur = [], None
    for c in calls:
        if c[0] == "procd_open_instance":
            cur = ([], {})
        elif c[0] == "procd_close_instance":
            found.append(cur)
            cur = None
        elif c[0] in ("procd_set_param", "procd_append_param") and cur is not None:
            if c[1] == "command":
                if c[0] == "procd_set_param":
                    cur[0].clear()
                cur[0].extend(c[2:])
            else:
                cur[1][c[1]] = list(c[2:])
    expect(cur is None, f"an instance left open: {calls}")
    return found


def service_frame(calls, init):
    """start and reload: one service, named kalive, with the reload trigger."""
    expect(calls[0] == ("procd_open_service", "kalive", str(init)), f"opens service kalive: {calls}")
    expect(calls[-1] == ("procd_close_service", "set"), f"closes the service: {calls}")
    expect(("procd_add_reload_trigger", "kalive") in calls,
           f"uci commit kalive reloads the service: {calls}")


def uncommented(text):
    """The shipped UCI file with every example section switched on."""
    out = []
    for line in text.splitlines():
        if line.startswith("#config") or line.startswith("#\toption") or line.startswith("#\tlist"):
            line = line[1:]
        out.append(line)
    return "\n".join(out) + "\n"


def check_uci_file(binary, tmp):
    shipped = (FILES / "kalive.config").read_text()
    p = run([binary, "--uci", "-d", "-f", FILES / "kalive.config"])
    expect("disabled" in p.stderr, f"kalive notes the shipped file is disabled: {p.stderr!r}")
    full = tmp / "full.uci"
    full.write_text(uncommented(shipped))
    p = run([binary, "--uci", "-d", "-f", full])
    for want in ["vrrp_instance LAN", "vrrp_instance WAN", "vrrp_sync_group GW",
                 "virtual_server 203.0.113.10 80", "vrrp_script chk_dnsmasq"]:
        expect(want in p.stdout, f"every example section is valid once uncommented: {want}")
    expect(" error" not in p.stderr, f"no errors in the uncommented examples: {p.stderr}")
    ok("/etc/config/kalive: kalive reads it (disabled); every example is valid uncommented")
    return uncommented(shipped).replace("option enabled '0'", "option enabled '1'")


def check_init(binary, tmp):
    enabled_uci = check_uci_file(binary, tmp)

    # Shipped file: enabled '0' starts nothing (default_postinst starts the service on install).
    r = Root(tmp, "shipped", (FILES / "kalive.config").read_text())
    calls = r.run("start")
    service_frame(calls, r.init)
    expect(("config_load kalive",) in calls, f"reads /etc/config/kalive: {calls}")
    expect(instances(calls) == [], f"enabled '0': no instance for procd: {calls}")
    ok("init start with the shipped (disabled) config: service with trigger, no instance")

    r = Root(tmp, "enabled", enabled_uci)
    calls = r.run("start")
    service_frame(calls, r.init)
    inst = instances(calls)
    expect(len(inst) == 1, f"one instance: {calls}")
    argv, params = inst[0]
    expect(argv == ["/usr/sbin/kalive", "-n", "--uci", "-f", str(r.uci)],
           f"command: {argv}")
    expect(params == {"file": [str(r.uci)], "reload_signal": ["HUP"], "respawn": [],
                      "stderr": ["1"]}, f"params: {params}")
    ok("init start: kalive -n --uci -f /etc/config/kalive; file, reload_signal HUP, respawn")

    # The command line procd gets is one kalive accepts: the same flags with -d instead of -n.
    real = [str(binary)] + ["-d" if a == "-n" else a for a in argv[1:]]
    out = run(real).stdout
    expect("vrrp_instance LAN" in out, f"kalive reads the UCI file through that command: {out}")
    ok("kalive accepts that command line and reads the file as UCI")

    reload = r.run("reload")
    expect(reload == calls, f"reload describes the same instance (procd then sends HUP): {reload}")
    ok("init reload: the same instance again, so procd sends reload_signal HUP")
    expect(r.run("stop") == [("procd_kill", "kalive")], "stop: procd_kill kalive")
    ok("init stop: procd_kill kalive")

    for word, started in [("yes", True), ("on", True), ("off", False), ("no", False)]:
        r = Root(tmp, f"word-{word}", f"config globals 'globals'\n\toption enabled '{word}'\n")
        got = len(instances(r.run("start"))) == 1
        expect(got == started, f"enabled '{word}': started {got}")
    r = Root(tmp, "no-globals", "config vrrp_instance\n\toption name 'A'\n")
    expect(len(instances(r.run("start"))) == 1, "no globals section: enabled by default")
    r = Root(tmp, "no-file")
    calls = r.run("start")
    expect(instances(calls) == [] and ("config_load kalive",) not in calls,
           f"no /etc/config/kalive: nothing to start: {calls}")
    ok("enabled: yes/on start, off/no do not; no globals starts; no file starts nothing")

    r = Root(tmp, "disable-reload", enabled_uci.replace("enabled '1'", "enabled '0'"))
    calls = r.run("reload")
    service_frame(calls, r.init)
    expect(instances(calls) == [], f"reload after enabled '0': no instance, so procd stops it")
    ok("init reload with enabled '0': an empty service, which makes procd stop kalive")

    alt = tmp / "keepalived.conf"
    alt.write_text("vrrp_instance VI_1 {\n}\n")
    base = "config globals 'globals'\n\toption enabled '1'\n"
    r = Root(tmp, "alt", base + f"\toption alt_config_file '{alt}'\n")
    argv, params = instances(r.run("start"))[0]
    expect(argv == ["/usr/sbin/kalive", "-n", "-f", str(alt)], f"alt_config_file: {argv}")
    expect(params["file"] == [str(r.uci), str(alt)], f"both files watched: {params}")
    r = Root(tmp, "alt-missing", base + f"\toption alt_config_file '{tmp}/absent.conf'\n")
    argv, _ = instances(r.run("start"))[0]
    expect(argv[-3:] == ["--uci", "-f", str(r.uci)], f"absent alt_config_file: UCI: {argv}")
    ok("alt_config_file: used (and watched) when it exists, else the UCI file")


def check_hotplug(tmp):
    record = tmp / "hotplug.out"
    user = tmp / "kalive.user"
    user.write_text(f'echo "$ACTION|$TYPE|$NAME|$*" >> "{record}"\n')
    hook = tmp / "01-user"
    hook.write_text((FILES / "hotplug-user").read_text().replace("/etc/kalive.user", str(user)))

    # hotplug-call sources each script in a subshell, with its own arguments still set.
    def hotplug_call(env, *args):
        sh = 'HOTPLUG_TYPE=$1; ( . "$0" )'
        return run(["sh", "-c", sh, hook, "kalive", *args], env=env, check=False)

    p = hotplug_call({"ACTION": "NOTIFY_MASTER", "TYPE": "INSTANCE", "NAME": "LAN"})
    q = hotplug_call({"ACTION": "NOTIFY", "TYPE": "GROUP", "NAME": "GW"}, "GROUP", "GW",
                     "MASTER", "0")
    expect(p.returncode == 0 and q.returncode == 0, "01-user exits 0")
    expect(record.read_text().splitlines() == ["NOTIFY_MASTER|INSTANCE|LAN|kalive",
                                               "NOTIFY|GROUP|GW|kalive GROUP GW MASTER 0"],
           f"kalive.user sees ACTION, TYPE, NAME and the arguments: {record.read_text()!r}")
    user.unlink()
    p = hotplug_call({"ACTION": "NOTIFY_BACKUP", "TYPE": "INSTANCE", "NAME": "LAN"})
    expect(p.returncode == 0 and p.stderr == "", f"no kalive.user: silent, exit 0: {p.stderr!r}")
    p = run(["sh", FILES / "kalive.user"], env={"ACTION": "NOTIFY_MASTER"})
    expect(p.stdout == "" and p.stderr == "", "the shipped kalive.user does nothing")
    ok("hotplug 01-user hands ACTION/TYPE/NAME and arguments to /etc/kalive.user")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True, type=Path)
    args = ap.parse_args()
    binary = args.bin.resolve()
    with tempfile.TemporaryDirectory(prefix="kalive-openwrt-") as t:
        tmp = Path(t)
        check_ipks(binary, tmp)
        check_makefile_variables()
        check_init(binary, tmp)
        check_hotplug(tmp)
    shellcheck([FILES / "kalive.init", FILES / "hotplug-user", FILES / "kalive.user",
                ROOT / "image/openwrt/ipkg-build.sh"])
    done("openwrt")


if __name__ == "__main__":
    main()
