/*
 * What a panic must do on SEV-SNP before the VM ends (SVSM spec 58019 and ABI reference 3.6:
 * a VMPCK must never outlive a failure that could make Bastion reuse a message sequence
 * number; GHCB spec 56421, "GHCB MSR Protocol": termination request).
 *
 * snp_panic_cleanup() is the platform hook the SNP boot path installs with
 * panic_set_platform_hook(): kernel/panic.c calls it once, after the panic message or the
 * fatal exception report is printed. It wipes every VMPCK in Bastion's copy of the secrets
 * page (secrets_wipe_keys()) and then asks the hypervisor to terminate the VM through the
 * GHCB MSR protocol: request 0x100 with reason set 1 (GHCB_TERM_SET_BASTION), code
 * BASTION_TERM_GENERAL (0x10), i.e. MSR value 0x101100. It never returns: if the host resumes
 * the vCPU, the request is repeated after HLT, forever (ghcb_msr_terminate()).
 *
 * It uses only the MSR protocol, never the GHCB page: the panic may have happened in the
 * middle of a GHCB call, so the page's contents are not trusted to be consistent. It allocates
 * nothing and takes no lock. Portable (host-tested against the mock hypervisor).
 */
#pragma once

/* Wipes the VMPCKs, then terminates (set 1, BASTION_TERM_GENERAL). Never returns. */
__attribute__((noreturn)) void snp_panic_cleanup(void);
