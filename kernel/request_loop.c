#include "kernel/request_loop.h"

#include "kernel/attest_service.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "kernel/vcpu.h"
#include "kernel/vtpm_service.h"
#include "mm/mm.h"
#include "mm/page_state.h"
#include "protocols/core_backend.h"
#include "protocols/dispatch.h"
#include "protocols/request.h"
#include "protocols/svsm_abi.h"

/* Writes 0 to call_pending of the CAA at caa (SVSM spec: the SVSM clears it when done). */
static void caa_clear_pending(const struct core_backend *be, gpa_t caa)
{
	uint8_t zero = 0;

	if (be->guest_write(be->ctx, caa, &zero, 1) != 0) {
		LOG_INFO("cannot clear call_pending at CAA 0x%lx", gpa_get(caa));
	}
}

void request_loop_handle_call(struct vcpu *v, const struct core_backend *be, bool *stop)
{
	struct vmsa *regs = platform()->vcpu_vmsa(v->pv);
	struct svsm_call_ctx ctx = { .core = be,
				     .attest = attest_service_backend(),
				     .vtpm = vtpm_service_backend(),
				     .vcpu = v->index };
	struct svsm_request req;
	struct svsm_result res = svsm_result_code(SVSM_SUCCESS);
	uint8_t pending = 0;
	gpa_t caa = v->caa;

	*stop = false;
	if (!v->has_caa || be->guest_read(be->ctx, caa, &pending, 1) != 0) {
		LOG_VERBOSE("vCPU %u: VMGEXIT without a readable calling area", v->index);
		return; /* nothing to answer: re-enter */
	}
	if (pending == 0) {
		return; /* spurious: the host ran VMPL0 without a call */
	}
	if (pending != 1) {
		svsm_result_apply(regs, &(struct svsm_result){ .rax = SVSM_ERR_INVALID_FORMAT });
		caa_clear_pending(be, caa);
		return;
	}
	svsm_request_decode(regs, &req);
	svsm_dispatch(&ctx, &req, &res);
	LOG_VERBOSE("vCPU %u: call %u/%u -> 0x%x", v->index, req.protocol, req.call, res.rax);
	svsm_result_apply(regs, &res);
#ifdef CONFIG_DEBUG
	/* Debug builds prove after every call that changed the page-state ledger that its
	 * invariants still hold (docs/page-state.md); the conformance guest's floods run against
	 * such a build. */
	{
		static uint64_t checked_at;
		const char *why = NULL;
		uint64_t now = page_state_changes(mm_page_state());

		if (now != checked_at && page_state_check(mm_page_state(), &why) != PS_OK) {
			panic("page-state ledger corrupt after call %u/%u: %s", req.protocol, req.call,
			      why != NULL ? why : "?");
		}
		checked_at = now;
	}
#endif
	/* After REMAP_CA the old CAA is the one whose pending byte the guest will exchange. */
	caa_clear_pending(be, caa);
	*stop = ctx.caller_vmsa_deleted;
}

enum platform_exit request_loop_run(struct vcpu *v, const struct core_backend *be)
{
	for (;;) {
		enum platform_exit e = platform()->enter_guest(v->pv);
		bool stop = false;

		if (e != PLATFORM_EXIT_SVSM_CALL) {
			return e;
		}
		request_loop_handle_call(v, be, &stop);
		if (stop) {
			return PLATFORM_EXIT_TERMINATED;
		}
	}
}
