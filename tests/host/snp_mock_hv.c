/* Mock hypervisor for the SNP host tests (see snp_mock_hv.h). */
#include "tests/host/snp_mock_hv.h"

#include <string.h>

#include "arch/x86/snp/ghcb_msr.h"
#include "kernel/panic.h"

struct snp_mock_hv snp_mock;

static uint16_t mock_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static void mock_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static uint64_t mock_get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < 8; i++) {
		v |= (uint64_t)p[i] << (8 * i);
	}
	return v;
}

static void mock_psc_record(struct snp_mock_hv *hv, uint64_t entry)
{
	if (hv->psc_done_count < SNP_MOCK_MAX_PSC) {
		hv->psc_done[hv->psc_done_count] = entry;
	}
	hv->psc_done_count++;
}

/* ---- MSR protocol ------------------------------------------------------------------------- */

static uint64_t mock_msr_protocol(struct snp_mock_hv *hv, uint64_t req)
{
	uint64_t code = req & GHCB_MSR_INFO_MASK;

	switch (code) {
	case GHCB_MSR_SEV_INFO_REQ:
		return ((uint64_t)hv->ghcb_max_version << 48) |
		       ((uint64_t)hv->ghcb_min_version << 32) | ((uint64_t)hv->cbit << 24) |
		       GHCB_MSR_SEV_INFO_RESP;
	case GHCB_MSR_CPUID_REQ: {
		/* KVM style: keep the register selector (bits 31:30), value in 63:32. */
		uint32_t leaf = (uint32_t)(req >> 32);
		uint32_t reg = (uint32_t)((req >> 30) & 3u);
		uint64_t value = (uint64_t)(leaf ^ 0x5A5A0000u) + reg;

		return (value << 32) | (req & (3ull << 30)) | GHCB_MSR_CPUID_RESP;
	}
	case GHCB_MSR_REG_GPA_REQ:
		hv->registered_gpa = req & ~GHCB_MSR_INFO_MASK;
		hv->ghcb_registered = hv->ghcb_page == NULL || hv->registered_gpa == hv->ghcb_gpa;
		return (req & ~GHCB_MSR_INFO_MASK) | GHCB_MSR_REG_GPA_RESP;
	case GHCB_MSR_PSC_REQ: {
		uint64_t op = (req >> 52) & 0xFu;

		if ((op != GHCB_PSC_OP_PRIVATE && op != GHCB_PSC_OP_SHARED) || (req >> 56) != 0) {
			return (1ull << 32) | GHCB_MSR_PSC_RESP;
		}
		mock_psc_record(hv, req & ~GHCB_MSR_INFO_MASK);
		return GHCB_MSR_PSC_RESP;
	}
	case GHCB_MSR_RUN_VMPL_REQ:
		return GHCB_MSR_RUN_VMPL_RESP;
	case GHCB_MSR_HV_FT_REQ:
		return (hv->hv_features << 12) | GHCB_MSR_HV_FT_RESP;
	case GHCB_MSR_TERM_REQ:
		hv->terminated = true;
		hv->term_request = req;
		return req;
	default:
		return req;
	}
}

/* ---- GHCB page exits ---------------------------------------------------------------------- */

static bool mock_valid(const struct ghcb *g, unsigned int off)
{
	return ghcb_valid_test(g->save.valid_bitmap, off);
}

static void mock_fail(struct ghcb *g, uint64_t code)
{
	g->save.sw_exit_info_1 = GHCB_RESULT_ERROR;
	g->save.sw_exit_info_2 = code;
}

/* Returns the SW_EXITINFO2 PSC result (0 or a Linux VMGEXIT_PSC_ERROR_* value). */
static uint64_t mock_psc(struct snp_mock_hv *hv, struct ghcb *g)
{
	uint8_t *buf = g->shared_buffer;
	unsigned int cur = mock_get16(buf);
	unsigned int end = mock_get16(buf + 2);
	unsigned int done = 0;

	if (mock_get16(buf + 4) != 0 || mock_get16(buf + 6) != 0 ||
	    end >= GHCB_PSC_MAX_ENTRIES || cur > end + 1) {
		return (1ull << 32) | 1u;
	}
	while (cur <= end && (hv->psc_per_exit == 0 || done < hv->psc_per_exit)) {
		uint64_t e = mock_get64(buf + GHCB_PSC_HDR_SIZE + (size_t)cur * 8u);
		uint64_t op = (e & GHCB_PSC_OP_MASK) >> GHCB_PSC_OP_SHIFT;

		if (op != GHCB_PSC_OP_PRIVATE && op != GHCB_PSC_OP_SHARED) {
			mock_put16(buf, (uint16_t)cur);
			return (1ull << 32) | 2u;
		}
		mock_psc_record(hv, e & ~GHCB_PSC_CUR_PAGE_MASK);
		cur++;
		done++;
	}
	mock_put16(buf, (uint16_t)cur);
	return 0;
}

/* One-hot 3-bit field at shift in v. */
static bool mock_one_hot3(uint64_t v, unsigned int shift)
{
	uint64_t f = (v >> shift) & 7u;

	return f == 1 || f == 2 || f == 4;
}

/* IOIO: checks the exit information strictly, records and answers. False: invalid input. */
static bool mock_ioio(struct snp_mock_hv *hv, struct ghcb *g, uint64_t info1)
{
	bool in = (info1 & GHCB_IOIO_TYPE_IN) != 0;
	unsigned int size = 0;
	uint32_t mask = 0;
	struct snp_mock_io rec = { 0 };

	if ((info1 & (SNP_MOCK_IOIO_STR | SNP_MOCK_IOIO_REP | SNP_MOCK_IOIO_RESERVED)) != 0 ||
	    !mock_one_hot3(info1, 4) || !mock_one_hot3(info1, 7)) {
		return false;
	}
	size = (info1 & GHCB_IOIO_DATA8) != 0 ? 1 : (info1 & GHCB_IOIO_DATA16) != 0 ? 2 : 4;
	mask = size == 4 ? 0xFFFFFFFFu : (1u << (size * 8u)) - 1u;
	if (!in && (g->save.rax & ~(uint64_t)mask) != 0) {
		return false;
	}
	rec.port = (uint16_t)(info1 >> GHCB_IOIO_PORT_SHIFT);
	rec.size = size;
	rec.in = in;
	if (in) {
		g->save.rax = hv->io_in_value;
		rec.value = hv->io_in_value;
	} else {
		rec.value = (uint32_t)g->save.rax;
	}
	if (hv->io_count < SNP_MOCK_MAX_IO) {
		hv->io[hv->io_count] = rec;
	}
	hv->io_count++;
	return true;
}

/* MSR: EXITINFO1 0 (read) or 1 (write), RCX a 32-bit MSR number; records and answers. */
static bool mock_msr_nae(struct snp_mock_hv *hv, struct ghcb *g, uint64_t info1)
{
	struct snp_mock_msr rec = { 0 };

	if (info1 > 1 || (g->save.rcx >> 32) != 0) {
		return false;
	}
	rec.msr = (uint32_t)g->save.rcx;
	rec.write = info1 == 1;
	if (rec.write) {
		if ((g->save.rax >> 32) != 0 || (g->save.rdx >> 32) != 0) {
			return false;
		}
		rec.value = (g->save.rdx << 32) | g->save.rax;
	} else {
		g->save.rax = hv->msr_value & 0xFFFFFFFFull;
		g->save.rdx = hv->msr_value >> 32;
		rec.value = hv->msr_value;
	}
	if (hv->msr_nae_count < SNP_MOCK_MAX_MSR_NAE) {
		hv->msr_naes[hv->msr_nae_count] = rec;
	}
	hv->msr_nae_count++;
	return true;
}

static void mock_nae(struct snp_mock_hv *hv, struct ghcb *g)
{
	uint64_t code = g->save.sw_exit_code;
	uint64_t info1 = g->save.sw_exit_info_1;
	uint64_t info2 = g->save.sw_exit_info_2;
	bool missing = false;

	if (!hv->ghcb_registered) {
		mock_fail(g, GHCB_ERR_NOT_REGISTERED);
		return;
	}
	if (g->protocol_version != GHCB_PROTOCOL_VERSION || g->ghcb_usage != GHCB_USAGE_STANDARD) {
		mock_fail(g, GHCB_ERR_INVALID_USAGE);
		return;
	}
	if (!mock_valid(g, GHCB_OFF_SW_EXITCODE) || !mock_valid(g, GHCB_OFF_SW_EXITINFO1) ||
	    !mock_valid(g, GHCB_OFF_SW_EXITINFO2)) {
		mock_fail(g, GHCB_ERR_MISSING_INPUT);
		return;
	}

	/* The answer, KVM style: a fresh bitmap with the exit information and RAX..RDX valid. */
	switch (code) {
	case GHCB_NAE_IOIO:
		missing = (info1 & GHCB_IOIO_TYPE_IN) == 0 && !mock_valid(g, GHCB_OFF_RAX);
		if (!missing) {
			if (!mock_ioio(hv, g, info1)) {
				mock_fail(g, GHCB_ERR_INVALID_INPUT);
				return;
			}
		}
		info2 = 0;
		break;
	case GHCB_NAE_MSR:
		missing = !mock_valid(g, GHCB_OFF_RCX) ||
			  (info1 == 1 && (!mock_valid(g, GHCB_OFF_RAX) ||
					  !mock_valid(g, GHCB_OFF_RDX)));
		if (!missing) {
			if (!mock_msr_nae(hv, g, info1)) {
				mock_fail(g, GHCB_ERR_INVALID_INPUT);
				return;
			}
		}
		info2 = 0;
		break;
	case GHCB_NAE_PSC:
		if (!mock_valid(g, GHCB_OFF_SW_SCRATCH)) {
			missing = true;
			break;
		}
		if (g->save.sw_scratch != hv->ghcb_gpa + GHCB_OFF_SHARED_BUFFER) {
			mock_fail(g, GHCB_ERR_INVALID_SCRATCH_AREA);
			return;
		}
		info2 = mock_psc(hv, g);
		break;
	case GHCB_NAE_AP_CREATION:
		missing = (info1 & 0xFFFFu) != GHCB_AP_DESTROY && !mock_valid(g, GHCB_OFF_RAX);
		info2 = 0;
		break;
	case GHCB_NAE_RUN_VMPL:
		info2 = 0;
		break;
	case GHCB_NAE_HV_FEATURES:
		info2 = hv->hv_features;
		break;
	case GHCB_NAE_TERMINATE:
		hv->terminated = true;
		hv->term_request = info1;
		info2 = 0;
		break;
	case GHCB_NAE_GUEST_REQUEST:
		if ((info1 & 0xFFFu) != 0 || (info2 & 0xFFFu) != 0 || info1 == info2) {
			mock_fail(g, GHCB_ERR_INVALID_INPUT);
			return;
		}
		info2 = hv->guest_req_info2;
		break;
	default:
		mock_fail(g, GHCB_ERR_INVALID_EVENT);
		return;
	}
	if (missing) {
		mock_fail(g, GHCB_ERR_MISSING_INPUT);
		return;
	}
	memset(g->save.valid_bitmap, 0, sizeof(g->save.valid_bitmap));
	g->save.sw_exit_info_1 = GHCB_RESULT_OK;
	g->save.sw_exit_info_2 = info2;
	ghcb_valid_set(g->save.valid_bitmap, GHCB_OFF_SW_EXITINFO1);
	ghcb_valid_set(g->save.valid_bitmap, GHCB_OFF_SW_EXITINFO2);
	ghcb_valid_set(g->save.valid_bitmap, GHCB_OFF_RAX);
	ghcb_valid_set(g->save.valid_bitmap, GHCB_OFF_RBX);
	ghcb_valid_set(g->save.valid_bitmap, GHCB_OFF_RCX);
	ghcb_valid_set(g->save.valid_bitmap, GHCB_OFF_RDX);
}

/* ---- backend ------------------------------------------------------------------------------- */

static void mock_record_insn(struct snp_mock_insn *log, unsigned int *count, uint64_t va,
			     uint32_t size, uint64_t arg)
{
	if (*count < SNP_MOCK_MAX_INSNS) {
		log[*count] = (struct snp_mock_insn){ .va = va, .size = size, .arg = arg };
	}
	(*count)++;
}

static struct snp_insn_ret mock_pvalidate(uint64_t va, uint32_t size, uint32_t validate)
{
	unsigned int index = snp_mock.pvalidate_count;

	mock_record_insn(snp_mock.pvalidates, &snp_mock.pvalidate_count, va, size, validate);
	if (snp_mock.pvalidate_hook != NULL) {
		return snp_mock.pvalidate_hook(&snp_mock, index, va, size, validate);
	}
	return (struct snp_insn_ret){ .eax = 0, .cf = false };
}

static struct snp_insn_ret mock_rmpadjust(uint64_t va, uint32_t size, uint64_t attrs)
{
	unsigned int index = snp_mock.rmpadjust_count;

	mock_record_insn(snp_mock.rmpadjusts, &snp_mock.rmpadjust_count, va, size, attrs);
	if (snp_mock.rmpadjust_hook != NULL) {
		return snp_mock.rmpadjust_hook(&snp_mock, index, va, size, attrs);
	}
	return (struct snp_insn_ret){ .eax = 0, .cf = false };
}

static void mock_vmgexit(void)
{
	struct snp_mock_hv *hv = &snp_mock;
	unsigned int index = hv->exit_count;
	struct snp_mock_exit *rec = NULL;
	bool nae = hv->ghcb_page != NULL && hv->ghcb_msr == hv->ghcb_gpa;

	if (index >= SNP_MOCK_MAX_EXITS) {
		panic("mock: more than %u VMGEXITs in one test", SNP_MOCK_MAX_EXITS);
	}
	rec = &hv->exits[index];
	hv->exit_count++;
	rec->msr = hv->ghcb_msr;
	rec->nae = nae;
	if (!nae) {
		uint64_t resp = mock_msr_protocol(hv, hv->ghcb_msr);

		if (hv->msr_hook != NULL) {
			hv->msr_hook(hv, index, hv->ghcb_msr, &resp);
		}
		hv->ghcb_msr = resp;
		return;
	}
	memcpy(&rec->page, hv->ghcb_page, sizeof(rec->page));
	mock_nae(hv, hv->ghcb_page);
	if (hv->nae_hook != NULL) {
		hv->nae_hook(hv, index, hv->ghcb_page);
	}
}

static uint64_t mock_rdmsr(uint32_t msr)
{
	if (msr == MSR_SEV_ES_GHCB) {
		return snp_mock.ghcb_msr;
	}
	if (msr == MSR_SEV_STATUS) {
		return snp_mock.sev_status;
	}
	panic("mock: RDMSR of unexpected MSR 0x%x", msr);
}

static void mock_wrmsr(uint32_t msr, uint64_t value)
{
	if (msr != MSR_SEV_ES_GHCB) {
		panic("mock: WRMSR of unexpected MSR 0x%x", msr);
	}
	if (snp_mock.msr_write_count < SNP_MOCK_MAX_MSR_WRITES) {
		snp_mock.msr_writes[snp_mock.msr_write_count] = value;
	}
	snp_mock.msr_write_count++;
	snp_mock.ghcb_msr = value;
}

static void mock_halt(void)
{
	snp_mock.halt_count++;
	panic("mock: vCPU halted");
}

static const struct snp_hw_ops snp_mock_ops = {
	.pvalidate = mock_pvalidate,
	.rmpadjust = mock_rmpadjust,
	.vmgexit = mock_vmgexit,
	.rdmsr = mock_rdmsr,
	.wrmsr = mock_wrmsr,
	.halt = mock_halt,
};

void snp_mock_hv_reset(void)
{
	memset(&snp_mock, 0, sizeof(snp_mock));
	snp_mock.sev_status = 0x7; /* SEV | SEV-ES | SNP */
	snp_mock.ghcb_min_version = 1;
	snp_mock.ghcb_max_version = 2;
	snp_mock.cbit = 51;
	snp_mock.hv_features = GHCB_HV_FT_SNP | GHCB_HV_FT_SNP_AP_CREATION |
			       GHCB_HV_FT_SNP_MULTI_VMPL;
	snp_hw_set_ops(&snp_mock_ops);
}

void snp_mock_hv_attach_ghcb(struct ghcb *page, uint64_t gpa, bool registered)
{
	snp_mock.ghcb_page = page;
	snp_mock.ghcb_gpa = gpa;
	snp_mock.ghcb_registered = registered;
}

const struct snp_mock_exit *snp_mock_hv_last_exit(void)
{
	if (snp_mock.exit_count == 0) {
		panic("mock: no VMGEXIT recorded");
	}
	return &snp_mock.exits[snp_mock.exit_count - 1];
}

unsigned int snp_mock_hv_valid_count(const uint8_t bitmap[GHCB_VALID_BITMAP_SIZE])
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < GHCB_VALID_BITMAP_SIZE; i++) {
		n += (unsigned int)__builtin_popcount(bitmap[i]);
	}
	return n;
}
