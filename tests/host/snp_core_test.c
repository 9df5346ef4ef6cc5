/*
 * The SNP core backend (arch/x86/snp/snp_core.c) against the mock hypervisor: which
 * instruction runs on which mapping with which operand, how results become arch codes, that
 * revokes are flushed, and that DEPOSIT/WITHDRAW keep ledger, pool and RMP in step (undoing
 * on failure). Host memory stands in for guest RAM.
 */
#include <stdlib.h>
#include <string.h>

#include "arch/x86/snp/insn.h"
#include "arch/x86/snp/snp_core.h"
#include "arch/x86/vmsa.h"
#include "kernel/boot_params.h"
#include "mm/deposit_pool.h"
#include "mm/page_state.h"
#include "protocols/core_backend.h"
#include "tests/host/snp_mock_hv.h"
#include "tests/ktest/ktest.h"

#define RAM (8ull << 20)
#define FLUSH_MAX 16

static uint8_t *guest_ram;  /* 2 MiB aligned host copy of guest RAM [0, RAM) */
static unsigned int maps, unmaps, map_fail;
static struct {
	uint64_t gpa, bytes;
} flushes[FLUSH_MAX];
static unsigned int flush_count;

static void *t_map(gpa_t gpa, uint64_t bytes)
{
	if (map_fail != 0 || gpa_get(gpa) + bytes > RAM || gpa_get(gpa) % bytes != 0) {
		return NULL;
	}
	maps++;
	return guest_ram + gpa_get(gpa);
}

static void t_unmap(void *va)
{
	(void)va;
	unmaps++;
}

static void t_flush(gpa_t gpa, uint64_t bytes)
{
	if (flush_count < FLUSH_MAX) {
		flushes[flush_count].gpa = gpa_get(gpa);
		flushes[flush_count].bytes = bytes;
	}
	flush_count++;
}

static void *t_alloc(size_t size, void *ctx)
{
	(void)ctx;
	return calloc(1, size);
}

static void t_free(void *p, size_t size, void *ctx)
{
	(void)size;
	(void)ctx;
	free(p);
}

struct fixture {
	struct page_state ledger;
	struct deposit_pool pool;
	struct snp_core_env env;
	struct core_backend be;
};

static bool setup(struct fixture *f)
{
	struct boot_memmap map = { .count = 1 };
	struct page_state_callbacks cb = { .alloc = t_alloc, .free = t_free, .ctx = NULL };

	memset(f, 0, sizeof(*f));
	if (guest_ram == NULL) {
		guest_ram = aligned_alloc(1u << 21, RAM);
		if (guest_ram == NULL) {
			return false;
		}
	}
	memset(guest_ram, 0xA5, RAM);
	maps = unmaps = map_fail = flush_count = 0;
	snp_mock_hv_reset();
	map.ranges[0] = (struct boot_mem_range){ .base = 0, .size = RAM, .type = BOOT_MEM_RAM };
	if (page_state_init(&f->ledger, &map, &cb) != PS_OK ||
	    deposit_pool_init(&f->pool, RAM, t_alloc, NULL) != 0) {
		return false;
	}
	/* Everything validated for the guest, as after the guest accepted its memory. */
	for (uint64_t g = 0; g < RAM; g += 1u << 21) {
		if (page_state_apply(&f->ledger, gpa_init(g), PAGE_SIZE_2M, PS_OP_VALIDATE, 0) != PS_OK) {
			return false;
		}
	}
	f->env = (struct snp_core_env){ .ledger = &f->ledger, .pool = &f->pool, .guest_vmpl = 1,
					 .boot_sev_features = 0x1, .map = t_map, .unmap = t_unmap,
					 .flush = t_flush };
	snp_core_backend_fill(&f->be, &f->env);
	f->be.ledger = &f->ledger;
	return true;
}

static void teardown(struct fixture *f)
{
	page_state_destroy(&f->ledger);
	free(f->pool.bits);
}

static struct snp_insn_ret ret(uint32_t eax, bool cf)
{
	return (struct snp_insn_ret){ .eax = eax, .cf = cf };
}

/* Every call answers EAX script[0], CF script[1]. */
static struct snp_insn_ret hook_all(struct snp_mock_hv *hv, unsigned int i, uint64_t va, uint32_t size,
				    uint64_t arg)
{
	(void)i;
	(void)va;
	(void)size;
	(void)arg;
	return ret((uint32_t)hv->script[0], hv->script[1] != 0);
}

/* Call number script[2] answers EAX script[0]; the others succeed. */
static struct snp_insn_ret hook_nth(struct snp_mock_hv *hv, unsigned int i, uint64_t va, uint32_t size,
				    uint64_t arg)
{
	(void)va;
	(void)size;
	(void)arg;
	return i == hv->script[2] ? ret((uint32_t)hv->script[0], false) : ret(0, false);
}

KTEST(snp_core, pvalidate_on_the_mapping)
{
	struct fixture f;

	ASSERT_TRUE(setup(&f));
	EXPECT_EQ(f.be.page_pvalidate(f.be.ctx, gpa_init(0x3000), PAGE_SIZE_4K, true), CORE_ARCH_OK);
	ASSERT_EQ(snp_mock.pvalidate_count, 1u);
	EXPECT_EQ(snp_mock.pvalidates[0].va, (uint64_t)(uintptr_t)(guest_ram + 0x3000));
	EXPECT_EQ(snp_mock.pvalidates[0].size, 0u);
	EXPECT_EQ(snp_mock.pvalidates[0].arg, 1u);
	EXPECT_EQ(maps, unmaps);
	EXPECT_EQ(f.be.page_pvalidate(f.be.ctx, gpa_init(0x200000), PAGE_SIZE_2M, false), CORE_ARCH_OK);
	EXPECT_EQ(snp_mock.pvalidates[1].va, (uint64_t)(uintptr_t)(guest_ram + 0x200000));
	EXPECT_EQ(snp_mock.pvalidates[1].size, 1u);
	EXPECT_EQ(snp_mock.pvalidates[1].arg, 0u);
	/* Results as arch codes. */
	snp_mock.pvalidate_hook = hook_all;
	snp_mock.script[0] = 0;
	snp_mock.script[1] = 1;
	EXPECT_EQ(f.be.page_pvalidate(f.be.ctx, gpa_init(0x3000), PAGE_SIZE_4K, true), CORE_ARCH_NO_CHANGE);
	snp_mock.script[0] = 6;
	snp_mock.script[1] = 0;
	EXPECT_EQ(f.be.page_pvalidate(f.be.ctx, gpa_init(0x200000), PAGE_SIZE_2M, true),
		  CORE_ARCH_FAIL_SIZEMISMATCH);
	snp_mock.script[0] = 1;
	EXPECT_EQ(f.be.page_pvalidate(f.be.ctx, gpa_init(0x3000), PAGE_SIZE_4K, true), CORE_ARCH_FAIL_INPUT);
	snp_mock.script[0] = 9;
	EXPECT_EQ(f.be.page_pvalidate(f.be.ctx, gpa_init(0x3000), PAGE_SIZE_4K, true), 0xFFu);
	/* No mapping, no instruction. */
	map_fail = 1;
	snp_mock.pvalidate_count = 0;
	EXPECT_EQ(f.be.page_pvalidate(f.be.ctx, gpa_init(0x3000), PAGE_SIZE_4K, true), CORE_ARCH_FAULT);
	EXPECT_EQ(snp_mock.pvalidate_count, 0u);
	EXPECT_NE(f.be.page_zero(f.be.ctx, gpa_init(0x3000), PAGE_SIZE_4K), 0);
	teardown(&f);
}

KTEST(snp_core, grant_revoke_and_flush)
{
	struct fixture f;

	ASSERT_TRUE(setup(&f));
	EXPECT_EQ(f.be.page_grant(f.be.ctx, gpa_init(0x5000), PAGE_SIZE_4K), CORE_ARCH_OK);
	ASSERT_EQ(snp_mock.rmpadjust_count, 1u);
	EXPECT_EQ(snp_mock.rmpadjusts[0].va, (uint64_t)(uintptr_t)(guest_ram + 0x5000));
	EXPECT_EQ(snp_mock.rmpadjusts[0].arg, rmpadjust_attrs(1, RMPADJUST_PERM_ALL, false));
	EXPECT_EQ(flush_count, 0u);
	EXPECT_EQ(f.be.page_revoke(f.be.ctx, gpa_init(0x400000), PAGE_SIZE_2M), CORE_ARCH_OK);
	ASSERT_EQ(snp_mock.rmpadjust_count, 4u);
	for (unsigned int i = 1; i <= 3; i++) {
		EXPECT_EQ(snp_mock.rmpadjusts[i].arg, rmpadjust_attrs((uint8_t)i, 0, false));
		EXPECT_EQ(snp_mock.rmpadjusts[i].size, 1u);
	}
	ASSERT_EQ(flush_count, 1u);
	EXPECT_EQ(flushes[0].gpa, 0x400000u);
	EXPECT_EQ(flushes[0].bytes, 0x200000u);
	/* A failed revoke is not flushed and reports the instruction's code. */
	snp_mock.rmpadjust_hook = hook_all;
	snp_mock.script[0] = 2;
	EXPECT_EQ(f.be.page_revoke(f.be.ctx, gpa_init(0x5000), PAGE_SIZE_4K), CORE_ARCH_FAIL_PERMISSION);
	EXPECT_EQ(flush_count, 1u);
	EXPECT_EQ(maps, unmaps);
	/* Zeroing goes through the mapping. */
	EXPECT_EQ(f.be.page_zero(f.be.ctx, gpa_init(0x6000), PAGE_SIZE_4K), 0);
	EXPECT_EQ(guest_ram[0x6000], 0);
	EXPECT_EQ(guest_ram[0x6fff], 0);
	EXPECT_EQ(guest_ram[0x7000], 0xA5);
	teardown(&f);
}

KTEST(snp_core, vmsa_pages)
{
	struct fixture f;
	struct vmsa *v = NULL;
	uint64_t efer = 0;

	ASSERT_TRUE(setup(&f));
	/* 2 MiB aligned: refused before any instruction (SNP erratum). */
	EXPECT_EQ(f.be.vmsa_make(f.be.ctx, gpa_init(0x200000)), CORE_ARCH_FAIL_INPUT);
	EXPECT_EQ(snp_mock.rmpadjust_count, 0u);
	EXPECT_EQ(f.be.vmsa_make(f.be.ctx, gpa_init(0x201000)), CORE_ARCH_OK);
	ASSERT_GE(snp_mock.rmpadjust_count, 1u);
	EXPECT_EQ(snp_mock.rmpadjusts[snp_mock.rmpadjust_count - 1].arg,
		  rmpadjust_attrs(1, RMPADJUST_PERM_READ, true));
	/* SVME cleared in the page itself; reads go through the mapping. */
	v = (struct vmsa *)(guest_ram + 0x201000);
	v->efer = 0x1D01;
	EXPECT_TRUE(f.be.vmsa_disable(f.be.ctx, gpa_init(0x201000)));
	EXPECT_EQ(v->efer, 0xD01u);
	EXPECT_EQ(f.be.vmsa_read(f.be.ctx, gpa_init(0x201000), 0xD0, &efer, 8), 0);
	EXPECT_EQ(efer, 0xD01u);
	EXPECT_NE(f.be.vmsa_read(f.be.ctx, gpa_init(0x201000), 0xFFC, &efer, 8), 0);
	snp_mock.rmpadjust_count = 0;
	EXPECT_EQ(f.be.vmsa_unmake(f.be.ctx, gpa_init(0x201000)), CORE_ARCH_OK);
	ASSERT_GE(snp_mock.rmpadjust_count, 1u);
	EXPECT_EQ(snp_mock.rmpadjusts[snp_mock.rmpadjust_count - 1].arg,
		  rmpadjust_attrs(1, RMPADJUST_PERM_ALL, false));
	EXPECT_EQ(f.be.boot_sev_features(f.be.ctx), 0x1u);
	teardown(&f);
}

KTEST(snp_core, deposit_and_withdraw)
{
	struct fixture f;
	struct page_state_record rec;
	gpa_t g;

	ASSERT_TRUE(setup(&f));
	ASSERT_TRUE(f.be.pool_deposit != NULL && f.be.pool_withdraw != NULL);
	EXPECT_FALSE(f.be.pool_has_free(f.be.ctx));
	EXPECT_EQ(f.be.pool_deposit(f.be.ctx, gpa_init(0x8000), PAGE_SIZE_4K), CORE_ARCH_OK);
	EXPECT_EQ(page_state_get(&f.ledger, gpa_init(0x8000), &rec), PS_OK);
	EXPECT_EQ(rec.bits, (uint8_t)(PS_OWNER_BASTION | PAGE_STATE_VALIDATED));
	EXPECT_EQ(snp_mock.rmpadjust_count, 3u); /* VMPL1..3 revoked */
	EXPECT_EQ(flush_count, 1u);
	EXPECT_TRUE(f.be.pool_has_free(f.be.ctx));
	/* Depositing it again is refused by the ledger. */
	EXPECT_EQ(f.be.pool_deposit(f.be.ctx, gpa_init(0x8000), PAGE_SIZE_4K), CORE_ARCH_FAIL_INPUT);
	/* Withdraw: scrubbed, the guest's again, granted. */
	ASSERT_TRUE(f.be.pool_withdraw(f.be.ctx, &g));
	EXPECT_EQ(gpa_get(g), 0x8000u);
	EXPECT_EQ(guest_ram[0x8000], 0);
	EXPECT_EQ(guest_ram[0x8fff], 0);
	EXPECT_EQ(page_state_get(&f.ledger, g, &rec), PS_OK);
	EXPECT_EQ(rec.bits, (uint8_t)(PS_OWNER_GUEST | PAGE_STATE_VALIDATED));
	EXPECT_EQ(snp_mock.rmpadjusts[snp_mock.rmpadjust_count - 1].arg,
		  rmpadjust_attrs(1, RMPADJUST_PERM_ALL, false));
	EXPECT_FALSE(f.be.pool_withdraw(f.be.ctx, &g));
	/* A revoke failing on VMPL2 during a 2 MiB deposit: ledger and pool unchanged. */
	snp_mock.rmpadjust_hook = hook_nth;
	snp_mock.script[0] = 1;
	snp_mock.script[2] = snp_mock.rmpadjust_count + 1;
	EXPECT_EQ(f.be.pool_deposit(f.be.ctx, gpa_init(0x600000), PAGE_SIZE_2M), CORE_ARCH_FAIL_INPUT);
	EXPECT_EQ(page_state_get(&f.ledger, gpa_init(0x600000), &rec), PS_OK);
	EXPECT_EQ(rec.bits, (uint8_t)(PS_OWNER_GUEST | PAGE_STATE_VALIDATED));
	EXPECT_FALSE(f.be.pool_has_free(f.be.ctx));
	/* The access taken so far was given back. */
	EXPECT_EQ(snp_mock.rmpadjusts[snp_mock.rmpadjust_count - 1].arg,
		  rmpadjust_attrs(1, RMPADJUST_PERM_ALL, false));
	EXPECT_EQ(page_state_check(&f.ledger, NULL), PS_OK);
	teardown(&f);
}
