# tests/: the ktest framework, in-kernel tests (test image only) and host unit tests.
KTEST_KERNEL_SRCS += tests/ktest/ktest.c tests/ktest/ktest_kernel.c \
	$(sort $(wildcard tests/kernel/*_test.c))
HOST_TEST_SRCS += $(sort $(wildcard tests/host/*_test.c)) tests/host/host_panic.c
# Test guests: flat binaries assembled with nasm -f bin and embedded in the test image.
KTEST_KERNEL_ASM_SRCS += tests/guest/npt_probe_blob.asm tests/guest/call_probe_blob.asm
TEST_GUEST_BINS += npt_probe.bin call_probe.bin
# guest_msg (SNP guest messages) and other users of crypto/ in the host tests.
HOST_PORTABLE_SRCS += $(CRYPTO_SRCS) tests/crypto/simd_host.c
