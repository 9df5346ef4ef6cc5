/*
 * The core protocol's backend on the native platform (protocols/core_backend.h).
 *
 * Native has no RMP: "validation" is the ledger's state, and the guest's access to a page is
 * whether the nested page tables map it. So PVALIDATE succeeds at the platform level (the
 * ledger already decided), grant/revoke map/unmap the page in the nested tables, and zeroing
 * goes through Bastion's temporary window. Deposited pages (DEPOSIT_MEM) leave the nested
 * tables and join the deposit pool (mm/deposit_pool.h); withdrawn ones are scrubbed and mapped
 * again. Guest-supplied VMSA pages (CREATE_VCPU) are not offered on this platform yet:
 * CREATE_VCPU is refused with FAIL_INPUT.
 */
#include "arch/x86/svm/svm.h"

#include "kernel/boot_params.h"
#include "kernel/check.h"
#include "kernel/log.h"
#include "kernel/string.h"
#include "kernel/vcpu.h"
#include "mm/guest_mem.h"
#include "mm/deposit_pool.h"
#include "mm/mm.h"
#include "mm/page_state.h"
#include "mm/slab.h"
#include "mm/tempmap.h"
#include "protocols/core.h"
#include "protocols/core_backend.h"

static int native_guest_read(void *ctx, gpa_t gpa, void *dst, size_t len)
{
	(void)ctx;
	return guest_copy_from(gpa, dst, len) == GUEST_MEM_OK ? 0 : -1;
}

static int native_guest_write(void *ctx, gpa_t gpa, const void *src, size_t len)
{
	(void)ctx;
	return guest_copy_to(gpa, src, len) == GUEST_MEM_OK ? 0 : -1;
}

static uint32_t native_pvalidate(void *ctx, gpa_t gpa, enum page_size size, bool validate)
{
	(void)ctx;
	(void)gpa;
	(void)size;
	(void)validate;
	return CORE_ARCH_OK; /* no RMP: the ledger transition the core made is the validation */
}

static int native_page_zero(void *ctx, gpa_t gpa, enum page_size size)
{
	uint64_t bytes = size == PAGE_SIZE_2M ? HUGE_PAGE_SIZE : PAGE_SIZE;
	void *p = tempmap_map(paddr_init(gpa_get(gpa)), bytes, 0);

	(void)ctx;
	if (p == NULL) {
		return -1;
	}
	memset(p, 0, bytes);
	tempmap_unmap(p);
	return 0;
}

static uint32_t native_page_grant(void *ctx, gpa_t gpa, enum page_size size)
{
	(void)ctx;
	return svm_npt_set_access(gpa, size, true);
}

static uint32_t native_page_revoke(void *ctx, gpa_t gpa, enum page_size size)
{
	(void)ctx;
	return svm_npt_set_access(gpa, size, false);
}

static int native_vmsa_read(void *ctx, gpa_t vmsa, size_t offset, void *dst, size_t len)
{
	const uint8_t *p = NULL;

	(void)ctx;
	if (offset > PAGE_SIZE || len > PAGE_SIZE - offset) {
		return -1;
	}
	p = tempmap_map(paddr_init(gpa_get(vmsa)), PAGE_SIZE, 0);
	if (p == NULL) {
		return -1;
	}
	memcpy(dst, p + offset, len);
	tempmap_unmap((void *)(uintptr_t)p);
	return 0;
}

static uint32_t native_vmsa_make(void *ctx, gpa_t vmsa)
{
	(void)ctx;
	(void)vmsa;
	return CORE_ARCH_FAIL_INPUT; /* guest-supplied VMSAs arrive with SMP support */
}

static uint32_t native_vmsa_unmake(void *ctx, gpa_t vmsa)
{
	(void)ctx;
	return svm_npt_set_access(vmsa, PAGE_SIZE_4K, true);
}

static bool native_vmsa_disable(void *ctx, gpa_t vmsa)
{
	(void)ctx;
	(void)vmsa;
	return true; /* no guest-supplied VMSA ever runs on this platform yet */
}

static uint64_t native_boot_sev_features(void *ctx)
{
	(void)ctx;
	return 0;
}

/* ---- the deposit pool ------------------------------------------------------------------- */

static struct deposit_pool native_pool;

static uint32_t ledger_code(enum page_state_result r)
{
	return r == PS_ERR_NO_MEMORY ? CORE_ARCH_NO_MEMORY : CORE_ARCH_FAIL_INPUT;
}

/* DEPOSIT_MEM: ledger first (it refuses anything but plain validated private guest memory),
 * then the guest loses the mapping, then the frames become Bastion's free frames. */
static uint32_t native_pool_deposit(void *ctx, gpa_t gpa, enum page_size size)
{
	uint64_t pages = size == PAGE_SIZE_2M ? HUGE_PAGE_SIZE / PAGE_SIZE : 1;
	enum page_state_result r = page_state_apply(mm_page_state(), gpa, size, PS_OP_DEPOSIT, 0);
	uint32_t code = CORE_ARCH_OK;

	(void)ctx;
	if (r != PS_OK) {
		return ledger_code(r);
	}
	code = svm_npt_set_access(gpa, size, false);
	if (code != CORE_ARCH_OK) {
		/* WITHDRAW needs no memory: the DEPOSIT just made the records it reverts. */
		CHECK(page_state_apply(mm_page_state(), gpa, size, PS_OP_WITHDRAW, 0) == PS_OK);
		return code;
	}
	/* The ledger said these frames were the guest's, so none is in the pool already. */
	CHECK(deposit_pool_add(&native_pool, paddr_init(gpa_get(gpa)), pages));
	return CORE_ARCH_OK;
}

/* WITHDRAW_MEM, one page: scrubbed while still Bastion's, then the guest's again. */
static bool native_pool_withdraw(void *ctx, gpa_t *gpa)
{
	paddr_t pa;
	void *p = NULL;
	gpa_t g;

	(void)ctx;
	if (!deposit_pool_take(&native_pool, &pa)) {
		return false;
	}
	g = gpa_init(paddr_get(pa));
	p = tempmap_map(pa, PAGE_SIZE, 0);
	if (p == NULL) {
		CHECK(deposit_pool_add(&native_pool, pa, 1));
		return false;
	}
	memset(p, 0, PAGE_SIZE);
	tempmap_unmap(p);
	if (page_state_apply(mm_page_state(), g, PAGE_SIZE_4K, PS_OP_WITHDRAW, 0) != PS_OK) {
		CHECK(deposit_pool_add(&native_pool, pa, 1));
		return false;
	}
	if (svm_npt_set_access(g, PAGE_SIZE_4K, true) != CORE_ARCH_OK) {
		CHECK(page_state_apply(mm_page_state(), g, PAGE_SIZE_4K, PS_OP_DEPOSIT, 0) == PS_OK);
		CHECK(deposit_pool_add(&native_pool, pa, 1));
		return false;
	}
	*gpa = g;
	return true;
}

static bool native_pool_has_free(void *ctx)
{
	(void)ctx;
	return deposit_pool_free(&native_pool) != 0;
}

static void *pool_bits_alloc(size_t size, void *ctx)
{
	(void)ctx;
	return kzalloc(size);
}

/* The pool covers guest-physical [0, end of the last RAM range). Without it (no memory for
 * its bitmap) DEPOSIT_MEM and WITHDRAW_MEM answer UNSUPPORTED_CALL. */
static bool native_pool_init(void)
{
	const struct boot_memmap *map = boot_params_memmap();
	uint64_t top = 0;

	for (size_t i = 0; i < map->count; i++) {
		if (map->ranges[i].type == BOOT_MEM_RAM && map->ranges[i].base + map->ranges[i].size > top) {
			top = map->ranges[i].base + map->ranges[i].size;
		}
	}
	if (deposit_pool_init(&native_pool, top, pool_bits_alloc, NULL) != 0) {
		LOG_ERROR("no memory for the deposit pool: DEPOSIT_MEM/WITHDRAW_MEM unsupported");
		return false;
	}
	return true;
}

static struct core_backend native_backend = {
	.guest_read = native_guest_read,
	.guest_write = native_guest_write,
	.page_pvalidate = native_pvalidate,
	.page_zero = native_page_zero,
	.page_grant = native_page_grant,
	.page_revoke = native_page_revoke,
	.vmsa_read = native_vmsa_read,
	.vmsa_make = native_vmsa_make,
	.vmsa_unmake = native_vmsa_unmake,
	.vmsa_disable = native_vmsa_disable,
	.boot_sev_features = native_boot_sev_features,
	.vcpu_count = vcpu_core_count,
	.vcpu_get = vcpu_core_get,
	.vcpu_set_vmsa = vcpu_core_set_vmsa,
	.vcpu_set_caa = vcpu_core_set_caa,
};

const struct core_backend *svm_core_backend(void)
{
	static bool pool_tried;

	native_backend.ledger = mm_page_state();
	if (!pool_tried) {
		pool_tried = true;
		if (native_pool_init()) {
			native_backend.pool_deposit = native_pool_deposit;
			native_backend.pool_withdraw = native_pool_withdraw;
			native_backend.pool_has_free = native_pool_has_free;
		}
	}
	return &native_backend;
}
