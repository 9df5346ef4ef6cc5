/*
 * QEMU fw_cfg reader (I/O-port interface: selector 0x510, data 0x511), used by the test image
 * to learn which tests to run (`-fw_cfg name=opt/bastion/ktest,string=...`). The contents are
 * host-controlled and therefore untrusted: every length is bounded by the caller's buffer.
 * Native platform only (port I/O raises #VC under SNP).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Reads the fw_cfg file called name into buf (at most size - 1 bytes) and NUL-terminates it.
 * Returns false if there is no fw_cfg device, no such file, or size is 0.
 */
bool fw_cfg_read_file(const char *name, char *buf, size_t size);

/* Finds the fw_cfg file called name: its selector key and size. False if absent. */
bool fw_cfg_find_file(const char *name, uint16_t *key, uint32_t *size);

/* Reads len bytes of item key from its start into buf. False if there is no fw_cfg device. */
bool fw_cfg_read_item(uint16_t key, void *buf, size_t len);

/* Selects item key / reads one data byte: the raw device, for guests' forwarded accesses. */
void fw_cfg_select_raw(uint16_t key);
uint8_t fw_cfg_read_byte_raw(void);
