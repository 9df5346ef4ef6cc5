# arch/x86/snp: the SEV-SNP platform layer (GHCB MSR and page protocols, PVALIDATE/RMPADJUST,
# SEV_STATUS policy, guest VMSA construction, secrets page). See docs/snp.md.
#
# The same sources build into the kernel and, with -DBASTION_HOST, into the host tests, where
# arch/x86/snp/insn.h sends the SNP instructions to a backend instead: insn_host.c holds the
# backend slot (host only) and tests/host/snp_mock_hv.c is the mock hypervisor behind it (a
# host-test helper that is not a *_test.c file, so it is listed here).
KERNEL_C_SRCS += arch/x86/snp/snp_result.c arch/x86/snp/ghcb_msr.c arch/x86/snp/ghcb.c \
	arch/x86/snp/pvalidate.c arch/x86/snp/sev_status.c arch/x86/snp/vmsa_build.c \
	arch/x86/snp/secrets.c arch/x86/snp/cpuid_emul.c arch/x86/snp/vc.c \
	arch/x86/snp/ghcb_setup.c arch/x86/snp/snp_panic.c arch/x86/snp/snp_core.c \
	arch/x86/snp/snp_platform.c arch/x86/snp/guest_msg.c
HOST_PORTABLE_SRCS += arch/x86/snp/snp_result.c arch/x86/snp/ghcb_msr.c arch/x86/snp/ghcb.c \
	arch/x86/snp/pvalidate.c arch/x86/snp/sev_status.c arch/x86/snp/vmsa_build.c \
	arch/x86/snp/secrets.c arch/x86/snp/cpuid_emul.c arch/x86/snp/vc.c \
	arch/x86/snp/ghcb_setup.c arch/x86/snp/snp_panic.c arch/x86/snp/snp_core.c arch/x86/snp/guest_msg.c \
	arch/x86/snp/insn_host.c tests/host/snp_mock_hv.c
