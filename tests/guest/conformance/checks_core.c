/*
 * Calls that move no memory: QUERY_PROTOCOL, CONFIGURE_VTOM, unknown protocols and calls,
 * reserved call_pending values, a spurious VMGEXIT, and the calling convention itself.
 * Expected values: ABI reference 1.3-1.6 and 2.2-2.5, docs/abi.md.
 */
#include "tests/guest/conformance/checks.h"

#include "tests/guest/conformance/check.h"
#include "tests/guest/conformance/io.h"
#include "tests/guest/conformance/layout.h"
#include "tests/guest/conformance/svsm.h"

/*
 * QUERY_PROTOCOL's answer per docs/abi.md "Protocols": core (0), attestation (1) and vTPM (2)
 * are version 1..1; 3 (COCONUT's APIC extension) is not Bastion's. A protocol
 * Bastion starts serving changes this table together with docs/abi.md.
 */
static uint64_t expected_query(uint32_t protocol, uint32_t version)
{
	if (protocol <= SVSM_VTPM_PROTOCOL && version == 1) {
		return svsm_query_protocol_answer(1, 1);
	}
	return 0;
}

static void check_convention(void)
{
	struct svsm_regs r = { .rax = svsm_call_rax(SVSM_CORE_PROTOCOL, SVSM_CORE_QUERY_PROTOCOL),
			       .rcx = svsm_query_protocol_rcx(SVSM_CORE_PROTOCOL, 1),
			       .rdx = 0x1111222233334444ull,
			       .r8 = 0x5555666677778888ull,
			       .r9 = 0x99990000AAAABBBBull };

	svsm_call(&r);
	check_eq(r.rax, SVSM_SUCCESS, "call: QUERY_PROTOCOL(core, 1) succeeds");
	check_eq(r.pending_after, 0, "call: the SVSM cleared call_pending (the xchg took out 0)");
	/* GHCB MSR protocol: the Run VMPL response is 0x017 with result bits 63:32 = 0. */
	check_eq(r.ghcb_resp & 0xFFFFFFFF00000FFFull, 0x017, "call: GHCB MSR holds the Run VMPL response 0x017, result 0");
	check_eq(r.rdx, 0x1111222233334444ull, "call: RDX kept (QUERY_PROTOCOL writes only RCX)");
	check_eq(r.r8, 0x5555666677778888ull, "call: R8 kept");
	check_eq(r.r9, 0x99990000AAAABBBBull, "call: R9 kept (R9 is never written)");
}

static void check_query_protocol(void)
{
	for (uint32_t p = 0; p <= 3; p++) {
		for (uint32_t v = 0; v <= 2; v++) {
			struct svsm_regs r;
			uint64_t rax = svsm_call3(SVSM_CORE_PROTOCOL, SVSM_CORE_QUERY_PROTOCOL,
						  svsm_query_protocol_rcx(p, v), 0, 0, &r);

			/* RAX is SUCCESS for every query; RCX = max<<32 | min or 0. */
			check_eq(rax == SVSM_SUCCESS ? r.rcx : ~0ull, expected_query(p, v),
				 "QUERY_PROTOCOL(protocol %u, version %u): SUCCESS, RCX 0x%lx", p, v,
				 expected_query(p, v));
		}
	}
	/* Versions beyond 32 bits are not versions: RCX[63:32] is the protocol. */
	struct svsm_regs r;
	uint64_t rax = svsm_call3(SVSM_CORE_PROTOCOL, SVSM_CORE_QUERY_PROTOCOL,
				  svsm_query_protocol_rcx(0xFFFFFFFFu, 1), 0, 0, &r);
	check_eq(rax == SVSM_SUCCESS ? r.rcx : ~0ull, 0,
		 "QUERY_PROTOCOL(protocol 0xffffffff, version 1): SUCCESS, RCX 0");
}

/* An unknown protocol or call writes no output register (docs/abi.md D13). */
static void check_unknown(uint32_t protocol, uint32_t call, uint64_t expected, const char *what)
{
	struct svsm_regs r = { .rax = svsm_call_rax(protocol, call),
			       .rcx = 0xC0C0C0C0C0C0C0C0ull,
			       .rdx = 0xD0D0D0D0D0D0D0D0ull,
			       .r8 = 0x8888888888888888ull,
			       .r9 = 0x9999999999999999ull };

	svsm_call(&r);
	check_eq(r.rax, expected, "%s (protocol 0x%x, call 0x%x)", what, protocol, call);
	check_true(r.rcx == 0xC0C0C0C0C0C0C0C0ull && r.rdx == 0xD0D0D0D0D0D0D0D0ull &&
			   r.r8 == 0x8888888888888888ull && r.r9 == 0x9999999999999999ull,
		   "%s: RCX, RDX, R8, R9 untouched", what);
}

static void check_unknown_calls(void)
{
	check_unknown(SVSM_ATTEST_PROTOCOL, 2, SVSM_ERR_UNSUPPORTED_CALL, "attestation call 2");
	check_unknown(SVSM_VTPM_PROTOCOL, 2, SVSM_ERR_UNSUPPORTED_CALL, "vTPM call 2");
	check_unknown(3, 0, SVSM_ERR_UNSUPPORTED_PROTOCOL, "protocol 3");
	check_unknown(0x80000000u, 0, SVSM_ERR_UNSUPPORTED_PROTOCOL, "protocol 0x80000000");
	check_unknown(0xFFFFFFFFu, 0xFFFFFFFFu, SVSM_ERR_UNSUPPORTED_PROTOCOL,
		      "protocol 0xffffffff");
	check_unknown(SVSM_CORE_PROTOCOL, 8, SVSM_ERR_UNSUPPORTED_CALL, "core call 8");
	check_unknown(SVSM_CORE_PROTOCOL, 0x80000001u, SVSM_ERR_UNSUPPORTED_CALL,
		      "core call 0x80000001");
	check_unknown(SVSM_CORE_PROTOCOL, 0xFFFFFFFFu, SVSM_ERR_UNSUPPORTED_CALL,
		      "core call 0xffffffff");
}

/* call_pending values other than 0 and 1 are reserved: INVALID_FORMAT (ABI reference 1.3). */
static void check_reserved_pending(uint8_t value)
{
	/* A REMAP_CA that would move the CAA if it were executed. */
	struct svsm_regs r = { .rax = svsm_call_rax(SVSM_CORE_PROTOCOL, SVSM_CORE_REMAP_CA),
			       .rcx = ALT_CAA_GPA };
	struct svsm_regs q;

	svsm_call_at(svsm_caa_gpa, value, &r);
	check_eq(r.rax, SVSM_ERR_INVALID_FORMAT, "call_pending %u: INVALID_FORMAT", value);
	check_eq(r.pending_after, 0, "call_pending %u: the SVSM cleared call_pending", value);
	/* The call was not executed: the CAA did not move, so a call on it still works. */
	svsm_call3(SVSM_CORE_PROTOCOL, SVSM_CORE_QUERY_PROTOCOL, svsm_query_protocol_rcx(0, 1), 0,
		   0, &q);
	check_true(q.rax == SVSM_SUCCESS && q.pending_after == 0,
		   "call_pending %u: the request was not executed (the CAA still answers)", value);
}

/* A VMGEXIT with call_pending 0 is spurious: the SVSM re-enters without touching anything. */
static void check_spurious(void)
{
	struct svsm_regs r = { .rax = svsm_call_rax(SVSM_CORE_PROTOCOL, SVSM_CORE_QUERY_PROTOCOL),
			       .rcx = svsm_query_protocol_rcx(0, 1),
			       .rdx = 0x1234,
			       .r8 = 0x5678,
			       .r9 = 0x9ABC };

	svsm_call_at(svsm_caa_gpa, 0, &r);
	check_eq(r.rax, svsm_call_rax(SVSM_CORE_PROTOCOL, SVSM_CORE_QUERY_PROTOCOL),
		 "spurious VMGEXIT (call_pending 0): RAX untouched");
	check_eq(r.rcx, svsm_query_protocol_rcx(0, 1),
		 "spurious VMGEXIT: RCX untouched (the query was not answered)");
	check_eq(r.pending_after, 0, "spurious VMGEXIT: call_pending still 0");
}

/* CONFIGURE_VTOM (ABI reference 2.5, docs/abi.md row 7 and D11). */
static void check_vtom(void)
{
	struct svsm_regs r = { .rax = svsm_call_rax(SVSM_CORE_PROTOCOL, SVSM_CORE_CONFIGURE_VTOM),
			       .rcx = SVSM_VTOM_QUERY,
			       .rdx = 0xDDDD,
			       .r8 = 0x8888 };

	svsm_call(&r);
	check_eq(r.rax, SVSM_SUCCESS, "CONFIGURE_VTOM query: SUCCESS");
	check_eq(r.rcx & SVSM_VTOM_QR_SUPPORTED, 0,
		 "CONFIGURE_VTOM query: RCX bit 1 clear (reconfiguration unsupported)");
	check_true(r.rcx == 0 && r.rdx == 0 && r.r8 == 0,
		   "CONFIGURE_VTOM query: RCX, RDX, R8 all 0 (docs/abi.md D11)");

	struct svsm_regs q;
	check_eq(svsm_call3(SVSM_CORE_PROTOCOL, SVSM_CORE_CONFIGURE_VTOM, SVSM_VTOM_QUERY | 0x2, 0,
			    0, &q),
		 SVSM_ERR_INVALID_PARAMETER, "CONFIGURE_VTOM query with bit 1 set: INVALID_PARAMETER");
	check_eq(svsm_call3(SVSM_CORE_PROTOCOL, SVSM_CORE_CONFIGURE_VTOM,
			    SVSM_VTOM_QUERY | (1ull << 63), 0, 0, &q),
		 SVSM_ERR_INVALID_PARAMETER,
		 "CONFIGURE_VTOM query with bit 63 set: INVALID_PARAMETER");
	check_eq(svsm_call3(SVSM_CORE_PROTOCOL, SVSM_CORE_CONFIGURE_VTOM,
			    SVSM_VTOM_ENABLE | 0x20 | 0x80000000ull, 0, 0, &q),
		 SVSM_ERR_INVALID_PARAMETER,
		 "CONFIGURE_VTOM configure with reserved bit 5 set: INVALID_PARAMETER");
	check_eq(svsm_call3(SVSM_CORE_PROTOCOL, SVSM_CORE_CONFIGURE_VTOM,
			    SVSM_VTOM_ENABLE | 0x80000000ull, 0, 0, &q),
		 SVSM_ERR_INVALID_REQUEST,
		 "CONFIGURE_VTOM enable at 2 GiB: INVALID_REQUEST (unsupported, as the query says)");
	check_eq(svsm_call3(SVSM_CORE_PROTOCOL, SVSM_CORE_CONFIGURE_VTOM, 0, 0, 0, &q),
		 SVSM_ERR_INVALID_REQUEST, "CONFIGURE_VTOM disable: INVALID_REQUEST");
}

void checks_core(void)
{
	check_convention();
	check_query_protocol();
	check_unknown_calls();
	check_reserved_pending(2);
	check_reserved_pending(0xFF);
	check_spurious();
	check_vtom();
}
