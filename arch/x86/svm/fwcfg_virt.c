/* fw_cfg interface: QEMU docs/specs/fw_cfg.rst (selector keys, directory layout, e820). */
#include "arch/x86/svm/fwcfg_virt.h"

#include "arch/x86/fw_cfg.h"
#include "kernel/image_layout.h"
#include "kernel/log.h"
#include "kernel/string.h"

#define FW_CFG_ID 0x0001
#define FW_CFG_FILE_DIR 0x0019
#define FW_CFG_ID_DMA (1u << 1)
#define FWCFG_DIR_MAX 256                 /* files: plenty for QEMU's q35 */
#define FWCFG_DIR_ENTRY 64
#define FWCFG_E820_MAX 64
#define E820_ENTRY 20                     /* u64 address, u64 length, u32 type (packed) */
#define E820_RAM 1u

static uint8_t fwcfg_dir[4 + FWCFG_DIR_MAX * FWCFG_DIR_ENTRY];
static uint32_t fwcfg_dir_len;
static uint8_t fwcfg_e820[FWCFG_E820_MAX * E820_ENTRY];
static uint32_t fwcfg_e820_len;
static uint16_t fwcfg_e820_key;
static uint8_t fwcfg_id[4];
static bool fwcfg_ready;

static uint32_t fwcfg_offset;
static const uint8_t *fwcfg_virtual_item; /* NULL: forward to the real device */
static uint32_t fwcfg_virtual_len;

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--) {
		v = (v << 8) | p[i];
	}
	return v;
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

static void wr64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++) {
		p[i] = (uint8_t)(v >> (8 * i));
	}
}

static void wr32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++) {
		p[i] = (uint8_t)(v >> (8 * i));
	}
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Appends one e820 entry to the guest's table. */
static void e820_add(uint64_t base, uint64_t len, uint32_t type)
{
	if (len == 0 || fwcfg_e820_len + E820_ENTRY > sizeof(fwcfg_e820)) {
		return;
	}
	wr64(&fwcfg_e820[fwcfg_e820_len], base);
	wr64(&fwcfg_e820[fwcfg_e820_len + 8], len);
	wr32(&fwcfg_e820[fwcfg_e820_len + 16], type);
	fwcfg_e820_len += E820_ENTRY;
}

/* The guest's e820: real entries, with RAM below 4 GiB cut at Bastion's region. */
static void e820_rewrite(const uint8_t *real, uint32_t real_len)
{
	for (uint32_t off = 0; off + E820_ENTRY <= real_len; off += E820_ENTRY) {
		uint64_t base = rd64(real + off);
		uint64_t len = rd64(real + off + 8);
		uint32_t type = rd32(real + off + 16);
		uint64_t end = base + len;

		if (end < base) {
			continue; /* a wrapping entry from the host: drop it */
		}
		if (type != E820_RAM || base >= 0x100000000ull) {
			e820_add(base, len, type);
			continue;
		}
		if (base < BASTION_REGION_GPA) {
			e820_add(base, (end < BASTION_REGION_GPA ? end : BASTION_REGION_GPA) - base, type);
		}
	}
}

int fwcfg_virt_init(void)
{
	static uint8_t real_e820[FWCFG_E820_MAX * E820_ENTRY];
	uint32_t e820_size = 0;
	uint32_t count = 0;

	if (!fw_cfg_read_item(FW_CFG_ID, fwcfg_id, sizeof(fwcfg_id))) {
		return -1;
	}
	fwcfg_id[0] &= (uint8_t)~FW_CFG_ID_DMA;
	if (!fw_cfg_find_file("etc/e820", &fwcfg_e820_key, &e820_size) ||
	    e820_size > sizeof(real_e820) || e820_size % E820_ENTRY != 0) {
		LOG_INFO("fw_cfg: no usable etc/e820; the guest gets no memory description");
		return -1;
	}
	fw_cfg_read_item(fwcfg_e820_key, real_e820, e820_size);
	e820_rewrite(real_e820, e820_size);

	fw_cfg_read_item(FW_CFG_FILE_DIR, fwcfg_dir, 4);
	count = get_be32(fwcfg_dir);
	if (count > FWCFG_DIR_MAX) {
		count = FWCFG_DIR_MAX;
	}
	fwcfg_dir_len = 4 + count * FWCFG_DIR_ENTRY;
	fw_cfg_read_item(FW_CFG_FILE_DIR, fwcfg_dir, fwcfg_dir_len);
	put_be32(fwcfg_dir, count);
	for (uint32_t i = 0; i < count; i++) {
		uint8_t *e = &fwcfg_dir[4 + i * FWCFG_DIR_ENTRY];

		if (((e[4] << 8) | e[5]) == fwcfg_e820_key) {
			put_be32(e, fwcfg_e820_len);
		}
	}
	fwcfg_ready = true;
	LOG_INFO("fw_cfg: guest memory map has %u entries (RAM below 4 GiB ends at 0x%x)",
		 fwcfg_e820_len / E820_ENTRY, BASTION_REGION_GPA);
	return 0;
}

void fwcfg_virt_select(uint16_t key)
{
	fwcfg_offset = 0;
	fwcfg_virtual_item = NULL;
	fwcfg_virtual_len = 0;
	if (!fwcfg_ready) {
		return;
	}
	if (key == FW_CFG_ID) {
		fwcfg_virtual_item = fwcfg_id;
		fwcfg_virtual_len = sizeof(fwcfg_id);
	} else if (key == FW_CFG_FILE_DIR) {
		fwcfg_virtual_item = fwcfg_dir;
		fwcfg_virtual_len = fwcfg_dir_len;
	} else if (key == fwcfg_e820_key) {
		fwcfg_virtual_item = fwcfg_e820;
		fwcfg_virtual_len = fwcfg_e820_len;
	} else {
		fw_cfg_select_raw(key);
	}
}

uint8_t fwcfg_virt_read_byte(void)
{
	if (!fwcfg_ready) {
		return 0xFF;
	}
	if (fwcfg_virtual_item != NULL) {
		/* Past the end, the device reads as zero (fw_cfg.rst). */
		return fwcfg_offset < fwcfg_virtual_len ? fwcfg_virtual_item[fwcfg_offset++] : 0;
	}
	fwcfg_offset++;
	return fw_cfg_read_byte_raw();
}
