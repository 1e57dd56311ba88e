################################################################################
#
# kalive
#
################################################################################

# The source is the kalive tree this br2-external lives in (image/buildroot/../..), so there is
# no tarball and no kalive.hash: Buildroot checks no hash for a local site.
KALIVE_SITE = $(realpath $(BR2_EXTERNAL_KALIVE_PATH)/../..)
KALIVE_SITE_METHOD = local
KALIVE_VERSION = $(shell sed -n 's/^version *= *"\(.*\)"/\1/p' $(KALIVE_SITE)/Cargo.toml | head -n 1)
KALIVE_LICENSE = MIT or Apache-2.0
KALIVE_OVERRIDE_SRCDIR_RSYNC_EXCLUSIONS = --exclude=/target --exclude=/fuzz

# cargo-package vendors the crates in its download step, which a local site skips: vendor them
# before the build, into the cargo home Buildroot keeps in DL_DIR (the crates are downloaded
# once, when Cargo.lock changes), so that `cargo build --offline` finds them.
define KALIVE_CARGO_VENDOR
	mkdir -p $(@D)/.cargo $(BR_CARGO_HOME)
	cd $(@D) && $(HOST_MAKE_ENV) $(PKG_COMMON_CARGO_ENV) \
		flock $(BR_CARGO_HOME)/.br-lock \
		cargo vendor --locked VENDOR > $(@D)/.cargo/config.toml
endef
KALIVE_PRE_BUILD_HOOKS += KALIVE_CARGO_VENDOR

# Only the daemon, not the benchmarks.
KALIVE_CARGO_BUILD_OPTS = --bin kalive

ifeq ($(BR2_PACKAGE_KALIVE_TLS),y)
KALIVE_CARGO_BUILD_OPTS += --features tls
endif

# After PKG_CARGO_ENV on the cargo command line, so these win over BR2_OPTIMIZE_* and LTO.
ifeq ($(BR2_PACKAGE_KALIVE_SIZE_PROFILE),y)
KALIVE_CARGO_ENV = \
	CARGO_PROFILE_RELEASE_OPT_LEVEL=z \
	CARGO_PROFILE_RELEASE_LTO=true \
	CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1
endif

# The binary built above, into /usr/sbin like keepalived (cargo install would build it again,
# into /usr/bin).
KALIVE_BUILT = $(@D)/target/$(RUSTC_TARGET_NAME)/$(if $(BR2_ENABLE_DEBUG),debug,release)/kalive
define KALIVE_INSTALL_TARGET_CMDS
	$(INSTALL) -D -m 0755 $(KALIVE_BUILT) $(TARGET_DIR)/usr/sbin/kalive
endef

ifeq ($(BR2_PACKAGE_KALIVE_EXAMPLE_CONFIG),y)
define KALIVE_INSTALL_EXAMPLE_CONFIG
	$(INSTALL) -D -m 0600 $(@D)/config/master.conf $(TARGET_DIR)/etc/kalive/kalive.conf
endef
KALIVE_POST_INSTALL_TARGET_HOOKS += KALIVE_INSTALL_EXAMPLE_CONFIG
endif

define KALIVE_INSTALL_INIT_SYSV
	$(INSTALL) -D -m 0755 $(KALIVE_PKGDIR)/S50kalive $(TARGET_DIR)/etc/init.d/S50kalive
endef

# IPVS for LVS (with the schedulers and protocols keepalived configurations use most), macvlan
# for use_vmac.
define KALIVE_LINUX_CONFIG_FIXUPS
	$(call KCONFIG_ENABLE_OPT,CONFIG_NETFILTER)
	$(call KCONFIG_ENABLE_OPT,CONFIG_IP_VS)
	$(call KCONFIG_ENABLE_OPT,CONFIG_IP_VS_IPV6)
	$(call KCONFIG_ENABLE_OPT,CONFIG_IP_VS_PROTO_TCP)
	$(call KCONFIG_ENABLE_OPT,CONFIG_IP_VS_PROTO_UDP)
	$(call KCONFIG_ENABLE_OPT,CONFIG_IP_VS_RR)
	$(call KCONFIG_ENABLE_OPT,CONFIG_IP_VS_WRR)
	$(call KCONFIG_ENABLE_OPT,CONFIG_IP_VS_LC)
	$(call KCONFIG_ENABLE_OPT,CONFIG_IP_VS_WLC)
	$(call KCONFIG_ENABLE_OPT,CONFIG_MACVLAN)
endef

$(eval $(cargo-package))
