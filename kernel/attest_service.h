/*
 * The attestation protocol's backend (protocols/attest.h) in the firmware: reports from the
 * platform (SNP: the AMD-SP through MSG_REPORT_REQ; native: kernel/native_report.h) and the
 * vTPM service manifest (version 0: the EK's TPMT_PUBLIC, kernel/vtpm_service.h).
 *
 * attest_service_init (boot, after platform_init and vtpm_service_init): the native platform's
 * report key; allocates the protocol's scratch (ATTEST_SCRATCH_SIZE). Panics without memory.
 * attest_service_backend: the backend for the call context; NULL before init.
 */
#pragma once

#include "protocols/attest.h"

void attest_service_init(void);
const struct attest_backend *attest_service_backend(void);
