# Stand-in for Buildroot's package infrastructure, enough to read image/buildroot's external.mk
# the way Buildroot does and look at what it defines (tests/image/buildroot.py):
#   make -f buildroot-stub.mk BR2_EXTERNAL_KALIVE_PATH=... [BR2_...=y] print-VAR
#   make -f buildroot-stub.mk ... STUB_BUILD_DIR=D TARGET_DIR=T D/.run-VAR   (runs a define with
#   $(@D) = D, as Buildroot's stamp rules do)
# cargo-package only records the package directory (KALIVE_PKGDIR) here.

pkgdir = $(dir $(lastword $(MAKEFILE_LIST)))
pkgname = $(lastword $(subst /, ,$(pkgdir)))
UPPERCASE = $(shell echo $(1) | tr a-z- A-Z_)

define cargo-package
$(call UPPERCASE,$(pkgname))_PKGDIR = $(pkgdir)
endef

INSTALL = install
RUSTC_TARGET_NAME ?= x86_64-unknown-linux-musl
TARGET_DIR ?= /nonexistent-target
STUB_KCONFIG ?= /dev/null
KCONFIG_ENABLE_OPT = echo '$(1)=y' >> $(STUB_KCONFIG)

include $(BR2_EXTERNAL_KALIVE_PATH)/external.mk

print-%:
	$(info $($*))@:

$(STUB_BUILD_DIR)/.run-%:
	$($*)
