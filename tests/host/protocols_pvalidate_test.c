/*
 * Host tests for SVSM_CORE_PVALIDATE against the fake backend: success paths (4 KiB, 2 MiB,
 * many entries, list in the CAA), header and entry format rules, ignore_cf both ways,
 * refusals of Bastion/VMSA/CAA/non-RAM pages, 2 MiB size mismatch from the ledger and from
 * the platform followed by the 4 KiB split, INCOMPLETE and resumption with `next`, undo after
 * every platform failure, ledger out of memory, and no double fetch of the list.
 */
#include <string.h>

#include "protocols/core.h"
#include "protocols/svsm_abi.h"
#include "tests/host/fake_core_backend.h"
#include "tests/ktest/ktest.h"

#define PV_RAX SVSM_CALL_RAX(SVSM_CORE_PROTOCOL, SVSM_CORE_PVALIDATE)
#define LIST 0x3000ull /* a validated guest page the tests put lists in */

#define R_NONE 0x00u
#define R_B 0x03u
#define R_G 0x01u
#define R_GV 0x05u
#define R_GVMSA 0x15u
#define R_GCAA 0x25u

#define MIB (1ull << 20)
#define PAGE 0x1000ull

static uint64_t pv4k(uint64_t gpa, bool validate, bool ignore_cf)
{
	return svsm_pvalidate_entry_make(gpa >> 12, SVSM_PAGE_SIZE_4K, validate, ignore_cf);
}

static uint64_t pv2m(uint64_t gpa, bool validate, bool ignore_cf)
{
	return svsm_pvalidate_entry_make(gpa >> 12, SVSM_PAGE_SIZE_2M, validate, ignore_cf);
}

/* Puts the list at LIST with next 0 and issues PVALIDATE from the boot vCPU. */
static uint32_t pvalidate(struct fake_core *f, const uint64_t *e, uint16_t n)
{
	fake_put_list(f, LIST, n, 0, e, n);
	return fake_call(f, 0, PV_RAX, LIST, 0x22, 0x33, 0x44);
}

static uint16_t list_next(struct fake_core *f)
{
	return fake_get_u16(f, LIST + 2);
}

KTEST(protocols_pvalidate, validate_4k)
{
	struct fake_core *f = fake_core_new();
	uint64_t gpa = 4 * MIB + 5 * PAGE;
	uint64_t e = 0;
	uint8_t byte = 0;

	ASSERT_NOT_NULL(f);
	memset(f->mem + gpa, 0xAA, PAGE);
	e = pv4k(gpa, true, false);
	EXPECT_EQ(pvalidate(f, &e, 1), SVSM_SUCCESS);
	EXPECT_EQ(f->regs.rax, 0ull);
	EXPECT_EQ(f->regs.rcx, LIST);
	EXPECT_EQ(f->regs.rdx, 0x22ull);
	EXPECT_EQ(f->regs.r8, 0x33ull);
	EXPECT_EQ(f->regs.r9, 0x44ull);
	EXPECT_EQ(f->regs.rbx, FAKE_REG_SENTINEL + 1);
	EXPECT_EQ(list_next(f), 1u);
	EXPECT_EQ(fake_record(f, gpa), R_GV);
	EXPECT_EQ(f->hw[gpa / PAGE], FAKE_HW_VALIDATED | FAKE_HW_ACCESS);
	fake_mem_get(f, gpa + 100, &byte, 1);
	EXPECT_EQ(byte, 0u);
	EXPECT_EQ(f->zeroed_pages, 1ull);
	EXPECT_EQ(fake_record(f, gpa + PAGE), R_G);
	EXPECT_NULL(fake_core_check(f));
	fake_core_free(f);
}

KTEST(protocols_pvalidate, rescind_4k)
{
	struct fake_core *f = fake_core_new();
	uint64_t gpa = 0x10000;
	uint64_t e = pv4k(gpa, false, false);

	ASSERT_NOT_NULL(f);
	EXPECT_EQ(pvalidate(f, &e, 1), SVSM_SUCCESS);
	EXPECT_EQ(list_next(f), 1u);
	EXPECT_EQ(fake_record(f, gpa), R_G);
	EXPECT_EQ(f->hw[gpa / PAGE], 0u);
	EXPECT_EQ(f->calls[FAKE_OP_REVOKE], 1u);
	EXPECT_NULL(fake_core_check(f));
	fake_core_free(f);
}

KTEST(protocols_pvalidate, validate_and_rescind_2m)
{
	struct fake_core *f = fake_core_new();
	uint64_t e = pv2m(4 * MIB, true, false);

	ASSERT_NOT_NULL(f);
	EXPECT_EQ(pvalidate(f, &e, 1), SVSM_SUCCESS);
	EXPECT_EQ(fake_record(f, 4 * MIB), R_GV);
	EXPECT_EQ(fake_record(f, 6 * MIB - PAGE), R_GV);
	EXPECT_EQ(f->zeroed_pages, 512ull);
	EXPECT_NULL(fake_core_check(f));
	e = pv2m(4 * MIB, false, false);
	EXPECT_EQ(pvalidate(f, &e, 1), SVSM_SUCCESS);
	EXPECT_EQ(fake_record(f, 5 * MIB), R_G);
	EXPECT_NULL(fake_core_check(f));
	fake_core_free(f);
}

KTEST(protocols_pvalidate, many_entries_mixed_actions)
{
	struct fake_core *f = fake_core_new();
	uint64_t e[6] = {
		pv4k(10 * MIB, true, false),       pv4k(10 * MIB + PAGE, true, false),
		pv4k(0x20000, false, false),       pv2m(20 * MIB, true, false),
		pv4k(10 * MIB, false, false),      pv4k(0x21000, false, true),
	};

	ASSERT_NOT_NULL(f);
	EXPECT_EQ(pvalidate(f, e, 6), SVSM_SUCCESS);
	EXPECT_EQ(list_next(f), 6u);
	EXPECT_EQ(fake_record(f, 10 * MIB), R_G);
	EXPECT_EQ(fake_record(f, 10 * MIB + PAGE), R_GV);
	EXPECT_EQ(fake_record(f, 0x20000), R_G);
	EXPECT_EQ(fake_record(f, 21 * MIB), R_GV);
	EXPECT_EQ(fake_record(f, 0x21000), R_G);
	EXPECT_NULL(fake_core_check(f));
	fake_core_free(f);
}

KTEST(protocols_pvalidate, list_in_caa_510_entries)
{
	struct fake_core *f = fake_core_new();
	static uint64_t e[SVSM_PVALIDATE_MAX_ENTRIES_IN_CAA];
	uint64_t list = FAKE_BOOT_CAA + SVSM_CAA_BUFFER_OFFSET;

	ASSERT_NOT_NULL(f);
	for (size_t i = 0; i < SVSM_PVALIDATE_MAX_ENTRIES_IN_CAA; i++) {
		e[i] = pv4k(10 * MIB + i * PAGE, true, false);
	}
	fake_put_list(f, list, SVSM_PVALIDATE_MAX_ENTRIES_IN_CAA, 0, e,
		      SVSM_PVALIDATE_MAX_ENTRIES_IN_CAA);
	EXPECT_EQ(fake_call(f, 0, PV_RAX, list, 0, 0, 0), SVSM_SUCCESS);
	EXPECT_EQ(fake_get_u16(f, list + 2), SVSM_PVALIDATE_MAX_ENTRIES_IN_CAA);
	EXPECT_EQ(fake_record(f, 10 * MIB + 509 * PAGE), R_GV);
	EXPECT_EQ(fake_record(f, 10 * MIB + 510 * PAGE), R_G);
	EXPECT_NULL(fake_core_check(f));
	fake_core_free(f);
}

KTEST(protocols_pvalidate, header_rules)
{
	struct fake_core *f = fake_core_new();
	uint64_t e[2] = { pv4k(10 * MIB, true, false), pv4k(10 * MIB + PAGE, true, false) };

	ASSERT_NOT_NULL(f);
	/* entries 0 */
	fake_put_list(f, LIST, 0, 0, e, 2);
	EXPECT_EQ(fake_call(f, 0, PV_RAX, LIST, 0, 0, 0), SVSM_ERR_INVALID_PARAMETER);
	/* next == entries, next > entries */
	fake_put_list(f, LIST, 2, 2, e, 2);
	EXPECT_EQ(fake_call(f, 0, PV_RAX, LIST, 0, 0, 0), SVSM_ERR_INVALID_PARAMETER);
	fake_put_list(f, LIST, 2, 0xFFFF, e, 2);
	EXPECT_EQ(fake_call(f, 0, PV_RAX, LIST, 0, 0, 0), SVSM_ERR_INVALID_PARAMETER);
	/* RCX not 8-byte aligned */
	fake_put_list(f, LIST + 4, 1, 0, e, 1);
	EXPECT_EQ(fake_call(f, 0, PV_RAX, LIST + 4, 0, 0, 0), SVSM_ERR_INVALID_PARAMETER);
	EXPECT_EQ(fake_call(f, 0, PV_RAX, LIST + 1, 0, 0, 0), SVSM_ERR_INVALID_PARAMETER);
	/* list crossing the page: header at 0xFF0 with 2 entries needs 24 bytes, 16 remain */
	fake_put_list(f, LIST + 0xFF0, 2, 0, e, 1);
	EXPECT_EQ(fake_call(f, 0, PV_RAX, LIST + 0xFF0, 0, 0, 0), SVSM_ERR_INVALID_PARAMETER);
	/* ... but one entry fits exactly */
	fake_put_list(f, LIST + 0xFF0, 1, 0, e, 1);
	EXPECT_EQ(fake_call(f, 0, PV_RAX, LIST + 0xFF0, 0, 0, 0), SVSM_SUCCESS);
	/* 511 entries fit in a page at offset 0, 512 do not */
	fake_put_list(f, LIST, 512, 0, e, 0);
	EXPECT_EQ(fake_call(f, 0, PV_RAX, LIST, 0, 0, 0), SVSM_ERR_INVALID_PARAMETER);
	EXPECT_EQ(fake_record(f, 10 * MIB), R_GV);
	EXPECT_EQ(fake_record(f, 10 * MIB + PAGE), R_G);
	EXPECT_NULL(fake_core_check(f));
	fake_core_free(f);
}

KTEST(protocols_pvalidate, list_address_refused)
{
	struct fake_core *f = fake_core_new();
	static const uint64_t bad[] = {
		FAKE_BASTION_BASE,          /* Bastion's */
		FAKE_BOOT_VMSA,             /* a VMSA */
		4 * MIB,                    /* not validated */
		FAKE_HOLE_BASE,             /* not RAM */
		FAKE_MEM_SIZE + 0x1000,     /* beyond memory */
		0xFFFFFFFFFFFFF000ull,      /* top of the address space */
		0xFFFFFFFFFFFFFFF8ull,
	};

	ASSERT_NOT_NULL(f);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(fake_call(f, 0, PV_RAX, bad[i], 0, 0, 0), SVSM_ERR_INVALID_ADDRESS);
	}
	EXPECT_NULL(fake_core_check(f));
	fake_core_free(f);
}

KTEST(protocols_pvalidate, entry_format_rules)
{
	struct fake_core *f = fake_core_new();
	uint64_t ok = pv4k(10 * MIB, true, false);
	uint64_t e[2] = { 0 };

	ASSERT_NOT_NULL(f);
	/* Reserved bits 11:4, one at a time, in the second entry: the first is done. */
	for (unsigned int bit = 4; bit < 12; bit++) {
		e[0] = pv4k(10 * MIB + bit * PAGE, true, false);
		e[1] = ok | (1ull << bit);
		EXPECT_EQ(pvalidate(f, e, 2), SVSM_ERR_INVALID_PARAMETER);
		EXPECT_EQ(list_next(f), 1u);
		EXPECT_EQ(fake_record(f, 10 * MIB + bit * PAGE), R_GV);
	}
	EXPECT_EQ(fake_record(f, 10 * MIB), R_G);
	/* Page sizes 2 and 3. */
	e[0] = ok | 2;
	EXPECT_EQ(pvalidate(f, e, 1), SVSM_ERR_INVALID_PARAMETER);
	EXPECT_EQ(list_next(f), 0u);
	e[0] = ok | 3;
	EXPECT_EQ(pvalidate(f, e, 1), SVSM_ERR_INVALID_PARAMETER);
	/* A 2 MiB entry whose GFN has bits 20:12 set. */
	for (unsigned int bit = 12; bit <= 20; bit++) {
		e[0] = pv2m(10 * MIB, true, false) | (1ull << bit);
		EXPECT_EQ(pvalidate(f, e, 1), SVSM_ERR_INVALID_PARAMETER);
	}
	EXPECT_EQ(fake_record(f, 10 * MIB), R_G);
	EXPECT_NULL(fake_core_check(f));
	fake_core_free(f);
}

KTEST(protocols_pvalidate, no_change_without_ignore_cf)
{
	struct fake_core *f = fake_core_new();
	uint64_t e[2] = { pv4k(10 * MIB, true, false), pv4k(0x30000, true, false) };

	ASSERT_NOT_NULL(f);
	/* Validating a validated page: 0x80001010, next on it, nothing changed. */
	EXPECT_EQ(pvalidate(f, e, 2), SVSM_PVALIDATE_FAIL_NO_CHANGE);
	EXPECT_EQ(list_next(f), 1u);
	EXPECT_EQ(f->calls[FAKE_OP_PVALIDATE], 1u);
	/* Rescinding an unvalidated page. */
	e[0] = pv4k(4 * MIB + PAGE, false, false);
	EXPECT_EQ(pvalidate(f, e, 1), SVSM_PVALIDATE_FAIL_NO_CHANGE);
	EXPECT_EQ(list_next(f), 0u);
	EXPECT_EQ(fake_record(f, 4 * MIB + PAGE), R_G);
	EXPECT_NULL(fake_core_check(f));
	fake_core_free(f);
}

KTEST(protocols_pvalidate, no_change_with_ignore_cf)
{
	struct fake_core *f = fake_core_new();
	uint64_t e[2] = { pv4k(0x30000, true, true), pv4k(4 * MIB + PAGE, false, true) };
	uint8_t byte = 0;

	ASSERT_NOT_NULL(f);
	memset(f->mem + 0x30000, 0x77, PAGE);
	EXPECT_EQ(pvalidate(f, e, 2), SVSM_SUCCESS);
	EXPECT_EQ(list_next(f), 2u);
	/* Already validated: nothing touched, in particular not zeroed. */
	fake_mem_get(f, 0x30000, &byte, 1);
	EXPECT_EQ(byte, 0x77u);
	EXPECT_EQ(f->calls[FAKE_OP_PVALIDATE], 0u);
	EXPECT_EQ(f->zeroed_pages, 0ull);
	/* 2 MiB, already validated chunk. */
	e[0] = pv2m(2 * MIB, true, true);
	EXPECT_EQ(pvalidate(f, e, 1), SVSM_SUCCESS);
	EXPECT_NULL(fake_core_check(f));
	fake_core_free(f);
}

KTEST(protocols_pvalidate, platform_no_change)
{
	struct fake_core *f = fake_core_new();
	uint64_t e = pv4k(10 * MIB, true, true);

	ASSERT_NOT_NULL(f);
	/* The platform says CF = 1 (the hardware already had the page validated): with
	 * ignore_cf the entry succeeds, and the page is zeroed and granted. */
	f->fail[FAKE_OP_PVALIDATE] = (struct fake_fail){ .code = CORE_ARCH_NO_CHANGE, .nth = 1 };
	EXPECT_EQ(pvalidate(f, &e, 1), SVSM_SUCCESS);
	EXPECT_EQ(fake_record(f, 10 * MIB), R_GV);
	EXPECT_EQ(f->zeroed_pages, 1ull);
	EXPECT_NULL(fake_core_check(f));
	/* Without ignore_cf: 0x80001010 and the ledger change is undone. */
	e = pv4k(10 * MIB + PAGE, true, false);
	f->fail[FAKE_OP_PVALIDATE] = (struct fake_fail){ .code = CORE_ARCH_NO_CHANGE, .nth = 1 };
	EXPECT_EQ(pvalidate(f, &e, 1), SVSM_PVALIDATE_FAIL_NO_CHANGE);
	EXPECT_EQ(fake_record(f, 10 * MIB + PAGE), R_G);
	fake_core_free(f);
}

KTEST(protocols_pvalidate, refuses_bastion_vmsa_caa_and_non_ram)
{
	struct fake_core *f = fake_core_new();
	const uint64_t refused[] = {
		pv4k(FAKE_BASTION_BASE, true, false),
		pv4k(FAKE_BASTION_BASE + PAGE, false, false),
		pv4k(FAKE_BASTION_BASE, true, true),
		pv2m(FAKE_BASTION_BASE, true, false),
		pv2m(FAKE_BASTION_BASE, false, true),
		pv4k(FAKE_BOOT_VMSA, false, false),
		pv4k(FAKE_BOOT_VMSA, true, true),
		pv4k(FAKE_BOOT_CAA, false, false),
		pv4k(FAKE_BOOT_CAA, false, true),
		pv4k(FAKE_HOLE_BASE, true, false),
		pv2m(FAKE_HOLE_BASE, true, false),
		pv4k(FAKE_MEM_SIZE + PAGE, true, false),
		svsm_pvalidate_entry_make(0xFFFFFFFFFFFFFull, SVSM_PAGE_SIZE_4K, true, false),
		svsm_pvalidate_entry_make(0xFFFFFFFFFFE00ull, SVSM_PAGE_SIZE_2M, false, false),
	};

	ASSERT_NOT_NULL(f);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		uint64_t e[2] = { pv4k(0x40000 + i * PAGE, false, false), refused[i] };

		EXPECT_EQ(pvalidate(f, e, 2), SVSM_ERR_INVALID_ADDRESS);
		EXPECT_EQ(list_next(f), 1u);
	}
	EXPECT_EQ(f->calls[FAKE_OP_PVALIDATE], sizeof(refused) / sizeof(refused[0]));
	EXPECT_EQ(fake_record(f, FAKE_BOOT_VMSA), R_GVMSA);
	EXPECT_EQ(fake_record(f, FAKE_BOOT_CAA), R_GCAA);
	EXPECT_EQ(fake_record(f, FAKE_BASTION_BASE), R_B);
	EXPECT_NULL(fake_core_check(f));
	fake_core_free(f);
}

KTEST(protocols_pvalidate, ledger_size_mismatch)
{
	struct fake_core *f = fake_core_new();
	uint64_t e = pv4k(4 * MIB + 7 * PAGE, true, false);

	ASSERT_NOT_NULL(f);
	EXPECT_EQ(pvalidate(f, &e, 1), SVSM_SUCCESS);
	/* The chunk now mixes validated and unvalidated pages: 2 MiB either way is a mismatch. */
	e = pv2m(4 * MIB, true, false);
	EXPECT_EQ(pvalidate(f, &e, 1), SVSM_PVALIDATE_FAIL_SIZEMISMATCH);
	e = pv2m(4 * MIB, false, true);
	EXPECT_EQ(pvalidate(f, &e, 1), SVSM_PVALIDATE_FAIL_SIZEMISMATCH);
	/* The chunk holding the boot VMSA and CAA. */
	e = pv2m(0, false, false);
	EXPECT_EQ(pvalidate(f, &e, 1), SVSM_PVALIDATE_FAIL_SIZEMISMATCH);
	EXPECT_EQ(f->calls[FAKE_OP_PVALIDATE], 1u);
	EXPECT_NULL(fake_core_check(f));
	fake_core_free(f);
}

KTEST(protocols_pvalidate, platform_size_mismatch_then_4k_split)
{
	struct fake_core *f = fake_core_new();
	static uint64_t e[256];
	uint64_t two[2] = { pv2m(6 * MIB, true, false), pv4k(10 * MIB, true, false) };

	ASSERT_NOT_NULL(f);
	f->rmp_4k_only[3] = true; /* [6, 8) MiB is 4 KiB pages in the RMP */
	EXPECT_EQ(pvalidate(f, two, 2), SVSM_PVALIDATE_FAIL_SIZEMISMATCH);
	EXPECT_EQ(list_next(f), 0u);
	EXPECT_EQ(fake_record(f, 6 * MIB), R_G);
	EXPECT_EQ(fake_record(f, 10 * MIB), R_G);
	EXPECT_NULL(fake_core_check(f));
	/* Linux: remember the 2 MiB entry, step `next` past it and re-issue the call ... */
	fake_put_u16(f, LIST + 2, 1);
	EXPECT_EQ(fake_call(f, 0, PV_RAX, LIST, 0, 0, 0), SVSM_SUCCESS);
	EXPECT_EQ(list_next(f), 2u);
	EXPECT_EQ(fake_record(f, 10 * MIB), R_GV);
	/* ... then validate the range as 512 4 KiB entries. */
	for (int half = 0; half < 2; half++) {
		for (size_t i = 0; i < 256; i++) {
			e[i] = pv4k(6 * MIB + (half * 256 + i) * PAGE, true, false);
		}
		EXPECT_EQ(pvalidate(f, e, 256), SVSM_SUCCESS);
	}
	EXPECT_EQ(fake_record(f, 6 * MIB), R_GV);
	EXPECT_EQ(fake_record(f, 8 * MIB - PAGE), R_GV);
	EXPECT_NULL(fake_core_check(f));
	fake_core_free(f);
}

KTEST(protocols_pvalidate, incomplete_and_resume)
{
	struct fake_core *f = fake_core_new();
	uint64_t e[10] = { 0 };

	ASSERT_NOT_NULL(f);
	f->be.page_budget = 4;
	for (size_t i = 0; i < 10; i++) {
		e[i] = pv4k(10 * MIB + i * PAGE, true, false);
	}
	EXPECT_EQ(pvalidate(f, e, 10), SVSM_ERR_INCOMPLETE);
	EXPECT_EQ(list_next(f), 4u);
	EXPECT_EQ(fake_record(f, 10 * MIB + 3 * PAGE), R_GV);
	EXPECT_EQ(fake_record(f, 10 * MIB + 4 * PAGE), R_G);
	/* Re-issuing the identical call resumes at `next`. */
	EXPECT_EQ(fake_call(f, 0, PV_RAX, LIST, 0, 0, 0), SVSM_ERR_INCOMPLETE);
	EXPECT_EQ(list_next(f), 8u);
	EXPECT_EQ(fake_call(f, 0, PV_RAX, LIST, 0, 0, 0), SVSM_SUCCESS);
	EXPECT_EQ(list_next(f), 10u);
	EXPECT_EQ(f->calls[FAKE_OP_PVALIDATE], 10u);
	EXPECT_NULL(fake_core_check(f));
	fake_core_free(f);
}

KTEST(protocols_pvalidate, budget_counts_2m_and_always_progresses)
{
	struct fake_core *f = fake_core_new();
	uint64_t e[3] = { pv2m(4 * MIB, true, false), pv2m(10 * MIB, true, false),
			  pv4k(6 * MIB, true, false) };

	ASSERT_NOT_NULL(f);
	f->be.page_budget = 600;
	EXPECT_EQ(pvalidate(f, e, 3), SVSM_ERR_INCOMPLETE);
	EXPECT_EQ(list_next(f), 1u);
	/* A budget below one 2 MiB entry still does one entry per call. */
	f->be.page_budget = 1;
	EXPECT_EQ(fake_call(f, 0, PV_RAX, LIST, 0, 0, 0), SVSM_ERR_INCOMPLETE);
	EXPECT_EQ(list_next(f), 2u);
	EXPECT_EQ(fake_call(f, 0, PV_RAX, LIST, 0, 0, 0), SVSM_SUCCESS);
	EXPECT_EQ(list_next(f), 3u);
	/* The default budget: 64 MiB. */
	f->be.page_budget = 0;
	EXPECT_EQ(CORE_PAGE_BUDGET_DEFAULT * 4096ull, 64 * MIB);
	EXPECT_NULL(fake_core_check(f));
	fake_core_free(f);
}

/*
 * Each injected platform failure: result code, and the page exactly as before. The first
 * entry of each list is a successful rescind, so `nth` counts its own calls of the operation.
 */
KTEST(protocols_pvalidate, platform_failures_undo)
{
	static const struct {
		enum fake_op op;
		unsigned int nth;
		uint32_t code;
		bool validate;
		uint32_t expect;
	} cases[] = {
		{ FAKE_OP_PVALIDATE, 2, CORE_ARCH_FAIL_INPUT, true, SVSM_PVALIDATE_FAIL_INPUT },
		{ FAKE_OP_PVALIDATE, 2, CORE_ARCH_FAIL_SIZEMISMATCH, true,
		  SVSM_PVALIDATE_FAIL_SIZEMISMATCH },
		{ FAKE_OP_PVALIDATE, 2, 0xF, true, 0x8000100Fu },
		{ FAKE_OP_PVALIDATE, 2, 0x20, true, SVSM_PVALIDATE_FAIL_UNEXPECTED },
		{ FAKE_OP_PVALIDATE, 2, CORE_ARCH_FAULT, true, SVSM_ERR_INVALID_ADDRESS },
		{ FAKE_OP_GRANT, 1, CORE_ARCH_FAIL_PERMISSION, true,
		  SVSM_ERR_RMPADJUST_FAIL_PERMISSION },
		{ FAKE_OP_ZERO, 1, 0, true, SVSM_ERR_INVALID_ADDRESS },
		{ FAKE_OP_PVALIDATE, 2, CORE_ARCH_FAIL_INPUT, false, SVSM_PVALIDATE_FAIL_INPUT },
		{ FAKE_OP_PVALIDATE, 2, 0x11, false, SVSM_PVALIDATE_FAIL_UNEXPECTED },
		{ FAKE_OP_REVOKE, 2, CORE_ARCH_FAIL_PERMISSION, false,
		  SVSM_ERR_RMPADJUST_FAIL_PERMISSION },
		{ FAKE_OP_REVOKE, 2, CORE_ARCH_FAIL_SIZEMISMATCH, false,
		  SVSM_PVALIDATE_FAIL_SIZEMISMATCH },
	};
	struct fake_core *f = fake_core_new();

	ASSERT_NOT_NULL(f);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t gpa = cases[i].validate ? 10 * MIB : 0x50000;
		uint8_t rec = fake_record(f, gpa);
		uint8_t hw = f->hw[gpa / PAGE];
		uint64_t e[2] = { pv4k(0x60000 + i * PAGE, false, false),
				  pv4k(gpa, cases[i].validate, false) };

		f->fail[cases[i].op] = (struct fake_fail){ .code = cases[i].code,
							   .nth = cases[i].nth };
		EXPECT_EQ(pvalidate(f, e, 2), cases[i].expect);
		EXPECT_EQ(list_next(f), 1u);
		EXPECT_EQ(fake_record(f, gpa), rec);
		EXPECT_EQ(f->hw[gpa / PAGE], hw);
		EXPECT_NULL(fake_core_check(f));
		f->fail[cases[i].op] = (struct fake_fail){ 0 };
	}
	fake_core_free(f);
}

KTEST(protocols_pvalidate, ledger_out_of_memory)
{
	struct fake_core *f = fake_core_new();
	uint64_t e[2] = { pv4k(0x70000, false, false), pv4k(12 * MIB + PAGE, true, false) };

	ASSERT_NOT_NULL(f);
	/* The first 4 KiB change in the uniform chunk [12, 14) MiB needs a leaf. */
	f->alloc_fail = true;
	EXPECT_EQ(pvalidate(f, e, 2), CORE_RESULT_NO_MEMORY);
	EXPECT_EQ(f->regs.rax, 0x40000001ull);
	EXPECT_EQ(list_next(f), 1u);
	EXPECT_EQ(fake_record(f, 12 * MIB + PAGE), R_G);
	EXPECT_NULL(fake_core_check(f));
	/* The guest deposits memory (here: the allocator recovers) and re-issues. */
	f->alloc_fail = false;
	EXPECT_EQ(fake_call(f, 0, PV_RAX, LIST, 0, 0, 0), SVSM_SUCCESS);
	EXPECT_EQ(fake_record(f, 12 * MIB + PAGE), R_GV);
	EXPECT_NULL(fake_core_check(f));
	fake_core_free(f);
}

/* The mutation a racing guest vCPU makes right after Bastion copied the list. */
static void mutate_list(struct fake_core *f)
{
	uint64_t evil = pv4k(FAKE_BOOT_VMSA, false, true);

	fake_put_u16(f, LIST, 3);
	fake_put_u64(f, LIST + 8, evil);
	fake_put_u64(f, LIST + 16, evil);
	fake_put_u64(f, LIST + 24, evil);
}

KTEST(protocols_pvalidate, no_double_fetch)
{
	struct fake_core *f = fake_core_new();
	uint64_t e[2] = { pv4k(10 * MIB, true, false), pv4k(10 * MIB + PAGE, true, false) };

	ASSERT_NOT_NULL(f);
	f->mutate = mutate_list;
	f->mutate_after_read = 1;
	EXPECT_EQ(pvalidate(f, e, 2), SVSM_SUCCESS);
	EXPECT_EQ(f->calls[FAKE_OP_READ], 1u);
	/* The copy was used: both original pages validated, the VMSA untouched. */
	EXPECT_EQ(fake_record(f, 10 * MIB), R_GV);
	EXPECT_EQ(fake_record(f, 10 * MIB + PAGE), R_GV);
	EXPECT_EQ(fake_record(f, FAKE_BOOT_VMSA), R_GVMSA);
	EXPECT_EQ(list_next(f), 2u);
	EXPECT_NULL(fake_core_check(f));
	fake_core_free(f);
}

KTEST(protocols_pvalidate, next_written_after_each_entry)
{
	struct fake_core *f = fake_core_new();
	uint64_t e[3] = { pv4k(10 * MIB, true, false), pv4k(10 * MIB + PAGE, true, false),
			  pv4k(10 * MIB + 2 * PAGE, true, false) };

	ASSERT_NOT_NULL(f);
	/* The second write-back (`next` after entry 1) fails: entry 0 is reported done, entry 1
	 * is done but the guest learns INVALID_ADDRESS with `next` still 1; entry 2 is not run. */
	f->fail[FAKE_OP_WRITE] = (struct fake_fail){ .nth = 2 };
	EXPECT_EQ(pvalidate(f, e, 3), SVSM_ERR_INVALID_ADDRESS);
	EXPECT_EQ(list_next(f), 1u);
	EXPECT_EQ(f->calls[FAKE_OP_WRITE], 2u);
	EXPECT_EQ(fake_record(f, 10 * MIB + PAGE), R_GV);
	EXPECT_EQ(fake_record(f, 10 * MIB + 2 * PAGE), R_G);
	EXPECT_NULL(fake_core_check(f));
	fake_core_free(f);
}

KTEST(protocols_pvalidate, starts_at_next)
{
	struct fake_core *f = fake_core_new();
	uint64_t e[3] = { pv4k(FAKE_BASTION_BASE, true, false), pv4k(10 * MIB, true, false),
			  pv4k(10 * MIB + PAGE, true, false) };

	ASSERT_NOT_NULL(f);
	fake_put_list(f, LIST, 3, 1, e, 3);
	EXPECT_EQ(fake_call(f, 0, PV_RAX, LIST, 0, 0, 0), SVSM_SUCCESS);
	EXPECT_EQ(list_next(f), 3u);
	EXPECT_EQ(fake_record(f, 10 * MIB), R_GV);
	EXPECT_NULL(fake_core_check(f));
	fake_core_free(f);
}
