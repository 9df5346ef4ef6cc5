/*
 * fw_cfg over I/O ports (QEMU docs/specs/fw_cfg.rst): write a 16-bit key to 0x510, read the
 * item's bytes from 0x511. Key 0 = signature "QEMU", key 0x19 = file directory (big-endian
 * u32 count, then entries {u32 size, u16 select, u16 reserved, char name[56]}).
 */
#include "arch/x86/fw_cfg.h"

#include <stdint.h>

#include "arch/x86/cpu.h"
#include "kernel/string.h"

#define FW_CFG_PORT_SEL 0x510
#define FW_CFG_PORT_DATA 0x511
#define FW_CFG_SIGNATURE 0x0000
#define FW_CFG_FILE_DIR 0x0019
#define FW_CFG_NAME_SIZE 56
#define FW_CFG_MAX_FILES 4096 /* bounds the directory walk whatever the host claims */

static void fw_cfg_select(uint16_t key)
{
	cpu_outw(FW_CFG_PORT_SEL, key);
}

static void fw_cfg_read(void *buf, size_t len)
{
	uint8_t *p = buf;

	for (size_t i = 0; i < len; i++) {
		p[i] = cpu_inb(FW_CFG_PORT_DATA);
	}
}

static uint32_t be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static bool fw_cfg_present(void)
{
	uint8_t sig[4];

	fw_cfg_select(FW_CFG_SIGNATURE);
	fw_cfg_read(sig, sizeof(sig));
	return sig[0] == 'Q' && sig[1] == 'E' && sig[2] == 'M' && sig[3] == 'U';
}

bool fw_cfg_find_file(const char *name, uint16_t *key, uint32_t *size)
{
	uint8_t count_be[4];
	uint32_t count = 0;

	if (!fw_cfg_present()) {
		return false;
	}
	fw_cfg_select(FW_CFG_FILE_DIR);
	fw_cfg_read(count_be, sizeof(count_be));
	count = be32(count_be);
	if (count > FW_CFG_MAX_FILES) {
		count = FW_CFG_MAX_FILES;
	}
	for (uint32_t i = 0; i < count; i++) {
		uint8_t entry[4 + 2 + 2 + FW_CFG_NAME_SIZE];

		fw_cfg_read(entry, sizeof(entry));
		entry[sizeof(entry) - 1] = '\0';
		if (strcmp((const char *)&entry[8], name) == 0) {
			*size = be32(entry);
			*key = (uint16_t)((entry[4] << 8) | entry[5]);
			return true;
		}
	}
	return false;
}

bool fw_cfg_read_item(uint16_t key, void *buf, size_t len)
{
	if (!fw_cfg_present()) {
		return false;
	}
	fw_cfg_select(key);
	fw_cfg_read(buf, len);
	return true;
}

void fw_cfg_select_raw(uint16_t key)
{
	fw_cfg_select(key);
}

uint8_t fw_cfg_read_byte_raw(void)
{
	return cpu_inb(FW_CFG_PORT_DATA);
}

bool fw_cfg_read_file(const char *name, char *buf, size_t size)
{
	uint8_t sig[4];
	uint8_t count_be[4];
	uint32_t count;

	if (size == 0) {
		return false;
	}
	fw_cfg_select(FW_CFG_SIGNATURE);
	fw_cfg_read(sig, sizeof(sig));
	if (sig[0] != 'Q' || sig[1] != 'E' || sig[2] != 'M' || sig[3] != 'U') {
		return false;
	}
	fw_cfg_select(FW_CFG_FILE_DIR);
	fw_cfg_read(count_be, sizeof(count_be));
	count = be32(count_be);
	if (count > FW_CFG_MAX_FILES) {
		count = FW_CFG_MAX_FILES;
	}
	for (uint32_t i = 0; i < count; i++) {
		uint8_t entry[4 + 2 + 2 + FW_CFG_NAME_SIZE];
		uint32_t file_size;
		uint16_t select;
		size_t len;

		fw_cfg_read(entry, sizeof(entry));
		entry[sizeof(entry) - 1] = '\0';
		if (strcmp((const char *)&entry[8], name) != 0) {
			continue;
		}
		file_size = be32(entry);
		select = (uint16_t)((entry[4] << 8) | entry[5]);
		len = file_size < size - 1 ? file_size : size - 1;
		fw_cfg_select(select);
		fw_cfg_read(buf, len);
		buf[len] = '\0';
		return true;
	}
	return false;
}
