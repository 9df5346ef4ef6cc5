/*
 * Starting the guest firmware from its reset vector on the boot CPU and serving it.
 *
 * When the firmware declared a secrets page and an SVSM calling area in its SEV metadata
 * (kernel/boot_firmware.h), Bastion offers it the SVSM: it writes the guest's secrets page
 * (SNP layout; the SVSM fields name Bastion's region, the calling area and the guest's VMPL;
 * on SNP a copy of the real page with VMPCK0 wiped, on the native platform a page without
 * keys) and runs the boot vCPU through the SVSM request loop. A firmware that declared neither
 * (e.g. Debian 12's OVMF) runs without an SVSM: its VMGEXITs are ignored.
 */
#pragma once

/* Enters the firmware (if the IGVM file has one) and returns when the guest stops. */
void guest_boot(void);
