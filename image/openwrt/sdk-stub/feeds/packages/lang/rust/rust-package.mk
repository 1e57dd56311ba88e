# Stand-in for feeds/packages lang/rust/rust-package.mk: the names a package Makefile uses.
# Nothing is compiled; image/Makefile hands in the binary (STUB_BIN).

RUST_ARCH_DEPENDS := @(aarch64||arm||i386||loongarch64||mips||mips64||mips64el||mipsel||powerpc||powerpc64||riscv64||x86_64)
CARGO_RUSTFLAGS = -Ctarget-feature=-crt-static
CARGO_PKG_VARS = RUSTFLAGS="$(CARGO_RUSTFLAGS)" CARGO_PROFILE_RELEASE_PANIC=unwind

define RustBinPackage
  ifndef Package/$(1)/install
    $$(error stub rust-package.mk: $(1) has no install section)
  endif
endef
