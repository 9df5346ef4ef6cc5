/*
 * The SEV-SNP platform: Bastion at VMPL0, the guest at VMPL1 (docs/snp.md, "Boot on SNP").
 * Kernel only; it strings together the host-tested pieces of arch/x86/snp/.
 *
 * Boot order (kernel/main.c):
 *   snp_boot_early()   right after cpu_tables_init(), before anything that may execute CPUID
 *                      or touch Bastion's heap: panic hook, SEV_STATUS policy, #VC handler
 *                      (CPUID from the CPUID page), secrets page, GHCB protocol version and
 *                      hypervisor features, PVALIDATE of Bastion's heap. No console output
 *                      reaches the UART yet (console_init_deferred()).
 *   mm_init()
 *   snp_boot_ghcb()    the boot CPU's GHCB; then console_start() flushes the early log.
 *   platform_init()    selects snp_platform_ops: the firmware image and its CPUID page are
 *                      granted to VMPL1.
 * Every failure terminates through the GHCB MSR protocol with a reason (ghcb_msr.h).
 *
 * Not verified on hardware (no SNP host in CI): see docs/snp.md for what is tested how.
 */
#pragma once

#include "kernel/platform.h"

void snp_boot_early(void);
void snp_boot_ghcb(void);

extern const struct platform_ops snp_platform_ops;
