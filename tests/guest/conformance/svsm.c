#include "tests/guest/conformance/svsm.h"

#include "tests/guest/conformance/check.h"
#include "tests/guest/conformance/console.h"
#include "tests/guest/conformance/io.h"
#include "tests/guest/conformance/layout.h"

#define MSR_GHCB 0xC0010130u
#define GHCB_MSR_RUN_VMPL_REQ 0x016ull /* bits 39:32 = target VMPL 0 (ABI reference 3.3) */

/* SEV metadata types (OVMF's ResetVector metadata; ABI reference 5). */
#define SEV_META_SECRETS 2u
#define SEV_META_CPUID 3u
#define SEV_META_SVSM_CAA 4u

struct svsm_info svsm;
uint64_t svsm_caa_gpa;
uint64_t svsm_calls;
uint64_t svsm_calls_pending_left;

void svsm_call_at(uint64_t caa_gpa, uint8_t pending, struct svsm_regs *r)
{
	volatile uint8_t *call_pending = gpa_ptr(caa_gpa + SVSM_CAA_CALL_PENDING_OFFSET);
	uint64_t saved_ghcb = rdmsr(MSR_GHCB);
	uint64_t rax = r->rax, rcx = r->rcx, rdx = r->rdx;
	uint8_t old = 0;

	wrmsr(MSR_GHCB, GHCB_MSR_RUN_VMPL_REQ);
	*call_pending = pending;
	/* Register variables are only pinned as asm operands: bind them right before the asm.
	 * (cppcheck does not understand register-asm declarations.) */
	// cppcheck-suppress constStatement
	register uint64_t r8 __asm__("r8") = r->r8;
	// cppcheck-suppress constStatement
	register uint64_t r9 __asm__("r9") = r->r9;
	/* VMGEXIT is REP VMMCALL (APM vol. 3); the SVSM runs and resumes us after it. */
	__asm__ volatile("rep; vmmcall"
			 : "+a"(rax), "+c"(rcx), "+d"(rdx), "+r"(r8), "+r"(r9)
			 :
			 : "memory");
	/* Atomically take call_pending back: 0 means the SVSM completed the call. */
	__asm__ volatile("xchgb %0, %1" : "+q"(old), "+m"(*call_pending) : : "memory");
	r->ghcb_resp = rdmsr(MSR_GHCB);
	wrmsr(MSR_GHCB, saved_ghcb);
	r->rax = rax;
	r->rcx = rcx;
	r->rdx = rdx;
	r->r8 = r8;
	r->r9 = r9;
	r->pending_after = old;
	svsm_calls++;
	if (pending == 1 && old != 0) {
		svsm_calls_pending_left++;
	}
}

uint64_t svsm_call(struct svsm_regs *r)
{
	svsm_call_at(svsm_caa_gpa, 1, r);
	return r->rax;
}

uint64_t svsm_call3(uint32_t protocol, uint32_t call, uint64_t rcx, uint64_t rdx, uint64_t r8,
		    struct svsm_regs *out)
{
	*out = (struct svsm_regs){
		.rax = svsm_call_rax(protocol, call), .rcx = rcx, .rdx = rdx, .r8 = r8, .r9 = 0
	};
	return svsm_call(out);
}

void list_init(uint64_t list_gpa, uint16_t entries, uint16_t next)
{
	volatile struct svsm_pvalidate_hdr *h = list_hdr(list_gpa);

	h->entries = entries;
	h->next = next;
	h->reserved = 0;
}

uint64_t pvalidate_list(uint64_t list_gpa)
{
	struct svsm_regs r;

	return svsm_call3(SVSM_CORE_PROTOCOL, SVSM_CORE_PVALIDATE, list_gpa, 0, 0, &r);
}

uint64_t pvalidate_one(uint64_t gpa, uint32_t size, bool validate, bool ignore_cf)
{
	uint64_t list = svsm_caa_gpa + SVSM_CAA_BUFFER_OFFSET;

	list_init(list, 1, 0);
	list_entries(list)[0] = pv_entry(gpa, size, validate, ignore_cf);
	return pvalidate_list(list);
}

uint64_t pvalidate_until_done(uint64_t list_gpa, unsigned int *incompletes, bool *progressed)
{
	uint64_t rax = 0;

	*incompletes = 0;
	*progressed = true;
	for (;;) {
		uint16_t before = list_hdr(list_gpa)->next;

		rax = pvalidate_list(list_gpa);
		if (rax != SVSM_ERR_INCOMPLETE) {
			return rax;
		}
		(*incompletes)++;
		if (list_hdr(list_gpa)->next <= before) {
			*progressed = false; /* no progress: re-issuing would loop forever */
			return rax;
		}
	}
}

/* ---- discovery -------------------------------------------------------------------------- */

/* EFI byte order of 96b582de-1fb2-45f7-baea-a366c55a082d (the table footer). */
static const uint8_t guid_table_footer[16] = { 0xDE, 0x82, 0xB5, 0x96, 0xB2, 0x1F, 0xF7, 0x45,
					       0xBA, 0xEA, 0xA3, 0x66, 0xC5, 0x5A, 0x08, 0x2D };
/* EFI byte order of dc886566-984a-4798-a75e-5585a7bf67cc (SEV metadata offset). */
static const uint8_t guid_sev_metadata[16] = { 0x66, 0x65, 0x88, 0xDC, 0x4A, 0x98, 0x98, 0x47,
					       0xA7, 0x5E, 0x55, 0x85, 0xA7, 0xBF, 0x67, 0xCC };

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)rd16(p) | ((uint32_t)rd16(p + 2) << 16);
}

/* Walks the GUIDed table that ends 0x20 bytes below 4 GiB; returns the SEV metadata header. */
static const uint8_t *find_sev_metadata(void)
{
	const uint8_t *end = (const uint8_t *)(uintptr_t)0x100000000ull;
	const uint8_t *table_end = end - 0x20;
	uint16_t total = rd16(end - 0x32);
	const uint8_t *start = table_end - total;
	const uint8_t *pos = end - 0x32; /* start of the footer entry */

	if (memcmp(end - 0x30, guid_table_footer, 16) != 0 || total < 18 || total > 0x1000) {
		return NULL;
	}
	while (pos - 18 >= start) {
		uint16_t len = rd16(pos - 18);

		if (len < 18 || pos - len < start) {
			return NULL;
		}
		if (memcmp(pos - 16, guid_sev_metadata, 16) == 0 && len == 18 + 4) {
			uint32_t off = rd32(pos - len);

			return off < 0x1000000 ? end - off : NULL;
		}
		pos -= len;
	}
	return NULL;
}

bool svsm_discover(void)
{
	const uint8_t *m = find_sev_metadata();
	volatile const uint8_t *s = NULL;
	uint32_t count = 0;

	check_true(m != NULL && memcmp(m, "ASEV", 4) == 0 && rd32(m + 8) == 1,
		   "discovery: the image's GUIDed table leads to an \"ASEV\" version 1 header");
	if (m == NULL) {
		return false;
	}
	count = rd32(m + 12);
	for (uint32_t i = 0; i < count && i < 16; i++) {
		uint32_t gpa = rd32(m + 16 + 12 * i), type = rd32(m + 16 + 12 * i + 8);

		if (type == SEV_META_SECRETS) {
			svsm.secrets_gpa = gpa;
		} else if (type == SEV_META_CPUID) {
			svsm.cpuid_gpa = gpa;
		} else if (type == SEV_META_SVSM_CAA) {
			svsm.caa_section_gpa = gpa;
		}
	}
	check_true(svsm.secrets_gpa != 0 && svsm.caa_section_gpa != 0,
		   "discovery: metadata names a secrets page (0x%lx) and a calling area (0x%lx)",
		   svsm.secrets_gpa, svsm.caa_section_gpa);
	if (svsm.secrets_gpa == 0) {
		return false;
	}
	/* The SVSM fields of the secrets page (ABI reference 1.2). */
	s = gpa_ptr(svsm.secrets_gpa);
	svsm.base = *(volatile const uint64_t *)(s + SVSM_SECRETS_BASE_OFFSET);
	svsm.size = *(volatile const uint64_t *)(s + SVSM_SECRETS_SIZE_OFFSET);
	svsm.caa = *(volatile const uint64_t *)(s + SVSM_SECRETS_CAA_OFFSET);
	svsm.max_version = *(volatile const uint32_t *)(s + SVSM_SECRETS_MAX_VERSION_OFFSET);
	svsm.guest_vmpl = s[SVSM_SECRETS_GUEST_VMPL_OFFSET];
	svsm.native = true;
	for (unsigned int k = 0; k < 4; k++) {
		svsm.vmpck_zero[k] = true;
		for (unsigned int i = 0; i < 32; i++) {
			if (s[0x20 + 32 * k + i] != 0) {
				svsm.vmpck_zero[k] = false;
			}
		}
		svsm.native = svsm.native && svsm.vmpck_zero[k];
	}
	note("secrets page at 0x%lx: svsm_base 0x%lx svsm_size 0x%lx svsm_caa 0x%lx max_version %u "
	     "guest_vmpl %u; platform: %s",
	     svsm.secrets_gpa, svsm.base, svsm.size, svsm.caa, svsm.max_version, svsm.guest_vmpl,
	     svsm.native ? "native (all VMPCKs zero)" : "SEV-SNP");
	/* Linux refuses to run when svsm_size is 0 (no SVSM), guest_vmpl is 0, or the CAA is
	 * not page aligned (ABI reference 1.2). */
	check_true(svsm.size != 0, "secrets: svsm_size is not 0 (an SVSM is present)");
	if (svsm.size == 0) {
		return false;
	}
	check_eq(svsm.base, BASTION_GPA, "secrets: svsm_base is Bastion's region");
	check_eq(svsm.size, BASTION_SIZE, "secrets: svsm_size is Bastion's region size");
	check_eq(svsm.caa, svsm.caa_section_gpa,
		 "secrets: svsm_caa is the calling area our SEV metadata declares");
	check_eq(svsm.caa & 0xFFF, 0, "secrets: svsm_caa is 4 KiB aligned");
	check_eq(svsm.max_version, 1, "secrets: svsm_max_version is 1 (core protocol version 1)");
	check_true(svsm.guest_vmpl >= 1 && svsm.guest_vmpl <= 3,
		   "secrets: svsm_guest_vmpl is 1..3 (got %u)", svsm.guest_vmpl);
	check_true(svsm.vmpck_zero[0], "secrets: VMPCK0 (the SVSM's key) is zero in our copy");
	svsm_caa_gpa = svsm.caa;
	return (svsm.caa & 0xFFF) == 0 && svsm.caa != 0;
}
