# kalive: build, test and size checks. See image/README.md "Build and test".

CARGO        ?= cargo
TARGET       := x86_64-unknown-linux-musl
BIN          := target/$(TARGET)/release/kalive
AARCH64      := aarch64-unknown-linux-musl
AARCH64_BIN  := target/$(AARCH64)/release/kalive
# 700 KiB: the budget for the static binary without TLS on every target (image/README.md "Size").
# The two mips targets are held to 768 KiB until their code is smaller again (issue 14, open):
# issue 13's features (mail alerts, track_process, PING/UDP/DNS/FILE checks, VRRP options) took
# them from 711,600 / 713,440 to 765,836 / 767,756 bytes on 2026-12-08 (x86_64: +54 KB); that
# evening, with the C library built small and two std pieces left out, 755,772 / 757,052.
MAX_SIZE      ?= 716800
MIPS_MAX_SIZE ?= 786432
FUZZ_SECONDS ?= 600
FUZZ_TARGETS := keepalived_conf uci_conf vrrp_packet http_response tls_certificate smtp_response mail_reply ping_reply udp_reply dns_reply netlink_reply proc_event json_dump

# Link with the linker rustup ships (rust-lld): no C toolchain is needed, because the musl
# targets carry their own crt objects and libc.a. Measured on the x86_64 binary (image/README.md "Size"):
#   rust-lld instead of the gcc driver                                               -9 KB
#   --icf=all                 folds identical functions (monomorphised copies)       -4 KB
#   -z pack-relative-relocs   RELR relocations, so static-PIE (ASLR) stays cheap, and
#   --no-eh-frame-hdr         no binary-search table for unwinding (panic=abort)    -26 KB
# Set here, not in .cargo/config.toml, so firmware builds (Buildroot, OpenWrt) keep their own
# linker. An environment setting still wins.
LINK_FLAGS := -C link-arg=--icf=all -C link-arg=-z -C link-arg=pack-relative-relocs -C link-arg=--no-eh-frame-hdr
# The release binary is built by nightly with std rebuilt (-Zbuild-std) and panics that abort at
# once (panic=immediate-abort): that drops std's panic formatting and backtrace symbolizer,
# 773,000 -> 427,360 bytes (image/README.md "Size"). kalive never panics on any input (tested, fuzzed);
# if it did, the process ends and its supervisor (procd, init) restarts it. `make stable` builds
# the same code with the stable toolchain and panic messages, for firmware SDKs and debugging.
# std is built with its optimize_for_size feature (smaller sort, integer formatting and float
# parsing code, same results: -13,312 bytes on x86_64), and with panics that print nothing, no
# caller locations are kept for them (-Zlocation-detail=none: -3,328). Nothing unwinds either,
# so no unwind tables (-C force-unwind-tables=no: .eh_frame 100,776 -> 84 bytes on x86_64, -100,704
# in all; debuggers and perf then walk the stack without them, `make stable` keeps them).
NIGHTLY      ?= nightly
BUILD_STD    := -Z build-std=std,panic_abort -Z build-std-features=optimize_for_size
ABORT_FLAGS  := -Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -C force-unwind-tables=no
SMALL_FLAGS  := $(LINK_FLAGS) $(ABORT_FLAGS)
export CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_LINKER ?= rust-lld
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER ?= rust-lld

.PHONY: all stable size tls keepalived test-tls test-keepalived aarch64 aarch64-stable cross cross-build cross-test cross-size cross-ci cross-live test differential test-vm appliance appliance-test bench bench-checkers bench-flood bench-live bench-scale bench-scale-lvs fuzz mutants demo examples image clean

all:
	CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_RUSTFLAGS="$(SMALL_FLAGS)" \
		$(CARGO) +$(NIGHTLY) build --release --target $(TARGET) $(BUILD_STD)
	@$(call check_static,$(BIN))

# The same binary from the stable toolchain (bigger: std's panic machinery; see image/README.md "Size").
stable:
	CARGO_TARGET_DIR=target/stable CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_RUSTFLAGS="$(LINK_FLAGS)" \
		$(CARGO) build --release --target $(TARGET)
	@$(call check_static,target/stable/$(TARGET)/release/kalive)
	@echo "target/stable/$(TARGET)/release/kalive: $$(stat -c %s target/stable/$(TARGET)/release/kalive) bytes"

size: all
	@size=$$(stat -c %s $(BIN)); \
	echo "$(BIN): $$size bytes (limit $(MAX_SIZE))"; \
	if [ "$$size" -gt $(MAX_SIZE) ]; then echo "make: $(BIN) is over $(MAX_SIZE) bytes" >&2; exit 1; fi

# SSL_GET: the same binary with the `tls` feature (rustls + ring, about +850 KB, so not held to
# MAX_SIZE). ring compiles C for the target: musl-gcc from Debian's musl-tools (.ci/install installs
# it). Its own target dir, so `make` and `make tls` do not rebuild each other.
TLS_BIN      := target/tls/$(TARGET)/release/kalive
export CC_x86_64_unknown_linux_musl ?= musl-gcc
tls:
	CARGO_TARGET_DIR=target/tls CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_RUSTFLAGS="$(SMALL_FLAGS)" \
		$(CARGO) +$(NIGHTLY) build --release --target $(TARGET) $(BUILD_STD) --features tls
	@$(call check_static,$(TLS_BIN))
	@echo "$(TLS_BIN): $$(stat -c %s $(TLS_BIN)) bytes"

# The binary for OpenWrt's kalive-keepalived: the cargo feature keepalived (`--as-keepalived`, about
# 14 KB more, so not held to MAX_SIZE), built like `make` and in its target directory, so std and
# the dependencies are not built again: only kalive itself, +25 s after a cold `make` (in a target
# directory of its own it was ~6 minutes, std included; image/README.md "Packaging"). Cargo keeps the two feature sets' artifacts apart but puts either binary at $(BIN):
# the feature build's is copied to $(KEEPALIVED_BIN), then `make`'s is put back (a build with
# nothing to compile). `make image` packs both (image/Makefile's KEEPALIVED_BIN).
KEEPALIVED_BIN := $(BIN)-keepalived
keepalived: all
	CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_RUSTFLAGS="$(SMALL_FLAGS)" \
		$(CARGO) +$(NIGHTLY) build --release --target $(TARGET) $(BUILD_STD) --features keepalived
	cp $(BIN) $(KEEPALIVED_BIN).new && mv $(KEEPALIVED_BIN).new $(KEEPALIVED_BIN)
	CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_RUSTFLAGS="$(SMALL_FLAGS)" \
		$(CARGO) +$(NIGHTLY) build --release --target $(TARGET) $(BUILD_STD)
	@$(call check_static,$(KEEPALIVED_BIN))
	@echo "$(KEEPALIVED_BIN): $$(stat -c %s $(KEEPALIVED_BIN)) bytes"
	@$(BIN) --as-keepalived -t -f config/master.conf >/dev/null 2>&1 && \
		{ echo "make: $(BIN) is the keepalived build: cargo did not put make's binary back" >&2; exit 1; } || true

# The TLS parts of the suite: the SSL_GET machine and SSL_GET against openssl s_server, the SSL
# block's client certificates and HTTP_GET/SSL_GET `regex` (tests/checkers_tls.rs); then both
# beside keepalived 2.2.7 in a qemu VM with the `make tls` binary (tests/vm/scenarios/lvs-tls.sh,
# ~40 s; a missing binary fails it). `make test` runs it after `make tls` in .ci/run.
test-tls:
	$(CARGO) clippy --all-targets --features tls -- -D warnings
	$(CARGO) test --features tls --lib -- check:: config::keepalived::tests_regex_ssl
	$(CARGO) test --features tls --test checkers --test checkers_tls
	KALIVE_TLS=$(CURDIR)/$(TLS_BIN) KALIVE_VM_ONLY=lvs-tls $(CARGO) test --features tls --test vm -- --nocapture

# The cargo feature keepalived (`--as-keepalived`, OpenWrt's kalive-keepalived): the dumps compared
# with keepalived 2.2.7's and the rpcd plugin against a live kalive (tests/keepalived_json.md).
# The module is compiled (and linted, and unit-tested) without the feature too: `ENABLED` is a
# cfg! constant, so only the live comparisons need the binary built with it.
test-keepalived:
	$(CARGO) test --features keepalived --lib keepalived_dump
	$(CARGO) test --features keepalived --test keepalived_json --test rpcd_keepalived

# aarch64, built like `make`: nightly, std rebuilt, panic=immediate-abort (-300 KB against
# stable). Nightly's rustup mirror here has no aarch64-musl rust-std (404), and -Zbuild-std needs
# only its self-contained crt objects and libc.a to link, which the stable target carries: so the
# build gets a sysroot made of links, nightly's rustlib (rust-src, rust-lld, codegen) plus stable's
# aarch64-musl self-contained folder. `make aarch64-stable` is the plain stable build.
AARCH64_SYSROOT := $(CURDIR)/target/aarch64-sysroot
aarch64: all
	@set -e; n=$$(rustc +$(NIGHTLY) --print sysroot); s=$$(rustc --print sysroot); \
	sc=$$s/lib/rustlib/$(AARCH64)/lib/self-contained; \
	[ -f $$sc/libc.a ] || { echo "make: no $$sc/libc.a: run rustup target add $(AARCH64)" >&2; exit 1; }; \
	rm -rf $(AARCH64_SYSROOT); mkdir -p $(AARCH64_SYSROOT)/lib/rustlib/$(AARCH64)/lib; \
	for e in $$n/lib/rustlib/*; do [ $${e##*/} = $(AARCH64) ] || ln -s $$e $(AARCH64_SYSROOT)/lib/rustlib/; done; \
	ln -s $$sc $(AARCH64_SYSROOT)/lib/rustlib/$(AARCH64)/lib/self-contained
	CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_RUSTFLAGS="--sysroot $(AARCH64_SYSROOT) $(SMALL_FLAGS)" \
		$(CARGO) +$(NIGHTLY) build --release --target $(AARCH64) $(BUILD_STD)
	@$(call check_static,$(AARCH64_BIN))
	@size=$$(stat -c %s $(AARCH64_BIN)); echo "$(AARCH64_BIN): $$size bytes (limit $(MAX_SIZE))"; \
	if [ "$$size" -gt $(MAX_SIZE) ]; then echo "make: $(AARCH64_BIN) is over $(MAX_SIZE) bytes" >&2; exit 1; fi
	@# It runs: under qemu-user (if installed) it tests every example configuration like the x86_64 build.
	@$(call same_as_x86_64,qemu-aarch64-static,$(AARCH64_BIN),config/*)

# armv7 (hard float), mipsel and mips (big-endian), built like `make` (nightly, std rebuilt,
# immediate-abort, static). No rust-std exists for them here (armv7: 404 on both toolchains; the
# mips targets are tier 3), so no self-contained musl either: zig (PyPI ziglang, .ci/install installs
# it) brings musl's crt objects, libc.a and libunwind and links, through image/zig-cc. The mips
# targets are not static by default (+crt-static). zig's driver refuses --icf and -z
# pack-relative-relocs and always writes .eh_frame_hdr: those three link without LINK_FLAGS (they
# are static, not static-PIE: no relocations to pack). `make cross` then tests them under qemu
# (`make cross-test`) and prints a size table of the five binaries, each against its budget.
CROSS_TARGETS := armv7-unknown-linux-musleabihf mipsel-unknown-linux-musl mips-unknown-linux-musl
zig_target_armv7-unknown-linux-musleabihf := arm-linux-musleabihf -mcpu=generic+v7a+vfp3d16+thumb2-neon
zig_target_mipsel-unknown-linux-musl := mipsel-linux-musleabi -mcpu=mips32r2
zig_target_mips-unknown-linux-musl := mips-linux-musleabi -mcpu=mips32r2
qemu_armv7-unknown-linux-musleabihf := qemu-arm-static
qemu_mipsel-unknown-linux-musl := qemu-mipsel-static
qemu_mips-unknown-linux-musl := qemu-mips-static
ZIG_RUSTFLAGS = -C linker=$(CURDIR)/image/zig-cc -C link-self-contained=no -C target-feature=+crt-static
# lld keeps MIPS's procedure descriptors (.pdr, not loaded, ~100 KB) through --strip-all;
# llvm-objcopy's drops them (Debian's llvm package).
LLVM_OBJCOPY  ?= llvm-objcopy
CROSS_CONFIGS := config tests/configs/samples tests/configs/real tests/configs/broken
# The mips binaries are static executables, not PIE: static relocation calls with jal instead of
# loading each callee from the GOT through $$gp (-40,160 bytes on mips). No unwind tables
# (ABORT_FLAGS) saved 59,088 more there first. LLVM's MIPS delay-slot filler may also take the
# instruction for a branch's delay slot from the likelier successor block (MipsDelaySlotFiller.cpp,
# off by default; it checks the other path does not read what it writes) instead of a nop:
# -10,288 bytes on mips (9,000 of its 167,000 instructions were nops). Rust checks for division by
# zero before dividing, so LLVM's own check (a teq after each div) goes: -272. The unit tests under
# qemu (`make cross-test`, CI's `make cross-ci`) are built with the same flags.
$(foreach t,mipsel-unknown-linux-musl mips-unknown-linux-musl,\
	$(eval rustflags_$(t) := -C relocation-model=static \
		-C llvm-args=-disable-mips-df-succbb-search=false -C llvm-args=-mno-check-zero-division))
# The release mips binaries also leave out the unwind tables of the C library's objects (zig
# compiles musl with them; kalive's own code has none and nothing unwinds): image/no-eh-frame.ld,
# -8,404 bytes on mips (.eh_frame 6,660 and its index 1,664). Not for the test binaries, whose
# harness catches panics by unwinding.
$(foreach t,mipsel-unknown-linux-musl mips-unknown-linux-musl,\
	$(eval release_rustflags_$(t) := -C link-arg=-Wl,-T,$(CURDIR)/image/no-eh-frame.ld))

# Built, checked under qemu, then the size table, which fails the run when a binary is over.
cross: cross-build cross-test cross-size

# The size table of the five binaries as built (`make cross-build` builds them).
cross-size:
	@set -e; over=0; printf '%-32s %10s %10s\n' target bytes budget; \
	for t in $(TARGET) $(AARCH64) $(CROSS_TARGETS); do \
		size=$$(stat -c %s target/$$t/release/kalive); verdict=ok; \
		case $$t in mips*) budget=$(MIPS_MAX_SIZE);; *) budget=$(MAX_SIZE);; esac; \
		[ "$$size" -le $$budget ] || { verdict=OVER; over=1; }; \
		printf '%-32s %10s %10s  %s\n' $$t $$size $$budget $$verdict; \
	done; [ $$over = 0 ] || { echo "make: a binary is over its budget" >&2; exit 1; }

cross-build: aarch64
	@$(foreach t,$(CROSS_TARGETS),$(call cross_build,$(t));)
	@$(foreach t,$(CROSS_TARGETS),$(call check_static,target/$(t)/release/kalive);)

# Every configuration in config/ and tests/configs through -t under qemu-user, for each cross
# target, with the x86_64 binary's exit code (a byte-order or word-size bug in the parser shows
# as a different verdict); then each target's unit tests and kernel-free suites (cross_suites).
cross-test:
	@$(call same_as_x86_64,qemu-aarch64-static,$(AARCH64_BIN),$(CROSS_CONFIGS))
	@$(foreach t,$(CROSS_TARGETS),$(call same_as_x86_64,$(qemu_$(t)),target/$(t)/release/kalive,$(CROSS_CONFIGS));)
	@$(foreach t,$(AARCH64) $(CROSS_TARGETS),$(call cross_suites,$(t),$(CROSS_SUITES));)

# CI's share of the cross work (.ci/run, whose whole run must stay under 30 minutes, and took
# 1354 s without it): the big-endian target, where byte-order bugs in the netlink and packet code
# show, through its unit tests, the simulated LAN, the wire vectors and the malformed adverts
# under qemu-mips-static: 349 tests, 516 s from a cold target dir and zig cache on this host
# under load (465 s of it the build, std included). The mips release build and its -t took 479 s
# more, so they stay in `make cross`.
CI_CROSS_TARGET := mips-unknown-linux-musl
CI_CROSS_SUITES := --lib --test sim --test wire_vectors --test malformed_adverts
cross-ci:
	@$(call cross_suites,$(CI_CROSS_TARGET),$(CI_CROSS_SUITES))

# A live VRRP failover between the big-endian mips kalive under qemu-user and the x86_64 kalive,
# then keepalived 2.2.7, in network namespaces (tests/cross_live.rs: ignored by `cargo test`, so
# `make test` and CI do not run it; it fails when the binary or qemu is missing, never skips).
cross-live: all
	@$(call cross_build,mips-unknown-linux-musl)
	@command -v $(qemu_mips-unknown-linux-musl) >/dev/null || \
		{ echo "make: cross-live needs $(qemu_mips-unknown-linux-musl) (Debian's qemu-user-static)" >&2; exit 1; }
	KALIVE_CROSS_BIN=$(CURDIR)/target/mips-unknown-linux-musl/release/kalive \
	KALIVE_CROSS_QEMU=$(qemu_mips-unknown-linux-musl) \
		$(CARGO) test --test cross_live -- --ignored --nocapture --test-threads=1

aarch64-stable:
	CARGO_TARGET_DIR=target/stable CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_RUSTFLAGS="$(LINK_FLAGS)" \
		$(CARGO) build --release --target $(AARCH64)
	@$(call check_static,target/stable/$(AARCH64)/release/kalive)

# What building and testing needs (Debian packages, rust targets, nightly, kconfiglib): installs
# what is missing, ~1 s when everything is there. `make demo` and `make test` run it first, so on
# a fresh machine they are the whole set-up (README "Two commands").
.PHONY: install
install:
	bash .ci/install

# Every suite runs (--no-fail-fast); the VM scenarios (tests/vm.rs) boot the static release
# binary, built first (after the install step: the build needs nightly and the musl target).
test: install
	$(MAKE) size
	$(MAKE) keepalived
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings
	KALIVE=$(CURDIR)/$(BIN) KALIVE_KEEPALIVED=$(CURDIR)/$(KEEPALIVED_BIN) $(CARGO) test --no-fail-fast
	$(MAKE) test-tls
	$(MAKE) test-keepalived

# The differential test alone (tests/differential.rs; `make test` runs it with 100 configurations):
# N generated configurations under kalive and keepalived 2.2.7, report in target/differential.md.
N ?= 2000
# SEED=S repeats a run (default: from the clock; `make test` uses seed 1).
differential:
	KALIVE_DIFFERENTIAL_N=$(N) KALIVE_DIFFERENTIAL_SEED=$(if $(SEED),$(SEED),$$(date +%s)) \
		$(CARGO) test --test differential -- --nocapture

# Each tests/vm/scenarios/*.sh in a qemu VM with the static release binary (tests/README.md "VM tests").
# Needs qemu-system-x86, busybox-static, linux-image-amd64, ipvsadm, keepalived; skips without
# (fails without under KALIVE_STRICT=1 or CI, as .ci/run sets them).
# lvs-tls.sh runs only if `make tls` has built its binary (make test-tls always runs it).
test-vm: all
	KALIVE=$(CURDIR)/$(BIN) $(if $(wildcard $(TLS_BIN)),KALIVE_TLS=$(CURDIR)/$(TLS_BIN)) \
		$(CARGO) test --test vm -- --nocapture

# The initramfs appliance (image/README.md "Appliance"): busybox, the static kalive and a UCI
# configuration per node for Debian's kernel, in target/appliance/.
appliance: all
	image/appliance/build.sh -k $(CURDIR)/$(BIN)

# Two appliances under qemu on a private virtual LAN: election, respawn, failover, failback.
# Needs qemu-system-x86, busybox-static, linux-image-amd64 and python3; skips without.
appliance-test: all
	python3 image/appliance/test.py --kalive $(CURDIR)/$(BIN) --fault-at-start

# Timer wheel cost per tick and per arm/cancel with 1 to 10,000 pending timers (prints a table).
# Micro-benchmarks, then kalive and keepalived 2.2.7 side by side with short windows (~4 min,
# needs root; written to target/bench-live.md). `make bench-live` is the full run (~7 min) that
# bench/RESULTS.md and the README's table come from.
bench: all
	$(CARGO) bench --bench wheel
	$(CARGO) bench --bench engine
	python3 bench/side_by_side.py --kalive $(BIN) --trials 3 --window 20 --fp-window 15 --out target/bench-live.md
	$(MAKE) bench-scale
	$(MAKE) bench-checkers
	$(MAKE) bench-scale-lvs
	$(MAKE) bench-flood

# Issue 11's flood acceptance: the five flood classes of tests/faults/flood.rs, each 30 s at the
# rate two senders reach (bench/flood_sender.c: sendmmsg on AF_PACKET, pinned off CPU 0), against
# kalive and then keepalived 2.2.7 on CPU 0: MASTER and alive, the adverts' max deviation from
# schedule on the wire (kalive: <= 2 ms, else the target fails), CPU. About 6 minutes; needs root,
# tcpdump, cc and /usr/sbin/keepalived. Updates the "Floods" section of bench/RESULTS.md.
# Shorter: make bench-flood BENCH_FLOOD_ARGS="--duration 5 --out target/bench-flood.md"
BENCH_FLOOD_ARGS ?=
bench-flood: all
	cc -O2 -Wall -Wextra -o target/flood_sender bench/flood_sender.c
	python3 bench/flood.py --kalive $(BIN) --sender target/flood_sender $(BENCH_FLOOD_ARGS)

# kalive and keepalived 2.2.7 side by side in network namespaces: failover timings, advert jitter
# (idle and loaded), footprint with 1 and 200 instances, the 200-instance start-up race. Needs root,
# tcpdump and /usr/sbin/keepalived; takes about 8 minutes (so it is not part of `bench`). Writes
# bench/RESULTS.md. Shorter: make bench-live BENCH_LIVE_ARGS="--trials 2 --window 20 --fp-window 10"
BENCH_LIVE_ARGS ?=
# 1,000 real servers with TCP_CHECK at delay_loop 1 s, kalive's daemon and keepalived 2.2.7's
# checker process on the same configuration in the VM (IPVS), 60 s each: CPU and RSS
# (~3 minutes; bench/vm/checkers.sh). Written to target/bench-checkers.txt.
bench-checkers: all
	KALIVE=$(CURDIR)/$(BIN) bench/vm/run-checkers.sh

# Issue 12's 10,000 real servers (10 virtual servers x 1,000, TCP_CHECK, delay_loop 10 s) in the VM,
# kalive and then keepalived 2.2.7's checker: start -> all destinations in IPVS, a SIGHUP changing
# one real server -> the kernel, CPU and RSS (~10 minutes under TCG; bench/vm/scale-lvs.sh).
# Written to target/bench-scale-lvs.txt.
bench-scale-lvs: all
	VM_MEM=1024 KALIVE=$(CURDIR)/$(BIN) bench/vm/run-checkers.sh bench/vm/scale-lvs.sh bench-scale-lvs

# Issue 12's scale: 1,000 VRRP instances (5 interfaces x 200 VRIDs, VRRPv3 at 0.1 s) on one master
# beside two busy loops, kalive and keepalived 2.2.7 at the same time, each in its own namespaces:
# advert deviation from bridge captures, RSS, CPU, start -> all VIPs up; then the 1,000-instance
# race (backup started 20 ms before the master). About 3 minutes; needs root, tcpdump and
# /usr/sbin/keepalived. Updates the "Scale" section of bench/RESULTS.md.
# Shorter: make bench-scale BENCH_SCALE_ARGS="--window 10 --race-window 5 --out target/bench-scale.md"
BENCH_SCALE_ARGS ?=
bench-scale: all
	python3 bench/scale.py --kalive $(BIN) $(BENCH_SCALE_ARGS)

bench-live: all
	python3 bench/side_by_side.py --kalive $(BIN) $(BENCH_LIVE_ARGS)

# Not part of `test`: needs nightly and cargo-fuzz (`cargo install cargo-fuzz`) and a C++ compiler.
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
		$(CARGO) +nightly fuzz run $$t -- -max_total_time=$(FUZZ_SECONDS); \
	done

# cargo-mutants (crates.io, `cargo install cargo-mutants`) over the wire decoders, the timer
# wheel, LVS and the VRRP core, one area at a time, each against its own module's unit tests
# (the lib test build only: ~3 s a mutant; the integration tests need namespaces and minutes).
# Results in target/mutants/AREA/mutants.out (caught.txt, missed.txt, timeout.txt, unviable.txt).
MUTANTS := nice -n 10 $(CARGO) mutants -j 1 --timeout 60 --cargo-arg=--lib
# The VRRP core uses only the configuration model and time: its mutants are built in a copy of
# the sources whose lib.rs declares just those three modules (the same files and unit tests),
# a rebuild of ~4 s instead of ~30 s for the whole crate on a loaded machine (the 479 mutants
# took 15 minutes with -j 2 on two busy cores).
VRRP_MUTANTS_TREE := target/mutants-tree/vrrp
mutants:
	$(MUTANTS) -o target/mutants/wire -f src/wire/vrrp.rs -f src/wire/ipv4.rs -f src/wire/ipv6.rs -f src/wire/ndisc.rs \
		-f src/wire/ah.rs -f src/wire/md5.rs -- -- wire::
	$(MUTANTS) -o target/mutants/time -f src/time/wheel.rs -f src/time/deadlines.rs -- -- time::
	$(MUTANTS) -o target/mutants/lvs -f 'src/lvs/*.rs' -- -- lvs::
	rm -rf $(VRRP_MUTANTS_TREE) && mkdir -p $(VRRP_MUTANTS_TREE)
	cp -r src benches tests Cargo.toml Cargo.lock $(VRRP_MUTANTS_TREE)/
	printf 'pub mod config {\n    pub mod model;\n}\npub mod time;\npub mod vrrp;\n' > $(VRRP_MUTANTS_TREE)/src/lib.rs
	cd $(VRRP_MUTANTS_TREE) && $(MUTANTS) --gitignore false -o $(CURDIR)/target/mutants/vrrp -f 'src/vrrp/*.rs' -- -- vrrp::

demo: install
	$(MAKE) all
	tests/demo.sh $(BIN)

# Every example in config/ through kalive -t, next to keepalived -t.
examples: all
	tests/check_examples.sh $(BIN)

# The OpenWrt .ipk files (target/image/: kalive with `make`'s binary, kalive-keepalived with
# `make keepalived`'s) and the Buildroot tree's checks: image/Makefile, image/README.md "Packaging".
image: all keepalived
	$(MAKE) -C image image

clean:
	$(CARGO) clean
	rm -rf fuzz/target

# The tests that need no kernel of their own: the unit tests, the simulated LAN (tests/sim), the
# captured wire vectors, the malformed adverts, the fuzz corpora and the allocation counters.
# The rest set up namespaces, run keepalived or boot VMs: x86_64 only.
CROSS_SUITES := --lib --test sim --test wire_vectors --test malformed_adverts --test fuzz_corpus \
	--test alloc_steady_state --test wheel_alloc
# Tests unwind, so std is rebuilt with panic_unwind (plain -Zbuild-std) where the toolchain has no
# rust-std for the target; aarch64 uses stable's. opt-level 1: the keyword-table test alone takes
# 30 s unoptimised on x86_64 and over 30 minutes under qemu-mips.
cross_test_cargo_$(AARCH64) := $(CARGO) test --target $(AARCH64)
qemu_$(AARCH64) := qemu-aarch64-static
$(foreach t,$(CROSS_TARGETS),$(eval cross_test_cargo_$(t) = ZIG_TARGET="$(zig_target_$(t))" \
	RUSTFLAGS="$(ZIG_RUSTFLAGS) $(rustflags_$(t))" $(CARGO) +$(NIGHTLY) test --target $(t) -Zbuild-std))

# The suites $(2) built for target $(1) and run under its qemu-user; says how many tests passed
# and how long it took (the cargo output is in target/cross-test/$(1).log).
define cross_suites
	set -e; start=$$(date +%s); log=target/cross-test/$(1).log; mkdir -p target/cross-test; \
	if ! command -v $(qemu_$(1)) >/dev/null; then echo "$(1): $(qemu_$(1)) not installed: tests not run"; \
	else echo "cross-test: $(1) under $(qemu_$(1)) (log in $$log)"; \
		env "CARGO_TARGET_$$(echo $(1) | tr a-z- A-Z_)_RUNNER=$(qemu_$(1))" CARGO_TARGET_DIR=target/cross-test \
			CARGO_PROFILE_DEV_OPT_LEVEL=1 CARGO_PROFILE_DEV_DEBUG=0 \
			$(cross_test_cargo_$(1)) --no-fail-fast $(2) >$$log 2>&1 || \
			{ grep -E '^test .*FAILED|panicked|^error' $$log | head -40 >&2; \
			echo "make: $(1): tests failed under $(qemu_$(1)) (see $$log)" >&2; exit 1; }; \
		awk -v t=$(1) -v s=$$(($$(date +%s) - start)) '/^test result:/ { p += $$4; f += $$6; n++ } \
			END { printf "%s: %d tests passed, %d failed, in %d suites under qemu-user (%d s)\n", t, p, f, n, s }' $$log; \
	fi
endef

# Builds target $(1) with zig as its linker, and says how long it took.
define cross_build
	set -e; start=$$(date +%s); echo "cross: $(1) (zig target $(zig_target_$(1)))"; \
	ZIG_TARGET="$(zig_target_$(1))" RUSTFLAGS="$(ZIG_RUSTFLAGS) $(rustflags_$(1)) $(release_rustflags_$(1)) $(ABORT_FLAGS)" \
		$(CARGO) +$(NIGHTLY) build --release --target $(1) $(BUILD_STD); \
	if command -v $(LLVM_OBJCOPY) >/dev/null; then $(LLVM_OBJCOPY) --strip-all target/$(1)/release/kalive; \
	else echo "cross: no $(LLVM_OBJCOPY): MIPS's .pdr section (~100 KB) stays in target/$(1)/release/kalive"; fi; \
	echo "cross: $(1) built in $$(($$(date +%s) - start)) s"
endef

# $(1) (a qemu-user binary) runs $(2) with -t on every file under $(3), which must exit and print
# as the x86_64 binary does; without $(1) installed it says so and passes.
define same_as_x86_64
	if command -v $(1) >/dev/null; then set -e; n=0; \
		[ -x $(2) ] || { echo "make: no $(2) (make cross-build makes it)" >&2; exit 1; }; \
		$(1) $(2) --version; \
		for f in $$(find $(3) -type f | sort); do a=0; x=0; n=$$((n + 1)); \
			said=$$($(1) $(2) -t -f $$f 2>&1) || a=$$?; \
			x86_said=$$($(BIN) -t -f $$f 2>&1) || x=$$?; \
			[ $$a = $$x ] || { echo "make: $(2) -t $$f exits $$a under $(1), x86_64 $$x" >&2; exit 1; }; \
			[ "$$said" = "$$x86_said" ] || { echo "make: $(2) -t $$f says otherwise than x86_64:" >&2; \
				echo "$$said" >&2; exit 1; }; \
		done; echo "$(2): -t on $$n files ($(3)) under $(1): same exit codes and output as x86_64"; \
	else echo "$(2): $(1) not installed: -t not run"; fi
endef

# `file` says "static-pie linked" (x86_64, the musl default) or "statically linked" (aarch64 via
# rust-lld); anything dynamic fails the build.
define check_static
	out=$$(file -b $(1)); echo "$(1): $$out"; \
	case "$$out" in *"static-pie linked"*|*"statically linked"*) ;; \
	*) echo "make: $(1) is not statically linked" >&2; exit 1;; esac
endef
