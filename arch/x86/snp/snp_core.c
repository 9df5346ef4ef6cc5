#include "arch/x86/snp/snp_core.h"

#include "arch/x86/snp/pvalidate.h"
#include "arch/x86/vmsa.h"
#include "kernel/check.h"
#include "kernel/string.h"
#include "mm/deposit_pool.h"
#include "mm/page_state.h"
#include "protocols/core_backend.h"

#define SNP_CORE_4K 0x1000ull
#define SNP_CORE_2M 0x200000ull
#define EFER_SVME (1ull << 12)
/* What the guest VMPL may do with its own memory: everything. */
#define GUEST_PERMS RMPADJUST_PERM_ALL

static struct snp_core_env *env_of(void *ctx)
{
	return ctx;
}

static uint64_t bytes_of(enum page_size size)
{
	return size == PAGE_SIZE_2M ? SNP_CORE_2M : SNP_CORE_4K;
}

static enum snp_page_size snp_size(enum page_size size)
{
	return size == PAGE_SIZE_2M ? SNP_PAGE_2M : SNP_PAGE_4K;
}

/* The instruction's result as the core protocol's arch code (core_backend.h). */
static uint32_t arch_code(enum snp_result r)
{
	switch (r) {
	case SNP_OK:
		return CORE_ARCH_OK;
	case SNP_ERR_PVALIDATE_INPUT:
	case SNP_ERR_RMPADJUST_INPUT:
	case SNP_ERR_VMSA_2M_ALIGNED:
		return CORE_ARCH_FAIL_INPUT;
	case SNP_ERR_RMPADJUST_PERMISSION:
		return CORE_ARCH_FAIL_PERMISSION;
	case SNP_ERR_PVALIDATE_SIZE_MISMATCH:
	case SNP_ERR_RMPADJUST_SIZE_MISMATCH:
		return CORE_ARCH_FAIL_SIZEMISMATCH;
	case SNP_ERR_PVALIDATE_NO_CHANGE:
		return CORE_ARCH_NO_CHANGE;
	default:
		return 0xFFu; /* reported as SVSM_PVALIDATE_FAIL_UNEXPECTED */
	}
}

static uint32_t snp_pvalidate(void *ctx, gpa_t gpa, enum page_size size, bool validate)
{
	struct snp_core_env *e = env_of(ctx);
	void *va = e->map(gpa, bytes_of(size));
	enum snp_result r;

	if (va == NULL) {
		return CORE_ARCH_FAULT;
	}
	r = pvalidate_page(vaddr_init((uintptr_t)va), snp_size(size), validate);
	e->unmap(va);
	return arch_code(r);
}

static int snp_page_zero(void *ctx, gpa_t gpa, enum page_size size)
{
	struct snp_core_env *e = env_of(ctx);
	void *va = e->map(gpa, bytes_of(size));

	if (va == NULL) {
		return -1;
	}
	bastion_memset(va, 0, bytes_of(size));
	e->unmap(va);
	return 0;
}

static uint32_t snp_page_grant(void *ctx, gpa_t gpa, enum page_size size)
{
	struct snp_core_env *e = env_of(ctx);
	void *va = e->map(gpa, bytes_of(size));
	enum snp_result r;

	if (va == NULL) {
		return CORE_ARCH_FAULT;
	}
	r = rmpadjust_grant(vaddr_init((uintptr_t)va), snp_size(size), e->guest_vmpl, GUEST_PERMS);
	e->unmap(va);
	return arch_code(r);
}

static uint32_t snp_page_revoke(void *ctx, gpa_t gpa, enum page_size size)
{
	struct snp_core_env *e = env_of(ctx);
	void *va = e->map(gpa, bytes_of(size));
	enum snp_result r;

	if (va == NULL) {
		return CORE_ARCH_FAULT;
	}
	r = rmpadjust_revoke_lower(vaddr_init((uintptr_t)va), snp_size(size));
	e->unmap(va);
	if (r == SNP_OK) {
		e->flush(gpa, bytes_of(size));
	}
	return arch_code(r);
}

static int snp_vmsa_read(void *ctx, gpa_t vmsa, size_t offset, void *dst, size_t len)
{
	struct snp_core_env *e = env_of(ctx);
	const uint8_t *va = NULL;

	if (offset > SNP_CORE_4K || len > SNP_CORE_4K - offset) {
		return -1;
	}
	va = e->map(vmsa, SNP_CORE_4K);
	if (va == NULL) {
		return -1;
	}
	bastion_memcpy(dst, va + offset, len);
	e->unmap((void *)(uintptr_t)va);
	return 0;
}

static uint32_t snp_vmsa_make(void *ctx, gpa_t vmsa)
{
	struct snp_core_env *e = env_of(ctx);
	void *va = e->map(vmsa, SNP_CORE_4K);
	enum snp_result r;

	if (va == NULL) {
		return CORE_ARCH_FAULT;
	}
	/* The guest may read its own VMSA (COCONUT's choice, pvalidate.h). */
	r = rmpadjust_set_vmsa(vaddr_init((uintptr_t)va), paddr_init(gpa_get(vmsa)), e->guest_vmpl,
			       RMPADJUST_PERM_READ);
	e->unmap(va);
	return arch_code(r);
}

static uint32_t snp_vmsa_unmake(void *ctx, gpa_t vmsa)
{
	struct snp_core_env *e = env_of(ctx);
	void *va = e->map(vmsa, SNP_CORE_4K);
	enum snp_result r;

	if (va == NULL) {
		return CORE_ARCH_FAULT;
	}
	r = rmpadjust_clear_vmsa(vaddr_init((uintptr_t)va), e->guest_vmpl, GUEST_PERMS);
	e->unmap(va);
	if (r == SNP_OK) {
		e->flush(vmsa, SNP_CORE_4K);
	}
	return arch_code(r);
}

static bool snp_vmsa_disable(void *ctx, gpa_t vmsa)
{
	struct snp_core_env *e = env_of(ctx);
	struct vmsa *v = e->map(vmsa, SNP_CORE_4K);

	if (v == NULL) {
		return false; /* reported as in use: nothing changed, the guest may retry */
	}
	v->efer &= ~EFER_SVME;
	e->unmap(v);
	return true;
}

static uint64_t snp_boot_sev_features(void *ctx)
{
	return env_of(ctx)->boot_sev_features;
}

/* ---- deposit pool ----------------------------------------------------------------------- */

static uint32_t ledger_code(enum page_state_result r)
{
	return r == PS_ERR_NO_MEMORY ? CORE_ARCH_NO_MEMORY : CORE_ARCH_FAIL_INPUT;
}

static uint32_t snp_pool_deposit(void *ctx, gpa_t gpa, enum page_size size)
{
	struct snp_core_env *e = env_of(ctx);
	enum page_state_result r = page_state_apply(e->ledger, gpa, size, PS_OP_DEPOSIT, 0);
	uint32_t code;

	if (r != PS_OK) {
		return ledger_code(r);
	}
	code = snp_page_revoke(ctx, gpa, size);
	if (code != CORE_ARCH_OK) {
		/* A failed RMPADJUST sequence may have revoked VMPL1 already: give it back. */
		(void)snp_page_grant(ctx, gpa, size);
		CHECK(page_state_apply(e->ledger, gpa, size, PS_OP_WITHDRAW, 0) == PS_OK);
		return code;
	}
	CHECK(deposit_pool_add(e->pool, paddr_init(gpa_get(gpa)), bytes_of(size) / SNP_CORE_4K));
	return CORE_ARCH_OK;
}

static bool snp_pool_withdraw(void *ctx, gpa_t *gpa)
{
	struct snp_core_env *e = env_of(ctx);
	paddr_t pa;
	gpa_t g;

	if (!deposit_pool_take(e->pool, &pa)) {
		return false;
	}
	g = gpa_init(paddr_get(pa));
	/* Scrub while the page is still Bastion's alone. */
	if (snp_page_zero(ctx, g, PAGE_SIZE_4K) != 0 ||
	    page_state_apply(e->ledger, g, PAGE_SIZE_4K, PS_OP_WITHDRAW, 0) != PS_OK) {
		CHECK(deposit_pool_add(e->pool, pa, 1));
		return false;
	}
	if (snp_page_grant(ctx, g, PAGE_SIZE_4K) != CORE_ARCH_OK) {
		CHECK(page_state_apply(e->ledger, g, PAGE_SIZE_4K, PS_OP_DEPOSIT, 0) == PS_OK);
		CHECK(deposit_pool_add(e->pool, pa, 1));
		return false;
	}
	*gpa = g;
	return true;
}

static bool snp_pool_has_free(void *ctx)
{
	return deposit_pool_free(env_of(ctx)->pool) != 0;
}

void snp_core_backend_fill(struct core_backend *be, struct snp_core_env *env)
{
	be->ctx = env;
	be->page_pvalidate = snp_pvalidate;
	be->page_zero = snp_page_zero;
	be->page_grant = snp_page_grant;
	be->page_revoke = snp_page_revoke;
	be->vmsa_read = snp_vmsa_read;
	be->vmsa_make = snp_vmsa_make;
	be->vmsa_unmake = snp_vmsa_unmake;
	be->vmsa_disable = snp_vmsa_disable;
	be->boot_sev_features = snp_boot_sev_features;
	if (env->pool != NULL) {
		be->pool_deposit = snp_pool_deposit;
		be->pool_withdraw = snp_pool_withdraw;
		be->pool_has_free = snp_pool_has_free;
	}
}
