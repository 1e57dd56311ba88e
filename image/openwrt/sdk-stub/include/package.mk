# Stand-in for OpenWrt's include/package.mk. `compile` runs the package's Build/Compile (the
# stub's cargo install: ../feeds/packages/lang/rust/rust-package.mk) into a fresh
# $(PKG_INSTALL_DIR). BuildPackage defines `stage-NAME` for each package, which does what OpenWrt
# does before ipkg-build: compile, run the package's install section into $(IDIR), and write
# $(IDIR)/CONTROL: control (Depends with +libc added and @conditions dropped, Provides and
# Conflicts when set, Version PKG_VERSION-rPKG_RELEASE, Installed-Size filled in later),
# conffiles, and the default postinst/prerm that call default_postinst/default_prerm from
# /lib/functions.sh. Conffiles the package does not ship go to lib/upgrade/keep.d/NAME, so
# sysupgrade keeps them. `stage` is the first package's. `print-VAR` prints a variable.

PKGARCH ?= x86_64
STUB_BIN ?=
STUB_KEEPALIVED_BIN ?=

.PHONY: compile
compile:
	rm -rf $(PKG_INSTALL_DIR)
	$(Build/Compile)

stub_empty :=
stub_space := $(stub_empty) $(stub_empty)
stub_comma := ,
# "+a +b @c" -> "libc, a, b". Conditional dependencies (A:b) are not needed by kalive.
stub_depends = $(subst $(stub_space),$(stub_comma)$(stub_space),$(strip \
	$(patsubst +%,%,$(filter-out @%,+libc $(filter-out +libc,$(1))))))

# Each package's own fields: OpenWrt starts every Package/NAME definition from empty ones.
define BuildPackage
$(eval SECTION:=)$(eval DEPENDS:=)$(eval PROVIDES:=)$(eval CONFLICTS:=)
$(eval $(Package/$(1)))
$(if $(findstring :,$(DEPENDS)),$(error stub package.mk: conditional DEPENDS are not supported))
STUB_DEPENDS_$(1) := $(call stub_depends,$(DEPENDS))
STUB_SECTION_$(1) := $(SECTION)
STUB_PROVIDES_$(1) := $(strip $(PROVIDES))
STUB_CONFLICTS_$(1) := $(strip $(CONFLICTS))
STUB_PACKAGES += $(1)

.PHONY: stage stage-$(1)
stage: stage-$(firstword $(STUB_PACKAGES) $(1))
stage-$(1): export STUB_DESCRIPTION = $$(Package/$(1)/description)
stage-$(1): export STUB_CONFFILES = $$(Package/$(1)/conffiles)
stage-$(1):
	rm -rf $$(IDIR) $$(PKG_INSTALL_DIR)
	$$(Build/Compile)
	$$(INSTALL_DIR) $$(IDIR)
	$$(call Package/$(1)/install,$$(IDIR))
	for f in $$$$STUB_CONFFILES; do \
		[ -f "$$(IDIR)$$$$f" ] && continue; \
		$$(INSTALL_DIR) $$(IDIR)/lib/upgrade/keep.d; \
		echo "$$$$f" >> $$(IDIR)/lib/upgrade/keep.d/$(1); \
	done
	[ ! -f $$(IDIR)/lib/upgrade/keep.d/$(1) ] || chmod 0644 $$(IDIR)/lib/upgrade/keep.d/$(1)
	$$(INSTALL_DIR) $$(IDIR)/CONTROL
	{ \
		echo "Package: $(1)"; \
		echo "Version: $$(PKG_VERSION)-r$$(PKG_RELEASE)"; \
		echo "Depends: $$(STUB_DEPENDS_$(1))"; \
		$(if $(strip $(PROVIDES)),echo "Provides: $$(STUB_PROVIDES_$(1))";) \
		$(if $(strip $(CONFLICTS)),echo "Conflicts: $$(STUB_CONFLICTS_$(1))";) \
		echo "SourceName: $$(PKG_NAME)"; \
		echo "License: $$(PKG_LICENSE)"; \
		echo "Section: $$(STUB_SECTION_$(1))"; \
		echo "Architecture: $$(PKGARCH)"; \
		echo "Installed-Size: 0"; \
		printf 'Description: '; printf '%s\n' "$$$$STUB_DESCRIPTION" | sed -e 's,^[[:space:]]*, ,'; \
	} > $$(IDIR)/CONTROL/control
	printf '%s\n' $$$$STUB_CONFFILES > $$(IDIR)/CONTROL/conffiles
	$$(INSTALL_BIN) $$(TOPDIR)/include/postinst $$(TOPDIR)/include/prerm $$(IDIR)/CONTROL/
	chmod 0644 $$(IDIR)/CONTROL/control $$(IDIR)/CONTROL/conffiles
endef

print-%:
	@printf '%s\n' '$($*)'
