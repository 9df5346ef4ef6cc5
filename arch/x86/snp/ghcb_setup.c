/*
 * GHCB page bring-up and teardown (see ghcb_setup.h; GHCB spec 56421, "GHCB MSR Protocol";
 * svsm-snp-igvm-abi.md 3.3, 3.5).
 */
#include "arch/x86/snp/ghcb_setup.h"

#include <stdarg.h>
#include <stdint.h>

#include "arch/x86/snp/ghcb_msr.h"
#include "arch/x86/snp/pvalidate.h"
#include "kernel/check.h"
#include "kernel/format.h"
#include "kernel/string.h"

#define SETUP_LOG_LINE 192u

/* Logs "snp: GHCB at GPA 0x...: <message>" and terminates with set 1 / code. */
__attribute__((noreturn, format(printf, 4, 5))) static void
setup_fail(const struct ghcb_setup_ops *ops, paddr_t pa, uint8_t code, const char *fmt, ...)
{
	char line[SETUP_LOG_LINE];
	size_t n = 0;
	va_list ap;

	n = fmt_snprintf(line, sizeof(line), "snp: GHCB at GPA 0x%lx: ",
			 (unsigned long)paddr_get(pa));
	if (n < sizeof(line)) {
		va_start(ap, fmt);
		fmt_vsnprintf(line + n, sizeof(line) - n, fmt, ap);
		va_end(ap);
	}
	ops->log(line);
	ghcb_msr_terminate(GHCB_TERM_SET_BASTION, code);
}

/* True if all n bytes at p read as zero (each read once, never optimised away). */
static bool page_reads_zero(const void *p, size_t n)
{
	const volatile uint8_t *b = p;
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++) {
		acc |= b[i];
	}
	return acc == 0;
}

static void check_args(const struct ghcb_setup_ops *ops, vaddr_t va, paddr_t pa)
{
	CHECK(ops != NULL && ops->set_encrypted != NULL && ops->log != NULL);
	CHECK(vaddr_is_page_aligned(va) && vaddr_get(va) != 0);
	CHECK(paddr_is_page_aligned(pa));
}

void ghcb_setup(struct ghcb_ctx *ctx, const struct ghcb_setup_ops *ops, vaddr_t va, paddr_t pa)
{
	pfn_t gfn = paddr_to_pfn(pa);
	uint32_t hv_error = 0;
	enum snp_result r = SNP_OK;

	check_args(ops, va, pa);

	/* 1. Rescind: a page must be invalid before it turns shared. */
	r = pvalidate_page(va, SNP_PAGE_4K, false);
	if (r != SNP_OK) {
		setup_fail(ops, pa, BASTION_TERM_PVALIDATE, "PVALIDATE rescind failed: %s",
			   snp_result_name(r));
	}
	/* 2. Page state change to shared (MSR protocol 0x014 / 0x015). */
	r = ghcb_msr_psc(gfn, GHCB_PSC_OP_SHARED, &hv_error);
	if (r != SNP_OK) {
		setup_fail(ops, pa, BASTION_TERM_PSC,
			   "page state change to shared failed: %s (host error 0x%x)",
			   snp_result_name(r), hv_error);
	}
	/* 3. Map it without the C-bit. */
	if (ops->set_encrypted(va, false) != 0) {
		setup_fail(ops, pa, BASTION_TERM_GHCB_SETUP, "clearing the C-bit of VA 0x%lx failed",
			   (unsigned long)vaddr_get(va));
	}
	/* 4. Zero it and read it back through the shared mapping. */
	bastion_memset(vaddr_ptr(va), 0, PAGE_SIZE);
	if (!page_reads_zero(vaddr_ptr(va), PAGE_SIZE)) {
		setup_fail(ops, pa, BASTION_TERM_GHCB_SETUP,
			   "the zeroed page does not read back as zero");
	}
	/* 5. Register the GPA (MSR protocol 0x012 / 0x013, GFN echoed). */
	r = ghcb_msr_register(gfn);
	if (r != SNP_OK) {
		setup_fail(ops, pa, BASTION_TERM_GHCB_REGISTER, "registration failed: %s",
			   snp_result_name(r));
	}
	/* 6. Ready for NAE calls. */
	ghcb_ctx_init(ctx, vaddr_ptr(va), pa);
}

void ghcb_teardown(struct ghcb_ctx *ctx, const struct ghcb_setup_ops *ops)
{
	vaddr_t va = { 0 };
	paddr_t pa = { 0 };
	uint32_t hv_error = 0;
	enum snp_result r = SNP_OK;

	CHECK(ctx != NULL && ctx->page != NULL);
	va = vaddr_from_ptr(ctx->page);
	pa = ctx->pa;
	check_args(ops, va, pa);
	bastion_memset(ctx, 0, sizeof(*ctx)); /* no NAE call may use it from here on */

	r = ghcb_msr_psc(paddr_to_pfn(pa), GHCB_PSC_OP_PRIVATE, &hv_error);
	if (r != SNP_OK) {
		setup_fail(ops, pa, BASTION_TERM_PSC,
			   "page state change to private failed: %s (host error 0x%x)",
			   snp_result_name(r), hv_error);
	}
	if (ops->set_encrypted(va, true) != 0) {
		setup_fail(ops, pa, BASTION_TERM_GHCB_SETUP, "setting the C-bit of VA 0x%lx failed",
			   (unsigned long)vaddr_get(va));
	}
	r = pvalidate_page(va, SNP_PAGE_4K, true);
	if (r != SNP_OK) {
		setup_fail(ops, pa, BASTION_TERM_PVALIDATE, "PVALIDATE validate failed: %s",
			   snp_result_name(r));
	}
	/* A freshly validated page holds whatever the host left: clear it for its next owner. */
	bastion_memset(vaddr_ptr(va), 0, PAGE_SIZE);
}
