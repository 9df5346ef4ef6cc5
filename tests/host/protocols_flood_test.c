/*
 * A randomized flood of core protocol calls against the fake backend: 100000 calls with
 * random registers, random list contents, random callers, random page budgets and randomly
 * injected platform and allocation failures. After every call the result must be a code the
 * core protocol documents, RAX zero-extended, and the registers a call does not define
 * untouched; every 250 calls (and at the end) the ledger, the platform model and the vCPU
 * registry must agree (fake_core_check, which includes page_state_check).
 *
 * The generator is biased towards plausible requests (pages inside the fake VM, aligned 2 MiB
 * entries, good VMSA contents, known APIC IDs) so that the success paths run as often as the
 * refusals. Deterministic: a fixed seed.
 */
#include <string.h>

#include "protocols/core.h"
#include "protocols/svsm_abi.h"
#include "tests/host/fake_core_backend.h"
#include "tests/ktest/ktest.h"

#define FLOOD_CALLS 100000u
#define FLOOD_CHECK_EVERY 250u
#define MIB (1ull << 20)
#define PAGE 0x1000ull
#define FLOOD_VMSA_SLOTS 64u

struct flood {
	struct fake_core *f;
	uint64_t rng;
	uint64_t vmsas[FLOOD_VMSA_SLOTS]; /* the last VMSAs CREATE_VCPU made, for DELETE_VCPU */
	size_t vmsa_count;
	size_t created;
	unsigned int results[8];
};

static uint64_t flood_rand(struct flood *s)
{
	/* xorshift64* */
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return s->rng * 0x2545F4914F6CDD1Dull;
}

static uint64_t flood_below(struct flood *s, uint64_t n)
{
	return flood_rand(s) % n;
}

static bool flood_chance(struct flood *s, unsigned int percent)
{
	return flood_below(s, 100) < percent;
}

/* A page address: mostly inside the fake VM, sometimes far above it or anything at all. */
static uint64_t flood_page(struct flood *s)
{
	uint64_t r = flood_below(s, 100);

	if (r < 45) {
		return flood_below(s, FAKE_VALIDATED_END / PAGE) * PAGE;
	}
	if (r < 92) {
		return flood_below(s, FAKE_PAGES) * PAGE;
	}
	if (r < 96) {
		return (1ull << 52) - PAGE * (1 + flood_below(s, 4));
	}
	return flood_rand(s) & ~(PAGE - 1);
}

/* A page of guest RAM whose ledger record is rec_mask-equal to want, or any page. */
static uint64_t flood_page_like(struct flood *s, uint8_t mask, uint8_t want)
{
	for (unsigned int tries = 0; tries < 16; tries++) {
		uint64_t gpa = flood_below(s, FAKE_PAGES) * PAGE;

		if ((fake_record(s->f, gpa) & mask) == want) {
			return gpa;
		}
	}
	return flood_page(s);
}

#define FLOOD_REC_MASK                                                                            \
	(PAGE_STATE_OWNER_MASK | PAGE_STATE_VALIDATED | PAGE_STATE_SHARED | PAGE_STATE_VMSA |      \
	 PAGE_STATE_CAA)

/* A page size field: mostly 4 KiB, then 2 MiB, rarely one of the invalid values 2 and 3. */
static uint32_t flood_size(struct flood *s, unsigned int pct_4k, unsigned int pct_2m)
{
	uint64_t r = flood_below(s, 100);

	if (r < pct_4k) {
		return SVSM_PAGE_SIZE_4K;
	}
	if (r < pct_4k + pct_2m) {
		return SVSM_PAGE_SIZE_2M;
	}
	return (uint32_t)(2 + r % 2);
}

/* A PVALIDATE entry: often one that fits the page's current state, so commits happen. */
static uint64_t flood_pvalidate_entry(struct flood *s)
{
	uint32_t size = flood_size(s, 72, 24);
	bool validate = flood_chance(s, 55);
	uint64_t gpa = 0;
	uint64_t e = 0;

	if (flood_chance(s, 60)) {
		uint8_t want = (uint8_t)(PS_OWNER_GUEST | (validate ? 0 : PAGE_STATE_VALIDATED));

		gpa = flood_page_like(s, FLOOD_REC_MASK, want);
	} else {
		gpa = flood_page(s);
	}
	if (size == SVSM_PAGE_SIZE_2M && flood_chance(s, 85)) {
		gpa &= ~(2 * MIB - 1);
	}
	e = svsm_pvalidate_entry_make(gpa >> 12, size, validate, flood_chance(s, 30));
	if (flood_chance(s, 3)) {
		e |= 1ull << (4 + flood_below(s, 8));
	}
	return e;
}

/* A DEPOSIT_MEM entry: often a plain validated guest page. */
static uint64_t flood_deposit_entry(struct flood *s)
{
	uint32_t size = flood_size(s, 85, 12);
	uint8_t want = (uint8_t)(PS_OWNER_GUEST | PAGE_STATE_VALIDATED);
	uint64_t gpa = flood_chance(s, 70) ? flood_page_like(s, FLOOD_REC_MASK, want) :
					     flood_page(s);
	uint64_t e = 0;

	if (size == SVSM_PAGE_SIZE_2M && flood_chance(s, 85)) {
		gpa &= ~(2 * MIB - 1);
	}
	e = svsm_deposit_entry_make(gpa >> 12, size);
	if (flood_chance(s, 3)) {
		e |= 1ull << (2 + flood_below(s, 10));
	}
	return e;
}

/* Writes a random list at gpa and returns gpa, or a random (often misaligned) address. */
static uint64_t flood_list(struct flood *s, uint32_t caller, bool deposit)
{
	uint64_t gpa = 0;
	uint64_t r = flood_below(s, 100);
	uint16_t entries = 0;
	uint16_t next = 0;
	uint64_t e[16] = { 0 };

	if (r < 70) {
		gpa = s->f->vcpu[caller].caa + SVSM_CAA_BUFFER_OFFSET;
	} else if (r < 88) {
		gpa = 0x3000 + flood_below(s, 4) * PAGE + flood_below(s, 8) * 8;
	} else if (r < 95) {
		gpa = flood_page(s) + flood_below(s, 512) * 8;
	} else {
		return flood_rand(s);
	}
	r = flood_below(s, 100);
	entries = (uint16_t)(r < 3 ? 0 : r < 6 ? flood_below(s, 700) :
			     r < 80 ? 1 + flood_below(s, 4) : 1 + flood_below(s, 16));
	next = (uint16_t)(flood_chance(s, 85) ? 0 : flood_below(s, (uint64_t)entries + 2));
	for (size_t i = 0; i < 16; i++) {
		e[i] = deposit ? flood_deposit_entry(s) : flood_pvalidate_entry(s);
	}
	fake_put_list(s->f, gpa, entries, next, e, entries < 16 ? entries : 16);
	return gpa;
}

/* A random vCPU that can call (has a VMSA and a CAA); the boot vCPU always can. */
static bool flood_caller(struct flood *s, uint32_t *caller)
{
	uint32_t first = (uint32_t)flood_below(s, FAKE_VCPU_COUNT);

	for (uint32_t i = 0; i < FAKE_VCPU_COUNT; i++) {
		uint32_t v = (first + i) % FAKE_VCPU_COUNT;

		if (s->f->vcpu[v].has_vmsa && s->f->vcpu[v].has_caa) {
			*caller = v;
			return true;
		}
	}
	return false;
}

static uint64_t flood_apic(struct flood *s)
{
	static const uint64_t apic[] = { 0, 1, 2, 7 };

	if (flood_chance(s, 90)) {
		return apic[flood_below(s, 4)] | (flood_chance(s, 10) ? flood_rand(s) << 32 : 0);
	}
	return flood_rand(s);
}

static void flood_inject(struct flood *s)
{
	static const uint32_t codes[] = { CORE_ARCH_FAIL_INPUT, CORE_ARCH_FAIL_PERMISSION,
					  CORE_ARCH_FAIL_SIZEMISMATCH, 0xF, 0x20, CORE_ARCH_FAULT,
					  CORE_ARCH_NO_MEMORY };
	enum fake_op op = (enum fake_op)flood_below(s, FAKE_OP_COUNT);
	uint32_t code = codes[flood_below(s, sizeof(codes) / sizeof(codes[0]))];

	unsigned int nth = 1 + (unsigned int)flood_below(s, 3);

	s->f->fail[op] = (struct fake_fail){ .code = code, .nth = nth };
}

static bool flood_result_known(uint32_t rc)
{
	switch (rc) {
	case SVSM_SUCCESS:
	case SVSM_ERR_INCOMPLETE:
	case SVSM_ERR_UNSUPPORTED_PROTOCOL:
	case SVSM_ERR_UNSUPPORTED_CALL:
	case SVSM_ERR_INVALID_ADDRESS:
	case SVSM_ERR_INVALID_PARAMETER:
	case SVSM_ERR_INVALID_REQUEST:
	case SVSM_PVALIDATE_FAIL_INPUT:
	case SVSM_ERR_RMPADJUST_FAIL_PERMISSION:
	case SVSM_ERR_FAIL_INUSE:
	case SVSM_PVALIDATE_FAIL_SIZEMISMATCH:
	case 0x8000100Fu:
	case SVSM_PVALIDATE_FAIL_NO_CHANGE:
	case SVSM_PVALIDATE_FAIL_UNEXPECTED:
	case CORE_RESULT_NO_MEMORY:
		return true;
	default:
		return false;
	}
}

/* One random call; returns false (after reporting) if something is wrong. */
static bool flood_one(struct flood *s, unsigned int n)
{
	struct fake_core *f = s->f;
	uint32_t caller = 0;
	uint64_t r = flood_below(s, 100);
	uint32_t protocol = SVSM_CORE_PROTOCOL;
	uint32_t call = 0;
	uint64_t rcx = flood_rand(s);
	uint64_t rdx = flood_rand(s);
	uint64_t r8 = flood_rand(s);
	uint64_t r9 = flood_rand(s);
	uint32_t rc = 0;
	bool outputs = false;

	if (!flood_caller(s, &caller)) {
		ktest_report_failure(__FILE__, __LINE__, "call %u: no vCPU has a VMSA and a CAA", n);
		return false;
	}
	if (r < 34) {
		call = SVSM_CORE_PVALIDATE;
		rcx = flood_list(s, caller, false);
	} else if (r < 46) {
		call = SVSM_CORE_CREATE_VCPU;
		rcx = flood_chance(s, 95) ? flood_page(s) : flood_rand(s);
		rdx = flood_chance(s, 95) ? flood_page(s) : flood_rand(s);
		r8 = flood_apic(s);
		if (flood_chance(s, 75)) {
			uint8_t vmpl = (uint8_t)(flood_chance(s, 85) ? 2 : flood_below(s, 5));
			uint64_t efer = flood_chance(s, 95) ? VMSA_EFER_SVME : 0;
			uint64_t features = flood_chance(s, 95) ? FAKE_SEV_FEATURES : flood_rand(s);

			fake_put_vmsa(f, rcx, vmpl, efer, features);
		}
	} else if (r < 56) {
		call = SVSM_CORE_DELETE_VCPU;
		r = flood_below(s, 100);
		if (r < 45) {
			rcx = f->vcpu[flood_below(s, FAKE_VCPU_COUNT)].vmsa;
		} else if (r < 80 && s->vmsa_count != 0) {
			rcx = s->vmsas[flood_below(s, s->vmsa_count)];
		} else {
			rcx = flood_page(s);
		}
	} else if (r < 63) {
		call = SVSM_CORE_REMAP_CA;
		rcx = flood_chance(s, 95) ? flood_page(s) : flood_rand(s);
	} else if (r < 74) {
		call = SVSM_CORE_DEPOSIT_MEM;
		rcx = flood_list(s, caller, true);
	} else if (r < 82) {
		call = SVSM_CORE_WITHDRAW_MEM;
		rcx = 0x3000 + flood_below(s, 4) * PAGE + flood_below(s, 512) * 8;
		if (flood_chance(s, 10)) {
			rcx = flood_rand(s);
		}
	} else if (r < 88) {
		call = SVSM_CORE_QUERY_PROTOCOL;
		rcx = svsm_query_protocol_rcx((uint32_t)flood_below(s, 5),
					      (uint32_t)flood_below(s, 3));
		outputs = true;
	} else if (r < 93) {
		call = SVSM_CORE_CONFIGURE_VTOM;
		rcx = flood_chance(s, 50) ? SVSM_VTOM_QUERY : flood_rand(s);
		outputs = true;
	} else if (r < 97) {
		call = (uint32_t)(8 + flood_below(s, 100));
	} else {
		protocol = (uint32_t)(1 + flood_below(s, 10));
		call = (uint32_t)flood_below(s, 8);
	}

	f->be.page_budget = flood_chance(s, 5) ? (uint32_t)(1 + flood_below(s, 600)) : 0;
	f->alloc_fail = flood_chance(s, 2);
	if (flood_chance(s, 3)) {
		flood_inject(s);
	}
	if (s->vmsa_count != 0 && flood_chance(s, 5)) {
		f->has_running_vmsa = true;
		f->running_vmsa = s->vmsas[flood_below(s, s->vmsa_count)];
	}

	rc = fake_call(f, caller, svsm_call_rax(protocol, call), rcx, rdx, r8, r9);

	memset(f->fail, 0, sizeof(f->fail));
	f->alloc_fail = false;
	f->has_running_vmsa = false;
	s->results[rc == SVSM_SUCCESS ? 0 : rc == SVSM_ERR_INVALID_ADDRESS ? 1 :
		   rc == SVSM_ERR_INVALID_PARAMETER ? 2 : 3]++;
	if (call == SVSM_CORE_CREATE_VCPU && protocol == SVSM_CORE_PROTOCOL && rc == SVSM_SUCCESS) {
		s->vmsas[s->created % FLOOD_VMSA_SLOTS] = rcx;
		s->created++;
		s->vmsa_count = s->created < FLOOD_VMSA_SLOTS ? s->created : FLOOD_VMSA_SLOTS;
	}

	if (!flood_result_known(rc) || (f->regs.rax >> 32) != 0) {
		ktest_report_failure(__FILE__, __LINE__, "call %u: protocol %u call %u -> 0x%llx",
				     n, protocol, call, (unsigned long long)f->regs.rax);
		return false;
	}
	if (f->regs.r9 != r9 || f->regs.rbx != FAKE_REG_SENTINEL + 1 ||
	    f->regs.rsi != FAKE_REG_SENTINEL + 3 || f->regs.r11 != FAKE_REG_SENTINEL + 11 ||
	    (!outputs && (f->regs.rcx != rcx || f->regs.rdx != rdx || f->regs.r8 != r8))) {
		ktest_report_failure(__FILE__, __LINE__, "call %u: call %u changed a register", n,
				     call);
		return false;
	}
	return true;
}

KTEST(protocols_flood, random_calls_keep_everything_consistent)
{
	struct flood s = { .rng = 0x9E3779B97F4A7C15ull };
	const char *why = NULL;

	s.f = fake_core_new();
	ASSERT_NOT_NULL(s.f);
	s.f->zero_for_real = false;
	for (unsigned int n = 0; n < FLOOD_CALLS; n++) {
		if (!flood_one(&s, n)) {
			break;
		}
		if (n % FLOOD_CHECK_EVERY == 0) {
			why = fake_core_check(s.f);
			if (why != NULL) {
				ktest_report_failure(__FILE__, __LINE__, "after call %u: %s", n,
						     why);
				break;
			}
		}
	}
	EXPECT_NULL(fake_core_check(s.f));
	/* The mix really exercised both sides. */
	EXPECT_GT(s.results[0], FLOOD_CALLS / 10);
	EXPECT_GT(s.results[1], FLOOD_CALLS / 20);
	EXPECT_GT(s.results[2], FLOOD_CALLS / 20);
	EXPECT_GT(s.created, 100u);
	ktest_print("  flood: %u success, %u INVALID_ADDRESS, %u INVALID_PARAMETER, %u other; "
		    "%zu VMSAs created, %zu pages in the pool\n",
		    s.results[0], s.results[1], s.results[2], s.results[3], s.created,
		    s.f->pool_count);
	fake_core_free(s.f);
}
