/*
 * 100000 random calls (issue 5 acceptance): random protocol, call and registers, random list
 * contents, from a fixed xorshift64 seed. Anything that can move or rescind memory is aimed at
 * the sacrificial range [768 MiB, 896 MiB), at Bastion's region, past RAM, or at the flood's
 * own list page, never at the guest's code, stack, page tables or the checks' pages.
 * Every answer must be a result code docs/abi.md lists; afterwards the SVSM must still answer
 * QUERY_PROTOCOL(core, 1).
 */
#include "tests/guest/conformance/checks.h"

#include "tests/guest/conformance/check.h"
#include "tests/guest/conformance/console.h"
#include "tests/guest/conformance/io.h"
#include "tests/guest/conformance/layout.h"
#include "tests/guest/conformance/svsm.h"

#define FLOOD_CALLS 100000u
#define FLOOD_SEED 0x5EED0005C0FFEE11ul
#define PAGE 0x1000ull
#define CHUNK 0x200000ull
#define MAX_REPORTS 10u

static uint64_t rng_state;

/* xorshift64 (Marsaglia 2003: shifts 13, 7, 17). */
static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rng_state = x;
	return x;
}

static uint64_t rnd_below(uint64_t n)
{
	return rnd() % n;
}

/* A GPA a memory-moving call may name without hurting the guest. */
static uint64_t safe_gpa(void)
{
	switch (rnd_below(8)) {
	case 0:
	case 1:
	case 2:
		return SACRIFICE_GPA + PAGE * rnd_below(SACRIFICE_SIZE / PAGE);
	case 3:
		return SACRIFICE_GPA + CHUNK * rnd_below(SACRIFICE_SIZE / CHUNK);
	case 4:
		return svsm.base + PAGE * rnd_below(svsm.size / PAGE);
	case 5:
		return rnd() | (1ull << 40); /* far past RAM */
	case 6:
		/* Between RAM's end and 3 GiB: not RAM (and far from the image below 4 GiB). */
		return GUEST_RAM_END + PAGE * rnd_below((0xC0000000ull - GUEST_RAM_END) / PAGE);
	default:
		return SACRIFICE_GPA + PAGE * rnd_below(SACRIFICE_SIZE / PAGE) + 1 + rnd_below(0xFFF);
	}
}

/* A list entry: mostly 4 KiB, sometimes 2 MiB, invalid sizes or reserved bits. */
static uint64_t random_entry(void)
{
	uint64_t gpa = safe_gpa() & ~0xFFFull;
	uint64_t e = gpa | (rnd() & (SVSM_PVALIDATE_ENTRY_VALIDATE | SVSM_PVALIDATE_ENTRY_IGNORE_CF));
	unsigned int kind = (unsigned int)rnd_below(32);

	if (kind == 0) {
		e = (e & ~(CHUNK - 1)) | SVSM_PAGE_SIZE_2M | (e & 0xC);
	} else if (kind == 1) {
		e |= 2 + rnd_below(2); /* size 2 or 3 */
	} else if (kind == 2) {
		e |= rnd() & 0xFF0;    /* reserved bits */
	} else if (kind == 3) {
		e |= SVSM_PAGE_SIZE_2M; /* 2 MiB, usually misaligned */
	}
	return e;
}

/* Fills a random list at a random place of the flood's list page; returns its GPA. */
static uint64_t random_list(void)
{
	uint64_t off = rnd_below(16) == 0 ? rnd_below(PAGE) : 8 * rnd_below(PAGE / 8);
	uint64_t gpa = FLOOD_LIST_GPA + (off & ~7ull);
	uint64_t fit = (PAGE - (gpa & 0xFFF)) / 8;
	uint16_t entries = rnd_below(8) == 0 ? (uint16_t)rnd() : (uint16_t)(1 + rnd_below(12));
	uint16_t next = rnd_below(8) == 0 ? (uint16_t)rnd() : (uint16_t)rnd_below(entries ? entries : 1);

	if (fit == 0) {
		return gpa + (off & 7);
	}
	list_hdr(gpa)->entries = entries;
	list_hdr(gpa)->next = next;
	list_hdr(gpa)->reserved = (uint32_t)rnd();
	for (uint64_t i = 0; i < entries && i + 1 < fit; i++) {
		list_entries(gpa)[i] = random_entry();
	}
	return gpa + (off & 7);
}

/* Result codes docs/abi.md lists ("Result codes"); BUSY is documented as never returned. */
static bool documented(uint64_t rax)
{
	if (rax == SVSM_SUCCESS || rax == svsm_mem_needed(1)) {
		return true;
	}
	if (rax >= SVSM_ERR_INCOMPLETE && rax <= SVSM_ERR_INVALID_REQUEST) {
		return true;
	}
	return rax >= 0x80001001ull && rax <= SVSM_PVALIDATE_FAIL_UNEXPECTED;
}

struct flood_stats {
	uint64_t bad_code, bad_pending, bad_unknown, bad_query, success, incomplete, moved_caa;
	unsigned int reports;
};

static void report(struct flood_stats *st, uint32_t i, const struct svsm_regs *in,
		   const struct svsm_regs *out, const char *why)
{
	if (st->reports++ < MAX_REPORTS) {
		note("flood call %u: %s: RAX 0x%lx RCX 0x%lx RDX 0x%lx R8 0x%lx R9 0x%lx -> RAX 0x%lx "
		     "RCX 0x%lx pending %u",
		     i, why, in->rax, in->rcx, in->rdx, in->r8, in->r9, out->rax, out->rcx,
		     out->pending_after);
	}
}

static void one_call(uint32_t i, struct flood_stats *st)
{
	uint32_t protocol = rnd_below(4) != 0 ? SVSM_CORE_PROTOCOL : (uint32_t)rnd_below(5);
	uint32_t call = rnd_below(16) != 0 ? (uint32_t)rnd_below(10) : (uint32_t)rnd();
	struct svsm_regs in = { .rax = svsm_call_rax(protocol, call), .rcx = rnd(), .rdx = rnd(),
				.r8 = rnd(), .r9 = rnd() };
	struct svsm_regs out;

	if (rnd_below(64) == 0) {
		in.rax = rnd(); /* anything at all in RAX */
		protocol = svsm_rax_protocol(in.rax);
		call = svsm_rax_call(in.rax);
	}
	if (protocol == SVSM_CORE_PROTOCOL) {
		switch (call) {
		case SVSM_CORE_PVALIDATE:
		case SVSM_CORE_DEPOSIT_MEM:
			in.rcx = rnd_below(8) == 0 ? safe_gpa() : random_list();
			break;
		case SVSM_CORE_WITHDRAW_MEM:
			in.rcx = rnd_below(4) == 0 ? safe_gpa() : FLOOD_LIST_GPA + rnd_below(PAGE);
			break;
		case SVSM_CORE_REMAP_CA:
		case SVSM_CORE_DELETE_VCPU:
			in.rcx = rnd_below(32) == 0 ? svsm_caa_gpa : safe_gpa();
			break;
		case SVSM_CORE_CREATE_VCPU:
			in.rcx = safe_gpa();
			in.rdx = rnd_below(16) == 0 ? svsm_caa_gpa : safe_gpa();
			in.r8 = rnd_below(4) != 0 ? rnd_below(3) : rnd();
			break;
		case SVSM_CORE_QUERY_PROTOCOL:
			if (rnd_below(2) == 0) {
				in.rcx = svsm_query_protocol_rcx((uint32_t)rnd_below(5),
								 (uint32_t)rnd_below(4));
			}
			break;
		default:
			break; /* CONFIGURE_VTOM and unknown calls take any registers */
		}
	} else {
		/* Other protocols may one day read guest memory: only safe GPAs. */
		in.rcx = safe_gpa();
		in.rdx = safe_gpa();
		in.r8 = safe_gpa();
		in.r9 = safe_gpa();
	}

	out = in;
	svsm_call(&out);
	if (!documented(out.rax)) {
		st->bad_code++;
		report(st, i, &in, &out, "undocumented result");
	}
	if (out.pending_after != 0 || (out.ghcb_resp & 0xFFFFFFFF00000FFFull) != 0x017 ||
	    out.r9 != in.r9) {
		st->bad_pending++;
		report(st, i, &in, &out, "call_pending, GHCB response or R9 wrong");
	}
	if ((protocol == SVSM_CORE_PROTOCOL && call > SVSM_CORE_CONFIGURE_VTOM) || protocol > 2) {
		uint64_t want = protocol == SVSM_CORE_PROTOCOL ? SVSM_ERR_UNSUPPORTED_CALL
							       : SVSM_ERR_UNSUPPORTED_PROTOCOL;

		if (out.rax != want || out.rcx != in.rcx || out.rdx != in.rdx || out.r8 != in.r8) {
			st->bad_unknown++;
			report(st, i, &in, &out, "unknown protocol/call not refused cleanly");
		}
	}
	if (protocol == SVSM_CORE_PROTOCOL && call == SVSM_CORE_QUERY_PROTOCOL &&
	    out.rax != SVSM_SUCCESS) {
		st->bad_query++;
		report(st, i, &in, &out, "QUERY_PROTOCOL failed");
	}
	if (protocol == SVSM_CORE_PROTOCOL && call == SVSM_CORE_REMAP_CA && out.rax == SVSM_SUCCESS &&
	    in.rcx != svsm_caa_gpa) {
		svsm_caa_gpa = in.rcx; /* our CAA moved into the sacrificial range */
		st->moved_caa++;
	}
	st->success += out.rax == SVSM_SUCCESS;
	st->incomplete += out.rax == SVSM_ERR_INCOMPLETE;
}

void checks_flood(void)
{
	struct flood_stats st = { 0 };
	const uint64_t boot_caa = svsm.caa;
	struct svsm_regs r;

	rng_state = FLOOD_SEED;
	/* Every word of the list page is a safe entry from the start (stale entries stay safe). */
	for (uint64_t i = 0; i < PAGE / 8; i++) {
		((volatile uint64_t *)gpa_ptr(FLOOD_LIST_GPA))[i] = random_entry();
	}
	note("flood: %u random calls, xorshift64 seed 0x%lx", FLOOD_CALLS, FLOOD_SEED);
	for (uint32_t i = 1; i <= FLOOD_CALLS; i++) {
		one_call(i, &st);
		if (i % 10000 == 0) {
			note("flood: %u/%u calls (%lu SUCCESS, %lu INCOMPLETE, CAA moved %lu times)", i,
			     FLOOD_CALLS, st.success, st.incomplete, st.moved_caa);
		}
	}
	check_eq(st.bad_code, 0, "flood: every result is a result code docs/abi.md lists");
	check_eq(st.bad_pending, 0,
		 "flood: every call cleared call_pending, answered 0x017 and kept R9");
	check_eq(st.bad_unknown, 0,
		 "flood: unknown protocols and calls refused without touching RCX/RDX/R8");
	check_eq(st.bad_query, 0, "flood: every QUERY_PROTOCOL succeeded");
	svsm_call3(SVSM_CORE_PROTOCOL, SVSM_CORE_QUERY_PROTOCOL, svsm_query_protocol_rcx(0, 1), 0, 0,
		   &r);
	check_true(r.rax == SVSM_SUCCESS && r.rcx == svsm_query_protocol_answer(1, 1) &&
			   r.pending_after == 0,
		   "after the flood: QUERY_PROTOCOL(core, 1) answers SUCCESS, RCX 0x100000001 (got "
		   "0x%lx, 0x%lx)",
		   r.rax, r.rcx);
	if (svsm_caa_gpa != boot_caa &&
	    svsm_call3(SVSM_CORE_PROTOCOL, SVSM_CORE_REMAP_CA, boot_caa, 0, 0, &r) == SVSM_SUCCESS) {
		svsm_caa_gpa = boot_caa;
	}
	check_eq(svsm_caa_gpa, boot_caa, "after the flood: the boot CAA is ours again (REMAP_CA "
					 "back if the flood moved it)");
}
