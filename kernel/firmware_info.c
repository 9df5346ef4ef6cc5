/* Portable parsing of the firmware descriptor and the staging string (kernel/firmware.h). */
#include "kernel/firmware.h"

#define FOUR_GIB 0x100000000ull
#define FIRMWARE_MAX_SIZE 0x1000000ull

enum firmware_error firmware_parse_info(const struct boot_firmware_info *info,
					struct firmware_image *out)
{
	*out = (struct firmware_image){ .present = false };
	if (info->magic != BOOT_FIRMWARE_INFO_MAGIC || info->version != BOOT_FIRMWARE_INFO_VERSION) {
		return FIRMWARE_ERR_MAGIC;
	}
	if ((info->flags & ~(uint32_t)BOOT_FIRMWARE_FLAGS_KNOWN) != 0 ||
	    boot_firmware_pages_check(info) != NULL) {
		return FIRMWARE_ERR_LAYOUT;
	}
	if (info->size == 0) {
		return info->gpa == 0 && info->reset_vector_gpa == 0 ? FIRMWARE_OK
								       : FIRMWARE_ERR_LAYOUT;
	}
	if ((info->size & 0xFFF) != 0 || info->size > FIRMWARE_MAX_SIZE ||
	    info->gpa != FOUR_GIB - info->size || info->reset_vector_gpa != FOUR_GIB - 16) {
		return FIRMWARE_ERR_LAYOUT;
	}
	out->present = true;
	out->gpa = info->gpa;
	out->size = info->size;
	out->reset_vector = info->reset_vector_gpa;
	out->backing = info->gpa;
	out->crc32 = info->crc32;
	out->secrets_gpa = info->secrets_gpa;
	out->cpuid_gpa = info->cpuid_gpa;
	out->caa_gpa = info->caa_gpa;
	return FIRMWARE_OK;
}

bool firmware_parse_staging(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	unsigned int digits = 0;

	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) {
		return false;
	}
	for (s += 2; *s != '\0' && *s != '\n'; s++) {
		unsigned int d = 0;

		if (*s >= '0' && *s <= '9') {
			d = (unsigned int)(*s - '0');
		} else if (*s >= 'a' && *s <= 'f') {
			d = (unsigned int)(*s - 'a' + 10);
		} else if (*s >= 'A' && *s <= 'F') {
			d = (unsigned int)(*s - 'A' + 10);
		} else {
			return false;
		}
		if (++digits > 16) {
			return false;
		}
		v = (v << 4) | d;
	}
	if (digits == 0 || (*s == '\n' && s[1] != '\0')) {
		return false;
	}
	*out = v;
	return true;
}

const char *firmware_error_name(enum firmware_error e)
{
	switch (e) {
	case FIRMWARE_OK:
		return "ok";
	case FIRMWARE_ERR_MAGIC:
		return "not a firmware descriptor (magic or version)";
	case FIRMWARE_ERR_LAYOUT:
		return "inconsistent firmware descriptor";
	case FIRMWARE_ERR_STAGING:
		return "unusable firmware staging address";
	default:
		return "unknown";
	}
}
