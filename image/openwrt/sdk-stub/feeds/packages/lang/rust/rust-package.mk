# Stand-in for feeds/packages lang/rust/rust-package.mk: the names a package Makefile uses.
# Nothing is compiled; image/Makefile hands in the binaries already built: STUB_BIN, and
# STUB_KEEPALIVED_BIN for a build whose features include keepalived.

RUST_ARCH_DEPENDS := @(aarch64||arm||i386||loongarch64||mips||mips64||mips64el||mipsel||powerpc||powerpc64||riscv64||x86_64)
CARGO_RUSTFLAGS = -Ctarget-feature=-crt-static
CARGO_PKG_VARS = RUSTFLAGS="$(CARGO_RUSTFLAGS)" CARGO_PROFILE_RELEASE_PANIC=unwind

# $(2): more cargo arguments. Where OpenWrt runs `cargo install --root $(PKG_INSTALL_DIR)` with
# RUST_PKG_FEATURES and $(2), this puts the binary built for those features at
# $(PKG_INSTALL_DIR)/bin/kalive, and adds a line with the features to
# $(PKG_INSTALL_DIR)/cargo-features (what the package tests read).
stub_features = $(strip $(RUST_PKG_FEATURES) $(filter-out --%,$(1)))
stub_bin = $(if $(filter keepalived,$(call stub_features,$(1))),$(STUB_KEEPALIVED_BIN),$(STUB_BIN))
define Build/Compile/Cargo
	@[ -f "$(call stub_bin,$(2))" ] || { echo "stub cargo install: no binary for the features '$(call stub_features,$(2))': '$(call stub_bin,$(2))'" >&2; exit 1; }
	install -d -m0755 $(PKG_INSTALL_DIR)/bin
	install -m0755 $(call stub_bin,$(2)) $(PKG_INSTALL_DIR)/bin/kalive
	echo 'features=$(call stub_features,$(2))' >> $(PKG_INSTALL_DIR)/cargo-features
endef

Build/Compile = $(call Build/Compile/Cargo)

define RustBinPackage
  ifndef Package/$(1)/install
    $$(error stub rust-package.mk: $(1) has no install section)
  endif
endef
