/*
 * Host tests for SVSM_CORE_DEPOSIT_MEM and SVSM_CORE_WITHDRAW_MEM against the fake backend:
 * pages moving between the guest and the pool, SVSM_MEM_AVAILABLE in the boot vCPU's CAA,
 * list rules, collisions, INCOMPLETE, failures, and a backend without a pool.
 */
#include <string.h>

#include "protocols/core.h"
#include "protocols/svsm_abi.h"
#include "tests/host/fake_core_backend.h"
#include "tests/ktest/ktest.h"

#define DEPOSIT_RAX SVSM_CALL_RAX(SVSM_CORE_PROTOCOL, SVSM_CORE_DEPOSIT_MEM)
#define WITHDRAW_RAX SVSM_CALL_RAX(SVSM_CORE_PROTOCOL, SVSM_CORE_WITHDRAW_MEM)
#define LIST 0x3000ull
#define OUT 0x4000ull

#define R_GV 0x05u
#define R_DEPOSITED 0x07u /* Bastion | validated: deposited guest memory */

#define MIB (1ull << 20)
#define PAGE 0x1000ull

static uint64_t dep4k(uint64_t gpa)
{
	return svsm_deposit_entry_make(gpa >> 12, SVSM_PAGE_SIZE_4K);
}

static uint64_t dep2m(uint64_t gpa)
{
	return svsm_deposit_entry_make(gpa >> 12, SVSM_PAGE_SIZE_2M);
}

static uint32_t deposit(struct fake_core *f, const uint64_t *e, uint16_t n)
{
	fake_put_list(f, LIST, n, 0, e, n);
	return fake_call(f, 0, DEPOSIT_RAX, LIST, 0, 0, 0);
}

static uint8_t mem_available(struct fake_core *f)
{
	uint8_t b = 0xEE;

	fake_mem_get(f, f->vcpu[0].caa + SVSM_CAA_MEM_AVAILABLE_OFFSET, &b, 1);
	return b;
}

KTEST(protocols_mem, deposit_and_withdraw)
{
	struct fake_core *f = fake_core_new();
	uint64_t e[3] = { dep4k(0x100000), dep4k(0x101000), dep4k(0x200000) };
	uint64_t got[3] = { 0 };

	ASSERT_NOT_NULL(f);
	memset(f->mem + 0x100000, 0x55, PAGE);
	EXPECT_EQ(deposit(f, e, 3), SVSM_SUCCESS);
	EXPECT_EQ(fake_get_u16(f, LIST + 2), 3u);
	EXPECT_EQ(f->pool_count, 3u);
	EXPECT_EQ(fake_record(f, 0x100000), R_DEPOSITED);
	EXPECT_EQ(f->hw[0x100000 / PAGE], FAKE_HW_VALIDATED);
	EXPECT_EQ(mem_available(f), 1u);
	EXPECT_NULL(fake_core_check(f));
	/* The guest can no longer name the pages. */
	EXPECT_EQ(deposit(f, e, 1), SVSM_ERR_INVALID_ADDRESS);

	EXPECT_EQ(fake_call(f, 0, WITHDRAW_RAX, OUT, 0x22, 0, 0), SVSM_SUCCESS);
	EXPECT_EQ(f->regs.rdx, 0x22ull);
	EXPECT_EQ(fake_get_u16(f, OUT), 3u);
	for (size_t i = 0; i < 3; i++) {
		got[i] = fake_get_u64(f, OUT + 8 + 8 * i);
		EXPECT_EQ(fake_record(f, got[i]), R_GV);
	}
	EXPECT_EQ(got[0] + got[1] + got[2], 0x100000ull + 0x101000ull + 0x200000ull);
	EXPECT_EQ(f->pool_count, 0u);
	EXPECT_EQ(mem_available(f), 0u);
	/* Scrubbed before it went back. */
	EXPECT_EQ(f->mem[0x100000], 0u);
	EXPECT_NULL(fake_core_check(f));
	/* Nothing left: 0 entries, still SUCCESS. */
	EXPECT_EQ(fake_call(f, 0, WITHDRAW_RAX, OUT, 0, 0, 0), SVSM_SUCCESS);
	EXPECT_EQ(fake_get_u16(f, OUT), 0u);
	fake_core_free(f);
}

KTEST(protocols_mem, deposit_2m)
{
	struct fake_core *f = fake_core_new();
	uint64_t e = dep2m(2 * MIB);

	ASSERT_NOT_NULL(f);
	EXPECT_EQ(deposit(f, &e, 1), SVSM_SUCCESS);
	EXPECT_EQ(f->pool_count, 512u);
	EXPECT_EQ(fake_record(f, 3 * MIB), R_DEPOSITED);
	EXPECT_NULL(fake_core_check(f));
	/* Withdraw gives 4 KiB pages, as many as fit (capped per call). */
	EXPECT_EQ(fake_call(f, 0, WITHDRAW_RAX, OUT, 0, 0, 0), SVSM_SUCCESS);
	EXPECT_EQ(fake_get_u16(f, OUT), CORE_WITHDRAW_MAX_PAGES);
	EXPECT_EQ(f->pool_count, 512u - CORE_WITHDRAW_MAX_PAGES);
	EXPECT_EQ(mem_available(f), 1u);
	EXPECT_NULL(fake_core_check(f));
	fake_core_free(f);
}

KTEST(protocols_mem, deposit_list_and_entry_rules)
{
	struct fake_core *f = fake_core_new();
	uint64_t e[2] = { dep4k(0x110000), dep4k(0x111000) };

	ASSERT_NOT_NULL(f);
	fake_put_list(f, LIST, 0, 0, e, 2);
	EXPECT_EQ(fake_call(f, 0, DEPOSIT_RAX, LIST, 0, 0, 0), SVSM_ERR_INVALID_PARAMETER);
	fake_put_list(f, LIST, 2, 2, e, 2);
	EXPECT_EQ(fake_call(f, 0, DEPOSIT_RAX, LIST, 0, 0, 0), SVSM_ERR_INVALID_PARAMETER);
	EXPECT_EQ(fake_call(f, 0, DEPOSIT_RAX, LIST + 2, 0, 0, 0), SVSM_ERR_INVALID_PARAMETER);
	fake_put_list(f, LIST + 0xFF8, 1, 0, e, 0);
	EXPECT_EQ(fake_call(f, 0, DEPOSIT_RAX, LIST + 0xFF8, 0, 0, 0), SVSM_ERR_INVALID_PARAMETER);
	EXPECT_EQ(fake_call(f, 0, DEPOSIT_RAX, FAKE_BASTION_BASE, 0, 0, 0),
		  SVSM_ERR_INVALID_ADDRESS);
	/* Reserved bits 11:2, page sizes 2 and 3, a misaligned 2 MiB entry. */
	for (unsigned int bit = 2; bit < 12; bit++) {
		e[1] = dep4k(0x111000) | (1ull << bit);
		EXPECT_EQ(deposit(f, e, 2), SVSM_ERR_INVALID_PARAMETER);
		EXPECT_EQ(fake_get_u16(f, LIST + 2), 1u);
		e[0] = dep4k(0x120000 + bit * PAGE);
	}
	e[0] = dep4k(0x111000) | 2;
	EXPECT_EQ(deposit(f, e, 1), SVSM_ERR_INVALID_PARAMETER);
	e[0] = dep4k(0x111000) | 3;
	EXPECT_EQ(deposit(f, e, 1), SVSM_ERR_INVALID_PARAMETER);
	e[0] = dep2m(2 * MIB + PAGE);
	EXPECT_EQ(deposit(f, e, 1), SVSM_ERR_INVALID_PARAMETER);
	EXPECT_EQ(fake_record(f, 0x111000), R_GV);
	EXPECT_NULL(fake_core_check(f));
	fake_core_free(f);
}

KTEST(protocols_mem, deposit_refuses_pages_not_plain_guest)
{
	struct fake_core *f = fake_core_new();
	const uint64_t refused[] = {
		dep4k(FAKE_BOOT_CAA),     dep4k(FAKE_BOOT_VMSA),  dep4k(FAKE_BASTION_BASE),
		dep4k(4 * MIB),           dep4k(FAKE_HOLE_BASE),  dep2m(0) /* holds VMSA+CAA */,
		dep2m(4 * MIB),           dep2m(FAKE_BASTION_BASE),
		svsm_deposit_entry_make(0xFFFFFFFFFFE00ull, SVSM_PAGE_SIZE_2M),
	};

	ASSERT_NOT_NULL(f);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		uint64_t e[2] = { dep4k(0x130000 + i * PAGE), refused[i] };

		EXPECT_EQ(deposit(f, e, 2), SVSM_ERR_INVALID_ADDRESS);
		EXPECT_EQ(fake_get_u16(f, LIST + 2), 1u);
	}
	EXPECT_EQ(f->pool_count, sizeof(refused) / sizeof(refused[0]));
	EXPECT_NULL(fake_core_check(f));
	fake_core_free(f);
}

KTEST(protocols_mem, deposit_incomplete_and_failures)
{
	struct fake_core *f = fake_core_new();
	uint64_t e[5] = { 0 };

	ASSERT_NOT_NULL(f);
	for (size_t i = 0; i < 5; i++) {
		e[i] = dep4k(0x140000 + i * PAGE);
	}
	f->be.page_budget = 2;
	EXPECT_EQ(deposit(f, e, 5), SVSM_ERR_INCOMPLETE);
	EXPECT_EQ(fake_get_u16(f, LIST + 2), 2u);
	EXPECT_EQ(f->pool_count, 2u);
	f->be.page_budget = 0;
	/* The platform refuses the next page. */
	f->fail[FAKE_OP_POOL_DEPOSIT] = (struct fake_fail){ .code = CORE_ARCH_FAIL_PERMISSION,
							    .nth = 2 };
	EXPECT_EQ(fake_call(f, 0, DEPOSIT_RAX, LIST, 0, 0, 0), SVSM_ERR_RMPADJUST_FAIL_PERMISSION);
	EXPECT_EQ(fake_get_u16(f, LIST + 2), 3u);
	/* Bastion out of memory for the next one. */
	f->fail[FAKE_OP_POOL_DEPOSIT] = (struct fake_fail){ .code = CORE_ARCH_NO_MEMORY, .nth = 1 };
	EXPECT_EQ(fake_call(f, 0, DEPOSIT_RAX, LIST, 0, 0, 0), CORE_RESULT_NO_MEMORY);
	EXPECT_EQ(fake_get_u16(f, LIST + 2), 3u);
	EXPECT_EQ(fake_call(f, 0, DEPOSIT_RAX, LIST, 0, 0, 0), SVSM_SUCCESS);
	EXPECT_EQ(fake_get_u16(f, LIST + 2), 5u);
	EXPECT_EQ(f->pool_count, 5u);
	EXPECT_NULL(fake_core_check(f));
	fake_core_free(f);
}

KTEST(protocols_mem, withdraw_list_rules)
{
	struct fake_core *f = fake_core_new();
	uint64_t e[4] = { dep4k(0x150000), dep4k(0x151000), dep4k(0x152000), dep4k(0x153000) };

	ASSERT_NOT_NULL(f);
	EXPECT_EQ(deposit(f, e, 4), SVSM_SUCCESS);
	/* Misaligned; at 0xFF8 no entry fits. */
	EXPECT_EQ(fake_call(f, 0, WITHDRAW_RAX, OUT + 4, 0, 0, 0), SVSM_ERR_INVALID_PARAMETER);
	EXPECT_EQ(fake_call(f, 0, WITHDRAW_RAX, OUT + 0xFF8, 0, 0, 0), SVSM_ERR_INVALID_PARAMETER);
	/* Not writable: nothing leaves the pool. */
	EXPECT_EQ(fake_call(f, 0, WITHDRAW_RAX, FAKE_BASTION_BASE, 0, 0, 0),
		  SVSM_ERR_INVALID_ADDRESS);
	EXPECT_EQ(fake_call(f, 0, WITHDRAW_RAX, FAKE_BOOT_VMSA, 0, 0, 0), SVSM_ERR_INVALID_ADDRESS);
	EXPECT_EQ(f->pool_count, 4u);
	/* At 0xFE0 three entries fit. */
	EXPECT_EQ(fake_call(f, 0, WITHDRAW_RAX, OUT + 0xFE0, 0, 0, 0), SVSM_SUCCESS);
	EXPECT_EQ(fake_get_u16(f, OUT + 0xFE0), 3u);
	EXPECT_EQ(f->pool_count, 1u);
	EXPECT_EQ(mem_available(f), 1u);
	/* At 0xFF0, one; the list may sit in the CAA. */
	EXPECT_EQ(fake_call(f, 0, WITHDRAW_RAX, FAKE_BOOT_CAA + 0xFF0, 0, 0, 0), SVSM_SUCCESS);
	EXPECT_EQ(fake_get_u16(f, FAKE_BOOT_CAA + 0xFF0), 1u);
	EXPECT_EQ(mem_available(f), 0u);
	EXPECT_NULL(fake_core_check(f));
	fake_core_free(f);
}

KTEST(protocols_mem, mem_available_follows_remap)
{
	struct fake_core *f = fake_core_new();
	uint64_t e = dep4k(0x160000);

	ASSERT_NOT_NULL(f);
	EXPECT_EQ(deposit(f, &e, 1), SVSM_SUCCESS);
	EXPECT_EQ(fake_call(f, 0, SVSM_CALL_RAX(SVSM_CORE_PROTOCOL, SVSM_CORE_REMAP_CA), 0x9000, 0,
			    0, 0),
		  SVSM_SUCCESS);
	EXPECT_EQ(f->vcpu[0].caa, 0x9000ull);
	EXPECT_EQ(mem_available(f), 1u);
	fake_core_free(f);
}

KTEST(protocols_mem, no_pool_is_unsupported)
{
	struct fake_core *f = fake_core_new();
	uint64_t e = dep4k(0x170000);

	ASSERT_NOT_NULL(f);
	f->be.pool_deposit = NULL;
	f->be.pool_withdraw = NULL;
	f->be.pool_has_free = NULL;
	EXPECT_EQ(deposit(f, &e, 1), SVSM_ERR_UNSUPPORTED_CALL);
	EXPECT_EQ(fake_call(f, 0, WITHDRAW_RAX, OUT, 0, 0, 0), SVSM_ERR_UNSUPPORTED_CALL);
	EXPECT_EQ(fake_record(f, 0x170000), R_GV);
	fake_core_free(f);
}
