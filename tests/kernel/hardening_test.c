/*
 * Hardening (issue #10 item 4): the per-boot stack guard, SMEP/SMAP/UMIP when the CPU has
 * them, the secrets panic wipes, and (selected by name, run by tests/boot_test.sh) a smashed
 * stack caught by the guard and a panic that wipes every registered secret before the VM ends.
 */
#include <stdint.h>

#include "arch/x86/cpu.h"
#include "kernel/console.h"
#include "kernel/layout.h"
#include "kernel/panic.h"
#include "kernel/stack_protector.h"
#include "kernel/string.h"
#include "mm/kernel_map.h"
#include "tests/ktest/ktest.h"

KTEST(hardening, stack_guard_is_per_boot)
{
	EXPECT_TRUE(stack_protector_is_per_boot());
}

KTEST(hardening, smep_smap_umip_follow_cpuid)
{
	struct cpuid_regs r = cpu_cpuid(7, 0);
	uint64_t cr4 = cpu_read_cr4();

	EXPECT_EQ((cr4 & CR4_SMEP) != 0, (r.ebx & (1u << 7)) != 0);
	EXPECT_EQ((cr4 & CR4_SMAP) != 0, (r.ebx & (1u << 20)) != 0);
	EXPECT_EQ((cr4 & CR4_UMIP) != 0, (r.ecx & (1u << 2)) != 0);
}

/* The vTPM service registered its state, buffer and the platform key; the native platform
 * also the report key. */
KTEST(hardening, secrets_registered_for_panic)
{
	EXPECT_GE(panic_secret_count(), 3u);
	EXPECT_FALSE(panic_secrets_all_zero()); /* the TPM state is not all zero */
}

/* A buffer overflow into the canary: __stack_chk_fail panics. */
__attribute__((noinline)) static void smash(volatile uint8_t *src, size_t n)
{
	char buf[16];
	char *volatile dst = buf; /* the compiler cannot see the overflow coming */

	for (size_t i = 0; i < n; i++) {
		dst[i] = (char)src[i];
	}
	__asm__ volatile("" : : "r"(buf) : "memory");
}

KTEST_EXPLICIT(hardening, stack_smash)
{
	static volatile uint8_t junk[40] = { 0x41 }; /* buf, the canary and a bit beyond */

	smash(junk, sizeof(junk));
	EXPECT_TRUE(false); /* unreachable: the epilogue's check panics */
}

static uint8_t test_secret[32];

/* Runs after panic_terminate() wiped the registered secrets (the platform hook slot). */
static void after_wipe(void)
{
	console_printf("hardening: %u secret regions, all zero after the panic wipe: %s\n",
		   panic_secret_count(), panic_secrets_all_zero() ? "yes" : "NO");
}

KTEST_EXPLICIT(hardening, panic_wipes_secrets)
{
	bastion_memset(test_secret, 0xA5, sizeof(test_secret));
	panic_register_secret(test_secret, sizeof(test_secret));
	panic_set_platform_hook(after_wipe);
	panic("deliberate panic: the secrets must be wiped");
}

/* W^X is verified on the live tables at boot; the verifier notices a writable .rodata page
 * (made so here, then restored). */
KTEST(hardening, wx_verified_and_the_check_can_fail)
{
	struct pgtable *pt = kernel_map_pgtable();
	vaddr_t ro = vaddr_init(layout_rodata_start());

	EXPECT_EQ(kernel_map_verify(), 0u);
	ASSERT_EQ(pgtable_protect(pt, ro, PAGE_SIZE, PGTABLE_READ | PGTABLE_WRITE), PGTABLE_OK);
	EXPECT_EQ(kernel_map_verify(), 1u);
	ASSERT_EQ(pgtable_protect(pt, ro, PAGE_SIZE, PGTABLE_READ), PGTABLE_OK);
	EXPECT_EQ(kernel_map_verify(), 0u);
}

/* .ro_after_init is sealed before the tests (and the guest) run. */
KTEST(hardening, ro_after_init_sealed)
{
	unsigned int prot = 0;

	ASSERT_LT(layout_ro_after_init_start(), layout_ro_after_init_end());
	ASSERT_TRUE(pgtable_lookup(kernel_map_pgtable(), vaddr_init(layout_ro_after_init_start()),
				   NULL, &prot, NULL));
	EXPECT_EQ(prot, PGTABLE_READ);
}

/* Writing there faults (tests/boot_test.sh checks the #PF report). */
KTEST_EXPLICIT(hardening, ro_after_init_write)
{
	volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)layout_ro_after_init_start();

	*p = 0x5a5a5a5a5a5a5a5aull;
	EXPECT_TRUE(false); /* unreachable */
}
