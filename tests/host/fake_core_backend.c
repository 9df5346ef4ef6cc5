/*
 * The fake core backend (see fake_core_backend.h).
 */
#include "tests/host/fake_core_backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/boot_params.h"
#include "protocols/request.h"
#include "protocols/svsm_abi.h"

#define FAKE_2M (2 * FAKE_MIB)
#define FAKE_PAGES_2M 512u

/* ---- the ledger's allocator --------------------------------------------------------------- */

static void *fake_alloc(size_t size, void *ctx)
{
	struct fake_core *f = ctx;
	void *p = NULL;

	if (f->alloc_fail) {
		return NULL;
	}
	p = malloc(size);
	if (p != NULL) {
		f->alloc_live++;
	}
	return p;
}

static void fake_free(void *p, size_t size, void *ctx)
{
	struct fake_core *f = ctx;

	(void)size;
	if (p != NULL) {
		f->alloc_live--;
	}
	free(p);
}

/* ---- helpers ------------------------------------------------------------------------------ */

/* Counts a call of op and says whether it is the injected failure; *code gets its code. */
static bool fake_fails(struct fake_core *f, enum fake_op op, uint32_t *code)
{
	struct fake_fail *fl = &f->fail[op];

	f->calls[op]++;
	if (fl->nth == 0) {
		return false;
	}
	fl->nth--;
	if (fl->nth != 0) {
		return false;
	}
	if (code != NULL) {
		*code = fl->code;
	}
	return true;
}

static bool fake_in_mem(uint64_t gpa, uint64_t len)
{
	return len <= FAKE_MEM_SIZE && gpa <= FAKE_MEM_SIZE - len;
}

static uint64_t fake_pages(enum page_size size)
{
	return size == PAGE_SIZE_2M ? FAKE_PAGES_2M : 1;
}

static struct fake_core *fake_of(void *ctx)
{
	return ctx;
}

/* ---- guest memory ------------------------------------------------------------------------- */

static int fake_guest_read(void *ctx, gpa_t gpa, void *dst, size_t len)
{
	struct fake_core *f = fake_of(ctx);
	uint64_t g = gpa_get(gpa);

	if (fake_fails(f, FAKE_OP_READ, NULL) || !fake_in_mem(g, len) ||
	    page_state_range_all(&f->ledger, gpa, len, PAGE_STATE_MATCH_GUEST_PRIVATE, NULL) !=
		    PS_OK) {
		return -1;
	}
	memcpy(dst, f->mem + g, len);
	if (f->mutate != NULL && f->mutate_after_read == f->calls[FAKE_OP_READ]) {
		void (*m)(struct fake_core *) = f->mutate;

		f->mutate = NULL;
		m(f);
	}
	return 0;
}

static int fake_guest_write(void *ctx, gpa_t gpa, const void *src, size_t len)
{
	struct fake_core *f = fake_of(ctx);
	uint64_t g = gpa_get(gpa);

	if (fake_fails(f, FAKE_OP_WRITE, NULL) || !fake_in_mem(g, len) ||
	    page_state_range_all(&f->ledger, gpa, len, PAGE_STATE_MATCH_GUEST_PRIVATE, NULL) !=
		    PS_OK) {
		return -1;
	}
	memcpy(f->mem + g, src, len);
	return 0;
}

/* ---- platform page operations ------------------------------------------------------------- */

static uint32_t fake_page_pvalidate(void *ctx, gpa_t gpa, enum page_size size, bool validate)
{
	struct fake_core *f = fake_of(ctx);
	uint64_t g = gpa_get(gpa);
	uint64_t n = fake_pages(size);
	uint64_t first = g / 4096;
	uint64_t same = 0;
	uint32_t code = 0;

	if (fake_fails(f, FAKE_OP_PVALIDATE, &code)) {
		if (code == CORE_ARCH_NO_CHANGE) {
			/* Model "the hardware already was in that state". */
			for (uint64_t i = 0; i < n && first + i < FAKE_PAGES; i++) {
				if (validate) {
					f->hw[first + i] |= FAKE_HW_VALIDATED;
				} else {
					f->hw[first + i] &= (uint8_t)~FAKE_HW_VALIDATED;
				}
			}
		}
		return code;
	}
	if (!fake_in_mem(g, n * 4096)) {
		return CORE_ARCH_FAIL_INPUT;
	}
	if (size == PAGE_SIZE_2M && f->rmp_4k_only[g / FAKE_2M]) {
		return CORE_ARCH_FAIL_SIZEMISMATCH;
	}
	for (uint64_t i = 0; i < n; i++) {
		if (((f->hw[first + i] & FAKE_HW_VALIDATED) != 0) == validate) {
			same++;
		}
	}
	if (same == n) {
		return CORE_ARCH_NO_CHANGE;
	}
	if (same != 0) {
		return CORE_ARCH_FAIL_SIZEMISMATCH;
	}
	for (uint64_t i = 0; i < n; i++) {
		if (validate) {
			f->hw[first + i] |= FAKE_HW_VALIDATED;
		} else {
			f->hw[first + i] &= (uint8_t)~FAKE_HW_VALIDATED;
		}
	}
	return CORE_ARCH_OK;
}

static int fake_page_zero(void *ctx, gpa_t gpa, enum page_size size)
{
	struct fake_core *f = fake_of(ctx);
	uint64_t g = gpa_get(gpa);
	uint64_t n = fake_pages(size);

	if (fake_fails(f, FAKE_OP_ZERO, NULL) || !fake_in_mem(g, n * 4096)) {
		return -1;
	}
	if (f->zero_for_real) {
		memset(f->mem + g, 0, n * 4096);
	}
	f->zeroed_pages += n;
	return 0;
}

/* RMPADJUST-like change of the access bit; the page must be validated. */
static uint32_t fake_set_access(struct fake_core *f, enum fake_op op, gpa_t gpa,
				enum page_size size, bool access)
{
	uint64_t g = gpa_get(gpa);
	uint64_t n = fake_pages(size);
	uint64_t first = g / 4096;
	uint32_t code = 0;

	if (fake_fails(f, op, &code)) {
		return code;
	}
	if (!fake_in_mem(g, n * 4096)) {
		return CORE_ARCH_FAIL_INPUT;
	}
	for (uint64_t i = 0; i < n; i++) {
		if ((f->hw[first + i] & FAKE_HW_VALIDATED) == 0) {
			return CORE_ARCH_FAIL_INPUT;
		}
	}
	for (uint64_t i = 0; i < n; i++) {
		if (access) {
			f->hw[first + i] |= FAKE_HW_ACCESS;
		} else {
			f->hw[first + i] &= (uint8_t)~FAKE_HW_ACCESS;
		}
	}
	return CORE_ARCH_OK;
}

static uint32_t fake_page_grant(void *ctx, gpa_t gpa, enum page_size size)
{
	return fake_set_access(fake_of(ctx), FAKE_OP_GRANT, gpa, size, true);
}

static uint32_t fake_page_revoke(void *ctx, gpa_t gpa, enum page_size size)
{
	return fake_set_access(fake_of(ctx), FAKE_OP_REVOKE, gpa, size, false);
}

/* ---- VMSA pages ----------------------------------------------------------------------------- */

static int fake_vmsa_read(void *ctx, gpa_t vmsa, size_t offset, void *dst, size_t len)
{
	struct fake_core *f = fake_of(ctx);
	uint64_t g = gpa_get(vmsa);

	if (fake_fails(f, FAKE_OP_VMSA_READ, NULL) || !fake_in_mem(g, 4096) || offset > 4096 ||
	    len > 4096 - offset) {
		return -1;
	}
	memcpy(dst, f->mem + g + offset, len);
	return 0;
}

static uint32_t fake_vmsa_make(void *ctx, gpa_t vmsa)
{
	struct fake_core *f = fake_of(ctx);
	uint64_t g = gpa_get(vmsa);
	uint32_t code = 0;

	if (fake_fails(f, FAKE_OP_VMSA_MAKE, &code)) {
		return code;
	}
	/* Bastion's SNP layer refuses 2 MiB-aligned VMSA pages (erratum, ABI reference 4.1). */
	if (!fake_in_mem(g, 4096) || g % FAKE_2M == 0) {
		return CORE_ARCH_FAIL_INPUT;
	}
	if ((f->hw[g / 4096] & FAKE_HW_VALIDATED) == 0 || (f->hw[g / 4096] & FAKE_HW_ACCESS) != 0) {
		return CORE_ARCH_FAIL_INPUT;
	}
	f->hw[g / 4096] |= FAKE_HW_VMSA;
	return CORE_ARCH_OK;
}

static uint32_t fake_vmsa_unmake(void *ctx, gpa_t vmsa)
{
	struct fake_core *f = fake_of(ctx);
	uint64_t g = gpa_get(vmsa);
	uint32_t code = 0;

	if (fake_fails(f, FAKE_OP_VMSA_UNMAKE, &code)) {
		return code;
	}
	if (!fake_in_mem(g, 4096) || (f->hw[g / 4096] & FAKE_HW_VMSA) == 0) {
		return CORE_ARCH_FAIL_INPUT;
	}
	f->hw[g / 4096] &= (uint8_t)~FAKE_HW_VMSA;
	f->hw[g / 4096] |= FAKE_HW_ACCESS;
	return CORE_ARCH_OK;
}

static bool fake_vmsa_disable(void *ctx, gpa_t vmsa)
{
	struct fake_core *f = fake_of(ctx);
	uint64_t g = gpa_get(vmsa);
	uint64_t efer = 0;

	if (f->has_running_vmsa && f->running_vmsa == g) {
		return false;
	}
	if (fake_in_mem(g, 4096)) {
		efer = fake_get_u64(f, g + offsetof(struct vmsa, efer));
		fake_put_u64(f, g + offsetof(struct vmsa, efer), efer & ~VMSA_EFER_SVME);
	}
	return true;
}

static uint64_t fake_boot_sev_features(void *ctx)
{
	(void)ctx;
	return FAKE_SEV_FEATURES;
}

/* ---- vCPU registry ------------------------------------------------------------------------- */

static uint32_t fake_vcpu_count(void *ctx)
{
	(void)ctx;
	return FAKE_VCPU_COUNT;
}

static bool fake_vcpu_get(void *ctx, uint32_t index, struct core_vcpu_info *out)
{
	struct fake_core *f = fake_of(ctx);
	const struct fake_vcpu *v = NULL;

	if (index >= FAKE_VCPU_COUNT) {
		return false;
	}
	v = &f->vcpu[index];
	*out = (struct core_vcpu_info){
		.apic_id = v->apic_id,
		.boot = v->boot,
		.vmpl = v->vmpl,
		.has_vmsa = v->has_vmsa,
		.vmsa = gpa_init(v->vmsa),
		.has_caa = v->has_caa,
		.caa = gpa_init(v->caa),
	};
	return true;
}

static void fake_vcpu_set_vmsa(void *ctx, uint32_t index, bool present, gpa_t vmsa)
{
	struct fake_core *f = fake_of(ctx);

	f->vcpu[index].has_vmsa = present;
	f->vcpu[index].vmsa = present ? gpa_get(vmsa) : 0;
}

static void fake_vcpu_set_caa(void *ctx, uint32_t index, bool present, gpa_t caa)
{
	struct fake_core *f = fake_of(ctx);

	f->vcpu[index].has_caa = present;
	f->vcpu[index].caa = present ? gpa_get(caa) : 0;
}

/* ---- deposit pool ------------------------------------------------------------------------- */

static uint32_t fake_pool_deposit(void *ctx, gpa_t gpa, enum page_size size)
{
	struct fake_core *f = fake_of(ctx);
	uint64_t g = gpa_get(gpa);
	uint64_t n = fake_pages(size);
	uint32_t code = 0;
	enum page_state_result r = PS_OK;

	if (fake_fails(f, FAKE_OP_POOL_DEPOSIT, &code)) {
		return code;
	}
	if (!fake_in_mem(g, n * 4096) || f->pool_count + n > FAKE_PAGES) {
		return CORE_ARCH_NO_MEMORY;
	}
	r = page_state_apply(&f->ledger, gpa, size, PS_OP_DEPOSIT, 0);
	if (r != PS_OK) {
		return r == PS_ERR_NO_MEMORY ? CORE_ARCH_NO_MEMORY : CORE_ARCH_FAIL_INPUT;
	}
	for (uint64_t i = 0; i < n; i++) {
		f->hw[g / 4096 + i] &= (uint8_t)~FAKE_HW_ACCESS;
		f->pool[f->pool_count++] = g + i * 4096;
	}
	return CORE_ARCH_OK;
}

static bool fake_pool_withdraw(void *ctx, gpa_t *gpa)
{
	struct fake_core *f = fake_of(ctx);
	uint64_t g = 0;

	if (f->pool_count == 0) {
		return false;
	}
	g = f->pool[f->pool_count - 1];
	if (page_state_apply(&f->ledger, gpa_init(g), PAGE_SIZE_4K, PS_OP_WITHDRAW, 0) != PS_OK) {
		return false;
	}
	f->pool_count--;
	if (f->zero_for_real) {
		memset(f->mem + g, 0, 4096);
	}
	f->hw[g / 4096] |= FAKE_HW_ACCESS;
	*gpa = gpa_init(g);
	return true;
}

static bool fake_pool_has_free(void *ctx)
{
	return fake_of(ctx)->pool_count != 0;
}

/* ---- set-up ------------------------------------------------------------------------------- */

static bool fake_apply_range(struct fake_core *f, uint64_t base, uint64_t len,
			     enum page_state_op op)
{
	for (uint64_t g = base; g < base + len; g += FAKE_2M) {
		if (page_state_apply(&f->ledger, gpa_init(g), PAGE_SIZE_2M, op, 0) != PS_OK) {
			return false;
		}
	}
	return true;
}

static bool fake_setup(struct fake_core *f)
{
	struct boot_memmap map = { 0 };
	struct page_state_callbacks cb = { .alloc = fake_alloc, .free = fake_free, .ctx = f };
	static const uint32_t apic_ids[FAKE_VCPU_COUNT] = { 0, 1, 2, 7 };

	map.count = 2;
	map.ranges[0] = (struct boot_mem_range){ .base = 0, .size = FAKE_RAM0_SIZE,
						 .type = BOOT_MEM_RAM };
	map.ranges[1] = (struct boot_mem_range){ .base = FAKE_RAM1_BASE, .size = FAKE_RAM1_SIZE,
						 .type = BOOT_MEM_RAM };
	if (page_state_init(&f->ledger, &map, &cb) != PS_OK) {
		return false;
	}
	if (!fake_apply_range(f, FAKE_BASTION_BASE, FAKE_BASTION_SIZE, PS_OP_ASSIGN_BASTION) ||
	    !fake_apply_range(f, 0, FAKE_VALIDATED_END, PS_OP_ASSIGN_FIRMWARE) ||
	    !fake_apply_range(f, 0, FAKE_VALIDATED_END, PS_OP_RELEASE_FIRMWARE)) {
		return false;
	}
	for (uint64_t p = 0; p < FAKE_VALIDATED_END / 4096; p++) {
		f->hw[p] = FAKE_HW_VALIDATED | FAKE_HW_ACCESS;
	}
	for (uint64_t p = 0; p < FAKE_BASTION_SIZE / 4096; p++) {
		f->hw[FAKE_BASTION_BASE / 4096 + p] = FAKE_HW_VALIDATED;
	}
	/* The boot vCPU's VMSA and CAA, as the kernel sets them up when the guest starts. */
	if (page_state_apply(&f->ledger, gpa_init(FAKE_BOOT_VMSA), PAGE_SIZE_4K, PS_OP_MAKE_VMSA,
			     0) != PS_OK ||
	    page_state_apply(&f->ledger, gpa_init(FAKE_BOOT_CAA), PAGE_SIZE_4K, PS_OP_MAKE_CAA,
			     0) != PS_OK) {
		return false;
	}
	fake_put_good_vmsa(f, FAKE_BOOT_VMSA);
	f->hw[FAKE_BOOT_VMSA / 4096] = FAKE_HW_VALIDATED | FAKE_HW_VMSA;
	for (uint32_t i = 0; i < FAKE_VCPU_COUNT; i++) {
		f->vcpu[i] = (struct fake_vcpu){ .apic_id = apic_ids[i], .vmpl = FAKE_GUEST_VMPL };
	}
	f->vcpu[0].boot = true;
	f->vcpu[0].has_vmsa = true;
	f->vcpu[0].vmsa = FAKE_BOOT_VMSA;
	f->vcpu[0].has_caa = true;
	f->vcpu[0].caa = FAKE_BOOT_CAA;

	f->be = (struct core_backend){
		.ctx = f,
		.ledger = &f->ledger,
		.page_budget = 0,
		.guest_read = fake_guest_read,
		.guest_write = fake_guest_write,
		.page_pvalidate = fake_page_pvalidate,
		.page_zero = fake_page_zero,
		.page_grant = fake_page_grant,
		.page_revoke = fake_page_revoke,
		.vmsa_read = fake_vmsa_read,
		.vmsa_make = fake_vmsa_make,
		.vmsa_unmake = fake_vmsa_unmake,
		.vmsa_disable = fake_vmsa_disable,
		.boot_sev_features = fake_boot_sev_features,
		.vcpu_count = fake_vcpu_count,
		.vcpu_get = fake_vcpu_get,
		.vcpu_set_vmsa = fake_vcpu_set_vmsa,
		.vcpu_set_caa = fake_vcpu_set_caa,
		.pool_deposit = fake_pool_deposit,
		.pool_withdraw = fake_pool_withdraw,
		.pool_has_free = fake_pool_has_free,
	};
	f->zero_for_real = true;
	return true;
}

struct fake_core *fake_core_new(void)
{
	struct fake_core *f = calloc(1, sizeof(*f));

	if (f == NULL) {
		return NULL;
	}
	f->mem = calloc(1, FAKE_MEM_SIZE);
	if (f->mem == NULL || !fake_setup(f)) {
		fake_core_free(f);
		return NULL;
	}
	svsm_dispatch_init();
	return f;
}

void fake_core_free(struct fake_core *f)
{
	if (f == NULL) {
		return;
	}
	page_state_destroy(&f->ledger);
	free(f->mem);
	free(f);
}

/* ---- calls -------------------------------------------------------------------------------- */

uint32_t fake_call(struct fake_core *f, uint32_t vcpu, uint64_t rax, uint64_t rcx, uint64_t rdx,
		   uint64_t r8, uint64_t r9)
{
	struct svsm_request req = { 0 };
	struct svsm_result res = { 0 };

	memset(&f->regs, 0, sizeof(f->regs));
	f->regs.rbx = FAKE_REG_SENTINEL + 1;
	f->regs.rsi = FAKE_REG_SENTINEL + 3;
	f->regs.rdi = FAKE_REG_SENTINEL + 4;
	f->regs.r10 = FAKE_REG_SENTINEL + 10;
	f->regs.r11 = FAKE_REG_SENTINEL + 11;
	f->regs.rax = rax;
	f->regs.rcx = rcx;
	f->regs.rdx = rdx;
	f->regs.r8 = r8;
	f->regs.r9 = r9;
	f->ctx = (struct svsm_call_ctx){
		.core = &f->be, .attest = f->attest, .vtpm = f->vtpm, .vcpu = vcpu
	};
	svsm_request_decode(&f->regs, &req);
	svsm_dispatch(&f->ctx, &req, &res);
	svsm_result_apply(&f->regs, &res);
	return (uint32_t)f->regs.rax;
}

/* ---- checking ----------------------------------------------------------------------------- */

uint8_t fake_record(struct fake_core *f, uint64_t gpa)
{
	struct page_state_record r = { 0 };

	(void)page_state_get(&f->ledger, gpa_init(gpa), &r);
	return r.bits;
}

const char *fake_core_check(struct fake_core *f)
{
	static char why[160];
	const char *reason = NULL;
	size_t caa_pages = 0;
	size_t vcpu_caas = 0;
	size_t pool_pages = 0;

	if (page_state_check(&f->ledger, &reason) != PS_OK) {
		snprintf(why, sizeof(why), "page_state_check: %s", reason);
		return why;
	}
	for (uint64_t p = 0; p < FAKE_PAGES; p++) {
		uint8_t rec = fake_record(f, p * 4096);
		uint8_t owner = rec & PAGE_STATE_OWNER_MASK;
		uint8_t hw = f->hw[p];
		bool validated = (rec & PAGE_STATE_VALIDATED) != 0;

		if (owner == PS_OWNER_BASTION && validated) {
			pool_pages++;
			if (hw != FAKE_HW_VALIDATED) {
				snprintf(why, sizeof(why), "deposited page 0x%llx has hw 0x%x",
					 (unsigned long long)p * 4096, hw);
				return why;
			}
			continue;
		}
		if (owner != PS_OWNER_GUEST) {
			continue;
		}
		if (validated != ((hw & FAKE_HW_VALIDATED) != 0)) {
			snprintf(why, sizeof(why), "page 0x%llx: ledger 0x%x, hw 0x%x",
				 (unsigned long long)p * 4096, rec, hw);
			return why;
		}
		if (!validated) {
			continue;
		}
		if ((rec & PAGE_STATE_VMSA) != 0) {
			if ((hw & (FAKE_HW_VMSA | FAKE_HW_ACCESS)) != FAKE_HW_VMSA) {
				snprintf(why, sizeof(why), "VMSA page 0x%llx has hw 0x%x",
					 (unsigned long long)p * 4096, hw);
				return why;
			}
		} else if ((hw & (FAKE_HW_VMSA | FAKE_HW_ACCESS)) != FAKE_HW_ACCESS) {
			snprintf(why, sizeof(why), "guest page 0x%llx (ledger 0x%x) has hw 0x%x",
				 (unsigned long long)p * 4096, rec, hw);
			return why;
		}
		if ((rec & PAGE_STATE_CAA) != 0) {
			caa_pages++;
		}
	}
	if (pool_pages != f->pool_count) {
		snprintf(why, sizeof(why), "%zu deposited pages in the ledger, %zu in the pool",
			 pool_pages, f->pool_count);
		return why;
	}
	for (uint32_t i = 0; i < FAKE_VCPU_COUNT; i++) {
		const struct fake_vcpu *v = &f->vcpu[i];

		if (v->has_vmsa && (fake_record(f, v->vmsa) & PAGE_STATE_VMSA) == 0) {
			snprintf(why, sizeof(why), "vCPU %u VMSA 0x%llx not a VMSA in the ledger",
				 i, (unsigned long long)v->vmsa);
			return why;
		}
		if (!v->has_caa) {
			continue;
		}
		vcpu_caas++;
		if ((fake_record(f, v->caa) & PAGE_STATE_CAA) == 0) {
			snprintf(why, sizeof(why), "vCPU %u CAA 0x%llx not a CAA in the ledger", i,
				 (unsigned long long)v->caa);
			return why;
		}
		for (uint32_t j = 0; j < i; j++) {
			if (f->vcpu[j].has_caa && f->vcpu[j].caa == v->caa) {
				snprintf(why, sizeof(why), "vCPUs %u and %u share a CAA", j, i);
				return why;
			}
		}
	}
	if (caa_pages != vcpu_caas) {
		snprintf(why, sizeof(why), "%zu CAA pages in the ledger, %zu vCPU CAAs", caa_pages,
			 vcpu_caas);
		return why;
	}
	return NULL;
}

/* ---- guest memory access for tests -------------------------------------------------------- */

void fake_mem_put(struct fake_core *f, uint64_t gpa, const void *src, size_t len)
{
	if (fake_in_mem(gpa, len)) {
		memcpy(f->mem + gpa, src, len);
	}
}

void fake_mem_get(struct fake_core *f, uint64_t gpa, void *dst, size_t len)
{
	if (fake_in_mem(gpa, len)) {
		memcpy(dst, f->mem + gpa, len);
	} else {
		memset(dst, 0xEE, len);
	}
}

void fake_put_u16(struct fake_core *f, uint64_t gpa, uint16_t v)
{
	fake_mem_put(f, gpa, &v, sizeof(v));
}

void fake_put_u32(struct fake_core *f, uint64_t gpa, uint32_t v)
{
	fake_mem_put(f, gpa, &v, sizeof(v));
}

uint16_t fake_get_u16(struct fake_core *f, uint64_t gpa)
{
	uint16_t v = 0;

	fake_mem_get(f, gpa, &v, sizeof(v));
	return v;
}

void fake_put_u64(struct fake_core *f, uint64_t gpa, uint64_t v)
{
	fake_mem_put(f, gpa, &v, sizeof(v));
}

uint64_t fake_get_u64(struct fake_core *f, uint64_t gpa)
{
	uint64_t v = 0;

	fake_mem_get(f, gpa, &v, sizeof(v));
	return v;
}

void fake_put_list(struct fake_core *f, uint64_t gpa, uint16_t entries, uint16_t next,
		   const uint64_t *entry, size_t n)
{
	fake_put_u16(f, gpa, entries);
	fake_put_u16(f, gpa + 2, next);
	fake_mem_put(f, gpa + 4, &(uint32_t){ 0 }, 4);
	for (size_t i = 0; i < n; i++) {
		fake_put_u64(f, gpa + 8 + 8 * i, entry[i]);
	}
}

void fake_put_vmsa(struct fake_core *f, uint64_t gpa, uint8_t vmpl, uint64_t efer,
		   uint64_t sev_features)
{
	static const uint8_t zero[4096];

	fake_mem_put(f, gpa, zero, sizeof(zero));
	fake_mem_put(f, gpa + offsetof(struct vmsa, vmpl), &vmpl, 1);
	fake_put_u64(f, gpa + offsetof(struct vmsa, efer), efer);
	fake_put_u64(f, gpa + offsetof(struct vmsa, sev_features), sev_features);
}

void fake_put_good_vmsa(struct fake_core *f, uint64_t gpa)
{
	fake_put_vmsa(f, gpa, FAKE_GUEST_VMPL, VMSA_EFER_SVME | (1ull << 8) | (1ull << 10),
		      FAKE_SEV_FEATURES);
}
