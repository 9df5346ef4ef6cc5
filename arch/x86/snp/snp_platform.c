/*
 * The SEV-SNP platform (snp_platform.h). Everything here is glue between the kernel and the
 * host-tested pieces: the policies live in sev_status.c, vc.c, ghcb_setup.c, pvalidate.c,
 * snp_core.c and secrets.c.
 */
#include "arch/x86/snp/snp_platform.h"

#include "arch/x86/cpu.h"
#include "arch/x86/snp/ghcb.h"
#include "arch/x86/snp/ghcb_msr.h"
#include "arch/x86/snp/ghcb_setup.h"
#include "arch/x86/snp/guest_msg.h"
#include "arch/x86/snp/insn.h"
#include "arch/x86/snp/pvalidate.h"
#include "arch/x86/snp/secrets.h"
#include "arch/x86/snp/sev_status.h"
#include "arch/x86/snp/snp_core.h"
#include "arch/x86/snp/snp_panic.h"
#include "arch/x86/snp/vc.h"
#include "arch/x86/snp/vmsa_build.h"
#include "kernel/boot_params.h"
#include "kernel/check.h"
#include "kernel/firmware.h"
#include "kernel/image_layout.h"
#include "kernel/layout.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "kernel/string.h"
#include "kernel/vcpu.h"
#include "mm/deposit_pool.h"
#include "mm/guest_mem.h"
#include "mm/kernel_map.h"
#include "mm/mm.h"
#include "mm/page_alloc.h"
#include "mm/page_state.h"
#include "mm/pgtable.h"
#include "mm/slab.h"
#include "mm/tempmap.h"
#include "protocols/core_backend.h"

/* The guest runs at VMPL1 (kernel/main.c registers its vCPUs with that VMPL). */
#define SNP_GUEST_VMPL 1u

static uint64_t snp_sev_status;
static struct ghcb_ctx bsp_ghcb;
static bool bsp_ghcb_ready;
static bool bsp_ghcb_busy; /* a GHCB call of Bastion's own is in flight: #VC must not use it */

static __attribute__((noreturn)) void snp_fail(uint8_t code, const char *what, enum snp_result r)
{
	LOG_ERROR("SNP: %s: %s", what, snp_result_name(r));
	ghcb_msr_terminate(GHCB_TERM_SET_BASTION, code);
}

/* ---- the #VC handler's view of this CPU ---------------------------------------------------- */

static int vc_fetch(uint64_t va, uint8_t *buf, size_t n)
{
	if (va < layout_text_start() || va >= layout_text_end() || n > layout_text_end() - va) {
		return -1;
	}
	bastion_memcpy(buf, (const void *)(uintptr_t)va, n);
	return 0;
}

static uint64_t vc_read_cr4(void)
{
	return cpu_read_cr4();
}

static uint64_t vc_read_xcr0(void)
{
	return cpu_xgetbv(0);
}

static uint64_t vc_read_xss(void)
{
	return 0; /* Bastion never sets IA32_XSS */
}

static uint32_t vc_apic_id(void)
{
	return 0; /* Bastion runs on the boot CPU only until SMP (issue #9) */
}

static struct ghcb_ctx *vc_ghcb(void)
{
	return bsp_ghcb_ready && !bsp_ghcb_busy ? &bsp_ghcb : NULL;
}

static void snp_log_line(const char *line)
{
	LOG_ERROR("%s", line);
}

static const struct vc_ops snp_vc_ops = {
	.fetch = vc_fetch,
	.read_cr4 = vc_read_cr4,
	.read_xcr0 = vc_read_xcr0,
	.read_xss = vc_read_xss,
	.apic_id = vc_apic_id,
	.ghcb = vc_ghcb,
	.log = snp_log_line,
};

/* Bastion's own GHCB calls: never while a #VC could need the page. */
static struct ghcb_ctx *ghcb_acquire(void)
{
	CHECK(bsp_ghcb_ready && !bsp_ghcb_busy);
	bsp_ghcb_busy = true;
	return &bsp_ghcb;
}

static void ghcb_release(void)
{
	bsp_ghcb_busy = false;
}

/* ---- early boot --------------------------------------------------------------------------- */

static void *region_va(uint64_t offset)
{
	return (void *)(uintptr_t)(BASTION_VIRT_BASE + offset);
}

void snp_boot_early(void)
{
	struct sev_status_verdict verdict;
	struct ghcb_msr_sev_info info;
	uint64_t features = 0, heap_gpa = layout_image_gpa_end(), done = 0;
	enum snp_result r;

	/* From here on a panic wipes whatever keys exist and terminates without port I/O. */
	panic_set_platform_hook(snp_panic_cleanup);
	snp_sev_status = snp_insn_sev_status_read();
	sev_status_check(snp_sev_status, &verdict);
	if (!verdict.ok) {
		LOG_ERROR("SNP: SEV_STATUS 0x%lx: missing 0x%lx, unsupported 0x%lx", snp_sev_status,
			  verdict.missing, verdict.unsupported);
		ghcb_msr_terminate(verdict.reason_set, verdict.reason_code);
	}
	/* CPUID is answered from the measured CPUID page from now on. */
	if (vc_init(&(struct vc_config){ .ops = &snp_vc_ops,
					 .cpuid_page = region_va(BASTION_SNP_CPUID_OFFSET),
					 .cpuid_len = 4096,
					 .sev_status = snp_sev_status }) != 0) {
		snp_fail(BASTION_TERM_CPUID, "CPUID page unusable", SNP_ERR_INVALID_ARG);
	}
	r = secrets_init(region_va(BASTION_SNP_SECRETS_OFFSET), 4096);
	if (r != SNP_OK) {
		snp_fail(BASTION_TERM_GENERAL, "secrets page", r);
	}
	/* Bastion's copy holds the keys now; the page the PSP filled is wiped. */
	mem_wipe(region_va(BASTION_SNP_SECRETS_OFFSET), 4096);
	r = ghcb_msr_sev_info(&info);
	if (r != SNP_OK || info.max_version < 2) {
		snp_fail(BASTION_TERM_GENERAL, "GHCB protocol version 2 not offered", r);
	}
	r = ghcb_msr_hv_features(&features);
	if (r != SNP_OK || (features & (GHCB_HV_FT_SNP | GHCB_HV_FT_SNP_AP_CREATION |
					GHCB_HV_FT_SNP_MULTI_VMPL)) !=
				   (GHCB_HV_FT_SNP | GHCB_HV_FT_SNP_AP_CREATION | GHCB_HV_FT_SNP_MULTI_VMPL)) {
		snp_fail(BASTION_TERM_GENERAL, "hypervisor lacks SNP, AP creation or multi-VMPL", r);
	}
	/* The loader validated what it measured; the heap after the image is Bastion's to
	 * validate (IGVM REQUIRED_MEMORY is only backed, not validated). */
	r = pvalidate_range(vaddr_init((uintptr_t)region_va(heap_gpa - BASTION_REGION_GPA)),
			    BASTION_REGION_GPA + BASTION_REGION_SIZE - heap_gpa, true, 0, &done);
	if (r != SNP_OK) {
		snp_fail(BASTION_TERM_PVALIDATE, "validating Bastion's heap", r);
	}
}

/* ghcb_setup()'s mapping callback: the C-bit of one 4 KiB page of Bastion's heap. */
static int ghcb_set_encrypted(vaddr_t va, bool encrypted)
{
	struct pgtable *pt = kernel_map_pgtable();
	uint64_t size = 0;
	paddr_t pa;

	if (!pgtable_lookup(pt, va, &pa, NULL, &size)) {
		return -1;
	}
	if (size != PAGE_SIZE && pgtable_split_large(pt, vaddr_align_down(va, HUGE_PAGE_SIZE)) != PGTABLE_OK) {
		return -1;
	}
	if (pgtable_unmap(pt, va, PAGE_SIZE) != PGTABLE_OK ||
	    pgtable_map(pt, va, pa, PAGE_SIZE, PGTABLE_READ | PGTABLE_WRITE,
			encrypted ? 0 : PGTABLE_SHARED) != PGTABLE_OK) {
		return -1;
	}
	cpu_invlpg(vaddr_get(va));
	return 0;
}

static const struct ghcb_setup_ops snp_ghcb_setup_ops = {
	.set_encrypted = ghcb_set_encrypted,
	.log = snp_log_line,
};

void snp_boot_ghcb(void)
{
	struct page_pool *pool = page_alloc_kernel_pool();
	void *page = page_alloc(pool, 0, 0);

	if (page == NULL) {
		snp_fail(BASTION_TERM_GHCB_SETUP, "no page for the GHCB", SNP_ERR_INVALID_ARG);
	}
	ghcb_setup(&bsp_ghcb, &snp_ghcb_setup_ops, vaddr_init((uintptr_t)page),
		   page_pool_va_to_pa(pool, page));
	bsp_ghcb_ready = true;
}

/* ---- guest vCPUs -------------------------------------------------------------------------- */

struct platform_vcpu {
	struct vmsa *vmsa; /* Bastion's mapping of the VMSA page (from its own heap) */
	paddr_t vmsa_pa;
	bool started;      /* made a VMSA and announced to the hypervisor */
	bool stopped;
};

static struct platform_vcpu *snp_vcpu_create(void)
{
	struct page_pool *pool = page_alloc_kernel_pool();
	struct platform_vcpu *v = kzalloc(sizeof(*v));
	void *page = NULL;

	if (v == NULL) {
		return NULL;
	}
	page = page_alloc(pool, 0, 0);
	/* VMSA pages must not be 2 MiB aligned (SNP erratum, pvalidate.h): take the next one. */
	if (page != NULL && paddr_get(page_pool_va_to_pa(pool, page)) % HUGE_PAGE_SIZE == 0) {
		void *other = page_alloc(pool, 0, 0);

		page_free(pool, page, 0);
		page = other;
	}
	if (page == NULL) {
		kfree(v);
		return NULL;
	}
	bastion_memset(page, 0, PAGE_SIZE);
	v->vmsa = page;
	v->vmsa_pa = page_pool_va_to_pa(pool, page);
	return v;
}

static struct vmsa *snp_vcpu_vmsa(struct platform_vcpu *v)
{
	return v->vmsa;
}

/*
 * Runs the guest VMPL of this vCPU until the hypervisor resumes VMPL0 (the guest asked for
 * it with the GHCB MSR Run-VMPL request and VMGEXIT, or the host decided to). HLT, #NPF and
 * shutdown of the guest are the hypervisor's business on SNP, so every return is "SVSM
 * call"; the request loop sees call_pending 0 for a spurious one and re-enters.
 */
static enum platform_exit snp_enter_guest(struct platform_vcpu *v)
{
	struct ghcb_ctx *g = NULL;
	enum snp_result r = SNP_OK;

	if (v->stopped) {
		return PLATFORM_EXIT_TERMINATED;
	}
	if (!v->started) {
		r = rmpadjust_set_vmsa(vaddr_init((uintptr_t)v->vmsa), v->vmsa_pa, SNP_GUEST_VMPL, 0);
		if (r == SNP_OK) {
			g = ghcb_acquire();
			r = ghcb_ap_create(g, GHCB_AP_CREATE, SNP_GUEST_VMPL, vc_apic_id(),
					   gpa_init(paddr_get(v->vmsa_pa)), v->vmsa->sev_features);
			ghcb_release();
		}
		if (r != SNP_OK) {
			LOG_ERROR("SNP: cannot start the guest vCPU: %s", snp_result_name(r));
			v->stopped = true;
			return PLATFORM_EXIT_TERMINATED;
		}
		v->started = true;
	}
	g = ghcb_acquire();
	r = ghcb_run_vmpl(g, SNP_GUEST_VMPL);
	ghcb_release();
	if (r != SNP_OK) {
		LOG_ERROR("SNP: Run VMPL %u failed: %s", SNP_GUEST_VMPL, snp_result_name(r));
		v->stopped = true;
		return PLATFORM_EXIT_TERMINATED;
	}
	return PLATFORM_EXIT_SVSM_CALL;
}

/* ---- guest memory ------------------------------------------------------------------------- */

static void *snp_map(gpa_t gpa, uint64_t bytes)
{
	return tempmap_map(paddr_init(gpa_get(gpa)), bytes, 0);
}

static void snp_unmap(void *va)
{
	tempmap_unmap(va);
}

/*
 * After a revoke: Bastion runs on one CPU and the guest VMPL runs only when this CPU asks
 * for it, so a local flush covers every TLB that could hold the old permission. With SMP
 * (issue #9) this becomes a broadcast (INVLPGB/TLBSYNC) to every CPU that runs the guest.
 */
static void snp_flush(gpa_t gpa, uint64_t bytes)
{
	(void)gpa;
	(void)bytes;
	cpu_flush_tlb();
}

static struct deposit_pool snp_pool;
static struct snp_core_env snp_env = {
	.guest_vmpl = SNP_GUEST_VMPL,
	.map = snp_map,
	.unmap = snp_unmap,
	.flush = snp_flush,
};
static struct core_backend snp_backend;

static int snp_guest_read(void *ctx, gpa_t gpa, void *dst, size_t len)
{
	(void)ctx;
	return guest_copy_from(gpa, dst, len) == GUEST_MEM_OK ? 0 : -1;
}

static int snp_guest_write(void *ctx, gpa_t gpa, const void *src, size_t len)
{
	(void)ctx;
	return guest_copy_to(gpa, src, len) == GUEST_MEM_OK ? 0 : -1;
}

static void *pool_bits_alloc(size_t size, void *ctx)
{
	(void)ctx;
	return kzalloc(size);
}

static const struct core_backend *snp_core_backend(void)
{
	static bool ready;

	if (!ready) {
		const struct boot_memmap *map = boot_params_memmap();
		uint64_t top = 0;

		ready = true;
		for (size_t i = 0; i < map->count; i++) {
			if (map->ranges[i].type == BOOT_MEM_RAM &&
			    map->ranges[i].base + map->ranges[i].size > top) {
				top = map->ranges[i].base + map->ranges[i].size;
			}
		}
		snp_env.ledger = mm_page_state();
		snp_env.pool = deposit_pool_init(&snp_pool, top, pool_bits_alloc, NULL) == 0 ? &snp_pool : NULL;
		snp_env.boot_sev_features = vmsa_guest_sev_features(snp_sev_status);
		snp_backend = (struct core_backend){
			.ledger = mm_page_state(),
			.guest_read = snp_guest_read,
			.guest_write = snp_guest_write,
			.vcpu_count = vcpu_core_count,
			.vcpu_get = vcpu_core_get,
			.vcpu_set_vmsa = vcpu_core_set_vmsa,
			.vcpu_set_caa = vcpu_core_set_caa,
		};
		snp_core_backend_fill(&snp_backend, &snp_env);
	}
	return &snp_backend;
}

/* Grants the guest VMPL perms on [gpa, gpa + len) (page aligned), 2 MiB at a time where it can. */
static int grant_range(uint64_t gpa, uint64_t len, uint8_t perms)
{
	uint64_t end = gpa + len;

	while (gpa < end) {
		bool large = gpa % HUGE_PAGE_SIZE == 0 && end - gpa >= HUGE_PAGE_SIZE;
		uint64_t size = large ? HUGE_PAGE_SIZE : PAGE_SIZE;
		void *va = tempmap_map(paddr_init(gpa), size, 0);
		enum snp_result r;

		if (va == NULL) {
			return -1;
		}
		r = rmpadjust_grant(vaddr_init((uintptr_t)va), large ? SNP_PAGE_2M : SNP_PAGE_4K,
				    SNP_GUEST_VMPL, perms);
		tempmap_unmap(va);
		if (r == SNP_ERR_RMPADJUST_SIZE_MISMATCH && large) {
			/* The loader validated these as 4 KiB pages: redo the chunk page by page. */
			if (grant_range(gpa, HUGE_PAGE_SIZE, perms) != 0) {
				return -1;
			}
		} else if (r != SNP_OK) {
			LOG_ERROR("SNP: RMPADJUST of 0x%lx for VMPL%u: %s", gpa, SNP_GUEST_VMPL,
				  snp_result_name(r));
			return -1;
		}
		gpa += size;
	}
	return 0;
}

/*
 * The launch validated the firmware image (measured, VMPL0 only) and the firmware's CPUID
 * page: the guest VMPL gets the image (it executes and, like flash, writes its data parts)
 * and read access to its CPUID page. Its other memory the guest validates itself, through
 * the SVSM (PVALIDATE), as the spec intends.
 * Known gap: OVMF's SEV metadata also lists "MEM" ranges it expects pre-validated; igvmbuild
 * does not emit them yet (docs/snp.md).
 */
static int snp_guest_memory_init(void)
{
	const struct firmware_image *fw = firmware_image();

	if (!fw->present) {
		return 0;
	}
	if (grant_range(fw->gpa, fw->size, RMPADJUST_PERM_ALL) != 0) {
		return -1;
	}
	if (fw->cpuid_gpa != 0 && grant_range(fw->cpuid_gpa, PAGE_SIZE, RMPADJUST_PERM_READ) != 0) {
		return -1;
	}
	return 0;
}

/* A guest page Bastion fills before the guest starts (secrets copy, calling area). */
static int snp_guest_page_accept(gpa_t gpa)
{
	const struct core_backend *be = snp_core_backend();
	struct page_state_record rec;

	if (page_state_get(mm_page_state(), gpa, &rec) != PS_OK) {
		return -1;
	}
	if (page_state_record_owner(rec) == PS_OWNER_GUEST && page_state_record_validated(rec) &&
	    !page_state_record_shared(rec)) {
		return 0;
	}
	if (page_state_apply(mm_page_state(), gpa, PAGE_SIZE_4K, PS_OP_VALIDATE, 0) != PS_OK) {
		return -1;
	}
	if (be->page_pvalidate(be->ctx, gpa, PAGE_SIZE_4K, true) != CORE_ARCH_OK) {
		CHECK(page_state_apply(mm_page_state(), gpa, PAGE_SIZE_4K, PS_OP_RESCIND, 0) == PS_OK);
		LOG_ERROR("SNP: cannot validate guest page 0x%lx", gpa_get(gpa));
		return -1;
	}
	if (be->page_zero(be->ctx, gpa, PAGE_SIZE_4K) != 0 ||
	    be->page_grant(be->ctx, gpa, PAGE_SIZE_4K) != CORE_ARCH_OK) {
		/* Undo in reverse: rescind (the guest never had access), then the ledger. */
		(void)be->page_pvalidate(be->ctx, gpa, PAGE_SIZE_4K, false);
		CHECK(page_state_apply(mm_page_state(), gpa, PAGE_SIZE_4K, PS_OP_RESCIND, 0) == PS_OK);
		LOG_ERROR("SNP: cannot prepare guest page 0x%lx", gpa_get(gpa));
		return -1;
	}
	return 0;
}

static uint64_t snp_guest_sev_status(void)
{
	return snp_sev_status;
}

/* ---- guest messages to the AMD-SP ---------------------------------------------------------- */

static enum snp_result msg_exchange(void *ctx, paddr_t req, paddr_t rsp, uint32_t *fw_error)
{
	struct ghcb_ctx *g = ghcb_acquire();
	enum snp_result r = ghcb_guest_request(g, req, rsp, fw_error);

	(void)ctx;
	ghcb_release();
	return r;
}

/* The BUSY back-off (guest_msg.h): a TSC spin. Without a known TSC rate a GHz is assumed;
 * the delay only has to be bounded, not exact. */
static void msg_delay(void *ctx, unsigned int attempt)
{
	uint64_t ms = (uint64_t)GUEST_MSG_BUSY_DELAY_MS << (attempt - 1);
	uint64_t end = cpu_rdtsc() + ms * 1000000u;

	(void)ctx;
	while (cpu_rdtsc() < end) {
		cpu_relax();
	}
}

static const uint8_t *msg_key(void)
{
	return secrets_vmpck(0);
}

static void msg_wipe_key(void)
{
	secrets_wipe_vmpck(0);
	LOG_ERROR("SNP: VMPCK0 wiped after a failed guest message: no more reports or keys this boot");
}

static struct guest_msg_channel msg_channel = {
	.exchange = msg_exchange,
	.delay = msg_delay,
	.key = msg_key,
	.wipe_key = msg_wipe_key,
};
static bool msg_ready;

/* A heap page turned into a shared page (rescind, PSC to shared, C-bit clear), as the GHCB. */
static int shared_page(uint8_t **va, paddr_t *pa)
{
	struct page_pool *pool = page_alloc_kernel_pool();
	void *page = page_alloc(pool, 0, 0);
	uint32_t hv_error = 0;

	if (page == NULL) {
		return -1;
	}
	*pa = page_pool_va_to_pa(pool, page);
	if (pvalidate_page(vaddr_init((uintptr_t)page), SNP_PAGE_4K, false) != SNP_OK ||
	    ghcb_msr_psc(paddr_to_pfn(*pa), GHCB_PSC_OP_SHARED, &hv_error) != SNP_OK ||
	    ghcb_set_encrypted(vaddr_init((uintptr_t)page), false) != 0) {
		/* Half-converted: never reuse the page. */
		LOG_ERROR("SNP: cannot share a page for guest messages (host error 0x%x)", hv_error);
		return -1;
	}
	bastion_memset(page, 0, PAGE_SIZE);
	*va = page;
	return 0;
}

static struct guest_msg_channel *msg(void)
{
	if (!msg_ready) {
		if (shared_page(&msg_channel.req_page, &msg_channel.req_pa) != 0 ||
		    shared_page(&msg_channel.rsp_page, &msg_channel.rsp_pa) != 0) {
			return NULL;
		}
		msg_ready = true;
	}
	return &msg_channel;
}

static int snp_attestation_report_op(const uint8_t report_data[64], uint8_t *report, size_t cap, size_t *len)
{
	struct guest_msg_channel *ch = msg();
	enum snp_result r;

	*len = 0;
	if (ch == NULL || cap < SNP_REPORT_SIZE) {
		return -1;
	}
	r = snp_attestation_report(ch, report_data, 0, report);
	if (r == SNP_ERR_GUEST_REQ_BUSY) {
		LOG_INFO("SNP: attestation report: the AMD-SP is busy; the guest may retry");
		return -2;
	}
	if (r != SNP_OK) {
		LOG_ERROR("SNP: attestation report: %s", snp_result_name(r));
		return -1;
	}
	*len = SNP_REPORT_SIZE;
	return 0;
}

static int snp_derived_key_op(uint64_t guest_field_select, uint8_t key[32])
{
	struct guest_msg_channel *ch = msg();
	struct snp_key_request kr = { .root_key_select = 0, .guest_field_select = guest_field_select, .vmpl = 0 };
	enum snp_result r;

	if (ch == NULL) {
		return -1;
	}
	r = snp_derived_key(ch, &kr, key);
	if (r != SNP_OK) {
		LOG_ERROR("SNP: derived key: %s", snp_result_name(r));
		return -1;
	}
	return 0;
}

const struct platform_ops snp_platform_ops = {
	.name = "SEV-SNP",
	.has_vmpls = true,
	.guest_memory_init = snp_guest_memory_init,
	.vcpu_create = snp_vcpu_create,
	.vcpu_vmsa = snp_vcpu_vmsa,
	.enter_guest = snp_enter_guest,
	.core_backend = snp_core_backend,
	.guest_page_accept = snp_guest_page_accept,
	.guest_sev_status = snp_guest_sev_status,
	.attestation_report = snp_attestation_report_op,
	.derived_key = snp_derived_key_op,
};
