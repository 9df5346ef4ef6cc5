# protocols/: the guest-facing SVSM ABI (svsm_abi.h), register decoding (request), the protocol
# table (dispatch), the core (core), attestation (attest) and vTPM (vtpm_protocol) protocols.
# All portable: the same sources build into the kernel and into the host unit tests. The host
# tests (tests/host/protocols_*_test.c, picked up by tests/module.mk) also link the fake core
# backend listed here.
KERNEL_C_SRCS += protocols/request.c protocols/dispatch.c protocols/core.c \
	protocols/attest.c protocols/vtpm_protocol.c
HOST_PORTABLE_SRCS += protocols/request.c protocols/dispatch.c protocols/core.c \
	protocols/attest.c protocols/vtpm_protocol.c \
	tests/host/fake_core_backend.c
