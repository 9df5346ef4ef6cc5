/*
 * Fuzz target: the SVSM core protocol's list decoders (protocols/core.c: PVALIDATE,
 * DEPOSIT_MEM, WITHDRAW_MEM, and the other core calls around them) through the real request
 * decoder and dispatcher, against the host tests' fake backend (tests/host/fake_core_backend.c:
 * a 24 MiB fake VM with a real page-state ledger, mm/page_state.c).
 *
 * Each input starts from a fresh fake VM, so every finding reproduces from its input alone.
 * The input is a stream of operations (one selector byte, then its operands):
 *   list      write a list header (entries, next, reserved) and up to 64 entries at a chosen
 *             guest address: structured entries (a page of the fake VM, size, validate,
 *             ignore_cf, sometimes reserved bits) or raw 64-bit words
 *   call      PVALIDATE / DEPOSIT_MEM / WITHDRAW_MEM on the last list (or another address),
 *             or any core call number with address operands, from any of the vCPUs
 *   poke      raw bytes into guest memory, or a valid VMSA image at a page
 *   faults    the fake's knobs: the nth platform operation fails with a chosen arch code, the
 *             ledger's allocator fails, a small per-call page budget (INCOMPLETE paths), 4 KiB
 *             only RMP chunks, a running VMSA, and the list rewritten after the nth guest read
 *             (a guest racing the decoder)
 * Every call must answer with an SVSM result code, and the fake's consistency check (ledger
 * against the fake hardware state, the pool, the vCPU registry: fake_core_check) must hold
 * after every eighth call and at the end of the input, except in two cases the harness
 * recognises as made inconsistent on purpose: an injected PVALIDATE "no change" (hardware that
 * already disagreed with the ledger) and a fired grant (RMPADJUST) failure (the core's undo of
 * a failed rescind is best effort and can leave a validated page without guest access).
 */
#include <stdbool.h>
#include <string.h>

#include "protocols/core.h"
#include "protocols/svsm_abi.h"
#include "tests/fuzz/fuzz.h"
#include "tests/host/fake_core_backend.h"

#define FZ_MAX_ENTRIES 64u
#define FZ_PAGE 0x1000ull

/* The fake VM's guest memory is recycled between inputs: tests/fuzz/fake_vm_mem.c. */
static struct fake_core *fz_f;
static uint64_t fz_list = 0x3000; /* the last list's address */
static uint64_t fz_race_gpa;
static uint64_t fz_race_word;

/* A guest address from two bytes: mostly page-aligned pages of the fake VM (4 KiB steps over
 * its 24 MiB), sometimes an offset inside the page, sometimes a special address. */
static uint64_t pick_gpa(uint8_t a, uint8_t b)
{
	static const uint64_t special[] = {
		FAKE_BOOT_CAA + SVSM_CAA_BUFFER_OFFSET, FAKE_BOOT_CAA, FAKE_BOOT_VMSA,
		FAKE_BASTION_BASE, FAKE_HOLE_BASE, FAKE_MEM_SIZE, 0xFFFFFFFFFFFFF000ull,
		0xFFFFFFFFFFFFFFF8ull, 0x3000 + 0xFF0, 0x3000 + 0xFF8, 0x3000 + 4, 0,
	};
	uint64_t page = ((uint64_t)a << 8 | b) % FAKE_PAGES;

	if (a >= 0xF0) {
		return special[b % (sizeof(special) / sizeof(special[0]))];
	}
	return page * FZ_PAGE;
}

/* A guest frame for a list entry: the whole fake VM, with 2 MiB-aligned frames common. */
static uint64_t pick_gfn(uint8_t a, uint8_t b)
{
	if (a & 0x80) {
		return (uint64_t)(b % (FAKE_CHUNKS + 2)) << 9;
	}
	return ((uint64_t)(a & 0x7f) << 8 | b) % (FAKE_PAGES + 16);
}

static uint64_t make_entry(struct fuzz_in *in, bool deposit)
{
	uint8_t a = fuzz_u8(in);
	uint8_t b = fuzz_u8(in);
	uint8_t fl = fuzz_u8(in);
	uint64_t e;

	if (deposit) {
		e = svsm_deposit_entry_make(pick_gfn(a, b), fl & 3);
	} else {
		e = svsm_pvalidate_entry_make(pick_gfn(a, b), fl & 3, (fl & 4) != 0, (fl & 8) != 0);
	}
	if ((fl & 0xF0) == 0xF0) {
		e |= 1ull << (4 + (fl & 7)); /* a reserved bit */
	}
	return e;
}

static void op_list(struct fuzz_in *in)
{
	uint8_t ga = fuzz_u8(in);
	uint8_t gb = fuzz_u8(in);
	uint8_t mode = fuzz_u8(in);
	uint8_t count = fuzz_u8(in) % (FZ_MAX_ENTRIES + 1);
	uint64_t e[FZ_MAX_ENTRIES];
	uint16_t entries = count;
	uint16_t next = 0;

	fz_list = pick_gpa(ga, gb);
	if (mode & 1) {
		fz_list += (uint64_t)(fuzz_u8(in) & 0xFF) * 8 % FZ_PAGE; /* inside the page */
	}
	if (mode & 2) {
		entries = fuzz_u16(in); /* a header that disagrees with the entries written */
	}
	if (mode & 4) {
		next = fuzz_u8(in) % (count + 2);
	}
	for (unsigned int i = 0; i < count; i++) {
		e[i] = (mode & 8) ? fuzz_u64(in) : make_entry(in, (mode & 16) != 0);
	}
	fake_put_list(fz_f, fz_list, entries, next, e, count);
	if (mode & 32) {
		fake_put_u64(fz_f, fz_list, fake_get_u64(fz_f, fz_list) | 1ull << 32); /* reserved */
	}
}

static bool known_result(uint32_t rax)
{
	switch (rax) {
	case SVSM_SUCCESS:
	case SVSM_ERR_INCOMPLETE:
	case SVSM_ERR_UNSUPPORTED_PROTOCOL:
	case SVSM_ERR_UNSUPPORTED_CALL:
	case SVSM_ERR_INVALID_ADDRESS:
	case SVSM_ERR_INVALID_FORMAT:
	case SVSM_ERR_INVALID_PARAMETER:
	case SVSM_ERR_INVALID_REQUEST:
	case SVSM_ERR_BUSY:
	case SVSM_PVALIDATE_FAIL_INPUT:
	case SVSM_ERR_RMPADJUST_FAIL_PERMISSION:
	case SVSM_ERR_FAIL_INUSE:
	case SVSM_PVALIDATE_FAIL_SIZEMISMATCH:
	case SVSM_PVALIDATE_FAIL_NO_CHANGE:
	case SVSM_PVALIDATE_FAIL_UNEXPECTED:
		return true;
	default:
		/* SVSM_MEM_NEEDED and QUERY_PROTOCOL's version answers are not errors. */
		return !svsm_result_is_error(rax) || svsm_result_is_mem_needed(rax);
	}
}

static unsigned int fz_calls;
static bool fz_diverged; /* the fake's hardware state was made to disagree on purpose */

static bool fz_grant_armed;

static void check_vm(const char *when, uint32_t call, uint64_t rcx, uint32_t rax)
{
	const char *why;

	/*
	 * A failed grant (RMPADJUST) is what the core's best-effort undo of a failed rescind
	 * cannot repair: the page stays validated in the ledger and in hardware but without the
	 * guest's access (less access, never more; protocols/core.c says best effort). Once an
	 * injected grant failure has fired, this input's state checks are off.
	 */
	if (fz_grant_armed && fz_f->fail[FAKE_OP_GRANT].nth == 0) {
		fz_diverged = true;
	}
	why = fz_diverged ? NULL : fake_core_check(fz_f);

	if (why != NULL) {
		FUZZ_FAIL("%s core call %u (rcx 0x%llx, result 0x%08x): %s", when, call,
			  (unsigned long long)rcx, rax, why);
	}
}

/* One call; the whole-VM check (6144 ledger lookups) runs after every eighth call and at the
 * end of the input, so a broken state is still caught while it lasts. */
static void checked_call(uint32_t vcpu, uint32_t call, uint64_t rcx, uint64_t rdx, uint64_t r8)
{
	uint32_t rax = fake_call(fz_f, vcpu, SVSM_CALL_RAX(SVSM_CORE_PROTOCOL, call), rcx, rdx, r8,
				 0);

	if (!known_result(rax)) {
		FUZZ_FAIL("core call %u answered 0x%08x", call, rax);
	}
	if (++fz_calls % 8 == 0) {
		check_vm("after", call, rcx, rax);
	}
}

static void op_call(struct fuzz_in *in)
{
	uint8_t sel = fuzz_u8(in);
	uint8_t v = fuzz_u8(in);
	/* The caller is always a real vCPU (the request loop only serves those). */
	uint32_t vcpu = (v & 0x80) ? v % FAKE_VCPU_COUNT : 0;
	uint64_t rcx = fz_list;
	uint64_t rdx = 0;
	uint64_t r8 = 0;
	uint32_t call;

	if (v & 0x40) {
		uint8_t a = fuzz_u8(in);

		rcx = pick_gpa(a, fuzz_u8(in));
	}
	switch (sel % 6) {
	case 0:
	case 1:
		call = SVSM_CORE_PVALIDATE;
		break;
	case 2:
		call = SVSM_CORE_DEPOSIT_MEM;
		break;
	case 3:
		call = SVSM_CORE_WITHDRAW_MEM;
		break;
	default: {
		uint8_t a = fuzz_u8(in);
		uint8_t b = fuzz_u8(in);

		call = (sel >> 3) % 10; /* 8 and 9 are not core calls */
		rdx = (sel & 4) ? pick_gpa(a, b) : (uint64_t)a << 8 | b;
		r8 = fuzz_u8(in);
		break;
	}
	}
	checked_call(vcpu, call, rcx, rdx, r8);
}

/* The racing guest: after the nth guest read, one word of the list changes. */
static void race(struct fake_core *f)
{
	fake_put_u64(f, fz_race_gpa, fz_race_word);
}

static void op_knob(struct fuzz_in *in)
{
	static const uint32_t codes[] = {
		CORE_ARCH_FAIL_INPUT, CORE_ARCH_FAIL_PERMISSION, CORE_ARCH_FAIL_SIZEMISMATCH,
		CORE_ARCH_NO_CHANGE,  CORE_ARCH_NO_MEMORY,       CORE_ARCH_FAULT, 0x77,
	};
	uint8_t sel = fuzz_u8(in);
	uint8_t a = fuzz_u8(in);
	uint8_t b = fuzz_u8(in);

	switch (sel % 6) {
	case 0:
		fz_f->fail[a % FAKE_OP_COUNT] = (struct fake_fail){
			codes[b % (sizeof(codes) / sizeof(codes[0]))], 1 + (b >> 4) % 8 };
		/* An injected PVALIDATE "no change" models hardware that already disagreed with
		 * the ledger (the fake flips its page state to match): the VM is inconsistent
		 * by construction, not by the core, so this input's state checks are off. The
		 * calls still run under the sanitizers and the result-code check. */
		fz_grant_armed |= a % FAKE_OP_COUNT == FAKE_OP_GRANT;
		if (a % FAKE_OP_COUNT == FAKE_OP_PVALIDATE &&
		    codes[b % (sizeof(codes) / sizeof(codes[0]))] == CORE_ARCH_NO_CHANGE) {
			fz_diverged = true;
		}
		break;
	case 1:
		fz_f->alloc_fail = (a & 1) != 0;
		break;
	case 2:
		fz_f->be.page_budget = a < 0x80 ? 1 + (a % 600) : 0;
		break;
	case 3:
		fz_f->rmp_4k_only[a % FAKE_CHUNKS] = (b & 1) != 0;
		break;
	case 4:
		fz_f->has_running_vmsa = (a & 1) != 0;
		fz_f->running_vmsa = pick_gpa(b, fuzz_u8(in));
		break;
	default:
		fz_f->mutate_after_read = fz_f->calls[FAKE_OP_READ] + 1 + a % 8;
		fz_f->mutate = race;
		fz_race_gpa = fz_list + (uint64_t)(b % 8) * 8;
		fz_race_word = fuzz_u64(in);
		break;
	}
}

static void op_poke(struct fuzz_in *in)
{
	uint8_t a = fuzz_u8(in);
	uint8_t b = fuzz_u8(in);
	uint8_t n = fuzz_u8(in);
	uint64_t gpa = pick_gpa(a, b);

	if (n & 0x80) {
		fake_put_good_vmsa(fz_f, gpa);
		return;
	}
	gpa += (uint64_t)fuzz_u16(in) % FZ_PAGE;
	n %= 17;
	for (uint8_t i = 0; i < n; i++) {
		uint8_t byte = fuzz_u8(in);

		fake_mem_put(fz_f, gpa + i, &byte, 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	unsigned int calls = 0;

	fz_f = fake_core_new();
	if (fz_f == NULL) {
		FUZZ_FAIL("fake_core_new: out of memory");
	}
	/* Zeroing validated 2 MiB chunks for real would fault in fresh host pages on every input
	 * (the fake VM is new each time) and dominate the run; the calls and the fake's checks
	 * are the same either way (zeroing itself is covered by the host tests). */
	fz_f->zero_for_real = false;
	fz_list = 0x3000;
	fz_calls = 0;
	fz_diverged = false;
	fz_grant_armed = false;
	while (fuzz_left(&in) != 0 && calls < 64) {
		uint8_t op = fuzz_u8(&in);

		switch (op % 8) {
		case 0:
		case 1:
			op_list(&in);
			break;
		case 2:
		case 3:
		case 4:
			op_call(&in);
			calls++;
			break;
		case 5:
			op_knob(&in);
			break;
		case 6:
			op_poke(&in);
			break;
		default:
			/* A list and its call in one operation: the common case made cheap. */
			op_list(&in);
			checked_call(0, (op & 0x80) ? SVSM_CORE_DEPOSIT_MEM : SVSM_CORE_PVALIDATE,
				     fz_list, 0, 0);
			calls++;
			break;
		}
	}
	check_vm("at the end, after", 0, 0, 0);
	fake_core_free(fz_f);
	fz_f = NULL;
	return 0;
}
