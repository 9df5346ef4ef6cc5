# igvm/module.mk: host tools that build, inspect and load Bastion's IGVM image.
# Variables only; the top-level Makefile owns the rules. All paths are from the repo root,
# and every source includes headers as "igvm/...", "kernel/...", so build with -I. (repo root).
#
#   IGVM_LIB_SRCS   portable library sources (hosted C11 + libc), linked into all three tools
#                   and into the host test binary
#   IGVMBUILD_SRCS  main of igvmbuild: igvmbuild --elf build/bastion.elf -o build/bastion.igvm
#                   [--firmware FIRMWARE.fd]
#   IGVMDUMP_SRCS   main of igvmdump:  igvmdump FILE.igvm
#   IGVMLOAD_SRCS   main of igvmload:  igvmload --mem-mib N [--smp N] --out DIR [--rom PATH] FILE.igvm
#                   (default --rom: qemu_reset_rom.bin in the directory of the igvmload binary)
#   HOST_TEST_SRCS  host unit tests (ktest); link with tests/ktest/ktest.c, tests/host/host_main.c
#                   and $(IGVM_LIB_SRCS); run with BASTION_ELF=build/bastion.elf set
#   IGVM_CLI_TEST   tests/igvm_cli_test.sh FILE.igvm BUILD_TOOLS_DIR (needs the built igvmdump;
#                   its firmware checks also use igvmbuild/igvmload from BUILD_TOOLS_DIR or
#                   BUILD_TOOLS_DIR/../../tools, and BASTION_ELF)

IGVM_LIB_SRCS := \
	kernel/crc32.c \
	igvm/igvm_parse.c \
	igvm/elf64.c \
	igvm/firmware.c \
	igvm/igvm_build.c \
	igvm/igvm_dump.c \
	igvm/igvm_load.c

IGVMBUILD_SRCS := igvm/igvmbuild.c
IGVMDUMP_SRCS := igvm/igvmdump.c
IGVMLOAD_SRCS := igvm/igvmload.c
# igvmmeasure (SNP launch digest, QEMU/KVM rule check) links OpenSSL's libcrypto for SHA-384.
IGVMMEASURE_SRCS := igvm/igvmmeasure.c igvm/igvm_measure.c

HOST_TEST_SRCS += $(sort $(wildcard tests/host/igvm_*_test.c))

IGVM_CLI_TEST := tests/igvm_cli_test.sh
