/*
 * Guest firmware image rules and the boot_firmware_info codec. See igvm/firmware.h.
 */
#include "igvm/firmware.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kernel/crc32.h"

_Static_assert(BASTION_FIRMWARE_MAX_SIZE % IGVM_PAGE_SIZE == 0 && BASTION_FIRMWARE_MAX_SIZE <= BASTION_FIRMWARE_END,
	       "the firmware window is whole pages below its end");
_Static_assert(BASTION_FIRMWARE_END % IGVM_PAGE_SIZE == 0, "firmware pages are page aligned");
_Static_assert(BASTION_FIRMWARE_INFO_OFFSET % IGVM_PAGE_SIZE == 0 && BASTION_FIRMWARE_INFO_OFFSET < BASTION_REGION_SIZE,
	       "the boot_firmware_info page is a page of Bastion's region");
_Static_assert(BOOT_FIRMWARE_INFO_SIZE <= IGVM_PAGE_SIZE, "boot_firmware_info fits its page");

/* Real-mode view of the reset vector: the CPU starts at CS base 0xFFFF0000, IP 0xFFF0. */
#define RESET_CS_BASE 0xFFFF0000ull
#define RESET_IP 0xFFF0u

/* Formats a message into err. Always returns -1. */
static int __attribute__((format(printf, 3, 4))) fw_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen == 0) {
		return -1;
	}
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* See firmware.h: BASTION_FIRMWARE_END - size; no errors. */
uint64_t igvm_firmware_gpa(uint64_t size)
{
	return BASTION_FIRMWARE_END - size;
}

/* Size rules shared by images and descriptors. Returns 0, or -1 with err set. */
static int check_size(uint64_t size, char *err, size_t errlen)
{
	if (size == 0) {
		return fw_fail(err, errlen, "firmware image is empty");
	}
	if (size % IGVM_PAGE_SIZE != 0) {
		return fw_fail(err, errlen, "firmware image is %" PRIu64 " bytes, not a multiple of 4 KiB (4096)", size);
	}
	if (size > BASTION_FIRMWARE_MAX_SIZE) {
		return fw_fail(err, errlen,
			       "firmware image is 0x%" PRIx64 " bytes; at most 0x%llx (%llu MiB) fit in the firmware window below 4 GiB",
			       size, (unsigned long long)BASTION_FIRMWARE_MAX_SIZE,
			       (unsigned long long)BASTION_FIRMWARE_MAX_SIZE >> 20);
	}
	return 0;
}

/* See firmware.h: refuse an overlap with a reserved range; 0, or -1 with err set. */
int igvm_firmware_check_overlap(uint64_t gpa, uint64_t size, const struct igvm_gpa_range *reserved, size_t count,
				char *err, size_t errlen)
{
	for (size_t i = 0; i < count; i++) {
		const struct igvm_gpa_range *r = &reserved[i];

		/* Half-open ranges intersect iff the later start lies inside the earlier range. */
		bool overlap = gpa >= r->gpa ? gpa - r->gpa < r->size : r->gpa - gpa < size;

		if (overlap) {
			return fw_fail(err, errlen,
				       "firmware at GPA 0x%" PRIx64 "..0x%" PRIx64 " overlaps %s at 0x%" PRIx64 "..0x%" PRIx64,
				       gpa, gpa + size - 1, r->name, r->gpa, r->gpa + r->size - 1);
		}
	}
	return 0;
}

/* The ranges of the image layout a firmware image must stay out of. Returns their count. */
static size_t bastion_reserved_ranges(struct igvm_gpa_range out[2])
{
	out[0] = (struct igvm_gpa_range){ BASTION_REGION_GPA, BASTION_REGION_SIZE, "Bastion's region" };
	/* Above 4 GiB today, so this cannot fire; checked anyway in case the layout moves. */
	out[1] = (struct igvm_gpa_range){ BASTION_SNP_VMSA_GPA, IGVM_PAGE_SIZE, "the SNP VMSA page" };
	return 2;
}

/* True if the real-mode near jump target lies inside an image starting at base. */
static bool target_in_image(uint32_t next_ip, uint32_t rel, uint64_t base)
{
	return RESET_CS_BASE + ((next_ip + rel) & 0xFFFFu) >= base;
}

/* See firmware.h: a reachable jump in the last 16 bytes; no errors. */
bool igvm_firmware_has_reset_jump(const uint8_t *fw, size_t size)
{
	const uint8_t *v = fw + size - IGVM_FIRMWARE_RESET_VECTOR_SIZE;
	uint64_t base = igvm_firmware_gpa(size);

	for (uint32_t i = 0; i < IGVM_FIRMWARE_RESET_VECTOR_SIZE; i++) {
		uint32_t ip = RESET_IP + i;

		switch (v[i]) {
		case 0xEA: /* jmp ptr16:16: far target, outside what we can check */
			if (i + 5 <= IGVM_FIRMWARE_RESET_VECTOR_SIZE) {
				return true;
			}
			break;
		case 0xE9: /* jmp rel16 */
			if (i + 3 <= IGVM_FIRMWARE_RESET_VECTOR_SIZE &&
			    target_in_image(ip + 3, igvm_get_le16(v + i + 1), base)) {
				return true;
			}
			break;
		case 0xEB: /* jmp rel8, sign-extended */
			if (i + 2 <= IGVM_FIRMWARE_RESET_VECTOR_SIZE &&
			    target_in_image(ip + 2, (uint32_t)(v[i + 1] ^ 0x80u) - 0x80u, base)) {
				return true;
			}
			break;
		default:
			break;
		}
	}
	return false;
}

/* OVMF's GUIDs in the little-endian byte order EFI_GUID has in memory. */
static const uint8_t guid_table_footer[16] = { 0xde, 0x82, 0xb5, 0x96, 0xb2, 0x1f, 0xf7, 0x45,
					       0xba, 0xea, 0xa3, 0x66, 0xc5, 0x5a, 0x08, 0x2d };
static const uint8_t guid_sev_metadata[16] = { 0x66, 0x65, 0x88, 0xdc, 0x4a, 0x98, 0x98, 0x47,
					       0xa7, 0x5e, 0x55, 0x85, 0xa7, 0xbf, 0x67, 0xcc };

/* Where the table sits: it ends 0x20 bytes below the image's end (reset vector + padding). */
#define FW_TABLE_END_FROM_END 0x20u
#define FW_TABLE_ENTRY_TRAILER 18u /* uint16 length + GUID */
#define FW_META_HEADER_SIZE 16u
#define FW_META_SECTION_SIZE 12u
#define FW_META_MAX_SECTIONS 64u

/* Records one section of the ASEV table in *out; 0, or -1 with err set. */
static int meta_section(uint32_t base, uint32_t len, uint32_t type, struct igvm_firmware_meta *out, char *err,
			size_t errlen)
{
	uint64_t *slot = NULL;
	const char *name = NULL;

	switch (type) {
	case IGVM_FW_SECTION_SECRETS:
		slot = &out->secrets_gpa;
		name = "secrets";
		break;
	case IGVM_FW_SECTION_CPUID:
		slot = &out->cpuid_gpa;
		name = "CPUID";
		break;
	case IGVM_FW_SECTION_SVSM_CAA:
		slot = &out->caa_gpa;
		name = "SVSM calling-area";
		break;
	case IGVM_FW_SECTION_MEM:
	case IGVM_FW_SECTION_KERNEL_HASHES:
		return 0;
	default:
		return fw_fail(err, errlen, "SEV metadata section of unknown type 0x%x at 0x%x", type, base);
	}
	if (len != IGVM_PAGE_SIZE || base == 0) {
		return fw_fail(err, errlen, "SEV metadata %s section at 0x%x is 0x%x bytes, expected one page", name,
			       base, len);
	}
	if (*slot != 0) {
		return fw_fail(err, errlen, "SEV metadata declares two %s sections (0x%" PRIx64 " and 0x%x)", name,
			       *slot, base);
	}
	*slot = base;
	return 0;
}

/* Parses the ASEV header at offset m of the image; 0, or -1 with err set. */
static int meta_parse(const uint8_t *fw, size_t size, size_t m, struct igvm_firmware_meta *out, char *err,
		      size_t errlen)
{
	uint32_t len, version, count;

	if (size - m < FW_META_HEADER_SIZE || memcmp(fw + m, "ASEV", 4) != 0) {
		return fw_fail(err, errlen, "SEV metadata at image offset 0x%zx has no \"ASEV\" header", m);
	}
	len = igvm_get_le32(fw + m + 4);
	version = igvm_get_le32(fw + m + 8);
	count = igvm_get_le32(fw + m + 12);
	if (version != 1) {
		return fw_fail(err, errlen, "SEV metadata version %u, this tool knows version 1", version);
	}
	if (count > FW_META_MAX_SECTIONS || len < FW_META_HEADER_SIZE + count * FW_META_SECTION_SIZE ||
	    len > size - m) {
		return fw_fail(err, errlen, "SEV metadata length %u with %u sections does not fit the image", len,
			       count);
	}
	out->found = true;
	out->sections = count;
	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *sec = fw + m + FW_META_HEADER_SIZE + i * FW_META_SECTION_SIZE;

		if (meta_section(igvm_get_le32(sec), igvm_get_le32(sec + 4), igvm_get_le32(sec + 8), out, err,
				 errlen) != 0) {
			return -1;
		}
	}
	return 0;
}

/* See firmware.h: the OVMF-style SEV metadata of an image; 0, or -1 with err set. */
int igvm_firmware_read_metadata(const uint8_t *fw, size_t size, struct igvm_firmware_meta *out, char *err,
				size_t errlen)
{
	size_t table_end, start, p;
	uint16_t table_len;

	memset(out, 0, sizeof(*out));
	if (size < IGVM_PAGE_SIZE) {
		return fw_fail(err, errlen, "firmware image smaller than a page");
	}
	table_end = size - FW_TABLE_END_FROM_END;
	if (memcmp(fw + table_end - 16, guid_table_footer, 16) != 0) {
		return 0; /* no GUIDed table: a firmware that declares nothing */
	}
	table_len = igvm_get_le16(fw + table_end - FW_TABLE_ENTRY_TRAILER);
	if (table_len < FW_TABLE_ENTRY_TRAILER || table_len > table_end) {
		return fw_fail(err, errlen, "GUIDed table length %u is out of bounds", table_len);
	}
	start = table_end - table_len;
	/* Entries end where the footer's length field begins and are walked backwards. */
	p = table_end - FW_TABLE_ENTRY_TRAILER;
	while (p > start) {
		uint16_t len;

		if (p - start < FW_TABLE_ENTRY_TRAILER) {
			return fw_fail(err, errlen, "GUIDed table entry at 0x%zx is truncated", p);
		}
		len = igvm_get_le16(fw + p - FW_TABLE_ENTRY_TRAILER);
		if (len < FW_TABLE_ENTRY_TRAILER || len > p - start) {
			return fw_fail(err, errlen, "GUIDed table entry at 0x%zx has length %u, out of bounds", p, len);
		}
		if (memcmp(fw + p - 16, guid_sev_metadata, 16) == 0) {
			uint32_t off;

			if (len < FW_TABLE_ENTRY_TRAILER + 4) {
				return fw_fail(err, errlen, "SEV metadata entry has no offset");
			}
			off = igvm_get_le32(fw + p - len);
			if (off == 0 || off > size) {
				return fw_fail(err, errlen, "SEV metadata offset 0x%x is outside the image", off);
			}
			return meta_parse(fw, size, size - off, out, err, errlen);
		}
		p -= len;
	}
	return 0;
}

/* See firmware.h: image rules; 0, or -1 with err set. */
int igvm_firmware_check(const uint8_t *fw, size_t size, char *err, size_t errlen)
{
	struct igvm_gpa_range reserved[2];
	size_t n = bastion_reserved_ranges(reserved);

	if (check_size(size, err, errlen) != 0) {
		return -1;
	}
	if (igvm_firmware_check_overlap(igvm_firmware_gpa(size), size, reserved, n, err, errlen) != 0) {
		return -1;
	}
	if (!igvm_firmware_has_reset_jump(fw, size)) {
		const uint8_t *v = fw + size - IGVM_FIRMWARE_RESET_VECTOR_SIZE;
		char hex[IGVM_FIRMWARE_RESET_VECTOR_SIZE * 3 + 1];

		for (uint32_t i = 0; i < IGVM_FIRMWARE_RESET_VECTOR_SIZE; i++) {
			snprintf(hex + 3 * i, sizeof(hex) - 3 * i, " %02x", v[i]);
		}
		return fw_fail(err, errlen,
			       "firmware image has no x86 reset-vector jump in its last 16 bytes (GPA 0x%llx:%s); is it a flat firmware image that ends at the reset vector?",
			       (unsigned long long)(BASTION_FIRMWARE_END - IGVM_FIRMWARE_RESET_VECTOR_SIZE), hex);
	}
	{
		struct boot_firmware_info info;
		const char *why;

		if (igvm_firmware_read_metadata(fw, size, &(struct igvm_firmware_meta){ 0 }, err, errlen) != 0) {
			return -1;
		}
		igvm_firmware_info_init(fw, size, &info);
		why = boot_firmware_pages_check(&info);
		if (why != NULL) {
			return fw_fail(err, errlen, "firmware SEV metadata: %s (secrets 0x%" PRIx64 ", CPUID 0x%" PRIx64
				       ", calling area 0x%" PRIx64 ")",
				       why, info.secrets_gpa, info.cpuid_gpa, info.caa_gpa);
		}
	}
	return 0;
}

/* See firmware.h: descriptor of fw/size (size 0: no firmware); no errors. */
void igvm_firmware_info_init(const uint8_t *fw, size_t size, struct boot_firmware_info *info)
{
	struct igvm_firmware_meta meta;

	memset(info, 0, sizeof(*info));
	info->magic = BOOT_FIRMWARE_INFO_MAGIC;
	info->version = BOOT_FIRMWARE_INFO_VERSION;
	if (size == 0) {
		return;
	}
	info->gpa = igvm_firmware_gpa(size);
	info->size = size;
	info->reset_vector_gpa = BASTION_FIRMWARE_END - IGVM_FIRMWARE_RESET_VECTOR_SIZE;
	info->flags = BOOT_FIRMWARE_FLAG_MEASURED;
	info->crc32 = crc32(fw, size);
	/* igvm_firmware_check() has refused malformed metadata; a table it accepted parses again. */
	if (igvm_firmware_read_metadata(fw, size, &meta, NULL, 0) == 0) {
		info->secrets_gpa = meta.secrets_gpa;
		info->cpuid_gpa = meta.cpuid_gpa;
		info->caa_gpa = meta.caa_gpa;
	}
}

#define FWI_PUT32(p, field, v) igvm_put_le32((p) + offsetof(struct boot_firmware_info, field), (v))
#define FWI_PUT64(p, field, v) igvm_put_le64((p) + offsetof(struct boot_firmware_info, field), (v))
#define FWI_GET32(p, field) igvm_get_le32((p) + offsetof(struct boot_firmware_info, field))
#define FWI_GET64(p, field) igvm_get_le64((p) + offsetof(struct boot_firmware_info, field))

/* See firmware.h: little-endian descriptor at the start of a zeroed page; no errors. */
void igvm_firmware_info_encode(uint8_t page[IGVM_PAGE_SIZE], const struct boot_firmware_info *info)
{
	memset(page, 0, IGVM_PAGE_SIZE);
	FWI_PUT32(page, magic, info->magic);
	FWI_PUT32(page, version, info->version);
	FWI_PUT64(page, gpa, info->gpa);
	FWI_PUT64(page, size, info->size);
	FWI_PUT64(page, reset_vector_gpa, info->reset_vector_gpa);
	FWI_PUT32(page, flags, info->flags);
	FWI_PUT32(page, crc32, info->crc32);
	FWI_PUT64(page, secrets_gpa, info->secrets_gpa);
	FWI_PUT64(page, cpuid_gpa, info->cpuid_gpa);
	FWI_PUT64(page, caa_gpa, info->caa_gpa);
}

/* See firmware.h: decode BOOT_FIRMWARE_INFO_SIZE bytes; no errors. */
void igvm_firmware_info_decode(const uint8_t *p, struct boot_firmware_info *info)
{
	info->magic = FWI_GET32(p, magic);
	info->version = FWI_GET32(p, version);
	info->gpa = FWI_GET64(p, gpa);
	info->size = FWI_GET64(p, size);
	info->reset_vector_gpa = FWI_GET64(p, reset_vector_gpa);
	info->flags = FWI_GET32(p, flags);
	info->crc32 = FWI_GET32(p, crc32);
	info->secrets_gpa = FWI_GET64(p, secrets_gpa);
	info->cpuid_gpa = FWI_GET64(p, cpuid_gpa);
	info->caa_gpa = FWI_GET64(p, caa_gpa);
}

/* See firmware.h: consistency of a decoded descriptor; 0, or -1 with err set. */
int igvm_firmware_info_check(const struct boot_firmware_info *info, char *err, size_t errlen)
{
	struct igvm_gpa_range reserved[2];
	size_t n = bastion_reserved_ranges(reserved);

	if (info->magic != BOOT_FIRMWARE_INFO_MAGIC) {
		return fw_fail(err, errlen, "bad magic 0x%08x, expected 0x%08x (\"BFWI\")", info->magic,
			       BOOT_FIRMWARE_INFO_MAGIC);
	}
	if (info->version != BOOT_FIRMWARE_INFO_VERSION) {
		return fw_fail(err, errlen, "unsupported version %u (this tool knows version %u)", info->version,
			       BOOT_FIRMWARE_INFO_VERSION);
	}
	if ((info->flags & ~BOOT_FIRMWARE_FLAGS_KNOWN) != 0) {
		return fw_fail(err, errlen, "flags 0x%x has undefined bits", info->flags);
	}
	if (boot_firmware_pages_check(info) != NULL) {
		return fw_fail(err, errlen, "%s", boot_firmware_pages_check(info));
	}
	if (info->size == 0) {
		if (info->gpa != 0 || info->reset_vector_gpa != 0 || info->flags != 0 || info->crc32 != 0) {
			return fw_fail(err, errlen, "size 0 (no firmware) but gpa, reset_vector_gpa, flags or crc32 is not 0");
		}
		return 0;
	}
	if (check_size(info->size, err, errlen) != 0) {
		return -1;
	}
	if (info->gpa != igvm_firmware_gpa(info->size)) {
		return fw_fail(err, errlen, "gpa 0x%" PRIx64 " is not 4 GiB - size (0x%" PRIx64 ")", info->gpa,
			       igvm_firmware_gpa(info->size));
	}
	if (info->reset_vector_gpa != BASTION_FIRMWARE_END - IGVM_FIRMWARE_RESET_VECTOR_SIZE) {
		return fw_fail(err, errlen, "reset_vector_gpa 0x%" PRIx64 " is not 4 GiB - 16", info->reset_vector_gpa);
	}
	if ((info->flags & BOOT_FIRMWARE_FLAG_MEASURED) == 0) {
		return fw_fail(err, errlen, "flags 0x%x lack MEASURED; firmware is always measured", info->flags);
	}
	return igvm_firmware_check_overlap(info->gpa, info->size, reserved, n, err, errlen);
}
