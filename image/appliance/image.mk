# Included by image/Makefile: `make image` also builds the initramfs appliance
# (image/README.md "Appliance") from the same binary, x86_64 only (Debian's linux-image-amd64).
ifeq ($(ARCH),x86_64)
IMAGE_TARGETS += appliance
endif

.PHONY: appliance
appliance:
	appliance/build.sh -k $(bin)
