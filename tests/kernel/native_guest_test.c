/*
 * The native platform runs a real guest under AMD-V nested paging: the guest's SVSM calls
 * reach Bastion through the same transport Linux and OVMF use, and a guest that reads
 * Bastion's memory is stopped by the nested page tables while Bastion keeps running.
 */
#include "arch/x86/svm/svm.h"
#include "kernel/image_layout.h"
#include "kernel/platform.h"
#include "mm/guest_mem.h"
#include "tests/ktest/ktest.h"

#define PROBE_GPA 0x100000ull

extern const uint8_t npt_probe_start[];
extern const uint8_t npt_probe_end[];

static void flat_segment(struct vmsa_segment *s, uint16_t sel, uint16_t attrib)
{
	s->selector = sel;
	s->attrib = attrib;
	s->limit = 0xFFFFFFFF;
	s->base = 0;
}

/* 32-bit flat protected mode, paging off, at PROBE_GPA. */
static void probe_initial_state(struct vmsa *s)
{
	flat_segment(&s->cs, 0x08, 0xC9B);
	flat_segment(&s->ds, 0x10, 0xC93);
	flat_segment(&s->es, 0x10, 0xC93);
	flat_segment(&s->ss, 0x10, 0xC93);
	flat_segment(&s->fs, 0x10, 0xC93);
	flat_segment(&s->gs, 0x10, 0xC93);
	s->ldtr.attrib = 0x82;
	s->ldtr.limit = 0xFFFF;
	s->tr.attrib = 0x8B;
	s->tr.limit = 0xFFFF;
	s->gdtr.limit = 0xFFFF;
	s->idtr.limit = 0xFFFF;
	s->cr0 = 0x11; /* PE | ET */
	s->efer = VMSA_EFER_SVME;
	s->rflags = 0x2;
	s->rip = PROBE_GPA;
	s->rsp = PROBE_GPA; /* stack below the code, in guest RAM */
	s->g_pat = 0x0007040600070406ull;
	s->dr6 = 0xFFFF0FF0;
	s->dr7 = 0x400;
	s->xcr0 = 1;
}

KTEST(native_guest, svsm_calls_then_npt_stops_the_guest)
{
	const struct platform_ops *p = platform();
	struct platform_vcpu *v = NULL;
	struct vmsa *s = NULL;
	struct svm_stop_info stop;

	ASSERT_NOT_NULL(p);
	ASSERT_EQ(guest_copy_to(gpa_init(PROBE_GPA), npt_probe_start,
				(size_t)(npt_probe_end - npt_probe_start)),
		  GUEST_MEM_OK);
	v = p->vcpu_create();
	ASSERT_NOT_NULL(v);
	s = p->vcpu_vmsa(v);
	probe_initial_state(s);

	ASSERT_EQ(p->enter_guest(v), PLATFORM_EXIT_SVSM_CALL);
	EXPECT_EQ(s->guest_exit_code, VMSA_EXIT_VMGEXIT);
	EXPECT_EQ(s->rsi, 0x5356534D);
	EXPECT_EQ(svm_vcpu_ghcb_msr(v), 0x17); /* the Run-VMPL response is ready */

	ASSERT_EQ(p->enter_guest(v), PLATFORM_EXIT_SVSM_CALL);
	EXPECT_EQ(s->rdi, 0x17); /* the guest read the response through its (virtual) MSR */

	ASSERT_EQ(p->enter_guest(v), PLATFORM_EXIT_HALT);

	ASSERT_EQ(p->enter_guest(v), PLATFORM_EXIT_TERMINATED);
	ASSERT_TRUE(svm_vcpu_stop_info(v, &stop));
	EXPECT_EQ(stop.fault_gpa, BASTION_REGION_GPA);
	EXPECT_TRUE(stop.bastion_memory);
	/* A stopped guest stays stopped, and Bastion carries on (this test is still running). */
	EXPECT_EQ(p->enter_guest(v), PLATFORM_EXIT_TERMINATED);
}

KTEST(native_guest, guest_cannot_reach_bastion_through_any_mapping)
{
	/* A second guest vCPU reading the last bytes of Bastion's region: the end of the region
	 * is as unreachable as its start. */
	struct platform_vcpu *v = platform()->vcpu_create();
	struct vmsa *s = NULL;
	struct svm_stop_info stop;
	static const uint8_t read_top_of_region[] = {
		0xA1, 0xF8, 0xFF, 0xFF, 0x10, /* mov eax, [0x10FFFFF8]: the region's last bytes */
		0xF4,                         /* hlt */
	};

	ASSERT_NOT_NULL(v);
	ASSERT_EQ(guest_copy_to(gpa_init(PROBE_GPA), read_top_of_region, sizeof(read_top_of_region)),
		  GUEST_MEM_OK);
	s = platform()->vcpu_vmsa(v);
	probe_initial_state(s);
	ASSERT_EQ(platform()->enter_guest(v), PLATFORM_EXIT_TERMINATED);
	ASSERT_TRUE(svm_vcpu_stop_info(v, &stop));
	EXPECT_EQ(stop.fault_gpa, BASTION_REGION_GPA + BASTION_REGION_SIZE - 8);
	EXPECT_TRUE(stop.bastion_memory);
}
