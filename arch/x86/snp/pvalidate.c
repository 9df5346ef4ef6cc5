/*
 * PVALIDATE/RMPADJUST policy (AMD APM vol 3, "PVALIDATE" and "RMPADJUST"; ABI reference 4.1).
 */
#include "arch/x86/snp/pvalidate.h"

#include <stddef.h>

#define PAGES_PER_2M 512u

static uint64_t snp_page_bytes(enum snp_page_size size)
{
	return size == SNP_PAGE_2M ? HUGE_PAGE_SIZE : PAGE_SIZE;
}

static bool snp_page_size_ok(enum snp_page_size size)
{
	return size == SNP_PAGE_4K || size == SNP_PAGE_2M;
}

static enum snp_result pvalidate_map(enum pvalidate_ret r)
{
	switch (r) {
	case PVALIDATE_OK:
		return SNP_OK;
	case PVALIDATE_FAIL_INPUT:
		return SNP_ERR_PVALIDATE_INPUT;
	case PVALIDATE_FAIL_SIZEMISMATCH:
		return SNP_ERR_PVALIDATE_SIZE_MISMATCH;
	case PVALIDATE_NO_CHANGE:
		return SNP_ERR_PVALIDATE_NO_CHANGE;
	case PVALIDATE_UNEXPECTED:
		break;
	}
	return SNP_ERR_PVALIDATE_UNEXPECTED;
}

static enum snp_result rmpadjust_map(enum rmpadjust_ret r)
{
	switch (r) {
	case RMPADJUST_OK:
		return SNP_OK;
	case RMPADJUST_FAIL_INPUT:
		return SNP_ERR_RMPADJUST_INPUT;
	case RMPADJUST_FAIL_PERMISSION:
		return SNP_ERR_RMPADJUST_PERMISSION;
	case RMPADJUST_FAIL_SIZEMISMATCH:
		return SNP_ERR_RMPADJUST_SIZE_MISMATCH;
	case RMPADJUST_UNEXPECTED:
		break;
	}
	return SNP_ERR_RMPADJUST_UNEXPECTED;
}

enum snp_result pvalidate_page(vaddr_t va, enum snp_page_size size, bool validate)
{
	if (!snp_page_size_ok(size) || !addr_is_aligned(vaddr_get(va), snp_page_bytes(size))) {
		return SNP_ERR_INVALID_ARG;
	}
	return pvalidate_map(pvalidate_decode(snp_insn_pvalidate(vaddr_get(va), size, validate)));
}

/* One 4 KiB page, applying the no-change policy. */
static enum snp_result pvalidate_4k(uint64_t va, bool validate, unsigned int flags)
{
	enum snp_result r = pvalidate_page(vaddr_init(va), SNP_PAGE_4K, validate);

	if (r == SNP_ERR_PVALIDATE_NO_CHANGE && (flags & PVALIDATE_F_IGNORE_NO_CHANGE) != 0) {
		r = SNP_OK;
	}
	return r;
}

enum snp_result pvalidate_range(vaddr_t va, uint64_t len, bool validate, unsigned int flags,
				uint64_t *done)
{
	uint64_t start = vaddr_get(va);
	uint64_t end = 0;
	uint64_t cur = start;
	enum snp_result r = SNP_OK;

	if (done != NULL) {
		*done = 0;
	}
	if (len == 0 || !addr_is_aligned(start, PAGE_SIZE) || !addr_is_aligned(len, PAGE_SIZE) ||
	    !addr_range_end(start, len, &end) || (flags & ~PVALIDATE_F_IGNORE_NO_CHANGE) != 0) {
		return SNP_ERR_INVALID_ARG;
	}
	while (cur < end) {
		if (addr_is_aligned(cur, HUGE_PAGE_SIZE) && end - cur >= HUGE_PAGE_SIZE) {
			r = pvalidate_page(vaddr_init(cur), SNP_PAGE_2M, validate);
			if (r == SNP_ERR_PVALIDATE_NO_CHANGE &&
			    (flags & PVALIDATE_F_IGNORE_NO_CHANGE) != 0) {
				r = SNP_OK;
			}
			if (r == SNP_ERR_PVALIDATE_SIZE_MISMATCH) {
				/* The RMP (or the mapping) has 4 KiB entries here: page by page. */
				r = SNP_OK;
				for (unsigned int i = 0; i < PAGES_PER_2M && r == SNP_OK; i++) {
					r = pvalidate_4k(cur, validate, flags);
					if (r == SNP_OK) {
						cur += PAGE_SIZE;
					}
				}
			} else if (r == SNP_OK) {
				cur += HUGE_PAGE_SIZE;
			}
		} else {
			r = pvalidate_4k(cur, validate, flags);
			if (r == SNP_OK) {
				cur += PAGE_SIZE;
			}
		}
		if (done != NULL) {
			*done = cur - start;
		}
		if (r != SNP_OK) {
			return r;
		}
	}
	return SNP_OK;
}

static bool rmpadjust_args_ok(vaddr_t va, enum snp_page_size size, uint8_t vmpl, uint8_t perms)
{
	return snp_page_size_ok(size) && addr_is_aligned(vaddr_get(va), snp_page_bytes(size)) &&
	       vmpl >= 1 && vmpl <= 3 && perms <= RMPADJUST_PERM_ALL;
}

static enum snp_result rmpadjust_do(vaddr_t va, enum snp_page_size size, uint64_t attrs)
{
	struct snp_insn_ret ret = snp_insn_rmpadjust(vaddr_get(va), size, attrs);

	return rmpadjust_map(rmpadjust_decode(ret.eax));
}

enum snp_result rmpadjust_grant(vaddr_t va, enum snp_page_size size, uint8_t vmpl,
				uint8_t perms)
{
	if (!rmpadjust_args_ok(va, size, vmpl, perms)) {
		return SNP_ERR_INVALID_ARG;
	}
	return rmpadjust_do(va, size, rmpadjust_attrs(vmpl, perms, false));
}

enum snp_result rmpadjust_revoke_lower(vaddr_t va, enum snp_page_size size)
{
	enum snp_result r = SNP_OK;

	if (!rmpadjust_args_ok(va, size, 1, 0)) {
		return SNP_ERR_INVALID_ARG;
	}
	for (uint8_t vmpl = 1; vmpl <= 3 && r == SNP_OK; vmpl++) {
		r = rmpadjust_do(va, size, rmpadjust_attrs(vmpl, 0, false));
	}
	return r;
}

enum snp_result rmpadjust_set_vmsa(vaddr_t va, paddr_t pa, uint8_t vmpl, uint8_t perms)
{
	enum snp_result r = SNP_OK;

	if (!rmpadjust_args_ok(va, SNP_PAGE_4K, vmpl, perms) || !paddr_is_page_aligned(pa)) {
		return SNP_ERR_INVALID_ARG;
	}
	if (addr_is_aligned(paddr_get(pa), HUGE_PAGE_SIZE)) {
		return SNP_ERR_VMSA_2M_ALIGNED;
	}
	r = rmpadjust_revoke_lower(va, SNP_PAGE_4K);
	if (r != SNP_OK) {
		return r;
	}
	return rmpadjust_do(va, SNP_PAGE_4K, rmpadjust_attrs(vmpl, perms, true));
}

enum snp_result rmpadjust_clear_vmsa(vaddr_t va, uint8_t vmpl, uint8_t perms)
{
	enum snp_result r = SNP_OK;

	if (!rmpadjust_args_ok(va, SNP_PAGE_4K, vmpl, perms)) {
		return SNP_ERR_INVALID_ARG;
	}
	r = rmpadjust_revoke_lower(va, SNP_PAGE_4K);
	if (r != SNP_OK || perms == 0) {
		return r;
	}
	return rmpadjust_do(va, SNP_PAGE_4K, rmpadjust_attrs(vmpl, perms, false));
}
