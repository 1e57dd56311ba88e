# Stand-in for an OpenWrt buildroot's rules.mk, enough for ../kalive/Makefile to be read and its
# install section run without an OpenWrt tree (`make -C image openwrt-ipk`). Our own file: only
# the names the package uses, with the modes OpenWrt gives them.

INCLUDE_DIR := $(TOPDIR)/include
INSTALL_DIR := install -d -m0755
INSTALL_BIN := install -m0755
INSTALL_DATA := install -m0644
INSTALL_CONF := install -m0600
CP := cp -fpR

# Set by image/Makefile: where the package is staged and where the binary "cargo install" put.
IDIR ?= $(CURDIR)/ipkg
PKG_INSTALL_DIR ?= $(CURDIR)/install
PKG_BUILD_DIR ?= $(CURDIR)/build
