/*
 * GHCB page protocol calls (GHCB spec 56421, "Invoking VMGEXIT"; svsm-snp-igvm-abi.md
 * sections 3.2, 3.4, 3.5). See ghcb.h for the per-call protocol.
 */
#include "arch/x86/snp/ghcb.h"

#include "kernel/check.h"
#include "kernel/string.h"

#define GHCB_LOW32 0xFFFFFFFFull
#define PAGES_PER_2M 512u

/* ---- shared-page access: every read of host-writable memory goes through these ------------- */

/* One volatile load: the compiler may neither repeat nor drop it. */
static uint64_t ghcb_load64(const uint64_t *p)
{
	return *(const volatile uint64_t *)p;
}

/* Copies n bytes out of the shared page, each byte read exactly once. */
static void ghcb_copy_from_shared(void *dst, const uint8_t *src, size_t n)
{
	const volatile uint8_t *s = src;
	uint8_t *d = dst;

	for (size_t i = 0; i < n; i++) {
		d[i] = s[i];
	}
}

/* ---- request/response ---------------------------------------------------------------------- */

void ghcb_ctx_init(struct ghcb_ctx *ctx, struct ghcb *page, paddr_t pa)
{
	CHECK(page != NULL);
	CHECK(addr_is_aligned((uint64_t)(uintptr_t)page, PAGE_SIZE));
	CHECK(paddr_is_page_aligned(pa));
	bastion_memset(ctx, 0, sizeof(*ctx));
	ctx->page = page;
	ctx->pa = pa;
}

/* Step 1 of every call: fresh valid bitmap, exit code and exit information (all valid). */
static void ghcb_begin(struct ghcb_ctx *ctx, uint64_t exit_code, uint64_t info1, uint64_t info2)
{
	struct ghcb *g = ctx->page;

	bastion_memset(g->save.valid_bitmap, 0, sizeof(g->save.valid_bitmap));
	g->save.sw_exit_code = exit_code;
	ghcb_valid_set(g->save.valid_bitmap, GHCB_OFF_SW_EXITCODE);
	g->save.sw_exit_info_1 = info1;
	ghcb_valid_set(g->save.valid_bitmap, GHCB_OFF_SW_EXITINFO1);
	g->save.sw_exit_info_2 = info2;
	ghcb_valid_set(g->save.valid_bitmap, GHCB_OFF_SW_EXITINFO2);
}

static void ghcb_set_rax(struct ghcb_ctx *ctx, uint64_t v)
{
	ctx->page->save.rax = v;
	ghcb_valid_set(ctx->page->save.valid_bitmap, GHCB_OFF_RAX);
}

static void ghcb_set_rcx(struct ghcb_ctx *ctx, uint64_t v)
{
	ctx->page->save.rcx = v;
	ghcb_valid_set(ctx->page->save.valid_bitmap, GHCB_OFF_RCX);
}

static void ghcb_set_rdx(struct ghcb_ctx *ctx, uint64_t v)
{
	ctx->page->save.rdx = v;
	ghcb_valid_set(ctx->page->save.valid_bitmap, GHCB_OFF_RDX);
}

static void ghcb_set_sw_scratch(struct ghcb_ctx *ctx, uint64_t v)
{
	ctx->page->save.sw_scratch = v;
	ghcb_valid_set(ctx->page->save.valid_bitmap, GHCB_OFF_SW_SCRATCH);
}

/*
 * Steps 2-4: version and usage, MSR, VMGEXIT, copy the response out once, classify
 * SW_EXITINFO1[31:0]. *resp (and ctx->last) hold the copy whatever the result.
 */
static enum snp_result ghcb_exit(struct ghcb_ctx *ctx, struct ghcb_response *resp)
{
	struct ghcb *g = ctx->page;
	uint32_t result = 0;

	g->protocol_version = GHCB_PROTOCOL_VERSION;
	g->ghcb_usage = GHCB_USAGE_STANDARD;
	snp_insn_ghcb_msr_write(paddr_get(ctx->pa));
	snp_insn_vmgexit();

	resp->exit_info_1 = ghcb_load64(&g->save.sw_exit_info_1);
	resp->exit_info_2 = ghcb_load64(&g->save.sw_exit_info_2);
	resp->rax = ghcb_load64(&g->save.rax);
	resp->rbx = ghcb_load64(&g->save.rbx);
	resp->rcx = ghcb_load64(&g->save.rcx);
	resp->rdx = ghcb_load64(&g->save.rdx);
	ghcb_copy_from_shared(resp->valid_bitmap, g->save.valid_bitmap,
			      sizeof(resp->valid_bitmap));
	ctx->last = *resp;

	result = (uint32_t)(resp->exit_info_1 & GHCB_LOW32);
	if (result == GHCB_RESULT_OK) {
		return SNP_OK;
	}
	if (result == GHCB_RESULT_EXCEPTION) {
		return SNP_ERR_HV_EXCEPTION;
	}
	if (result == GHCB_RESULT_ERROR) {
		return SNP_ERR_HV_ERROR;
	}
	return SNP_ERR_HV_PROTOCOL;
}

/* ---- IOIO ------------------------------------------------------------------------------------ */

static bool ghcb_io_size_ok(unsigned int size)
{
	return size == 1 || size == 2 || size == 4;
}

static uint32_t ghcb_io_mask(unsigned int size)
{
	return size == 4 ? 0xFFFFFFFFu : (1u << (size * 8u)) - 1u;
}

uint64_t ghcb_ioio_exitinfo(uint16_t port, unsigned int size, bool in)
{
	uint64_t info = ((uint64_t)port << GHCB_IOIO_PORT_SHIFT) | GHCB_IOIO_ADDR64;

	if (size == 1) {
		info |= GHCB_IOIO_DATA8;
	} else if (size == 2) {
		info |= GHCB_IOIO_DATA16;
	} else {
		info |= GHCB_IOIO_DATA32;
	}
	if (in) {
		info |= GHCB_IOIO_TYPE_IN;
	}
	return info;
}

enum snp_result ghcb_ioio_out(struct ghcb_ctx *ctx, uint16_t port, unsigned int size,
			      uint32_t value)
{
	struct ghcb_response resp = { 0 };

	if (!ghcb_io_size_ok(size)) {
		return SNP_ERR_INVALID_ARG;
	}
	ghcb_begin(ctx, GHCB_NAE_IOIO, ghcb_ioio_exitinfo(port, size, false), 0);
	ghcb_set_rax(ctx, value & ghcb_io_mask(size));
	return ghcb_exit(ctx, &resp);
}

enum snp_result ghcb_ioio_in(struct ghcb_ctx *ctx, uint16_t port, unsigned int size,
			     uint32_t *value)
{
	struct ghcb_response resp = { 0 };
	enum snp_result r = SNP_OK;

	if (!ghcb_io_size_ok(size)) {
		return SNP_ERR_INVALID_ARG;
	}
	ghcb_begin(ctx, GHCB_NAE_IOIO, ghcb_ioio_exitinfo(port, size, true), 0);
	r = ghcb_exit(ctx, &resp);
	if (r != SNP_OK) {
		return r;
	}
	if (!ghcb_valid_test(resp.valid_bitmap, GHCB_OFF_RAX)) {
		return SNP_ERR_HV_MISSING_VALID;
	}
	*value = (uint32_t)resp.rax & ghcb_io_mask(size);
	return SNP_OK;
}

/* ---- MSR ------------------------------------------------------------------------------------- */

enum snp_result ghcb_rdmsr(struct ghcb_ctx *ctx, uint32_t msr, uint64_t *value)
{
	struct ghcb_response resp = { 0 };
	enum snp_result r = SNP_OK;

	ghcb_begin(ctx, GHCB_NAE_MSR, 0, 0);
	ghcb_set_rcx(ctx, msr);
	r = ghcb_exit(ctx, &resp);
	if (r != SNP_OK) {
		return r;
	}
	if (!ghcb_valid_test(resp.valid_bitmap, GHCB_OFF_RAX) ||
	    !ghcb_valid_test(resp.valid_bitmap, GHCB_OFF_RDX)) {
		return SNP_ERR_HV_MISSING_VALID;
	}
	*value = ((resp.rdx & GHCB_LOW32) << 32) | (resp.rax & GHCB_LOW32);
	return SNP_OK;
}

enum snp_result ghcb_wrmsr(struct ghcb_ctx *ctx, uint32_t msr, uint64_t value)
{
	struct ghcb_response resp = { 0 };

	ghcb_begin(ctx, GHCB_NAE_MSR, 1, 0);
	ghcb_set_rcx(ctx, msr);
	ghcb_set_rax(ctx, value & GHCB_LOW32);
	ghcb_set_rdx(ctx, value >> 32);
	return ghcb_exit(ctx, &resp);
}

/* ---- Page State Change ----------------------------------------------------------------------- */

static bool ghcb_psc_entry_ok(uint64_t e)
{
	uint64_t op = (e & GHCB_PSC_OP_MASK) >> GHCB_PSC_OP_SHIFT;
	uint64_t gfn = (e & GHCB_PSC_GFN_MASK) >> GHCB_PSC_GFN_SHIFT;

	if ((e & (GHCB_PSC_RESERVED_MASK | GHCB_PSC_CUR_PAGE_MASK)) != 0) {
		return false;
	}
	if (op != GHCB_PSC_OP_PRIVATE && op != GHCB_PSC_OP_SHARED) {
		return false;
	}
	return (e & GHCB_PSC_SIZE_2M) == 0 || (gfn % PAGES_PER_2M) == 0;
}

static void ghcb_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static uint16_t ghcb_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static void ghcb_put64(uint8_t *p, uint64_t v)
{
	for (unsigned int i = 0; i < 8; i++) {
		p[i] = (uint8_t)(v >> (8 * i));
	}
}

static uint64_t ghcb_get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < 8; i++) {
		v |= (uint64_t)p[i] << (8 * i);
	}
	return v;
}

/*
 * (Re)writes the PSC buffer from Bastion's copy: header {cur, count - 1, 0}, all entries with
 * cur_page 0 except entry cur, which carries the host's validated progress cur_page.
 */
static void ghcb_psc_write(struct ghcb *g, const uint64_t *entries, unsigned int count,
			   unsigned int cur, uint64_t cur_page)
{
	uint8_t *buf = g->shared_buffer;

	ghcb_put16(buf, (uint16_t)cur);
	ghcb_put16(buf + 2, (uint16_t)(count - 1));
	ghcb_put16(buf + 4, 0); /* reserved u32: zero */
	ghcb_put16(buf + 6, 0);
	for (unsigned int i = 0; i < count; i++) {
		uint64_t e = entries[i];

		if (i == cur) {
			e |= cur_page & GHCB_PSC_CUR_PAGE_MASK;
		}
		ghcb_put64(buf + GHCB_PSC_HDR_SIZE + (size_t)i * 8u, e);
	}
}

enum snp_result ghcb_psc(struct ghcb_ctx *ctx, const uint64_t *entries, unsigned int count)
{
	struct ghcb *g = ctx->page;
	unsigned int cur = 0;
	uint64_t cur_page = 0;

	if (count == 0 || count > GHCB_PSC_MAX_ENTRIES) {
		return SNP_ERR_INVALID_ARG;
	}
	for (unsigned int i = 0; i < count; i++) {
		if (!ghcb_psc_entry_ok(entries[i])) {
			return SNP_ERR_INVALID_ARG;
		}
	}
	ghcb_psc_write(g, entries, count, 0, 0);

	for (;;) {
		struct ghcb_response resp = { 0 };
		uint8_t hdr[GHCB_PSC_HDR_SIZE] = { 0 };
		uint8_t raw_entry[8] = { 0 };
		unsigned int host_cur = 0;
		unsigned int host_end = 0;
		uint64_t host_page = 0;
		uint64_t page_limit = 0;
		enum snp_result r = SNP_OK;

		ghcb_begin(ctx, GHCB_NAE_PSC, 0, 0);
		ghcb_set_sw_scratch(ctx, paddr_get(ctx->pa) + GHCB_OFF_SHARED_BUFFER);
		r = ghcb_exit(ctx, &resp);
		if (r != SNP_OK) {
			return r;
		}
		if (resp.exit_info_2 != 0) {
			return SNP_ERR_PSC_HOST;
		}

		ghcb_copy_from_shared(hdr, g->shared_buffer, sizeof(hdr));
		host_cur = ghcb_get16(hdr);
		host_end = ghcb_get16(hdr + 2);
		if ((ghcb_get64(hdr) >> 32) != 0 || host_end != count - 1) {
			return SNP_ERR_PSC_HEADER;
		}
		if (host_cur < cur) {
			return SNP_ERR_PSC_BACKWARDS;
		}
		if (host_cur > count) {
			return SNP_ERR_PSC_BEYOND_END;
		}
		if (host_cur == count) {
			return SNP_OK;
		}

		ghcb_copy_from_shared(raw_entry,
				      g->shared_buffer + GHCB_PSC_HDR_SIZE + (size_t)host_cur * 8u,
				      sizeof(raw_entry));
		host_page = ghcb_get64(raw_entry) & GHCB_PSC_CUR_PAGE_MASK;
		page_limit = (entries[host_cur] & GHCB_PSC_SIZE_2M) != 0 ? PAGES_PER_2M : 1;
		if (host_page >= page_limit) {
			return SNP_ERR_PSC_ENTRY;
		}
		if (host_cur == cur && host_page < cur_page) {
			return SNP_ERR_PSC_BACKWARDS;
		}
		if (host_cur == cur && host_page == cur_page) {
			return SNP_ERR_PSC_NO_PROGRESS;
		}
		cur = host_cur;
		cur_page = host_page;
		ghcb_psc_write(g, entries, count, cur, cur_page);
	}
}

enum snp_result ghcb_psc_range(struct ghcb_ctx *ctx, pfn_t gfn, uint64_t page_count,
			       enum ghcb_psc_op op, bool allow_2m)
{
	uint64_t entries[GHCB_PSC_MAX_ENTRIES] = { 0 };
	uint64_t next = pfn_get(gfn);
	uint64_t end = 0;

	if (page_count == 0 || (op != GHCB_PSC_OP_PRIVATE && op != GHCB_PSC_OP_SHARED) ||
	    !addr_range_end(next, page_count, &end) || end > (1ull << 40)) {
		return SNP_ERR_INVALID_ARG;
	}
	while (next < end) {
		unsigned int n = 0;
		enum snp_result r = SNP_OK;

		while (n < GHCB_PSC_MAX_ENTRIES && next < end) {
			if (allow_2m && next % PAGES_PER_2M == 0 && end - next >= PAGES_PER_2M) {
				entries[n] = ghcb_psc_entry(pfn_init(next), op, SNP_PAGE_2M);
				next += PAGES_PER_2M;
			} else {
				entries[n] = ghcb_psc_entry(pfn_init(next), op, SNP_PAGE_4K);
				next += 1;
			}
			n++;
		}
		r = ghcb_psc(ctx, entries, n);
		if (r != SNP_OK) {
			return r;
		}
	}
	return SNP_OK;
}

/* ---- AP creation, Run VMPL, features, termination ------------------------------------------- */

enum snp_result ghcb_ap_create(struct ghcb_ctx *ctx, enum ghcb_ap_request request, uint8_t vmpl,
			       uint32_t apic_id, gpa_t vmsa, uint64_t sev_features)
{
	struct ghcb_response resp = { 0 };
	uint64_t info1 = 0;

	if ((unsigned int)request > GHCB_AP_DESTROY || vmpl > 3 || !gpa_is_page_aligned(vmsa)) {
		return SNP_ERR_INVALID_ARG;
	}
	if (request != GHCB_AP_DESTROY && addr_is_aligned(gpa_get(vmsa), HUGE_PAGE_SIZE)) {
		return SNP_ERR_VMSA_2M_ALIGNED;
	}
	info1 = (uint64_t)request | ((uint64_t)vmpl << GHCB_AP_VMPL_SHIFT) |
		((uint64_t)apic_id << GHCB_AP_APIC_ID_SHIFT);
	ghcb_begin(ctx, GHCB_NAE_AP_CREATION, info1, gpa_get(vmsa));
	if (request != GHCB_AP_DESTROY) {
		ghcb_set_rax(ctx, sev_features);
	}
	return ghcb_exit(ctx, &resp);
}

enum snp_result ghcb_run_vmpl(struct ghcb_ctx *ctx, uint8_t vmpl)
{
	struct ghcb_response resp = { 0 };

	if (vmpl > 3) {
		return SNP_ERR_INVALID_ARG;
	}
	ghcb_begin(ctx, GHCB_NAE_RUN_VMPL, vmpl, 0);
	return ghcb_exit(ctx, &resp);
}

enum snp_result ghcb_hv_features(struct ghcb_ctx *ctx, uint64_t *features)
{
	struct ghcb_response resp = { 0 };
	enum snp_result r = SNP_OK;

	ghcb_begin(ctx, GHCB_NAE_HV_FEATURES, 0, 0);
	r = ghcb_exit(ctx, &resp);
	if (r == SNP_OK) {
		*features = resp.exit_info_2;
	}
	return r;
}

enum snp_result ghcb_terminate_request(struct ghcb_ctx *ctx, uint8_t reason_set,
				       uint8_t reason_code)
{
	struct ghcb_response resp = { 0 };
	enum snp_result r = SNP_OK;

	if (reason_set > 0xF) {
		return SNP_ERR_INVALID_ARG;
	}
	ghcb_begin(ctx, GHCB_NAE_TERMINATE,
		   (uint64_t)reason_set | ((uint64_t)reason_code << GHCB_TERM_NAE_CODE_SHIFT), 0);
	r = ghcb_exit(ctx, &resp);
	return r == SNP_OK ? SNP_ERR_HV_RETURNED : r;
}

/* ---- SNP guest request ----------------------------------------------------------------------- */

enum snp_result ghcb_guest_request(struct ghcb_ctx *ctx, paddr_t request, paddr_t response,
				   uint32_t *fw_error)
{
	struct ghcb_response resp = { 0 };
	enum snp_result r = SNP_OK;
	uint32_t vmm = 0;
	uint32_t fw = 0;

	if (!paddr_is_page_aligned(request) || !paddr_is_page_aligned(response) ||
	    paddr_get(request) == paddr_get(response)) {
		return SNP_ERR_INVALID_ARG;
	}
	ghcb_begin(ctx, GHCB_NAE_GUEST_REQUEST, paddr_get(request), paddr_get(response));
	r = ghcb_exit(ctx, &resp);
	if (r != SNP_OK) {
		return r;
	}
	vmm = (uint32_t)(resp.exit_info_2 >> GHCB_GUEST_REQ_VMM_SHIFT);
	fw = (uint32_t)(resp.exit_info_2 & GHCB_LOW32);
	if (fw_error != NULL) {
		*fw_error = fw;
	}
	if (vmm == GHCB_GUEST_REQ_ERR_BUSY) {
		return SNP_ERR_GUEST_REQ_BUSY;
	}
	if (vmm == GHCB_GUEST_REQ_ERR_INVALID_LEN) {
		return SNP_ERR_GUEST_REQ_INVALID_LEN;
	}
	if (vmm != 0) {
		return SNP_ERR_GUEST_REQ_VMM;
	}
	return fw != 0 ? SNP_ERR_GUEST_REQ_FW : SNP_OK;
}
