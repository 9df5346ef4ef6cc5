# vtpm/: Bastion's TPM 2.0 engine (docs/vtpm.md). Portable freestanding C over crypto/: the
# same sources build into the kernel and into the host binaries build/host/vtpm_tests
# (tests/vtpm/*_test.c, ASan/UBSan) and build/vtpm-server (tests/vtpm/server/, the Microsoft
# simulator protocol over TCP for tpm2-tools and tpm2-pytss).
VTPM_SRCS := $(sort $(wildcard vtpm/*.c))
KERNEL_C_SRCS += $(VTPM_SRCS)
# The host unit tests (build/host/host_tests) link the engine too: the vTPM protocol's tests
# (tests/host/protocols_vtpm_test.c) drive the real engine through the fake guest memory.
HOST_PORTABLE_SRCS += $(VTPM_SRCS)
