/*
 * The request loop end to end on the native platform: a guest places SVSM calls exactly as
 * Linux and OVMF do, Bastion decodes, dispatches to the core protocol, writes the results and
 * clears call_pending; the guest records what it saw. tests/guest/call_probe.asm lists the calls.
 */
#include "arch/x86/svm/svm.h"
#include "kernel/image_layout.h"
#include "kernel/platform.h"
#include "kernel/request_loop.h"
#include "kernel/vcpu.h"
#include "mm/guest_mem.h"
#include "mm/mm.h"
#include "mm/page_state.h"
#include "protocols/core_backend.h"
#include "protocols/svsm_abi.h"
#include "tests/ktest/ktest.h"

#define PROBE_GPA 0x100000ull
#define CAA_GPA 0x110000ull
#define RES_GPA 0x130000ull
#define PAGE_GPA 0x201000ull

extern const uint8_t call_probe_start[];
extern const uint8_t call_probe_end[];

struct call_record {
	uint32_t rax;
	uint32_t ecx;
	uint32_t pending;
	uint32_t extra;
};

static void flat(struct vmsa_segment *s, uint16_t sel, uint16_t attrib)
{
	*s = (struct vmsa_segment){ .selector = sel, .attrib = attrib, .limit = 0xFFFFFFFF };
}

KTEST(request_loop, core_calls_from_a_guest)
{
	const struct core_backend *be = svm_core_backend();
	struct vcpu *v = vcpu_get(0);
	struct call_record rec[12];
	static const uint8_t zero_page[4096];
	struct vmsa *s = NULL;
	struct svm_stop_info stop;
	const char *reason = NULL;

	ASSERT_NOT_NULL(v);
	ASSERT_EQ(guest_copy_to(gpa_init(PROBE_GPA), call_probe_start,
				(size_t)(call_probe_end - call_probe_start)),
		  GUEST_MEM_OK);
	ASSERT_EQ(guest_copy_to(gpa_init(RES_GPA), zero_page, sizeof(zero_page)), GUEST_MEM_OK);
	/* The boot CAA: on SNP the secrets page names it; here the test assigns it. */
	ASSERT_EQ(page_state_apply(mm_page_state(), gpa_init(CAA_GPA), PAGE_SIZE_4K, PS_OP_MAKE_CAA,
				   0),
		  PS_OK);
	v->has_caa = true;
	v->caa = gpa_init(CAA_GPA);
	v->pv = platform()->vcpu_create();
	ASSERT_NOT_NULL(v->pv);
	s = platform()->vcpu_vmsa(v->pv);
	flat(&s->cs, 0x08, 0xC9B);
	flat(&s->ds, 0x10, 0xC93);
	flat(&s->es, 0x10, 0xC93);
	flat(&s->ss, 0x10, 0xC93);
	s->cr0 = 0x11;
	s->rflags = 0x2;
	s->rip = PROBE_GPA;
	s->rsp = PROBE_GPA;
	s->g_pat = 0x0007040600070406ull;
	s->dr6 = 0xFFFF0FF0;
	s->dr7 = 0x400;

	ASSERT_EQ(request_loop_run(v, be), PLATFORM_EXIT_HALT);
	ASSERT_EQ(guest_copy_from(gpa_init(RES_GPA), rec, sizeof(rec)), GUEST_MEM_OK);

	EXPECT_EQ(rec[0].rax, SVSM_SUCCESS); /* QUERY_PROTOCOL(core, 1) */
	EXPECT_EQ(rec[0].ecx, 1);            /* min version 1 (max in RCX[63:32]) */
	EXPECT_EQ(rec[0].pending, 0);        /* Bastion cleared call_pending */
	EXPECT_EQ(rec[1].rax, SVSM_SUCCESS); /* QUERY_PROTOCOL(core, 2): unsupported version */
	EXPECT_EQ(rec[1].ecx, 0);
	EXPECT_EQ(rec[2].rax, SVSM_ERR_UNSUPPORTED_CALL);
	EXPECT_EQ(rec[3].rax, SVSM_ERR_INVALID_PARAMETER); /* REMAP_CA misaligned */
	EXPECT_EQ(rec[4].rax, SVSM_SUCCESS);               /* rescind */
	EXPECT_EQ(rec[5].rax, SVSM_SUCCESS);               /* validate */
	EXPECT_EQ(rec[5].extra, 0);                        /* ... and the page came back zeroed */
	EXPECT_EQ(rec[6].rax, 0x80001010u);                /* validate again: no change */
	EXPECT_EQ(rec[7].rax, SVSM_SUCCESS);               /* with ignore_cf */
	EXPECT_EQ(rec[8].rax, SVSM_ERR_INVALID_ADDRESS);   /* Bastion's page */
	EXPECT_EQ(rec[9].rax, 0x12345678u);                /* spurious entry: untouched */
	EXPECT_EQ(rec[10].rax, SVSM_ERR_INVALID_FORMAT);   /* call_pending 2 */
	EXPECT_EQ(rec[10].pending, 0);
	EXPECT_EQ(rec[11].rax, SVSM_SUCCESS);              /* rescinded for good */
	EXPECT_FALSE(svm_npt_guest_accessible(gpa_init(PAGE_GPA)));
	EXPECT_TRUE(svm_npt_guest_accessible(gpa_init(PAGE_GPA + PAGE_SIZE)));

	/* The guest now touches the rescinded page: stopped by the nested tables. */
	ASSERT_EQ(request_loop_run(v, be), PLATFORM_EXIT_TERMINATED);
	ASSERT_TRUE(svm_vcpu_stop_info(v->pv, &stop));
	EXPECT_EQ(stop.fault_gpa, PAGE_GPA);
	EXPECT_FALSE(stop.bastion_memory);
	EXPECT_EQ(page_state_check(mm_page_state(), &reason), PS_OK);
}
