/*
 * Starting the guest firmware from its reset vector on this CPU and staying with it until it
 * stops. (The SVSM request loop takes over this role with the core protocol.)
 */
#pragma once

/* Enters the firmware (if the IGVM file has one) and returns when the guest stops. */
void guest_boot(void);
