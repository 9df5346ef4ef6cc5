/*
 * Host tests for protocols/svsm_abi.h, protocols/request.c and protocols/dispatch.c: the ABI
 * encodings, register decoding and result writing (RAX zero-extended, undefined outputs
 * untouched), the protocol table checks, unknown protocols and calls, and QUERY_PROTOCOL for
 * protocols 0..3 and versions 0..2.
 */
#include <string.h>

#include "protocols/core.h"
#include "protocols/dispatch.h"
#include "protocols/request.h"
#include "protocols/svsm_abi.h"
#include "tests/host/fake_core_backend.h"
#include "tests/host/host_panic.h"
#include "tests/ktest/ktest.h"

/* ---- svsm_abi.h --------------------------------------------------------------------------- */

KTEST(protocols_abi, rax_encoding)
{
	EXPECT_EQ(SVSM_CALL_RAX(SVSM_CORE_PROTOCOL, SVSM_CORE_PVALIDATE), 1ull);
	EXPECT_EQ(SVSM_CALL_RAX(SVSM_VTPM_PROTOCOL, SVSM_VTPM_CMD), 0x200000001ull);
	EXPECT_EQ(svsm_call_rax(SVSM_ATTEST_PROTOCOL, SVSM_ATTEST_SINGLE_SERVICE), 0x100000001ull);
	EXPECT_EQ(svsm_call_rax(0xFFFFFFFFu, 0xFFFFFFFEu), 0xFFFFFFFFFFFFFFFEull);
	EXPECT_EQ(svsm_rax_protocol(0x1234567887654321ull), 0x12345678u);
	EXPECT_EQ(svsm_rax_call(0x1234567887654321ull), 0x87654321u);
}

KTEST(protocols_abi, pvalidate_entry_accessors)
{
	uint64_t e = svsm_pvalidate_entry_make(0xABCDE, SVSM_PAGE_SIZE_2M, true, true);

	EXPECT_EQ(e, (0xABCDEull << 12) | 0x1 | 0x4 | 0x8);
	EXPECT_EQ(svsm_pvalidate_entry_page_size(e), SVSM_PAGE_SIZE_2M);
	EXPECT_TRUE(svsm_pvalidate_entry_validate(e));
	EXPECT_TRUE(svsm_pvalidate_entry_ignore_cf(e));
	EXPECT_EQ(svsm_pvalidate_entry_gfn(e), 0xABCDEull);
	EXPECT_EQ(svsm_pvalidate_entry_gpa(e), 0xABCDE000ull);
	EXPECT_EQ(svsm_pvalidate_entry_reserved(e), 0ull);
	e = svsm_pvalidate_entry_make(0xFFFFFFFFFFFFFull, SVSM_PAGE_SIZE_4K, false, false);
	EXPECT_EQ(e, 0xFFFFFFFFFFFFF000ull);
	EXPECT_FALSE(svsm_pvalidate_entry_validate(e));
	EXPECT_FALSE(svsm_pvalidate_entry_ignore_cf(e));
	for (unsigned int bit = 4; bit < 12; bit++) {
		EXPECT_NE(svsm_pvalidate_entry_reserved(1ull << bit), 0ull);
	}
	EXPECT_EQ(svsm_pvalidate_entry_reserved(0xFull), 0ull);
}

KTEST(protocols_abi, deposit_entry_accessors)
{
	uint64_t e = svsm_deposit_entry_make(0x1200, SVSM_PAGE_SIZE_2M);

	EXPECT_EQ(e, 0x1200001ull);
	EXPECT_EQ(svsm_deposit_entry_page_size(e), SVSM_PAGE_SIZE_2M);
	EXPECT_EQ(svsm_deposit_entry_gpa(e), 0x1200000ull);
	EXPECT_EQ(svsm_deposit_entry_reserved(e), 0ull);
	for (unsigned int bit = 2; bit < 12; bit++) {
		EXPECT_NE(svsm_deposit_entry_reserved(1ull << bit), 0ull);
	}
}

KTEST(protocols_abi, result_code_helpers)
{
	EXPECT_EQ(svsm_err_core_insn(0), SVSM_ERR_CORE_INSN_BASE);
	EXPECT_EQ(svsm_err_core_insn(1), SVSM_PVALIDATE_FAIL_INPUT);
	EXPECT_EQ(svsm_err_core_insn(6), SVSM_PVALIDATE_FAIL_SIZEMISMATCH);
	EXPECT_EQ(svsm_err_core_insn(0xF), 0x8000100Fu);
	EXPECT_EQ(svsm_err_core_insn(0x10), SVSM_PVALIDATE_FAIL_UNEXPECTED);
	EXPECT_EQ(svsm_err_core_insn(0xFFFFFFFFu), SVSM_PVALIDATE_FAIL_UNEXPECTED);
	EXPECT_EQ(svsm_mem_needed(3), 0x40000003u);
	EXPECT_EQ(svsm_mem_needed(0xFFFFFFFFu), 0x7FFFFFFFu);
	EXPECT_TRUE(svsm_result_is_mem_needed(0x40000000u));
	EXPECT_TRUE(svsm_result_is_mem_needed(0x7FFFFFFFu));
	EXPECT_FALSE(svsm_result_is_mem_needed(0x80000000u));
	EXPECT_FALSE(svsm_result_is_mem_needed(0x3FFFFFFFu));
	EXPECT_TRUE(svsm_result_is_error(SVSM_ERR_INCOMPLETE));
	EXPECT_FALSE(svsm_result_is_error(SVSM_SUCCESS));
	EXPECT_EQ(svsm_query_protocol_rcx(2, 1), 0x200000001ull);
	EXPECT_EQ(svsm_query_protocol_answer(1, 3), 0x300000001ull);
	EXPECT_EQ(CORE_RESULT_NO_MEMORY, 0x40000001u);
}

KTEST(protocols_abi, layouts)
{
	EXPECT_EQ(sizeof(struct svsm_caa), 4096u);
	EXPECT_EQ(offsetof(struct svsm_caa, buffer), 8u);
	EXPECT_EQ(sizeof(struct svsm_pvalidate_hdr), 8u);
	EXPECT_EQ(sizeof(struct svsm_deposit_hdr), 8u);
	EXPECT_EQ(sizeof(struct svsm_withdraw_hdr), 8u);
	/* A list at CAA + 8 holds 510 entries (Linux and OVMF). */
	EXPECT_EQ((SVSM_CAA_SIZE - SVSM_CAA_BUFFER_OFFSET - SVSM_PVALIDATE_HDR_SIZE) /
			  SVSM_PVALIDATE_ENTRY_SIZE,
		  SVSM_PVALIDATE_MAX_ENTRIES_IN_CAA);
}

KTEST(protocols_abi, result_names)
{
	static const struct {
		uint32_t code;
		const char *name;
	} names[] = {
		{ SVSM_SUCCESS, "SVSM_SUCCESS" },
		{ SVSM_ERR_INCOMPLETE, "SVSM_ERR_INCOMPLETE" },
		{ SVSM_ERR_UNSUPPORTED_PROTOCOL, "SVSM_ERR_UNSUPPORTED_PROTOCOL" },
		{ SVSM_ERR_UNSUPPORTED_CALL, "SVSM_ERR_UNSUPPORTED_CALL" },
		{ SVSM_ERR_INVALID_ADDRESS, "SVSM_ERR_INVALID_ADDRESS" },
		{ SVSM_ERR_INVALID_FORMAT, "SVSM_ERR_INVALID_FORMAT" },
		{ SVSM_ERR_INVALID_PARAMETER, "SVSM_ERR_INVALID_PARAMETER" },
		{ SVSM_ERR_INVALID_REQUEST, "SVSM_ERR_INVALID_REQUEST" },
		{ SVSM_ERR_BUSY, "SVSM_ERR_BUSY" },
		{ SVSM_PVALIDATE_FAIL_INPUT, "SVSM_PVALIDATE_FAIL_INPUT" },
		{ SVSM_ERR_FAIL_INUSE, "SVSM_ERR_FAIL_INUSE" },
		{ SVSM_PVALIDATE_FAIL_SIZEMISMATCH, "SVSM_PVALIDATE_FAIL_SIZEMISMATCH" },
		{ SVSM_PVALIDATE_FAIL_NO_CHANGE, "SVSM_PVALIDATE_FAIL_NO_CHANGE" },
		{ SVSM_PVALIDATE_FAIL_UNEXPECTED, "SVSM_PVALIDATE_FAIL_UNEXPECTED" },
		{ 0x40000001u, "SVSM_MEM_NEEDED" },
		{ 0x80001234u, "SVSM_ERR_PROTOCOL" },
		{ 0x80000008u, "SVSM_?" },
		{ 0x00000001u, "SVSM_?" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		EXPECT_STREQ(svsm_result_name(names[i].code), names[i].name);
	}
}

/* ---- request.c ---------------------------------------------------------------------------- */

KTEST(protocols_abi, request_decode)
{
	struct vmsa v = { .rax = 0 };
	struct svsm_request req = { 0 };

	memset(&v, 0xA5, sizeof(v));
	v.rax = 0x0000000200000001ull;
	v.rcx = 0x1111111111111111ull;
	v.rdx = 0x2222222222222222ull;
	v.r8 = 0x8888888888888888ull;
	v.r9 = 0x9999999999999999ull;
	svsm_request_decode(&v, &req);
	EXPECT_EQ(req.protocol, 2u);
	EXPECT_EQ(req.call, 1u);
	EXPECT_EQ(req.rcx, v.rcx);
	EXPECT_EQ(req.rdx, v.rdx);
	EXPECT_EQ(req.r8, v.r8);
	EXPECT_EQ(req.r9, v.r9);
}

KTEST(protocols_abi, result_apply_zero_extends_rax)
{
	struct vmsa v = { .rax = 0 };
	struct svsm_result res = svsm_result_code(SVSM_ERR_INVALID_PARAMETER);

	memset(&v, 0xFF, sizeof(v));
	svsm_result_apply(&v, &res);
	EXPECT_EQ(v.rax, 0x0000000080000005ull);
	res = svsm_result_code(SVSM_PVALIDATE_FAIL_UNEXPECTED);
	svsm_result_apply(&v, &res);
	EXPECT_EQ(v.rax, 0x0000000080001011ull);
}

KTEST(protocols_abi, result_apply_writes_only_defined_outputs)
{
	struct vmsa v = { .rax = 0 };
	struct vmsa before = { .rax = 0 };
	struct svsm_result res = svsm_result_code(SVSM_SUCCESS);

	memset(&v, 0x3C, sizeof(v));
	before = v;
	svsm_result_set_rdx(&res, 0x1234);
	svsm_result_apply(&v, &res);
	EXPECT_EQ(v.rax, 0ull);
	EXPECT_EQ(v.rdx, 0x1234ull);
	EXPECT_EQ(v.rcx, before.rcx);
	EXPECT_EQ(v.r8, before.r8);
	EXPECT_EQ(v.r9, before.r9);
	/* Nothing but RAX and RDX changed anywhere in the page. */
	v.rax = before.rax;
	v.rdx = before.rdx;
	EXPECT_MEMEQ(&v, &before, sizeof(v));
	svsm_result_set_rcx(&res, 7);
	svsm_result_set_r8(&res, 8);
	svsm_result_apply(&v, &res);
	EXPECT_EQ(v.rcx, 7ull);
	EXPECT_EQ(v.r8, 8ull);
}

/* ---- dispatch.c --------------------------------------------------------------------------- */

static void dummy_handler(struct svsm_call_ctx *ctx, const struct svsm_request *req,
			  struct svsm_result *res)
{
	(void)ctx;
	(void)req;
	res->rax = SVSM_SUCCESS;
}

KTEST(protocols_dispatch, table_check_accepts_sound_table)
{
	const struct svsm_protocol_desc t[] = {
		{ .id = 0, .name = "a", .min_version = 1, .max_version = 1, .handle = dummy_handler },
		{ .id = 1, .name = "b", .min_version = 1, .max_version = 3, .handle = dummy_handler },
		{ .id = 0x80000000u, .name = "c", .min_version = 2, .max_version = 2,
		  .handle = dummy_handler },
	};

	EXPECT_NULL(svsm_dispatch_table_check(t, 3));
	EXPECT_NULL(svsm_dispatch_table_check(NULL, 0));
}

KTEST(protocols_dispatch, table_check_rejects_broken_rows)
{
	const struct svsm_protocol_desc dup[] = {
		{ .id = 2, .name = "a", .min_version = 1, .max_version = 1, .handle = dummy_handler },
		{ .id = 5, .name = "b", .min_version = 1, .max_version = 1, .handle = dummy_handler },
		{ .id = 2, .name = "c", .min_version = 1, .max_version = 1, .handle = dummy_handler },
	};
	const struct svsm_protocol_desc no_handler[] = {
		{ .id = 0, .name = "a", .min_version = 1, .max_version = 1, .handle = NULL },
	};
	const struct svsm_protocol_desc inverted[] = {
		{ .id = 0, .name = "a", .min_version = 2, .max_version = 1, .handle = dummy_handler },
	};
	const struct svsm_protocol_desc zero_min[] = {
		{ .id = 0, .name = "a", .min_version = 0, .max_version = 1, .handle = dummy_handler },
	};
	const struct svsm_protocol_desc no_name[] = {
		{ .id = 0, .name = NULL, .min_version = 1, .max_version = 1, .handle = dummy_handler },
	};

	EXPECT_NOT_NULL(svsm_dispatch_table_check(dup, 3));
	EXPECT_NULL(svsm_dispatch_table_check(dup, 2));
	EXPECT_NOT_NULL(svsm_dispatch_table_check(no_handler, 1));
	EXPECT_NOT_NULL(svsm_dispatch_table_check(inverted, 1));
	EXPECT_NOT_NULL(svsm_dispatch_table_check(zero_min, 1));
	EXPECT_NOT_NULL(svsm_dispatch_table_check(no_name, 1));
	EXPECT_NOT_NULL(svsm_dispatch_table_check(NULL, 1));
}

KTEST(protocols_dispatch, bastion_table_has_core_attest_and_vtpm)
{
	const struct svsm_protocol_desc *d = NULL;

	svsm_dispatch_init();
	d = svsm_dispatch_find(SVSM_CORE_PROTOCOL);
	ASSERT_NOT_NULL(d);
	EXPECT_STREQ(d->name, "core");
	EXPECT_EQ(d->min_version, 1u);
	EXPECT_EQ(d->max_version, 1u);
	d = svsm_dispatch_find(SVSM_ATTEST_PROTOCOL);
	ASSERT_NOT_NULL(d);
	EXPECT_STREQ(d->name, "attestation");
	EXPECT_EQ(d->min_version, 1u);
	EXPECT_EQ(d->max_version, 1u);
	d = svsm_dispatch_find(SVSM_VTPM_PROTOCOL);
	ASSERT_NOT_NULL(d);
	EXPECT_STREQ(d->name, "vtpm");
	EXPECT_EQ(d->min_version, 1u);
	EXPECT_EQ(d->max_version, 1u);
}

KTEST(protocols_dispatch, unknown_protocol)
{
	static const uint32_t protocols[] = { 1, 2, 3, 4, 0x80000000u, 0xFFFFFFFFu };
	struct fake_core *f = fake_core_new();

	ASSERT_NOT_NULL(f);
	for (size_t i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++) {
		EXPECT_EQ(fake_call(f, 0, svsm_call_rax(protocols[i], 0), 0x11, 0x22, 0x33, 0x44),
			  SVSM_ERR_UNSUPPORTED_PROTOCOL);
		EXPECT_EQ(f->regs.rax >> 32, 0ull);
		EXPECT_EQ(f->regs.rcx, 0x11ull);
		EXPECT_EQ(f->regs.rdx, 0x22ull);
		EXPECT_EQ(f->regs.r8, 0x33ull);
		EXPECT_EQ(f->regs.r9, 0x44ull);
	}
	fake_core_free(f);
}

KTEST(protocols_dispatch, unknown_core_call)
{
	static const uint32_t calls[] = { 8, 9, 0x100, 0x80000000u, 0xFFFFFFFFu };
	struct fake_core *f = fake_core_new();

	ASSERT_NOT_NULL(f);
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		EXPECT_EQ(fake_call(f, 0, svsm_call_rax(SVSM_CORE_PROTOCOL, calls[i]), 0x11, 0x22,
				    0x33, 0x44),
			  SVSM_ERR_UNSUPPORTED_CALL);
		EXPECT_EQ(f->regs.rax, (uint64_t)SVSM_ERR_UNSUPPORTED_CALL);
		EXPECT_EQ(f->regs.rcx, 0x11ull);
		EXPECT_EQ(f->regs.rdx, 0x22ull);
		EXPECT_EQ(f->regs.r8, 0x33ull);
	}
	fake_core_free(f);
}

KTEST(protocols_dispatch, query_protocol_matrix)
{
	struct fake_core *f = fake_core_new();
	uint64_t rax = svsm_call_rax(SVSM_CORE_PROTOCOL, SVSM_CORE_QUERY_PROTOCOL);

	ASSERT_NOT_NULL(f);
	for (uint32_t protocol = 0; protocol <= 3; protocol++) {
		for (uint32_t version = 0; version <= 2; version++) {
			/* core (0), attestation (1) and vTPM (2) serve version 1 only. */
			uint64_t expect = protocol <= 2 && version == 1
						  ? 0x100000001ull
						  : 0;

			EXPECT_EQ(fake_call(f, 0, rax, svsm_query_protocol_rcx(protocol, version),
					    0x22, 0x33, 0x44),
				  SVSM_SUCCESS);
			EXPECT_EQ(f->regs.rax, 0ull);
			EXPECT_EQ(f->regs.rcx, expect);
			EXPECT_EQ(f->regs.rdx, 0x22ull);
			EXPECT_EQ(f->regs.r8, 0x33ull);
		}
	}
	/* Odd values: RAX stays SUCCESS, the answer 0. */
	EXPECT_EQ(fake_call(f, 0, rax, svsm_query_protocol_rcx(0, 0xFFFFFFFFu), 0, 0, 0), 0u);
	EXPECT_EQ(f->regs.rcx, 0ull);
	EXPECT_EQ(fake_call(f, 0, rax, svsm_query_protocol_rcx(0xFFFFFFFFu, 1), 0, 0, 0), 0u);
	EXPECT_EQ(f->regs.rcx, 0ull);
	EXPECT_EQ(svsm_dispatch_query(SVSM_CORE_PROTOCOL, 1), 0x100000001ull);
	fake_core_free(f);
}

KTEST(protocols_dispatch, configure_vtom)
{
	struct fake_core *f = fake_core_new();
	uint64_t rax = svsm_call_rax(SVSM_CORE_PROTOCOL, SVSM_CORE_CONFIGURE_VTOM);

	ASSERT_NOT_NULL(f);
	/* Query: reconfiguration unsupported; RCX, RDX and R8 answered with 0. */
	EXPECT_EQ(fake_call(f, 0, rax, SVSM_VTOM_QUERY, 0x22, 0x33, 0x44), SVSM_SUCCESS);
	EXPECT_EQ(f->regs.rcx, 0ull);
	EXPECT_EQ(f->regs.rdx, 0ull);
	EXPECT_EQ(f->regs.r8, 0ull);
	EXPECT_EQ(f->regs.r9, 0x44ull);
	/* Query with other bits set. */
	EXPECT_EQ(fake_call(f, 0, rax, SVSM_VTOM_QUERY | SVSM_VTOM_ENABLE, 0x22, 0x33, 0x44),
		  SVSM_ERR_INVALID_PARAMETER);
	EXPECT_EQ(f->regs.rcx, (uint64_t)(SVSM_VTOM_QUERY | SVSM_VTOM_ENABLE));
	EXPECT_EQ(fake_call(f, 0, rax, SVSM_VTOM_QUERY | (1ull << 63), 0, 0, 0),
		  SVSM_ERR_INVALID_PARAMETER);
	/* Configure: reserved bits 11:5, then refused. */
	EXPECT_EQ(fake_call(f, 0, rax, 1ull << 5, 0, 0, 0), SVSM_ERR_INVALID_PARAMETER);
	EXPECT_EQ(fake_call(f, 0, rax, 1ull << 11, 0, 0, 0), SVSM_ERR_INVALID_PARAMETER);
	EXPECT_EQ(fake_call(f, 0, rax, SVSM_VTOM_ENABLE | (0x100000ull << 12), 0x1000, 0x2000,
			    0x3000),
		  SVSM_ERR_INVALID_REQUEST);
	EXPECT_EQ(f->regs.rdx, 0x1000ull);
	EXPECT_EQ(fake_call(f, 0, rax, 0, 0, 0, 0), SVSM_ERR_INVALID_REQUEST);
	fake_core_free(f);
}

KTEST(protocols_dispatch, missing_backend_panics)
{
	struct svsm_call_ctx ctx = { .core = NULL, .vcpu = 0 };
	struct svsm_request req = { .protocol = SVSM_CORE_PROTOCOL, .call = SVSM_CORE_REMAP_CA };
	struct svsm_result res = { 0 };

	svsm_dispatch_init();
	EXPECT_PANIC(svsm_dispatch(&ctx, &req, &res));
}
