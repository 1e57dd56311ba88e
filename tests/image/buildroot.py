#!/usr/bin/env python3
"""Buildroot br2-external checks (image/buildroot): the Kconfig parsed by kconfiglib on a stub
top level that defines the BR2_* symbols the package depends on; kalive.mk read through a stub
of Buildroot's package infrastructure (tests/image/buildroot-stub.mk), its variables checked
and its install commands run into a scratch target directory; S50kalive shellchecked, and run
for real (start, reload, stop under start-stop-daemon, with the kalive given as --bin) in a
private network namespace when root.

usage: buildroot.py [--bin KALIVE]
"""

import argparse
import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

from common import ROOT, cargo_version, done, expect, ok, run, shellcheck, skip

EXT = ROOT / "image" / "buildroot"
PKG = EXT / "package" / "kalive"
STUB_MK = Path(__file__).resolve().parent / "buildroot-stub.mk"

STUB_KCONFIG = """mainmenu "Buildroot stand-in"
config BR2_PACKAGE_HOST_RUSTC_TARGET_ARCH_SUPPORTS
	bool "rust supports the target"
	default y
config BR2_PACKAGE_HOST_RUSTC
	bool
config BR2_USE_MMU
	bool "MMU"
	default y
menu "External options"
source "$BR2_EXTERNAL_KALIVE_PATH/Config.in"
endmenu
"""


def check_kconfig(tmp):
    try:
        import kconfiglib
    except ImportError:
        skip("kconfiglib is not installed (pip install kconfiglib): Kconfig not checked")
        return
    top = tmp / "Config.in"
    top.write_text(STUB_KCONFIG)
    os.environ["BR2_EXTERNAL_KALIVE_PATH"] = str(EXT)

    def load():
        return kconfiglib.Kconfig(str(top), warn_to_stderr=False)

    k = load()
    expect(not k.warnings, f"kconfiglib warnings: {k.warnings}")
    undefined = [s.name for s in k.syms.values() if not s.nodes and s is not k.modules]
    expect(not undefined, f"symbols used but defined nowhere: {undefined}")
    ours = ["BR2_PACKAGE_KALIVE", "BR2_PACKAGE_KALIVE_TLS", "BR2_PACKAGE_KALIVE_SIZE_PROFILE",
            "BR2_PACKAGE_KALIVE_EXAMPLE_CONFIG"]
    for name in ours:
        expect(name in k.syms and k.syms[name].nodes, f"{name} defined")
        expect(all(n.help for n in k.syms[name].nodes), f"{name} has help text")
    ok(f"Kconfig parses; {', '.join(ours)} defined, with help; no undefined symbol")

    sym = k.syms
    expect(sym["BR2_PACKAGE_KALIVE"].str_value == "n", "kalive is off by default")
    expect(sym["BR2_PACKAGE_KALIVE_TLS"].visibility == 0, "options hidden while kalive is off")
    expect(sym["BR2_PACKAGE_KALIVE"].set_value("y"), "kalive can be turned on")
    expect(sym["BR2_PACKAGE_HOST_RUSTC"].str_value == "y", "kalive selects host-rustc")
    defaults = {"BR2_PACKAGE_KALIVE_TLS": "n", "BR2_PACKAGE_KALIVE_SIZE_PROFILE": "y",
                "BR2_PACKAGE_KALIVE_EXAMPLE_CONFIG": "n"}
    for name, want in defaults.items():
        expect(sym[name].str_value == want, f"{name} defaults to {want}")
        expect(sym[name].visibility == 2, f"{name} visible once kalive is on")
    ok("defaults: kalive n (selects host-rustc when on), TLS n, SIZE_PROFILE y, EXAMPLE_CONFIG n")

    for dep in ["BR2_PACKAGE_HOST_RUSTC_TARGET_ARCH_SUPPORTS", "BR2_USE_MMU"]:
        k = load()
        k.syms[dep].set_value("n")
        k.syms["BR2_PACKAGE_KALIVE"].set_value("y")
        expect(k.syms["BR2_PACKAGE_KALIVE"].str_value == "n", f"kalive depends on {dep}")
    ok("kalive depends on BR2_PACKAGE_HOST_RUSTC_TARGET_ARCH_SUPPORTS and BR2_USE_MMU")


def mk(*args, **kw):
    return run(["make", "--no-print-directory", "-f", STUB_MK,
                f"BR2_EXTERNAL_KALIVE_PATH={EXT}", *args], **kw)


def var(name, *options):
    return mk(*options, f"print-{name}").stdout.rstrip("\n")


def check_mk(tmp):
    expect(var("KALIVE_VERSION") == cargo_version(), "KALIVE_VERSION comes from Cargo.toml")
    expect(var("KALIVE_SITE") == str(ROOT), f"KALIVE_SITE is the tree: {var('KALIVE_SITE')}")
    expect(var("KALIVE_SITE_METHOD") == "local", "site method local")
    expect(var("KALIVE_LICENSE") == "MIT or Apache-2.0", "license as Cargo.toml")
    expect(var("KALIVE_PKGDIR").rstrip("/") == str(PKG), "external.mk reaches package/kalive")
    excl = var("KALIVE_OVERRIDE_SRCDIR_RSYNC_EXCLUSIONS").split()
    expect("--exclude=/target" in excl, f"the build output is not copied: {excl}")
    ok("kalive.mk: version from Cargo.toml, local site = this tree, license, rsync leaves target/")

    expect(var("KALIVE_CARGO_BUILD_OPTS").split() == ["--bin", "kalive"], "only the daemon")
    tls = var("KALIVE_CARGO_BUILD_OPTS", "BR2_PACKAGE_KALIVE_TLS=y").split()
    expect(tls == ["--bin", "kalive", "--features", "tls"], f"TLS: {tls}")
    expect(var("KALIVE_CARGO_ENV") == "", "no profile override unless asked")
    env = var("KALIVE_CARGO_ENV", "BR2_PACKAGE_KALIVE_SIZE_PROFILE=y").split()
    expect(env == ["CARGO_PROFILE_RELEASE_OPT_LEVEL=z", "CARGO_PROFILE_RELEASE_LTO=true",
                   "CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1"], f"size profile: {env}")
    ok("KALIVE_CARGO_BUILD_OPTS: --bin kalive (+ --features tls); KALIVE_CARGO_ENV: size profile")

    expect(var("KALIVE_PRE_BUILD_HOOKS").split() == ["KALIVE_CARGO_VENDOR"], "vendor hook")
    vendor = var("KALIVE_CARGO_VENDOR")
    expect("cargo vendor --locked VENDOR > " in vendor and ".cargo/config.toml" in vendor,
           f"the hook vendors as Buildroot's download step does: {vendor}")
    ok("a local site is vendored before the build (cargo vendor --locked VENDOR)")

    build = tmp / "build"
    target = tmp / "target"
    fake_bin = b"\x7fELF kalive stand-in"
    for profile in ["release", "debug"]:
        p = build / "target" / "x86_64-unknown-linux-musl" / profile / "kalive"
        p.parent.mkdir(parents=True)
        p.write_bytes(fake_bin + profile.encode())
    (build / "config").mkdir()
    shutil.copy(ROOT / "config" / "master.conf", build / "config" / "master.conf")
    kconfig = tmp / "linux.config"
    common = [f"STUB_BUILD_DIR={build}", f"TARGET_DIR={target}", f"STUB_KCONFIG={kconfig}"]

    def run_define(name, *options):
        mk(*common, *options, f"{build}/.run-{name}")

    def mode(path):
        return stat.S_IMODE(path.stat().st_mode)

    run_define("KALIVE_INSTALL_TARGET_CMDS")
    sbin = target / "usr" / "sbin" / "kalive"
    expect(sbin.read_bytes() == fake_bin + b"release" and mode(sbin) == 0o755,
           "the release binary in /usr/sbin, 0755")
    run_define("KALIVE_INSTALL_TARGET_CMDS", "BR2_ENABLE_DEBUG=y")
    expect(sbin.read_bytes() == fake_bin + b"debug", "BR2_ENABLE_DEBUG: the debug build")
    run_define("KALIVE_INSTALL_INIT_SYSV")
    init = target / "etc" / "init.d" / "S50kalive"
    expect(init.read_bytes() == (PKG / "S50kalive").read_bytes() and mode(init) == 0o755,
           "S50kalive installed 0755")
    ok("install: /usr/sbin/kalive (release or debug build), /etc/init.d/S50kalive")

    expect(var("KALIVE_POST_INSTALL_TARGET_HOOKS") == "", "no example config by default")
    hooks = var("KALIVE_POST_INSTALL_TARGET_HOOKS", "BR2_PACKAGE_KALIVE_EXAMPLE_CONFIG=y").split()
    expect(hooks == ["KALIVE_INSTALL_EXAMPLE_CONFIG"], f"example config hook: {hooks}")
    run_define("KALIVE_INSTALL_EXAMPLE_CONFIG", "BR2_PACKAGE_KALIVE_EXAMPLE_CONFIG=y")
    conf = target / "etc" / "kalive" / "kalive.conf"
    expect(conf.read_bytes() == (ROOT / "config" / "master.conf").read_bytes()
           and mode(conf) == 0o600, "example config at /etc/kalive/kalive.conf, 0600")
    ok("BR2_PACKAGE_KALIVE_EXAMPLE_CONFIG installs /etc/kalive/kalive.conf")

    run_define("KALIVE_LINUX_CONFIG_FIXUPS")
    opts = kconfig.read_text().split()
    for want in ["CONFIG_NETFILTER=y", "CONFIG_IP_VS=y", "CONFIG_IP_VS_RR=y", "CONFIG_MACVLAN=y"]:
        expect(want in opts, f"kernel fixups enable {want}: {opts}")
    ok("kernel fixups: netfilter, IP_VS with schedulers, macvlan")


def check_s50(binary, tmp):
    shellcheck([PKG / "S50kalive"])
    git = run(["git", "-C", ROOT, "ls-files", "-s", "image/buildroot/package/kalive/S50kalive"],
              check=False).stdout
    if git:
        expect(git.startswith("100644"), f"S50kalive is committed non-executable: {git}")
    else:
        expect(not os.access(PKG / "S50kalive", os.X_OK), "S50kalive is not executable")
    ok("S50kalive is not executable in the tree (Buildroot's check-package rule)")

    # The script with its fixed paths moved into tmp, and a start-stop-daemon that records.
    d = tmp / "s50"
    d.mkdir()
    log = d / "ssd.log"
    (d / "bin").mkdir()
    ssd = d / "bin" / "start-stop-daemon"
    ssd.write_text(f'#!/bin/sh\necho "$*" >> {log}\ncase " $* " in *" --test "*) exit 1;; esac\n')
    ssd.chmod(0o755)

    def script(kalive):
        text = (PKG / "S50kalive").read_text()
        text = text.replace("/etc/default/", f"{d}/default-")
        text = text.replace("/var/run/$DAEMON.pid", f"{d}/kalive.pid")
        text = text.replace("/usr/sbin/$DAEMON", str(kalive))
        s = d / "S50kalive"
        s.write_text(text)
        return s

    s = script("/usr/sbin/kalive")
    env = dict(os.environ, PATH=f"{d / 'bin'}:{os.environ['PATH']}")
    p = run(["sh", s, "start"], env=env)
    expect("SKIP" in p.stdout and not log.exists(), f"no configuration: not started: {p.stdout}")
    conf = d / "kalive.conf"
    conf.write_text("! test\n")
    (d / "default-kalive").write_text(f'CONFIG={conf}\nKALIVE_ARGS="-D -S 3"\n')
    run(["sh", s, "start"], env=env)
    run(["sh", s, "reload"], env=env)
    run(["sh", s, "stop"], env=env)
    pid = f"{d}/kalive.pid"
    want = [
        f"--start --background --make-pidfile --pidfile {pid} --exec /usr/sbin/kalive"
        f" -- -n -p {pid} -f {conf} -D -S 3",
        f"--stop --signal HUP --quiet --pidfile {pid} --exec /usr/sbin/kalive",
        f"--stop --pidfile {pid} --exec /usr/sbin/kalive",
        f"--stop --test --quiet --pidfile {pid} --exec /usr/sbin/kalive",
    ]
    got = log.read_text().splitlines()
    expect(got == want, f"start-stop-daemon calls:\n{got}\nexpected\n{want}")
    p = run(["sh", s, "bogus"], env=env, check=False)
    expect(p.returncode == 1 and "Usage" in p.stdout, "an unknown action prints the usage")
    ok("S50kalive: -n -p PIDFILE -f CONFIG + /etc/default/kalive; reload = HUP; stop waits")

    if binary is None:
        return
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("ip") \
            or not shutil.which("start-stop-daemon"):
        skip("not root, or no unshare/ip/start-stop-daemon: S50kalive not run for real")
        return
    # For real, in a network namespace of its own (gone when the shell exits): a veth
    # interface, one instance on it; start, reload (the same pid must survive SIGHUP, whose
    # default action would end it), stop (the process and the pid file gone).
    s = script(binary)
    conf.write_text("vrrp_instance T {\n interface d0\n virtual_router_id 77\n priority 100\n"
                    " advert_int 1\n virtual_ipaddress {\n  192.0.2.77/32\n }\n}\n")
    (d / "default-kalive").write_text(f'CONFIG={conf}\nKALIVE_ARGS="--no-realtime"\n')
    body = f"""
set -e
ip link add d0 type veth peer name d1
ip link set d1 up
ip link set d0 up
sh {s} start
i=0
until [ -s {pid} ] && kill -0 "$(cat {pid})" 2>/dev/null && \
	ip -o addr show dev d0 | grep -q 192.0.2.77; do
	i=$((i + 1)); [ $i -lt 100 ] || {{ echo "no master with its VIP after 10 s"; exit 1; }}
	sleep 0.1
done
first=$(cat {pid})
sh {s} reload
sleep 0.5
kill -0 "$first" || {{ echo "SIGHUP ended kalive"; exit 1; }}
[ "$(cat {pid})" = "$first" ] || {{ echo "pid changed on reload"; exit 1; }}
sh {s} stop
# Exited (a zombie until whoever inherited it reaps it counts as gone).
state=$(cut -d' ' -f3 /proc/"$first"/stat 2>/dev/null || true)
[ -z "$state" ] || [ "$state" = Z ] || {{ echo "still running after stop ($state)"; exit 1; }}
[ ! -e {pid} ] || {{ echo "pid file left behind"; exit 1; }}
echo S50-REAL-OK
"""
    p = subprocess.run(["timeout", "60", "unshare", "-n", "sh", "-c", body],
                       capture_output=True, text=True)
    if p.returncode != 0 or "S50-REAL-OK" not in p.stdout:
        try:
            first = open(pid).read().strip()
            os.kill(int(first), 15)
        except (OSError, ValueError):
            pass
        expect(False, f"S50kalive for real failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    ok("S50kalive for real: kalive becomes master on a veth link, survives reload, stops")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", type=Path)
    args = ap.parse_args()
    binary = args.bin.resolve() if args.bin else None
    with tempfile.TemporaryDirectory(prefix="kalive-buildroot-") as t:
        tmp = Path(t)
        check_kconfig(tmp)
        check_mk(tmp)
        check_s50(binary, tmp)
    done("buildroot")


if __name__ == "__main__":
    main()
