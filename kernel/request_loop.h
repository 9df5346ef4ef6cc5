/*
 * The SVSM request loop for one vCPU (SVSM spec 58019 rev 1.00, "Calling convention";
 * ABI reference 1.4):
 *   enter the guest; when it leaves asking for VMPL0 and its calling area's call_pending is
 *   1, decode RAX/RCX/RDX/R8/R9 once, dispatch, write the results (RAX zero-extended), clear
 *   call_pending, and enter the guest again. A spurious entry (call_pending 0) just re-enters;
 *   a reserved call_pending value is answered with SVSM_ERR_INVALID_FORMAT.
 */
#pragma once

#include <stdbool.h>

#include "kernel/platform.h"

struct core_backend;
struct vcpu;

/*
 * Serves v until the guest leaves for a reason other than an SVSM call (halt, shutdown,
 * stopped by policy) or deletes its own VMSA; returns that exit (PLATFORM_EXIT_TERMINATED for
 * the latter).
 */
enum platform_exit request_loop_run(struct vcpu *v, const struct core_backend *be);

/* One call: what request_loop_run does after each SVSM-call exit. Exposed for tests. */
void request_loop_handle_call(struct vcpu *v, const struct core_backend *be, bool *stop);
