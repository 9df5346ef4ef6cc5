/*
 * REMAP_CA (ABI reference 1.3 and 2.2; docs/abi.md row 0, D1, D15): alignment, Bastion's
 * region, non-RAM and unvalidated targets, a real move with calls on the new CAA, the old
 * CAA being ignored and becoming a plain page, and the move back.
 */
#include "tests/guest/conformance/checks.h"

#include "tests/guest/conformance/check.h"
#include "tests/guest/conformance/io.h"
#include "tests/guest/conformance/layout.h"
#include "tests/guest/conformance/svsm.h"

static uint64_t remap(uint64_t gpa, struct svsm_regs *r)
{
	return svsm_call3(SVSM_CORE_PROTOCOL, SVSM_CORE_REMAP_CA, gpa, 0, 0, r);
}

static bool query_ok(void)
{
	struct svsm_regs q;

	svsm_call3(SVSM_CORE_PROTOCOL, SVSM_CORE_QUERY_PROTOCOL, svsm_query_protocol_rcx(0, 1), 0,
		   0, &q);
	return q.rax == SVSM_SUCCESS && q.rcx == svsm_query_protocol_answer(1, 1) &&
	       q.pending_after == 0;
}

void checks_remap(void)
{
	struct svsm_regs r;
	const uint64_t boot_caa = svsm_caa_gpa;
	volatile uint8_t *alt = gpa_ptr(ALT_CAA_GPA);

	/* The spec makes any misaligned input INVALID_PARAMETER; a CAA is a 4 KiB page (D1). */
	check_eq(remap(ALT_CAA_GPA + 8, &r), SVSM_ERR_INVALID_PARAMETER,
		 "REMAP_CA to an 8-byte but not 4 KiB aligned GPA: INVALID_PARAMETER");
	check_eq(remap(ALT_CAA_GPA + 1, &r), SVSM_ERR_INVALID_PARAMETER,
		 "REMAP_CA to an odd GPA: INVALID_PARAMETER");
	/* GPAs of the SVSM are INVALID_ADDRESS (ABI reference 1.6). */
	check_eq(remap(svsm.base, &r), SVSM_ERR_INVALID_ADDRESS,
		 "REMAP_CA to the first page of Bastion's region: INVALID_ADDRESS");
	check_eq(remap(svsm.base + svsm.size - 0x1000, &r), SVSM_ERR_INVALID_ADDRESS,
		 "REMAP_CA to the last page of Bastion's region: INVALID_ADDRESS");
	check_eq(remap(GUEST_RAM_END, &r), SVSM_ERR_INVALID_ADDRESS,
		 "REMAP_CA to the first GPA past RAM: INVALID_ADDRESS");
	check_eq(remap(0xFFFFFFFFFFFFF000ull, &r), SVSM_ERR_INVALID_ADDRESS,
		 "REMAP_CA to GPA 0xfffffffffffff000: INVALID_ADDRESS");
	check_eq(remap(boot_caa, &r), SVSM_SUCCESS,
		 "REMAP_CA to the current CAA: SUCCESS, nothing changes (docs/abi.md D15)");

	/* An unvalidated page cannot be a CAA. */
	check_eq(pvalidate_one(PAGE_D_GPA, SVSM_PAGE_SIZE_4K, false, false), SVSM_SUCCESS,
		 "PVALIDATE rescind of a scratch page (for the next check)");
	check_eq(remap(PAGE_D_GPA, &r), SVSM_ERR_INVALID_ADDRESS,
		 "REMAP_CA to an unvalidated page: INVALID_ADDRESS");
	check_eq(pvalidate_one(PAGE_D_GPA, SVSM_PAGE_SIZE_4K, true, false), SVSM_SUCCESS,
		 "PVALIDATE validate of that page again");

	/* A real move. Bytes 0..7 of the new page start as 0xAA. */
	for (unsigned int i = 0; i < 8; i++) {
		alt[i] = 0xAA;
	}
	/* This also shows that the boot CAA named by the secrets page was registered as a CAA
	 * before the first call: moving away from it releases it. */
	check_eq(remap(ALT_CAA_GPA, &r), SVSM_SUCCESS, "REMAP_CA to a fresh page: SUCCESS");
	/* The SVSM clears call_pending in the old CAA when the call completes. */
	check_eq(r.pending_after, 0, "REMAP_CA: call_pending of the old CAA cleared");
	svsm_caa_gpa = ALT_CAA_GPA;
	check_eq(alt[0], 0, "REMAP_CA: call_pending of the new CAA is 0");
	/* mem_available: nothing can be withdrawn before anything was deposited (ABI ref 1.3). */
	check_eq(alt[1], 0, "REMAP_CA: mem_available of the new (boot vCPU) CAA is 0");
	check_true(alt[2] == 0xAA && alt[3] == 0xAA && alt[4] == 0xAA && alt[5] == 0xAA &&
			   alt[6] == 0xAA && alt[7] == 0xAA,
		   "REMAP_CA: reserved CAA bytes 2..7 untouched (docs/abi.md D15)");
	check_true(query_ok(), "REMAP_CA: a call on the new CAA works");

	/* The old CAA is never looked at again: a call placed there is a spurious exit. */
	r = (struct svsm_regs){ .rax = svsm_call_rax(SVSM_CORE_PROTOCOL, SVSM_CORE_QUERY_PROTOCOL),
				.rcx = svsm_query_protocol_rcx(0, 1) };
	svsm_call_at(boot_caa, 1, &r);
	check_true(r.rax == svsm_call_rax(SVSM_CORE_PROTOCOL, SVSM_CORE_QUERY_PROTOCOL) &&
			   r.pending_after == 1,
		   "REMAP_CA: a call placed in the old CAA is not answered (RAX 0x%lx, pending %u)",
		   r.rax, r.pending_after);
	svsm_calls_pending_left--; /* that one was meant to stay pending */

	/* The active CAA is refused as a PVALIDATE target; the old one is a plain page now. */
	check_eq(pvalidate_one(ALT_CAA_GPA, SVSM_PAGE_SIZE_4K, false, false),
		 SVSM_ERR_INVALID_ADDRESS, "PVALIDATE rescind of the active CAA: INVALID_ADDRESS");
	check_eq(pvalidate_one(boot_caa, SVSM_PAGE_SIZE_4K, false, false), SVSM_SUCCESS,
		 "PVALIDATE rescind of the old CAA: SUCCESS (a plain page again)");
	check_eq(pvalidate_one(boot_caa, SVSM_PAGE_SIZE_4K, true, false), SVSM_SUCCESS,
		 "PVALIDATE validate of the old CAA: SUCCESS");

	/* And back. */
	check_eq(remap(boot_caa, &r), SVSM_SUCCESS, "REMAP_CA back to the boot CAA: SUCCESS");
	if (r.rax == SVSM_SUCCESS) {
		svsm_caa_gpa = boot_caa;
	}
	check_true(query_ok(), "REMAP_CA back: a call on the boot CAA works");
	check_eq(pvalidate_one(ALT_CAA_GPA, SVSM_PAGE_SIZE_4K, true, true), SVSM_SUCCESS,
		 "PVALIDATE of the released CAA page (validate, ignore_cf): SUCCESS");
}
