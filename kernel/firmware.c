/* Kernel side of kernel/firmware.h. */
#include "kernel/firmware.h"

#include "arch/x86/fw_cfg.h"
#include "kernel/boot_params.h"
#include "kernel/crc32.h"
#include "kernel/image_layout.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "kernel/string.h"
#include "mm/addr.h"
#include "mm/tempmap.h"

static struct firmware_image firmware;

void firmware_init(uint32_t platform_type)
{
	struct boot_firmware_info copy;
	enum firmware_error e = FIRMWARE_OK;
	char staging[32];

	/* Copy first: the check runs on Bastion's copy (the page is measured, but copying is
	 * the rule for everything that crosses a boundary). */
	memcpy(&copy,
	       (const void *)(uintptr_t)(BASTION_VIRT_BASE + BASTION_FIRMWARE_INFO_OFFSET),
	       sizeof(copy));
	e = firmware_parse_info(&copy, &firmware);
	if (e != FIRMWARE_OK) {
		panic("firmware descriptor: %s", firmware_error_name(e));
	}
	if (!firmware.present) {
		LOG_INFO("firmware: none in the IGVM file");
		return;
	}
	if (platform_type == BASTION_PLATFORM_NATIVE &&
	    fw_cfg_read_file(BOOT_FIRMWARE_STAGING_FW_CFG, staging, sizeof(staging))) {
		uint64_t at = 0;

		if (!firmware_parse_staging(staging, &at) || !addr_is_aligned(at, PAGE_SIZE) ||
		    !boot_memmap_covers_ram(boot_params_memmap(), at, firmware.size) ||
		    addr_ranges_overlap(at, firmware.size, BASTION_REGION_GPA, BASTION_REGION_SIZE)) {
			panic("firmware: %s", firmware_error_name(FIRMWARE_ERR_STAGING));
		}
		firmware.backing = at;
		firmware.staged = true;
	}
	LOG_INFO("firmware: %lu KiB at 0x%lx, reset vector 0x%lx, crc32 0x%08x%s", firmware.size >> 10,
		 firmware.gpa, firmware.reset_vector, firmware.crc32,
		 firmware.staged ? " (staged copy in RAM)" : "");
}

const struct firmware_image *firmware_image(void)
{
	return &firmware;
}

bool firmware_verify(void)
{
	uint32_t state = CRC32_INIT;

	if (!firmware.present) {
		return true;
	}
	for (uint64_t off = 0; off < firmware.size; off += PAGE_SIZE) {
		const uint8_t *page = tempmap_map(paddr_init(firmware.backing + off), PAGE_SIZE, 0);

		if (page == NULL) {
			return false;
		}
		state = crc32_update(state, page, PAGE_SIZE);
		tempmap_unmap((void *)(uintptr_t)page);
	}
	if (crc32_final(state) != firmware.crc32) {
		LOG_ERROR("firmware: backing bytes at 0x%lx do not match the measured CRC-32 0x%08x",
			  firmware.backing, firmware.crc32);
		return false;
	}
	return true;
}
