/*
 * Bastion's #VC handler (arch/x86/snp/vc.c, cpuid_emul.c): CPUID from the CPUID page with the
 * dynamic fixups, IN/OUT through the GHCB IOIO NAE (exact exit information checked by the mock
 * hypervisor), RDMSR/WRMSR through the MSR NAE with the allowlist, RIP advance, refusals, and
 * the reaction to GHCB errors from the host.
 */
#include <stdio.h>
#include <string.h>

#include "arch/x86/snp/cpuid_emul.h"
#include "arch/x86/snp/vc.h"
#include "tests/host/host_panic.h"
#include "tests/host/snp_mock_hv.h"
#include "tests/ktest/ktest.h"

#define TEST_GHCB_GPA 0x7FE0000ull
#define CS_KERNEL 0x8u

static struct ghcb vc_page __attribute__((aligned(4096)));
static struct ghcb_ctx vc_ctx;
static uint8_t vc_cpuid_page[SNP_CPUID_PAGE_SIZE];

/* Fake environment behind struct vc_ops. */
static uint8_t fake_text[32];     /* the "kernel text" the handler may fetch from */
static unsigned int fetch_max;    /* highest offset into fake_text fetched + 1 */
static uint64_t fake_cr4;
static uint64_t fake_xcr0;
static uint64_t fake_xss;
static uint32_t fake_apic_id;
static bool fake_have_ghcb;
static unsigned int log_count;
static char log_line[256];

static int fake_fetch(uint64_t va, uint8_t *buf, size_t n)
{
	uint64_t base = (uint64_t)(uintptr_t)fake_text;

	if (va < base || va - base > sizeof(fake_text) || n > sizeof(fake_text) - (va - base)) {
		return -1;
	}
	memcpy(buf, fake_text + (va - base), n);
	if (va - base + n > fetch_max) {
		fetch_max = (unsigned int)(va - base + n);
	}
	return 0;
}

static uint64_t fake_read_cr4(void)
{
	return fake_cr4;
}

static uint64_t fake_read_xcr0(void)
{
	return fake_xcr0;
}

static uint64_t fake_read_xss(void)
{
	return fake_xss;
}

static uint32_t fake_apic(void)
{
	return fake_apic_id;
}

static struct ghcb_ctx *fake_ghcb(void)
{
	return fake_have_ghcb ? &vc_ctx : NULL;
}

static void fake_log(const char *line)
{
	log_count++;
	snprintf(log_line, sizeof(log_line), "%s", line);
}

static const struct vc_ops fake_ops = {
	.fetch = fake_fetch,
	.read_cr4 = fake_read_cr4,
	.read_xcr0 = fake_read_xcr0,
	.read_xss = fake_read_xss,
	.apic_id = fake_apic,
	.ghcb = fake_ghcb,
	.log = fake_log,
};

/* ---- CPUID page builder ----------------------------------------------------------------------- */

static void put32(uint8_t *p, uint32_t v)
{
	for (unsigned int i = 0; i < 4; i++) {
		p[i] = (uint8_t)(v >> (8 * i));
	}
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static unsigned int page_count;

static void page_add(uint32_t leaf, uint32_t subleaf, uint64_t xcr0_in, uint32_t eax,
		     uint32_t ebx, uint32_t ecx, uint32_t edx)
{
	uint8_t *e = vc_cpuid_page + 16 + page_count * 48;

	put32(e, leaf);
	put32(e + 4, subleaf);
	put64(e + 8, xcr0_in);
	put64(e + 16, 0);
	put32(e + 24, eax);
	put32(e + 28, ebx);
	put32(e + 32, ecx);
	put32(e + 36, edx);
	page_count++;
	put32(vc_cpuid_page, page_count);
}

/* A small but realistic table: standard range up to 0x1F, extended up to 0x80000021, no
 * hypervisor range. Leaves 0x7/1, 0xB/2, 0x8000001E and 0x40000000 are deliberately absent. */
static void page_build(void)
{
	memset(vc_cpuid_page, 0, sizeof(vc_cpuid_page));
	page_count = 0;
	page_add(0x0, 0, 0, 0x1F, 0x68747541, 0x444D4163, 0x69746E65);
	/* Leaf 1: the hypervisor's EBX[31:24] (0xEE) and OSXSAVE (bit 27) must be replaced. */
	page_add(0x1, 0, 0, 0x00A10F11, 0xEE200800, 0x76F8320B | (1u << 27), 0x178BFBFF);
	page_add(0x7, 0, 0, 0, 0x219C97A9, 0x0040068C | (1u << 4), 0);
	page_add(0xB, 0, 0, 1, 2, 0x100, 0xEEEEEEEE);
	page_add(0xB, 1, 0, 4, 8, 0x201, 0xEEEEEEEE);
	/* 0xD/0 for a richer XCR0 first: must be skipped (only XCR0_IN 1 or 3 is used). */
	page_add(0xD, 0, 0xE7, 0xE7, 0xDEAD, 0xAD8, 0);
	page_add(0xD, 0, 0x1, 0x207, 0x240, 0x988, 0);
	page_add(0xD, 1, 0x1, 0xF, 0x240, 0x1800, 0);
	page_add(0xD, 2, 0x1, 0x100, 0x240, 0, 0);      /* AVX: 256 bytes at 576 */
	page_add(0xD, 9, 0x1, 0x8, 0xA80, 0, 0);        /* PKRU: 8 bytes at 2688 */
	page_add(0xD, 11, 0x1, 0x10, 0, 0x3, 0);        /* CET_U: supervisor, 64-byte aligned */
	page_add(0x1F, 0, 0, 1, 2, 0x100, 0xEEEEEEEE);
	page_add(0x80000000, 0, 0, 0x80000021, 0x68747541, 0x444D4163, 0x69746E65);
	/* A non-indexed leaf stored with a non-zero ECX_IN still matches any subleaf. */
	page_add(0x80000001, 3, 0, 0x00A10F11, 0x40000000, 0x75C237FF, 0x2FD3FBFF);
	page_add(0x80000008, 0, 0, 0x3030, 0x791EF257, 0x4007, 0x10000);
	page_add(0x8000001F, 0, 0, 0x1FFFF, 0x4173, 0x1FD, 0x1);
}

static void vc_setup(void)
{
	struct vc_config cfg = { 0 };

	snp_mock_hv_reset();
	vc_reset();
	memset(&vc_page, 0xCC, sizeof(vc_page));
	ghcb_ctx_init(&vc_ctx, &vc_page, paddr_init(TEST_GHCB_GPA));
	snp_mock_hv_attach_ghcb(&vc_page, TEST_GHCB_GPA, true);
	memset(fake_text, 0x90, sizeof(fake_text));
	fetch_max = 0;
	fake_cr4 = 0;
	fake_xcr0 = 0x7;
	fake_xss = 0;
	fake_apic_id = 0x2A;
	fake_have_ghcb = true;
	log_count = 0;
	log_line[0] = '\0';
	page_build();
	cfg.ops = &fake_ops;
	cfg.cpuid_page = vc_cpuid_page;
	cfg.cpuid_len = sizeof(vc_cpuid_page);
	cfg.sev_status = 0x30007; /* SEV | SEV-ES | SNP | VmsaRegProt | SMT protection */
	if (vc_init(&cfg) != 0) {
		ktest_report_failure(__FILE__, __LINE__, "vc_init failed");
	}
}

/* A trap frame for a #VC with exit_code at the instruction bytes placed at fake_text. */
static struct trap_frame vc_frame(uint64_t exit_code, const uint8_t *insn, size_t len)
{
	struct trap_frame tf;

	memset(&tf, 0, sizeof(tf));
	memcpy(fake_text, insn, len);
	tf.vector = VC_VECTOR;
	tf.error_code = exit_code;
	tf.rip = (uint64_t)(uintptr_t)fake_text;
	tf.cs = CS_KERNEL;
	return tf;
}

static uint64_t rip0(void)
{
	return (uint64_t)(uintptr_t)fake_text;
}

/* ---- setup ------------------------------------------------------------------------------------ */

KTEST(snp_vc, init_needs_every_op_and_a_sane_page)
{
	struct vc_ops partial = fake_ops;
	struct vc_config cfg = { .ops = &partial, .cpuid_page = vc_cpuid_page,
				 .cpuid_len = sizeof(vc_cpuid_page) };
	struct trap_frame tf;
	static const uint8_t cpuid[] = { 0x0F, 0xA2 };

	vc_setup();
	EXPECT_TRUE(vc_enabled());
	partial.ghcb = NULL;
	EXPECT_EQ(vc_init(&cfg), -1);
	EXPECT_FALSE(vc_enabled());
	tf = vc_frame(VC_EXIT_CPUID, cpuid, sizeof(cpuid));
	EXPECT_EQ(vc_handle(&tf), -VC_ERR_NOT_READY);
	EXPECT_EQ(tf.rip, rip0());

	partial = fake_ops;
	put32(vc_cpuid_page, 65); /* count beyond the 64-entry page */
	EXPECT_EQ(vc_init(&cfg), -1);
	EXPECT_FALSE(vc_enabled());
	cfg.cpuid_len = 16 + 2 * 48; /* the entries do not fit the given length */
	put32(vc_cpuid_page, 3);
	EXPECT_EQ(vc_init(&cfg), -1);
	cfg.cpuid_len = 16 + 3 * 48;
	EXPECT_EQ(vc_init(&cfg), 0);
	EXPECT_TRUE(vc_enabled());
	vc_reset();
}

KTEST(snp_vc, refuses_user_mode_and_other_exit_codes)
{
	static const uint8_t cpuid[] = { 0x0F, 0xA2 };
	struct trap_frame tf;

	vc_setup();
	tf = vc_frame(VC_EXIT_CPUID, cpuid, sizeof(cpuid));
	tf.cs = 0x2B; /* CPL 3 */
	EXPECT_EQ(vc_handle(&tf), -VC_ERR_NOT_KERNEL);
	tf = vc_frame(0x404, cpuid, sizeof(cpuid)); /* page not validated: not emulated */
	EXPECT_EQ(vc_handle(&tf), -VC_ERR_EXIT_CODE);
	EXPECT_EQ(tf.rip, rip0());
	EXPECT_EQ(log_count, 2);
	EXPECT_TRUE(strstr(log_line, "VC_ERR_EXIT_CODE") != NULL);
	EXPECT_TRUE(strstr(log_line, "0x404") != NULL);
	EXPECT_EQ(snp_mock.exit_count, 0);
	vc_reset();
}

/* ---- CPUID ------------------------------------------------------------------------------------ */

/* Runs CPUID(leaf, subleaf) through the handler; returns vc_handle's result. */
static int run_cpuid(uint32_t leaf, uint32_t subleaf, struct trap_frame *tf)
{
	static const uint8_t cpuid[] = { 0x0F, 0xA2 };

	*tf = vc_frame(VC_EXIT_CPUID, cpuid, sizeof(cpuid));
	tf->rax = 0xFFFFFFFF00000000ull | leaf; /* upper halves must not matter or survive */
	tf->rcx = 0xFFFFFFFF00000000ull | subleaf;
	tf->rbx = ~0ull;
	tf->rdx = ~0ull;
	return vc_handle(tf);
}

KTEST(snp_vc, cpuid_from_the_page_without_the_hypervisor)
{
	struct trap_frame tf;

	vc_setup();
	fake_have_ghcb = false; /* CPUID needs no GHCB at all */
	ASSERT_EQ(run_cpuid(0x80000008, 0, &tf), 0);
	EXPECT_EQ(tf.rax, 0x3030);
	EXPECT_EQ(tf.rbx, 0x791EF257);
	EXPECT_EQ(tf.rcx, 0x4007);
	EXPECT_EQ(tf.rdx, 0x10000);
	EXPECT_EQ(tf.rip, rip0() + 2);
	EXPECT_EQ(fetch_max, 2); /* never read beyond the instruction */
	/* Non-indexed leaf: ECX is ignored, whatever ECX_IN the table stored. */
	ASSERT_EQ(run_cpuid(0x80000001, 7, &tf), 0);
	EXPECT_EQ(tf.rcx, 0x75C237FF);
	EXPECT_EQ(snp_mock.exit_count, 0);
	EXPECT_EQ(snp_mock.msr_write_count, 0);
	EXPECT_EQ(log_count, 0);
	vc_reset();
}

KTEST(snp_vc, cpuid_missing_leaves_are_zero_and_fixups_apply_only_in_range)
{
	struct trap_frame tf;

	vc_setup();
	/* Indexed leaf 7, subleaf 1 absent but in range: all zero. */
	ASSERT_EQ(run_cpuid(0x7, 1, &tf), 0);
	EXPECT_EQ(tf.rax | tf.rbx | tf.rcx | tf.rdx, 0);
	EXPECT_EQ(tf.rip, rip0() + 2);
	/* 0xB subleaf 2 absent, in range: zeros, then the fixups (level echo, x2APIC ID). */
	ASSERT_EQ(run_cpuid(0xB, 2, &tf), 0);
	EXPECT_EQ(tf.rax, 0);
	EXPECT_EQ(tf.rbx, 0);
	EXPECT_EQ(tf.rcx, 2);
	EXPECT_EQ(tf.rdx, 0x2A);
	/* 0x8000001E absent, in range: extended APIC ID still filled in. */
	ASSERT_EQ(run_cpuid(0x8000001E, 0, &tf), 0);
	EXPECT_EQ(tf.rax, 0x2A);
	EXPECT_EQ(tf.rbx | tf.rcx | tf.rdx, 0);
	/* Beyond every announced range: all zero, no fixup. */
	ASSERT_EQ(run_cpuid(0x20, 0, &tf), 0);
	EXPECT_EQ(tf.rax | tf.rbx | tf.rcx | tf.rdx, 0);
	ASSERT_EQ(run_cpuid(0x80000022, 0, &tf), 0);
	EXPECT_EQ(tf.rax | tf.rbx | tf.rcx | tf.rdx, 0);
	/* No hypervisor range in the table: 0x40000000 is out of range. */
	ASSERT_EQ(run_cpuid(0x40000000, 0, &tf), 0);
	EXPECT_EQ(tf.rax | tf.rbx | tf.rcx | tf.rdx, 0);
	EXPECT_EQ(snp_mock.exit_count, 0);
	vc_reset();
}

KTEST(snp_vc, cpuid_leaf1_apic_id_and_osxsave)
{
	struct trap_frame tf;

	vc_setup();
	ASSERT_EQ(run_cpuid(0x1, 0, &tf), 0);
	EXPECT_EQ(tf.rbx, 0x2A200800); /* EBX[31:24] = APIC ID, the rest from the page */
	EXPECT_EQ(tf.rcx, 0x76F8320B); /* CR4.OSXSAVE clear: bit 27 cleared */
	EXPECT_EQ(tf.rax, 0x00A10F11);
	EXPECT_EQ(tf.rdx, 0x178BFBFF);
	fake_cr4 = CPUID_EMUL_CR4_OSXSAVE;
	fake_apic_id = 0x1FF; /* only the low 8 bits fit leaf 1 */
	ASSERT_EQ(run_cpuid(0x1, 0, &tf), 0);
	EXPECT_EQ(tf.rbx, 0xFF200800);
	EXPECT_EQ(tf.rcx, 0x76F8320B | (1u << 27));
	vc_reset();
}

KTEST(snp_vc, cpuid_leaf7_ospke_follows_cr4)
{
	struct trap_frame tf;

	vc_setup();
	ASSERT_EQ(run_cpuid(0x7, 0, &tf), 0);
	EXPECT_EQ(tf.rcx, 0x0040068C);
	EXPECT_EQ(tf.rbx, 0x219C97A9);
	fake_cr4 = CPUID_EMUL_CR4_PKE;
	ASSERT_EQ(run_cpuid(0x7, 0, &tf), 0);
	EXPECT_EQ(tf.rcx, 0x0040068C | (1u << 4));
	vc_reset();
}

KTEST(snp_vc, cpuid_topology_leaves_get_the_x2apic_id)
{
	struct trap_frame tf;

	vc_setup();
	fake_apic_id = 0x1234;
	ASSERT_EQ(run_cpuid(0xB, 1, &tf), 0);
	EXPECT_EQ(tf.rax, 4);
	EXPECT_EQ(tf.rbx, 8);
	EXPECT_EQ(tf.rcx, 0x201);
	EXPECT_EQ(tf.rdx, 0x1234);
	ASSERT_EQ(run_cpuid(0x1F, 0, &tf), 0);
	EXPECT_EQ(tf.rcx, 0x100);
	EXPECT_EQ(tf.rdx, 0x1234);
	vc_reset();
}

KTEST(snp_vc, cpuid_xsave_sizes_follow_xcr0_and_xss)
{
	struct trap_frame tf;

	vc_setup();
	/* CR4.OSXSAVE clear: XCR0 counts as 1 (x87 only), XCR0 is not even read. */
	fake_xcr0 = 0xFFFF;
	ASSERT_EQ(run_cpuid(0xD, 0, &tf), 0);
	EXPECT_EQ(tf.rbx, 576);
	EXPECT_EQ(tf.rax, 0x207); /* the other registers come from the XCR0_IN = 1 entry */
	EXPECT_EQ(tf.rcx, 0x988);

	fake_cr4 = CPUID_EMUL_CR4_OSXSAVE;
	fake_xcr0 = 0x7; /* x87 | SSE | AVX */
	ASSERT_EQ(run_cpuid(0xD, 0, &tf), 0);
	EXPECT_EQ(tf.rbx, 576 + 256);
	fake_xcr0 = 0x207; /* + PKRU at 2688: standard format = max(offset + size) */
	ASSERT_EQ(run_cpuid(0xD, 0, &tf), 0);
	EXPECT_EQ(tf.rbx, 2688 + 8);

	/* Compacted (0xD/1): 576 + 256 (AVX) + 8 (PKRU) = 840, CET_U aligned to 896, + 16. */
	fake_xss = 1ull << 11;
	ASSERT_EQ(run_cpuid(0xD, 1, &tf), 0);
	EXPECT_EQ(tf.rbx, 912);
	EXPECT_EQ(tf.rax, 0xF);
	fake_xss = 0;
	ASSERT_EQ(run_cpuid(0xD, 1, &tf), 0);
	EXPECT_EQ(tf.rbx, 840);

	/* Other 0xD subleaves straight from the page. */
	ASSERT_EQ(run_cpuid(0xD, 2, &tf), 0);
	EXPECT_EQ(tf.rax, 0x100);
	EXPECT_EQ(tf.rbx, 0x240);
	EXPECT_EQ(log_count, 0);
	vc_reset();
}

KTEST(snp_vc, cpuid_xsave_size_errors)
{
	struct trap_frame tf;

	vc_setup();
	fake_cr4 = CPUID_EMUL_CR4_OSXSAVE;
	fake_xcr0 = 0x27; /* component 5 (opmask) has no 0xD/5 entry */
	EXPECT_EQ(run_cpuid(0xD, 0, &tf), -VC_ERR_CPUID);
	EXPECT_EQ(tf.rip, rip0());
	EXPECT_EQ(tf.rbx, ~0ull); /* registers untouched */
	EXPECT_EQ(log_count, 1);
	EXPECT_TRUE(strstr(log_line, "leaf 0xd subleaf 0x0") != NULL);

	/* 0xD/1 without XSAVEC/XSAVES in its EAX: the compacted size is undefined. */
	page_add(0x0, 0, 0, 0, 0, 0, 0); /* harmless duplicate: the first 0x0 entry wins */
	put32(vc_cpuid_page + 16 + 7 * 48 + 24, 0x1); /* 0xD/1 EAX: XSAVEOPT only */
	{
		struct vc_config cfg = { .ops = &fake_ops, .cpuid_page = vc_cpuid_page,
					 .cpuid_len = sizeof(vc_cpuid_page) };

		ASSERT_EQ(vc_init(&cfg), 0);
	}
	fake_xcr0 = 0x7;
	EXPECT_EQ(run_cpuid(0xD, 1, &tf), -VC_ERR_CPUID);
	ASSERT_EQ(run_cpuid(0xD, 0, &tf), 0);
	EXPECT_EQ(tf.rbx, 832);
	ASSERT_EQ(run_cpuid(0x0, 0, &tf), 0);
	EXPECT_EQ(tf.rax, 0x1F);
	vc_reset();
}

KTEST(snp_vc, cpuid_needs_the_cpuid_instruction)
{
	static const uint8_t rdtsc[] = { 0x0F, 0x31 };
	static const uint8_t prefixed[] = { 0x66, 0x0F, 0xA2 };
	struct trap_frame tf;

	vc_setup();
	tf = vc_frame(VC_EXIT_CPUID, rdtsc, sizeof(rdtsc));
	EXPECT_EQ(vc_handle(&tf), -VC_ERR_DECODE);
	tf = vc_frame(VC_EXIT_CPUID, prefixed, sizeof(prefixed));
	EXPECT_EQ(vc_handle(&tf), -VC_ERR_DECODE);
	EXPECT_EQ(tf.rip, rip0());
	tf.rip = 0x1000; /* not Bastion text the fetch accepts */
	EXPECT_EQ(vc_handle(&tf), -VC_ERR_FETCH);
	EXPECT_EQ(tf.rip, 0x1000);
	vc_reset();
}

/* ---- IOIO ------------------------------------------------------------------------------------- */

struct io_case {
	uint8_t insn[4];
	unsigned int len;
	bool in;
	unsigned int size;
	bool dx;
};

static const struct io_case io_cases[] = {
	{ { 0xE4, 0x71 }, 2, true, 1, false },        /* in al, 0x71 */
	{ { 0xE5, 0x71 }, 2, true, 4, false },        /* in eax, 0x71 */
	{ { 0x66, 0xE5, 0x71 }, 3, true, 2, false },  /* in ax, 0x71 */
	{ { 0xE6, 0x80 }, 2, false, 1, false },       /* out 0x80, al */
	{ { 0xE7, 0x80 }, 2, false, 4, false },       /* out 0x80, eax */
	{ { 0x66, 0xE7, 0x80 }, 3, false, 2, false }, /* out 0x80, ax */
	{ { 0xEC }, 1, true, 1, true },               /* in al, dx */
	{ { 0xED }, 1, true, 4, true },               /* in eax, dx */
	{ { 0x66, 0xED }, 2, true, 2, true },         /* in ax, dx */
	{ { 0xEE }, 1, false, 1, true },              /* out dx, al */
	{ { 0xEF }, 1, false, 4, true },              /* out dx, eax */
	{ { 0x66, 0xEF }, 2, false, 2, true },        /* out dx, ax */
	{ { 0x66, 0x66, 0xEF }, 3, false, 2, true },  /* redundant prefix */
};

KTEST(snp_vc, ioio_every_form_exact_exit_information)
{
	const uint64_t rax_in = 0x1122334455667788ull;

	for (size_t i = 0; i < sizeof(io_cases) / sizeof(io_cases[0]); i++) {
		const struct io_case *c = &io_cases[i];
		uint16_t port = c->dx ? 0x3F8 : c->insn[c->len - 1];
		uint64_t size_bit = c->size == 1 ? 0x10 : c->size == 2 ? 0x20 : 0x40;
		uint64_t info1 = ((uint64_t)port << 16) | size_bit | 0x200 | (c->in ? 1 : 0);
		const struct snp_mock_exit *e = NULL;
		struct trap_frame tf;
		uint64_t want_rax = 0;

		vc_setup();
		snp_mock.io_in_value = 0xA1B2C3D4u;
		tf = vc_frame(VC_EXIT_IOIO, c->insn, c->len);
		tf.rax = rax_in;
		tf.rdx = 0xFFFF0000000003F8ull; /* only DX is the port */
		ASSERT_EQ(vc_handle(&tf), 0);
		EXPECT_EQ(tf.rip, rip0() + c->len);
		EXPECT_EQ(fetch_max, c->len);
		ASSERT_EQ(snp_mock.exit_count, 1);
		e = snp_mock_hv_last_exit();
		EXPECT_TRUE(e->nae);
		EXPECT_EQ(e->msr, TEST_GHCB_GPA);
		EXPECT_EQ(e->page.save.sw_exit_code, 0x7B);
		EXPECT_EQ(e->page.save.sw_exit_info_1, info1);
		EXPECT_EQ(e->page.save.sw_exit_info_2, 0);
		ASSERT_EQ(snp_mock.io_count, 1);
		EXPECT_EQ(snp_mock.io[0].port, port);
		EXPECT_EQ(snp_mock.io[0].size, c->size);
		EXPECT_EQ(snp_mock.io[0].in, c->in);
		if (c->in) {
			EXPECT_FALSE(ghcb_valid_test(e->page.save.valid_bitmap, GHCB_OFF_RAX));
			if (c->size == 1) {
				want_rax = (rax_in & ~0xFFull) | 0xD4;
			} else if (c->size == 2) {
				want_rax = (rax_in & ~0xFFFFull) | 0xC3D4;
			} else {
				want_rax = 0xA1B2C3D4u; /* 32-bit destination: zero-extended */
			}
			EXPECT_EQ(tf.rax, want_rax);
		} else {
			uint64_t mask = c->size == 4 ? 0xFFFFFFFFull : (1ull << (8 * c->size)) - 1;

			EXPECT_TRUE(ghcb_valid_test(e->page.save.valid_bitmap, GHCB_OFF_RAX));
			EXPECT_EQ(e->page.save.rax, rax_in & mask);
			EXPECT_EQ(snp_mock.io[0].value, rax_in & mask);
			EXPECT_EQ(tf.rax, rax_in);
		}
		EXPECT_EQ(log_count, 0);
		if (log_count != 0) {
			ktest_print("  case %zu: %s\n", i, log_line);
		}
	}
	vc_reset();
}

KTEST(snp_vc, ioio_string_and_rep_are_refused)
{
	static const uint8_t strings[][3] = {
		{ 0x6C }, { 0x6D }, { 0x6E }, { 0x6F }, { 0xF3, 0x6E }, { 0x66, 0xF3, 0x6F },
	};
	static const uint8_t rep_in[] = { 0xF3, 0xEC };
	static const uint8_t repne_out[] = { 0xF2, 0xE6, 0x80 };
	struct trap_frame tf;

	vc_setup();
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		tf = vc_frame(VC_EXIT_IOIO, strings[i], sizeof(strings[i]));
		EXPECT_EQ(vc_handle(&tf), -VC_ERR_IO_STRING);
		EXPECT_EQ(tf.rip, rip0());
	}
	EXPECT_TRUE(strstr(log_line, "INS/OUTS") != NULL);
	tf = vc_frame(VC_EXIT_IOIO, rep_in, sizeof(rep_in));
	EXPECT_EQ(vc_handle(&tf), -VC_ERR_IO_REP);
	tf = vc_frame(VC_EXIT_IOIO, repne_out, sizeof(repne_out));
	EXPECT_EQ(vc_handle(&tf), -VC_ERR_IO_REP);
	EXPECT_EQ(tf.rip, rip0());
	EXPECT_EQ(log_count, 8);
	EXPECT_EQ(snp_mock.exit_count, 0);
	vc_reset();
}

KTEST(snp_vc, ioio_defensive_decoding)
{
	static const uint8_t rex[] = { 0x48, 0xE5, 0x10 };
	static const uint8_t seg[] = { 0x2E, 0xEC };
	static const uint8_t nop[] = { 0x90 };
	uint8_t prefixes[20];
	struct trap_frame tf;

	vc_setup();
	tf = vc_frame(VC_EXIT_IOIO, rex, sizeof(rex));
	EXPECT_EQ(vc_handle(&tf), -VC_ERR_DECODE);
	tf = vc_frame(VC_EXIT_IOIO, seg, sizeof(seg));
	EXPECT_EQ(vc_handle(&tf), -VC_ERR_DECODE);
	tf = vc_frame(VC_EXIT_IOIO, nop, sizeof(nop));
	EXPECT_EQ(vc_handle(&tf), -VC_ERR_DECODE);

	/* 15 prefixes: the opcode would be byte 16, beyond the architectural limit. */
	memset(prefixes, 0x66, sizeof(prefixes));
	prefixes[15] = 0xEC;
	fetch_max = 0;
	tf = vc_frame(VC_EXIT_IOIO, prefixes, sizeof(prefixes));
	EXPECT_EQ(vc_handle(&tf), -VC_ERR_DECODE);
	EXPECT_LE(fetch_max, VC_INSN_MAX);
	/* 14 prefixes + IN imm8: 16 bytes, also too long. */
	prefixes[14] = 0xE4;
	fetch_max = 0;
	tf = vc_frame(VC_EXIT_IOIO, prefixes, sizeof(prefixes));
	EXPECT_EQ(vc_handle(&tf), -VC_ERR_DECODE);
	EXPECT_LE(fetch_max, VC_INSN_MAX);
	/* 13 prefixes + IN imm8 = 15 bytes: accepted. */
	prefixes[13] = 0xE4;
	prefixes[14] = 0x60;
	tf = vc_frame(VC_EXIT_IOIO, prefixes, sizeof(prefixes));
	EXPECT_EQ(vc_handle(&tf), 0);
	EXPECT_EQ(tf.rip, rip0() + 15);

	/* An imm8 beyond readable text. */
	tf = vc_frame(VC_EXIT_IOIO, nop, sizeof(nop));
	fake_text[sizeof(fake_text) - 1] = 0xE4;
	tf.rip = rip0() + sizeof(fake_text) - 1;
	EXPECT_EQ(vc_handle(&tf), -VC_ERR_FETCH);
	EXPECT_EQ(snp_mock.exit_count, 1);
	vc_reset();
}

KTEST(snp_vc, ioio_without_a_ghcb)
{
	static const uint8_t out[] = { 0xEE };
	struct trap_frame tf;

	vc_setup();
	fake_have_ghcb = false;
	tf = vc_frame(VC_EXIT_IOIO, out, sizeof(out));
	EXPECT_EQ(vc_handle(&tf), -VC_ERR_NO_GHCB);
	EXPECT_EQ(tf.rip, rip0());
	EXPECT_EQ(snp_mock.exit_count, 0);
	vc_reset();
}

/* Host answers: SW_EXITINFO1 = script[0], SW_EXITINFO2 = script[1]; script[2] clears RAX valid. */
static void hook_host_error(struct snp_mock_hv *hv, unsigned int exit_index, struct ghcb *page)
{
	(void)exit_index;
	if (hv->script[2] != 0) {
		page->save.valid_bitmap[GHCB_VALID_BIT(GHCB_OFF_RAX) / 8] = 0;
		return;
	}
	page->save.sw_exit_info_1 = hv->script[0];
	page->save.sw_exit_info_2 = hv->script[1];
}

KTEST(snp_vc, ioio_host_errors_are_not_handled)
{
	static const uint8_t in[] = { 0xEC };
	static const uint64_t results[][2] = {
		{ 1, (1ull << 31) | (3ull << 8) | 13 }, /* inject #GP */
		{ 2, GHCB_ERR_INVALID_INPUT },
		{ 3, 0 },                                /* not a defined result */
		{ 0xFFFFFFFF00000002ull, 4 },            /* only bits 31:0 count: still an error */
	};
	struct trap_frame tf;

	for (size_t i = 0; i < sizeof(results) / sizeof(results[0]); i++) {
		vc_setup();
		snp_mock.nae_hook = hook_host_error;
		snp_mock.script[0] = results[i][0];
		snp_mock.script[1] = results[i][1];
		tf = vc_frame(VC_EXIT_IOIO, in, sizeof(in));
		tf.rax = 0x55;
		EXPECT_EQ(vc_handle(&tf), -VC_ERR_GHCB);
		EXPECT_EQ(tf.rip, rip0());
		EXPECT_EQ(tf.rax, 0x55);
		EXPECT_EQ(log_count, 1);
		EXPECT_TRUE(strstr(log_line, "IN: SNP_ERR_HV_") != NULL);
	}
	vc_setup();
	snp_mock.nae_hook = hook_host_error;
	snp_mock.script[2] = 1;
	tf = vc_frame(VC_EXIT_IOIO, in, sizeof(in));
	EXPECT_EQ(vc_handle(&tf), -VC_ERR_GHCB);
	EXPECT_TRUE(strstr(log_line, "SNP_ERR_HV_MISSING_VALID") != NULL);
	vc_reset();
}

/* ---- MSR -------------------------------------------------------------------------------------- */

static const uint8_t insn_rdmsr[] = { 0x0F, 0x32 };
static const uint8_t insn_wrmsr[] = { 0x0F, 0x30 };

KTEST(snp_vc, rdmsr_through_the_msr_nae)
{
	const struct snp_mock_exit *e = NULL;
	struct trap_frame tf;

	vc_setup();
	snp_mock.msr_value = 0xFEE00900ull | (0x12ull << 32);
	tf = vc_frame(VC_EXIT_MSR, insn_rdmsr, sizeof(insn_rdmsr));
	tf.rcx = 0xFFFFFFFF0000001Bull; /* ECX is the MSR number */
	tf.rax = ~0ull;
	tf.rdx = ~0ull;
	ASSERT_EQ(vc_handle(&tf), 0);
	EXPECT_EQ(tf.rip, rip0() + 2);
	EXPECT_EQ(tf.rax, 0xFEE00900ull);
	EXPECT_EQ(tf.rdx, 0x12);
	e = snp_mock_hv_last_exit();
	EXPECT_EQ(e->page.save.sw_exit_code, 0x7C);
	EXPECT_EQ(e->page.save.sw_exit_info_1, 0);
	EXPECT_EQ(e->page.save.sw_exit_info_2, 0);
	EXPECT_EQ(e->page.save.rcx, 0x1B);
	EXPECT_EQ(snp_mock_hv_valid_count(e->page.save.valid_bitmap), 4);
	EXPECT_TRUE(ghcb_valid_test(e->page.save.valid_bitmap, GHCB_OFF_RCX));
	ASSERT_EQ(snp_mock.msr_nae_count, 1);
	EXPECT_EQ(snp_mock.msr_naes[0].msr, 0x1B);
	EXPECT_FALSE(snp_mock.msr_naes[0].write);
	vc_reset();
}

KTEST(snp_vc, wrmsr_through_the_msr_nae)
{
	const struct snp_mock_exit *e = NULL;
	struct trap_frame tf;

	vc_setup();
	tf = vc_frame(VC_EXIT_MSR, insn_wrmsr, sizeof(insn_wrmsr));
	tf.rcx = 0x830;                   /* x2APIC ICR */
	tf.rax = 0xAAAAAAAA000C4500ull;   /* only EAX counts */
	tf.rdx = 0xBBBBBBBB00000003ull;   /* only EDX counts */
	ASSERT_EQ(vc_handle(&tf), 0);
	EXPECT_EQ(tf.rip, rip0() + 2);
	EXPECT_EQ(tf.rax, 0xAAAAAAAA000C4500ull); /* WRMSR changes no register */
	EXPECT_EQ(tf.rdx, 0xBBBBBBBB00000003ull);
	e = snp_mock_hv_last_exit();
	EXPECT_EQ(e->page.save.sw_exit_code, 0x7C);
	EXPECT_EQ(e->page.save.sw_exit_info_1, 1);
	EXPECT_EQ(e->page.save.rcx, 0x830);
	EXPECT_EQ(e->page.save.rax, 0x000C4500);
	EXPECT_EQ(e->page.save.rdx, 3);
	EXPECT_EQ(snp_mock_hv_valid_count(e->page.save.valid_bitmap), 6);
	ASSERT_EQ(snp_mock.msr_nae_count, 1);
	EXPECT_TRUE(snp_mock.msr_naes[0].write);
	EXPECT_EQ(snp_mock.msr_naes[0].value, 0x3000C4500ull);
	vc_reset();
}

KTEST(snp_vc, sev_status_comes_from_the_cached_value)
{
	struct trap_frame tf;

	vc_setup();
	tf = vc_frame(VC_EXIT_MSR, insn_rdmsr, sizeof(insn_rdmsr));
	tf.rcx = MSR_SEV_STATUS;
	ASSERT_EQ(vc_handle(&tf), 0);
	EXPECT_EQ(tf.rax, 0x30007);
	EXPECT_EQ(tf.rdx, 0);
	EXPECT_EQ(tf.rip, rip0() + 2);
	EXPECT_EQ(snp_mock.exit_count, 0);
	vc_reset();
}

KTEST(snp_vc, refused_msrs_panic_and_reach_no_host)
{
	struct trap_frame tf;

	vc_setup();
	tf = vc_frame(VC_EXIT_MSR, insn_rdmsr, sizeof(insn_rdmsr));
	tf.rcx = MSR_SEV_ES_GHCB;
	EXPECT_PANIC(vc_handle(&tf));
	EXPECT_TRUE(strstr(host_panic_message, "0xc0010130") != NULL);
	tf = vc_frame(VC_EXIT_MSR, insn_wrmsr, sizeof(insn_wrmsr));
	tf.rcx = MSR_SEV_STATUS;
	EXPECT_PANIC(vc_handle(&tf));
	EXPECT_TRUE(strstr(host_panic_message, "SEV_STATUS") != NULL);
	tf = vc_frame(VC_EXIT_MSR, insn_rdmsr, sizeof(insn_rdmsr));
	tf.rcx = 0x1A0; /* IA32_MISC_ENABLE: not on the list */
	EXPECT_PANIC(vc_handle(&tf));
	EXPECT_TRUE(strstr(host_panic_message, "RDMSR of MSR 0x1a0") != NULL);
	tf = vc_frame(VC_EXIT_MSR, insn_wrmsr, sizeof(insn_wrmsr));
	tf.rcx = 0x1B; /* APIC base: read-only on the list */
	EXPECT_PANIC(vc_handle(&tf));
	EXPECT_TRUE(strstr(host_panic_message, "WRMSR of MSR 0x1b") != NULL);
	tf = vc_frame(VC_EXIT_MSR, insn_rdmsr, sizeof(insn_rdmsr));
	tf.rcx = 0x80B; /* x2APIC EOI: write-only */
	EXPECT_PANIC(vc_handle(&tf));
	EXPECT_EQ(snp_mock.exit_count, 0);
	EXPECT_EQ(snp_mock.msr_write_count, 0);
	vc_reset();
}

KTEST(snp_vc, msr_allowlist)
{
	EXPECT_TRUE(vc_msr_allowed(0x10, false));
	EXPECT_FALSE(vc_msr_allowed(0x10, true));
	EXPECT_TRUE(vc_msr_allowed(0x802, false));
	EXPECT_TRUE(vc_msr_allowed(0x830, true));
	EXPECT_TRUE(vc_msr_allowed(0x80B, true));
	EXPECT_TRUE(vc_msr_allowed(0x6E0, true));
	EXPECT_FALSE(vc_msr_allowed(MSR_SEV_ES_GHCB, false));
	EXPECT_FALSE(vc_msr_allowed(MSR_SEV_STATUS, false));
	EXPECT_FALSE(vc_msr_allowed(0xC0000080, true)); /* EFER */
}

KTEST(snp_vc, msr_decode_and_host_errors)
{
	static const uint8_t rdtsc[] = { 0x0F, 0x31 };
	static const uint8_t rex_rdmsr[] = { 0x48, 0x0F, 0x32 };
	struct trap_frame tf;

	vc_setup();
	tf = vc_frame(VC_EXIT_MSR, rdtsc, sizeof(rdtsc));
	tf.rcx = 0x10;
	EXPECT_EQ(vc_handle(&tf), -VC_ERR_DECODE);
	tf = vc_frame(VC_EXIT_MSR, rex_rdmsr, sizeof(rex_rdmsr));
	tf.rcx = 0x10;
	EXPECT_EQ(vc_handle(&tf), -VC_ERR_DECODE);
	EXPECT_EQ(snp_mock.exit_count, 0);

	snp_mock.nae_hook = hook_host_error;
	snp_mock.script[0] = 1; /* the host wants a #GP injected */
	snp_mock.script[1] = (1ull << 31) | (1ull << 11) | (3ull << 8) | 13;
	tf = vc_frame(VC_EXIT_MSR, insn_rdmsr, sizeof(insn_rdmsr));
	tf.rcx = 0x10;
	tf.rax = 0x77;
	EXPECT_EQ(vc_handle(&tf), -VC_ERR_GHCB);
	EXPECT_EQ(tf.rax, 0x77);
	EXPECT_EQ(tf.rip, rip0());
	EXPECT_TRUE(strstr(log_line, "RDMSR: SNP_ERR_HV_EXCEPTION") != NULL);
	tf = vc_frame(VC_EXIT_MSR, insn_wrmsr, sizeof(insn_wrmsr));
	tf.rcx = 0x6E0;
	snp_mock.script[0] = 2;
	snp_mock.script[1] = GHCB_ERR_INVALID_INPUT;
	EXPECT_EQ(vc_handle(&tf), -VC_ERR_GHCB);
	EXPECT_TRUE(strstr(log_line, "WRMSR: SNP_ERR_HV_ERROR") != NULL);

	fake_have_ghcb = false;
	EXPECT_EQ(vc_handle(&tf), -VC_ERR_NO_GHCB);
	vc_reset();
}

KTEST(snp_vc, reason_names)
{
	EXPECT_STREQ(vc_reason_name(0), "VC_OK");
	EXPECT_STREQ(vc_reason_name(-VC_ERR_IO_STRING), "VC_ERR_IO_STRING");
	EXPECT_STREQ(vc_reason_name(VC_ERR_GHCB), "VC_ERR_GHCB");
	EXPECT_STREQ(vc_reason_name(-VC_REASON_COUNT), "VC_ERR_?");
	EXPECT_STREQ(vc_reason_name(1000), "VC_ERR_?");
	for (int r = 0; r < VC_REASON_COUNT; r++) {
		EXPECT_TRUE(strncmp(vc_reason_name(r), "VC_", 3) == 0);
	}
}

KTEST(snp_vc, after_a_failure_broken_port_io_is_dropped_not_recursed)
{
	static const uint8_t in_al[] = { 0xEC };
	static const uint8_t in_eax[] = { 0xE5, 0x60 };
	static const uint8_t out_ax[] = { 0x66, 0xEF };
	struct trap_frame tf;

	vc_setup();
	snp_mock.nae_hook = hook_host_error;
	snp_mock.script[0] = 2;
	snp_mock.script[1] = GHCB_ERR_INVALID_INPUT;
	tf = vc_frame(VC_EXIT_IOIO, in_al, sizeof(in_al));
	EXPECT_EQ(vc_handle(&tf), -VC_ERR_GHCB); /* the first failure is reported */
	EXPECT_EQ(log_count, 1);

	/* The report's own console output: dropped, the VM proceeds to its termination. */
	tf = vc_frame(VC_EXIT_IOIO, in_al, sizeof(in_al));
	tf.rax = 0x1234;
	EXPECT_EQ(vc_handle(&tf), 0);
	EXPECT_EQ(tf.rax, 0x12FF);
	EXPECT_EQ(tf.rip, rip0() + 1);
	tf = vc_frame(VC_EXIT_IOIO, in_eax, sizeof(in_eax));
	tf.rax = 0xAAAAAAAA00000000ull;
	EXPECT_EQ(vc_handle(&tf), 0);
	EXPECT_EQ(tf.rax, 0xFFFFFFFFull);
	EXPECT_EQ(tf.rip, rip0() + 2);
	tf = vc_frame(VC_EXIT_IOIO, out_ax, sizeof(out_ax));
	tf.rax = 0x5555;
	EXPECT_EQ(vc_handle(&tf), 0);
	EXPECT_EQ(tf.rax, 0x5555);
	EXPECT_EQ(tf.rip, rip0() + 2);
	fake_have_ghcb = false;
	tf = vc_frame(VC_EXIT_IOIO, out_ax, sizeof(out_ax));
	EXPECT_EQ(vc_handle(&tf), 0);
	EXPECT_EQ(tf.rip, rip0() + 2);
	EXPECT_EQ(log_count, 1); /* nothing more logged */

	/* Port I/O that works still goes to the host, and other failures still fail. */
	fake_have_ghcb = true;
	snp_mock.nae_hook = NULL;
	snp_mock.io_in_value = 0x42;
	tf = vc_frame(VC_EXIT_IOIO, in_al, sizeof(in_al));
	EXPECT_EQ(vc_handle(&tf), 0);
	EXPECT_EQ(tf.rax, 0x42);
	tf = vc_frame(VC_EXIT_IOIO, in_al, sizeof(in_al));
	fake_text[0] = 0x6C;
	EXPECT_EQ(vc_handle(&tf), -VC_ERR_IO_STRING);
	vc_reset();
}
