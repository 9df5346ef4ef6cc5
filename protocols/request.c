/*
 * Register decoding and result encoding of SVSM calls (see request.h).
 */
#include "protocols/request.h"

#include "protocols/svsm_abi.h"

void svsm_request_decode(const struct vmsa *v, struct svsm_request *req)
{
	req->protocol = svsm_rax_protocol(v->rax);
	req->call = svsm_rax_call(v->rax);
	req->rcx = v->rcx;
	req->rdx = v->rdx;
	req->r8 = v->r8;
	req->r9 = v->r9;
}

void svsm_result_apply(struct vmsa *v, const struct svsm_result *res)
{
	/* SVSM spec 58019 rev 1.00, "Calling convention": a 32-bit code; zero-extended because
	 * guests compare the whole register (ABI reference 7 item 2). */
	v->rax = (uint64_t)res->rax;
	if (res->set_rcx) {
		v->rcx = res->rcx;
	}
	if (res->set_rdx) {
		v->rdx = res->rdx;
	}
	if (res->set_r8) {
		v->r8 = res->r8;
	}
}

const char *svsm_result_name(uint32_t rax)
{
	switch (rax) {
	case SVSM_SUCCESS:
		return "SVSM_SUCCESS";
	case SVSM_ERR_INCOMPLETE:
		return "SVSM_ERR_INCOMPLETE";
	case SVSM_ERR_UNSUPPORTED_PROTOCOL:
		return "SVSM_ERR_UNSUPPORTED_PROTOCOL";
	case SVSM_ERR_UNSUPPORTED_CALL:
		return "SVSM_ERR_UNSUPPORTED_CALL";
	case SVSM_ERR_INVALID_ADDRESS:
		return "SVSM_ERR_INVALID_ADDRESS";
	case SVSM_ERR_INVALID_FORMAT:
		return "SVSM_ERR_INVALID_FORMAT";
	case SVSM_ERR_INVALID_PARAMETER:
		return "SVSM_ERR_INVALID_PARAMETER";
	case SVSM_ERR_INVALID_REQUEST:
		return "SVSM_ERR_INVALID_REQUEST";
	case SVSM_ERR_BUSY:
		return "SVSM_ERR_BUSY";
	case SVSM_ERR_CORE_INSN_BASE:
		return "SVSM_ERR_CORE_INSN_BASE";
	case SVSM_PVALIDATE_FAIL_INPUT:
		return "SVSM_PVALIDATE_FAIL_INPUT";
	case SVSM_ERR_RMPADJUST_FAIL_PERMISSION:
		return "SVSM_ERR_RMPADJUST_FAIL_PERMISSION";
	case SVSM_ERR_FAIL_INUSE:
		return "SVSM_ERR_FAIL_INUSE";
	case SVSM_PVALIDATE_FAIL_SIZEMISMATCH:
		return "SVSM_PVALIDATE_FAIL_SIZEMISMATCH";
	case SVSM_PVALIDATE_FAIL_NO_CHANGE:
		return "SVSM_PVALIDATE_FAIL_NO_CHANGE";
	case SVSM_PVALIDATE_FAIL_UNEXPECTED:
		return "SVSM_PVALIDATE_FAIL_UNEXPECTED";
	default:
		break;
	}
	if (svsm_result_is_mem_needed(rax)) {
		return "SVSM_MEM_NEEDED";
	}
	if (rax >= SVSM_ERR_PROTOCOL_BASE) {
		return "SVSM_ERR_PROTOCOL";
	}
	return "SVSM_?";
}
