/*
 * What a native guest sees of QEMU's fw_cfg device (ports 0x510 selector, 0x511 data,
 * 0x514..0x51B DMA). QEMU's memory description covers all RAM, Bastion's region and the
 * firmware staging copy included; a guest that believed it would allocate there. So:
 *   - "etc/e820" is served from a rewritten table: RAM below 4 GiB is reported only up to the
 *     start of Bastion's region (the RAM above it, where igvmload stages the firmware, is
 *     left out); RAM above 4 GiB and non-RAM entries pass through;
 *   - the file directory is served from a copy whose e820 size matches the rewritten table;
 *   - the ID item hides the DMA interface, so the guest uses the port interface Bastion sees;
 *   - every other item is read from the real device.
 * Writes to the data port and every DMA port access are ignored.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "kernel/boot_params.h"

#define FWCFG_PORT_FIRST 0x510
#define FWCFG_PORT_LAST 0x51B

/* Reads the real directory and e820 table and builds the guest's view. Returns 0, or -1 if
 * there is no fw_cfg device (the guest then gets an absent device). */
int fwcfg_virt_init(void);

/* The guest wrote the selector. */
void fwcfg_virt_select(uint16_t key);

/* The next data byte of the selected item as the guest sees it. */
uint8_t fwcfg_virt_read_byte(void);
