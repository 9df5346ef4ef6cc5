/* SNP launch digest and QEMU/KVM rules: see igvm_measure.h. */
#include "igvm/igvm_measure.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#define PAGE 4096u
#define PAGE_INFO_SIZE 0x70u
#define PT_NORMAL 1u
#define PT_VMSA 2u
#define PT_UNMEASURED 4u
#define PT_SECRETS 5u
#define PT_CPUID 6u
#define MAX_AREAS 64u

static int fail(struct igvm_error *err, uint64_t offset, const char *fmt, ...)
{
	va_list ap;

	err->offset = offset;
	va_start(ap, fmt);
	vsnprintf(err->reason, sizeof(err->reason), fmt, ap);
	va_end(ap);
	return -1;
}

static int sha384(const uint8_t *p, size_t n, uint8_t out[48])
{
	unsigned int len = 48;

	return EVP_Digest(p, n, out, &len, EVP_sha384(), NULL) == 1 && len == 48 ? 0 : -1;
}

/* digest = SHA-384(PAGE_INFO{digest, contents, 0x70, type, 0, 0, 0, 0, 0, gpa}). */
static int extend(uint8_t digest[48], const uint8_t contents[48], uint8_t type, uint64_t gpa)
{
	uint8_t info[PAGE_INFO_SIZE] = { 0 };

	memcpy(info, digest, 48);
	memcpy(info + 0x30, contents, 48);
	info[0x60] = PAGE_INFO_SIZE;
	info[0x62] = type;
	for (unsigned int i = 0; i < 8; i++) {
		info[0x68 + i] = (uint8_t)(gpa >> (8 * i));
	}
	return sha384(info, sizeof(info), digest);
}

/* The page at file_offset (0: a zero page), short data padded with zeros. */
static int page_contents(const struct igvm_file *f, uint32_t file_offset, uint8_t out[48])
{
	uint8_t page[PAGE] = { 0 };

	if (file_offset != 0) {
		size_t n = f->size > file_offset ? f->size - file_offset : 0;

		memcpy(page, f->data + file_offset, n < PAGE ? n : PAGE);
	}
	return sha384(page, sizeof(page), out);
}

static uint32_t snp_mask(const struct igvm_file *f)
{
	const struct igvm_platform *p = igvm_find_platform(f, IGVM_PLATFORM_SEV_SNP);

	return p != NULL ? p->mask : 0;
}

int igvm_measure_snp(const struct igvm_file *f, const struct igvm_measure_opts *o,
		     uint8_t digest[IGVM_MEASURE_DIGEST_SIZE], struct igvm_measure_stats *st,
		     struct igvm_error *err)
{
	static const uint8_t zero48[48];
	uint64_t area_size[MAX_AREAS] = { 0 };
	uint32_t mask = snp_mask(f);
	uint32_t vmsa_offset = 0;
	bool have_vmsa = false;
	struct igvm_iter it;
	struct igvm_header h;
	uint8_t c[48];

	memset(digest, 0, IGVM_MEASURE_DIGEST_SIZE);
	memset(st, 0, sizeof(*st));
	if (mask == 0) {
		return fail(err, 0, "no SEV-SNP platform in the file");
	}
	if (o->vcpus == 0) {
		return fail(err, 0, "--vcpus must be at least 1");
	}
	igvm_iter_init(&it, f);
	while (igvm_iter_next(&it, &h)) {
		switch (h.type) {
		case IGVM_VHT_PARAMETER_AREA:
			if (h.u.parameter_area.parameter_area_index >= MAX_AREAS) {
				return fail(err, h.offset, "parameter area index %u too large",
					    h.u.parameter_area.parameter_area_index);
			}
			area_size[h.u.parameter_area.parameter_area_index] =
				h.u.parameter_area.number_of_bytes;
			break;
		case IGVM_VHT_PARAMETER_INSERT: {
			const struct igvm_parameter_insert *pi = &h.u.parameter_insert;

			if ((pi->compatibility_mask & mask) == 0) {
				break;
			}
			if (pi->parameter_area_index >= MAX_AREAS) {
				return fail(err, h.offset, "parameter area index out of range");
			}
			for (uint64_t off = 0; off < area_size[pi->parameter_area_index]; off += PAGE) {
				if (extend(digest, zero48, PT_UNMEASURED, pi->gpa + off) != 0) {
					return fail(err, h.offset, "SHA-384 failed");
				}
				st->unmeasured++;
			}
			break;
		}
		case IGVM_VHT_PAGE_DATA: {
			const struct igvm_page_data *pd = &h.u.page_data;
			uint8_t type;

			if ((pd->compatibility_mask & mask) == 0) {
				break;
			}
			if (pd->flags & IGVM_PAGE_FLAG_IS_2MB) {
				return fail(err, h.offset, "2 MiB page data is not supported");
			}
			if (pd->data_type == IGVM_PAGE_DATA_TYPE_SECRETS) {
				type = PT_SECRETS;
				st->secrets++;
			} else if (pd->data_type == IGVM_PAGE_DATA_TYPE_CPUID_DATA ||
				   pd->data_type == IGVM_PAGE_DATA_TYPE_CPUID_XF) {
				type = PT_CPUID;
				st->cpuid++;
			} else if (pd->flags & IGVM_PAGE_FLAG_UNMEASURED) {
				type = PT_UNMEASURED;
				st->unmeasured++;
			} else {
				type = PT_NORMAL;
				if (pd->file_offset == 0) {
					st->zero++;
				} else {
					st->normal++;
				}
			}
			if (type == PT_NORMAL) {
				if (page_contents(f, pd->file_offset, c) != 0) {
					return fail(err, h.offset, "SHA-384 failed");
				}
			} else {
				memcpy(c, zero48, 48);
			}
			if (extend(digest, c, type, pd->gpa) != 0) {
				return fail(err, h.offset, "SHA-384 failed");
			}
			break;
		}
		case IGVM_VHT_VP_CONTEXT:
			if ((h.u.vp_context.compatibility_mask & mask) != 0 &&
			    h.u.vp_context.vp_index == 0) {
				vmsa_offset = h.u.vp_context.file_offset;
				have_vmsa = true;
			}
			break;
		default:
			break;
		}
	}
	if (!have_vmsa) {
		return fail(err, 0, "no SEV-SNP VP context (VMSA) for vCPU 0");
	}
	/* KVM measures the VMSAs at LAUNCH_FINISH, vCPU 0 first. */
	for (uint32_t v = 0; v < o->vcpus; v++) {
		if (v == 0) {
			if (page_contents(f, vmsa_offset, c) != 0) {
				return fail(err, 0, "SHA-384 failed");
			}
		} else {
			uint8_t zero_page[PAGE] = { 0 };

			if (sha384(o->ap_vmsa != NULL ? o->ap_vmsa : zero_page, PAGE, c) != 0) {
				return fail(err, 0, "SHA-384 failed");
			}
		}
		if (extend(digest, c, PT_VMSA, IGVM_SNP_VMSA_GPA) != 0) {
			return fail(err, 0, "SHA-384 failed");
		}
		st->vmsa++;
	}
	return 0;
}

/* VMSA bytes KVM takes from QEMU's CPU state (ABI reference 5.5, VP_CONTEXT row). */
static bool kvm_field(uint32_t off)
{
	static const struct {
		uint16_t start, size;
	} fields[] = {
		{ IGVM_VMSA_ES, 0xA0 },  /* ES, CS, SS, DS, FS, GS, GDTR, LDTR, IDTR, TR */
		{ IGVM_VMSA_EFER, 8 },   { IGVM_VMSA_CR4, 8 },	 { IGVM_VMSA_CR3, 8 },
		{ IGVM_VMSA_CR0, 8 },	 { IGVM_VMSA_DR7, 8 },	 { IGVM_VMSA_DR6, 8 },
		{ IGVM_VMSA_RFLAGS, 8 }, { IGVM_VMSA_RIP, 8 },	 { IGVM_VMSA_RSP, 8 },
		{ IGVM_VMSA_RAX, 8 },	 { IGVM_VMSA_G_PAT, 8 }, { IGVM_VMSA_RCX, 8 },
		{ IGVM_VMSA_RDX, 8 },	 { IGVM_VMSA_RBX, 8 },	 { IGVM_VMSA_RBP, 8 },
		{ IGVM_VMSA_RSI, 8 },	 { IGVM_VMSA_RDI, 8 },	 { IGVM_VMSA_R8, 64 },
		{ IGVM_VMSA_SEV_FEATURES, 8 }, { IGVM_VMSA_XCR0, 8 }, { IGVM_VMSA_MXCSR, 4 },
		{ IGVM_VMSA_X87_FCW, 2 },
	};

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (off >= fields[i].start && off < (uint32_t)fields[i].start + fields[i].size) {
			return true;
		}
	}
	return false;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--) {
		v = v << 8 | p[i];
	}
	return v;
}

int igvm_measure_kvm_check(const struct igvm_file *f, struct igvm_error *err)
{
	uint32_t mask = snp_mask(f);
	unsigned int vmsas = 0;
	bool page_after_vmsa = false, seen_page = false;
	struct igvm_header vmsa_hdr = { 0 };
	struct igvm_iter it;
	struct igvm_header h;
	uint8_t vmsa[PAGE] = { 0 };
	uint64_t cr0, sev;

	if (mask == 0) {
		return fail(err, 0, "no SEV-SNP platform in the file");
	}
	igvm_iter_init(&it, f);
	while (igvm_iter_next(&it, &h)) {
		uint32_t m = 0;

		if (h.type == IGVM_VHT_PAGE_DATA) {
			m = h.u.page_data.compatibility_mask;
		} else if (h.type == IGVM_VHT_PARAMETER_INSERT) {
			m = h.u.parameter_insert.compatibility_mask;
		} else if (h.type == IGVM_VHT_VP_CONTEXT) {
			m = h.u.vp_context.compatibility_mask;
		}
		if ((m & mask) == 0) {
			continue;
		}
		if (h.type == IGVM_VHT_VP_CONTEXT) {
			vmsas++;
			vmsa_hdr = h;
			continue;
		}
		if (vmsas != 0) {
			page_after_vmsa = true;
		}
		if (h.type == IGVM_VHT_PAGE_DATA) {
			seen_page = true;
		} else if (seen_page) {
			return fail(err, h.offset,
				    "PARAMETER_INSERT after PAGE_DATA: QEMU would measure it before "
				    "the preceding pages");
		}
	}
	if (vmsas != 1) {
		return fail(err, vmsa_hdr.offset, "%u SEV-SNP VMSAs; QEMU/KVM take exactly one",
			    vmsas);
	}
	if (page_after_vmsa) {
		return fail(err, vmsa_hdr.offset, "the VMSA is not the last SNP page directive");
	}
	if (vmsa_hdr.u.vp_context.vp_index != 0) {
		return fail(err, vmsa_hdr.offset, "the VMSA is for vp_index %u, not 0",
			    vmsa_hdr.u.vp_context.vp_index);
	}
	if (vmsa_hdr.u.vp_context.gpa != IGVM_SNP_VMSA_GPA) {
		return fail(err, vmsa_hdr.offset, "VMSA GPA 0x%llx; KVM needs 0xfffffffff000",
			    (unsigned long long)vmsa_hdr.u.vp_context.gpa);
	}
	if (vmsa_hdr.u.vp_context.file_offset != 0) {
		size_t off = vmsa_hdr.u.vp_context.file_offset;
		size_t n = f->size > off ? f->size - off : 0;

		memcpy(vmsa, f->data + off, n < PAGE ? n : PAGE);
	}
	for (uint32_t i = 0; i < PAGE; i++) {
		if (vmsa[i] != 0 && !kvm_field(i)) {
			return fail(err, vmsa_hdr.offset,
				    "VMSA byte 0x%x is not zero: KVM does not take that field", i);
		}
	}
	cr0 = le64(vmsa + IGVM_VMSA_CR0);
	sev = le64(vmsa + IGVM_VMSA_SEV_FEATURES);
	if (cr0 != 0x31 && cr0 != 0x30) {
		return fail(err, vmsa_hdr.offset, "VMSA CR0 0x%llx; QEMU/KVM start at 0x31 or 0x30",
			    (unsigned long long)cr0);
	}
	if ((sev & 1u) == 0) {
		return fail(err, vmsa_hdr.offset, "VMSA SEV_FEATURES 0x%llx lacks SNPActive",
			    (unsigned long long)sev);
	}
	return 0;
}
