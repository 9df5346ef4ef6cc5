/*
 * Native platform: SVM with nested paging (AMD APM vol 2, chapter 15).
 */
#include "arch/x86/svm/svm.h"

#include "arch/x86/cpu.h"
#include "arch/x86/qemu_exit.h"
#include "arch/x86/svm/fwcfg_virt.h"
#include "arch/x86/svm/insn_len.h"
#include "arch/x86/svm/msr_emul.h"
#include "arch/x86/svm/vmcb.h"
#include "mm/guest_mem.h"
#include "mm/tempmap.h"
#include "kernel/firmware.h"
#include "kernel/image_layout.h"
#include "kernel/log.h"
#include "kernel/native_report.h"
#include "kernel/panic.h"
#include "kernel/string.h"
#include "mm/mm.h"
#include "mm/page_alloc.h"
#include "mm/page_state.h"
#include "mm/pgtable.h"
#include "mm/slab.h"
#include "protocols/core_backend.h"
#include "kernel/boot_params.h"

#define MSR_VM_HSAVE_PA 0xC0010117u
#define GHCB_MSR_RUN_VMPL_REQ 0x016ull
#define GHCB_MSR_RUN_VMPL_RESP 0x017ull
#define GHCB_MSR_INFO_MASK 0xFFFull

/* CPUID Fn8000_0001 ECX bit 2 SVM; Fn8000_000A EDX bit 0 NP, bit 3 NRIPS. */
#define CPUID_SVM (1u << 2)
#define CPUID_SVM_NP (1u << 0)
#define CPUID_SVM_NRIPS (1u << 3)

struct svm_gprs {
	uint64_t rbx;
	uint64_t rcx;
	uint64_t rdx;
	uint64_t rsi;
	uint64_t rdi;
	uint64_t rbp;
	uint64_t r8;
	uint64_t r9;
	uint64_t r10;
	uint64_t r11;
	uint64_t r12;
	uint64_t r13;
	uint64_t r14;
	uint64_t r15;
};

_Static_assert(sizeof(struct svm_gprs) == 14 * 8, "vmrun.asm G_* offsets");

struct platform_vcpu {
	struct vmcb *vmcb;
	struct vmsa *vmsa;
	struct svm_gprs gprs;
	struct msr_emul_state msr;
	bool stopped;
	struct svm_stop_info stop;
};

void svm_vmrun(uint64_t vmcb_pa, uint64_t host_save_pa, struct svm_gprs *gprs);

static struct pgtable svm_npt;
static bool svm_has_nrips;
static void *svm_iopm;
static void *svm_msrpm;
static void *svm_host_save;
static void *svm_hsave;

static uint64_t va_to_pa(const void *va)
{
	return paddr_get(page_pool_va_to_pa(page_alloc_kernel_pool(), va));
}

#define CR0_PG_BIT (1ull << 31)
#define EFER_LMA_BIT (1ull << 10)
#define VMSA_CS_L (1u << 9) /* compressed attribute: descriptor bit 53 (L) */
#define GPTE_PRESENT 1ull
#define GPTE_LARGE (1ull << 7)
#define GPTE_ADDR 0x000FFFFFFFFFF000ull

/*
 * Translates a guest linear address to a guest-physical one: identity without paging, a
 * 4-level walk in long mode (entries read through guest_mem, so a guest pointing its tables
 * at Bastion's memory only gets a refusal). Legacy 32-bit paging is not needed by any guest
 * Bastion runs and is refused.
 */
static bool guest_linear_to_gpa(const struct vmsa *s, uint64_t linear, uint64_t *gpa)
{
	uint64_t table = s->cr3 & GPTE_ADDR;

	if ((s->cr0 & CR0_PG_BIT) == 0) {
		*gpa = linear & 0xFFFFFFFFull;
		return true;
	}
	if ((s->efer & EFER_LMA_BIT) == 0) {
		return false;
	}
	for (int level = 4; level >= 1; level--) {
		unsigned int index = (unsigned int)((linear >> (12 + 9 * (level - 1))) & 511);
		uint64_t e = 0;

		if (guest_copy_from(gpa_init(table + index * 8ull), &e, sizeof(e)) != GUEST_MEM_OK ||
		    (e & GPTE_PRESENT) == 0) {
			return false;
		}
		if ((level == 3 || level == 2) && (e & GPTE_LARGE) != 0) {
			uint64_t page_mask = (1ull << (12 + 9 * (level - 1))) - 1;

			*gpa = (e & GPTE_ADDR & ~page_mask) | (linear & page_mask);
			return true;
		}
		table = e & GPTE_ADDR;
	}
	*gpa = table | (linear & PAGE_MASK);
	return true;
}

/*
 * Reads guest bytes that may be code: guest RAM through guest_mem, the firmware image (which
 * is not guest RAM, and may be backed by a staging copy) through its backing pages.
 */
static bool guest_read_code(uint64_t gpa, uint8_t *dst, size_t len)
{
	const struct firmware_image *fw = firmware_image();

	if (fw->present && gpa >= fw->gpa && len <= fw->gpa + fw->size - gpa) {
		uint64_t off = gpa - fw->gpa;
		const uint8_t *page = tempmap_map(paddr_init((fw->backing + off) & ~PAGE_MASK),
						  PAGE_SIZE, 0);

		if (page == NULL || (off & PAGE_MASK) + len > PAGE_SIZE) {
			if (page != NULL) {
				tempmap_unmap((void *)(uintptr_t)page);
			}
			return false;
		}
		memcpy(dst, page + (off & PAGE_MASK), len);
		tempmap_unmap((void *)(uintptr_t)page);
		return true;
	}
	return guest_copy_from(gpa_init(gpa), dst, len) == GUEST_MEM_OK;
}

/* Reads up to 15 instruction bytes at the guest's CS:RIP. Returns the count read (0: none). */
static size_t guest_fetch(const struct vmsa *s, uint8_t *bytes, size_t max)
{
	int long_mode = (s->efer & EFER_LMA_BIT) != 0 && (s->cs.attrib & VMSA_CS_L) != 0;
	uint64_t linear = (long_mode ? 0 : s->cs.base) + s->rip;
	size_t got = 0;

	while (got < max) {
		uint64_t gpa = 0;
		size_t chunk = (size_t)(PAGE_SIZE - ((linear + got) & PAGE_MASK));

		if (chunk > max - got) {
			chunk = max - got;
		}
		if (!guest_linear_to_gpa(s, linear + got, &gpa) ||
		    !guest_read_code(gpa, bytes + got, chunk)) {
			break;
		}
		got += chunk;
	}
	return got;
}

bool svm_supported(void)
{
	struct cpuid_regs ext = cpu_cpuid(0x80000000u, 0);

	if (ext.eax < 0x8000000Au || (cpu_cpuid(0x80000001u, 0).ecx & CPUID_SVM) == 0) {
		return false;
	}
	ext = cpu_cpuid(0x8000000Au, 0);
	LOG_VERBOSE("SVM features: CPUID 0x8000000A EDX 0x%x", ext.edx);
	/* Without NRIPS (QEMU's TCG) Bastion decodes the few instructions it steps over. */
	svm_has_nrips = (ext.edx & CPUID_SVM_NRIPS) != 0;
	return (ext.edx & CPUID_SVM_NP) != 0;
}

/* Maps [base, base + size) of guest RAM for the guest where the ledger says it is the guest's. */
static int npt_map_guest_range(uint64_t base, uint64_t size)
{
	const struct page_state_match guest_owned = { .mask = PAGE_STATE_OWNER_MASK,
						       .value = PS_OWNER_GUEST };
	struct page_state *ps = mm_page_state();
	uint64_t end = base + size;

	while (base < end) {
		uint64_t step = PAGE_SIZE;

		if (addr_is_aligned(base, HUGE_PAGE_SIZE) && end - base >= HUGE_PAGE_SIZE &&
		    page_state_range_all(ps, gpa_init(base), HUGE_PAGE_SIZE, guest_owned, NULL) ==
			    PS_OK) {
			step = HUGE_PAGE_SIZE;
		} else if (page_state_range_all(ps, gpa_init(base), PAGE_SIZE, guest_owned, NULL) !=
			   PS_OK) {
			base += PAGE_SIZE;
			continue;
		}
		if (pgtable_map(&svm_npt, vaddr_init(base), paddr_init(base), step,
				PGTABLE_READ | PGTABLE_WRITE | PGTABLE_EXEC, 0) != PGTABLE_OK) {
			return -1;
		}
		base += step;
	}
	return 0;
}

/*
 * Ports a native guest may not touch directly: QEMU's isa-debug-exit (ends the VM; a write to
 * its first port is handled by handle_ioio: Bastion logs it and ends the VM itself), the reset
 * control register 0xCF9, system control port A 0x92 (fast reset), and the 8042 controller
 * (its command 0xFE pulses the CPU's reset line). Otherwise they behave like absent hardware.
 */
static bool svm_port_denied(uint16_t port)
{
	return (port >= 0xF4 && port <= 0xF7) || port == 0xCF9 || port == 0x92 || port == 0x60 ||
	       port == 0x64;
}

/* Performs a non-string IN/OUT of bytes at port for the guest, on the real hardware. */
static void io_forward(struct vmsa *s, uint16_t port, unsigned int bytes, bool in)
{
	uint64_t mask = bytes == 4 ? 0xFFFFFFFFull : (1ull << (8 * bytes)) - 1;
	uint64_t value = 0;

	if (!in) {
		if (bytes == 1) {
			cpu_outb(port, (uint8_t)s->rax);
		} else if (bytes == 2) {
			cpu_outw(port, (uint16_t)s->rax);
		} else {
			cpu_outl(port, (uint32_t)s->rax);
		}
		return;
	}
	value = bytes == 1 ? cpu_inb(port) : bytes == 2 ? cpu_inw(port) : cpu_inl(port);
	s->rax = (s->rax & ~mask) | (value & mask);
}

#define RFLAGS_DF (1ull << 10)
#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71

/*
 * The CMOS memory-size bytes, like fw_cfg's e820, must not describe Bastion's region:
 * 0x30/0x31 extended memory above 1 MiB in KiB (max 63 MiB), 0x34/0x35 memory above 16 MiB
 * below 4 GiB in 64 KiB units (both the layout SeaBIOS and OVMF read). Other bytes pass
 * through. Returns true and sets *value for a virtualized index.
 */
static bool cmos_virtual(uint8_t index, uint8_t *value)
{
	uint64_t ext_kib = (BASTION_REGION_GPA - 0x100000ull) >> 10;
	uint64_t above16 = (BASTION_REGION_GPA - 0x1000000ull) >> 16;

	if (ext_kib > 0xFC00) {
		ext_kib = 0xFC00;
	}
	switch (index) {
	case 0x30:
	case 0x17:
		*value = (uint8_t)ext_kib;
		return true;
	case 0x31:
	case 0x18:
		*value = (uint8_t)(ext_kib >> 8);
		return true;
	case 0x34:
		*value = (uint8_t)above16;
		return true;
	case 0x35:
		*value = (uint8_t)(above16 >> 8);
		return true;
	default:
		return false;
	}
}

static uint8_t cmos_index;

static bool handle_cmos(struct platform_vcpu *v, uint16_t port, unsigned int bytes, bool in)
{
	struct vmsa *s = v->vmsa;
	uint8_t value = 0;

	if (bytes != 1) {
		return false;
	}
	if (port == CMOS_INDEX && !in) {
		cmos_index = (uint8_t)s->rax;
		cpu_outb(CMOS_INDEX, cmos_index);
	} else if (port == CMOS_DATA && in && cmos_virtual(cmos_index & 0x7F, &value)) {
		s->rax = (s->rax & ~0xFFull) | value;
	} else {
		io_forward(s, port, bytes, in);
	}
	s->rip = v->vmcb->control.exit_info_2;
	return true;
}

/* REP INSB from the fw_cfg data port into guest memory at ES:rDI (APM 15.10.2: EXITINFO1
 * bit 3 REP, bits 9:7 address size). Returns false if the guest's buffer is unusable. */
static bool fwcfg_ins(struct platform_vcpu *v, uint64_t info)
{
	struct vmsa *s = v->vmsa;
	uint64_t mask = (info & (1u << 9)) ? ~0ull : (info & (1u << 8)) ? 0xFFFFFFFFull : 0xFFFFull;
	uint64_t count = (info & (1u << 3)) ? (s->rcx & mask) : 1;
	uint8_t buf[256];

	if ((s->rflags & RFLAGS_DF) != 0) {
		return false;
	}
	while (count > 0) {
		uint64_t linear = s->es.base + (s->rdi & mask);
		uint64_t gpa = 0;
		size_t n = (size_t)(PAGE_SIZE - (linear & PAGE_MASK));

		if (n > sizeof(buf)) {
			n = sizeof(buf);
		}
		if (n > count) {
			n = (size_t)count;
		}
		for (size_t i = 0; i < n; i++) {
			buf[i] = fwcfg_virt_read_byte();
		}
		if (!guest_linear_to_gpa(s, linear, &gpa) ||
		    guest_copy_to(gpa_init(gpa), buf, n) != GUEST_MEM_OK) {
			return false;
		}
		s->rdi = (s->rdi & ~mask) | ((s->rdi + n) & mask);
		count -= n;
		if ((info & (1u << 3)) != 0) {
			s->rcx = (s->rcx & ~mask) | ((s->rcx - n) & mask);
		}
	}
	return true;
}

/* Guest access to the fw_cfg ports, through fwcfg_virt.c. */
static bool handle_fwcfg(struct platform_vcpu *v, uint64_t info, uint16_t port,
			 unsigned int bytes, bool in)
{
	struct vmsa *s = v->vmsa;

	if ((info & (1u << 2)) != 0) {
		if (!in || port != FWCFG_PORT_FIRST + 1 || bytes != 1 || !fwcfg_ins(v, info)) {
			return false;
		}
	} else if (port == FWCFG_PORT_FIRST && !in) {
		fwcfg_virt_select((uint16_t)s->rax);
	} else if (port == FWCFG_PORT_FIRST + 1 && in) {
		uint64_t value = 0;

		for (unsigned int i = 0; i < bytes; i++) {
			value |= (uint64_t)fwcfg_virt_read_byte() << (8 * i);
		}
		s->rax = (s->rax & ~((bytes == 4) ? 0xFFFFFFFFull : (1ull << (8 * bytes)) - 1)) | value;
	} else if (in) {
		s->rax |= (bytes == 4) ? 0xFFFFFFFFull : (1ull << (8 * bytes)) - 1; /* DMA: absent */
	}
	s->rip = v->vmcb->control.exit_info_2;
	return true;
}

/*
 * An intercepted IN/OUT (APM 15.10.2: EXITINFO1 bit 0 IN, bit 2 string, bits 6:4 size,
 * 31:16 port; EXITINFO2 the next RIP). The IOPM intercepts a wide access that merely
 * overlaps a denied port (a 32-bit access to 0xCF8 covers 0xCF9): such an access is carried
 * out for the guest. An access that starts at a denied port reads all ones and writes
 * nothing, like absent hardware.
 */
static bool handle_ioio(struct platform_vcpu *v)
{
	uint64_t info = v->vmcb->control.exit_info_1;
	uint16_t port = (uint16_t)(info >> 16);
	unsigned int bytes = (info & (1u << 4)) ? 1 : (info & (1u << 5)) ? 2 : 4;
	bool in = (info & 1u) != 0;

	if (port >= FWCFG_PORT_FIRST && port <= FWCFG_PORT_LAST) {
		return handle_fwcfg(v, info, port, bytes, in);
	}
	if ((port == CMOS_INDEX || port == CMOS_DATA) && (info & (1u << 2)) == 0) {
		return handle_cmos(v, port, bytes, in);
	}
	if ((info & (1u << 2)) != 0) {
		return false; /* string I/O is only emulated for fw_cfg */
	}
	if (port == BASTION_QEMU_EXIT_PORT && !in) {
		/* The guest powers the VM off with a status (tests/guest/conformance uses it). It
		 * could power off through ACPI anyway; this way the status survives. */
		uint32_t value = (uint32_t)(v->vmsa->rax & (bytes == 4 ? 0xFFFFFFFFu : (1u << (8 * bytes)) - 1));

		LOG_INFO("guest ends the VM through isa-debug-exit (value 0x%x)", value);
		arch_qemu_exit_value(value);
	}
	if (svm_port_denied(port)) {
		if (in) {
			uint64_t ones = bytes == 4 ? 0xFFFFFFFFull : (1ull << (8 * bytes)) - 1;

			v->vmsa->rax |= ones;
		}
		LOG_VERBOSE("guest %s port 0x%x denied", in ? "read of" : "write to", port);
	} else {
		io_forward(v->vmsa, port, bytes, in);
	}
	v->vmsa->rip = v->vmcb->control.exit_info_2;
	return true;
}

/*
 * Device memory below 4 GiB (q35: the PCI hole from the end of low RAM, with the ECAM window,
 * the IOAPIC, HPET and local APIC) is passed through to the guest, except the firmware
 * image's own range. Bastion's region is RAM, never in this range.
 */
static int npt_map_mmio(const struct boot_memmap *map)
{
	const struct firmware_image *fw = firmware_image();
	uint64_t start = 0;
	uint64_t end = fw->present ? fw->gpa : 0x100000000ull;

	for (size_t i = 0; i < map->count; i++) {
		uint64_t r_end = map->ranges[i].base + map->ranges[i].size;

		if (r_end <= 0x100000000ull && r_end > start) {
			start = r_end;
		}
	}
	start = (start + PAGE_MASK) & ~PAGE_MASK;
	if (start >= end) {
		return 0;
	}
	return pgtable_map_range(&svm_npt, vaddr_init(start), paddr_init(start), end - start,
				 PGTABLE_READ | PGTABLE_WRITE, 0, true) == PGTABLE_OK
		       ? 0
		       : -1;
}

static int svm_guest_memory_init(void)
{
	struct page_pool *pool = page_alloc_kernel_pool();
	const struct boot_memmap *map = boot_params_memmap();

	if (pgtable_init_nested(&svm_npt, pool, 0) != PGTABLE_OK) {
		return -1;
	}
	for (size_t i = 0; i < map->count; i++) {
		if (map->ranges[i].type == BOOT_MEM_RAM &&
		    npt_map_guest_range(map->ranges[i].base, map->ranges[i].size) != 0) {
			pgtable_destroy(&svm_npt);
			return -1;
		}
	}
	/* The firmware image appears at its own addresses below 4 GiB, whatever backs it (itself,
	 * or igvmload's staging copy, which the guest cannot see elsewhere). It is writable: OVMF
	 * probes its flash by writing to it, and a copy the guest changes harms only the guest
	 * (Bastion checked the bytes before the guest ran). */
	if (firmware_image()->present) {
		const struct firmware_image *fw = firmware_image();

		if (pgtable_map_range(&svm_npt, vaddr_init(fw->gpa), paddr_init(fw->backing), fw->size,
				      PGTABLE_READ | PGTABLE_WRITE | PGTABLE_EXEC, 0, true) !=
		    PGTABLE_OK) {
			pgtable_destroy(&svm_npt);
			return -1;
		}
	}
	if (npt_map_mmio(map) != 0) {
		pgtable_destroy(&svm_npt);
		return -1;
	}
	/* Intercept every I/O port and every MSR: the guest reaches no device and no MSR that
	 * Bastion has not decided to let it reach. */
	svm_iopm = page_alloc_pages(pool, SVM_IOPM_SIZE / PAGE_SIZE, 0);
	svm_msrpm = page_alloc_pages(pool, SVM_MSRPM_SIZE / PAGE_SIZE, 0);
	svm_host_save = page_alloc(pool, 0, PAGE_ALLOC_ZERO);
	svm_hsave = page_alloc(pool, 0, PAGE_ALLOC_ZERO);
	if (svm_iopm == NULL || svm_msrpm == NULL || svm_host_save == NULL || svm_hsave == NULL) {
		return -1;
	}
	(void)fwcfg_virt_init(); /* without fw_cfg the guest sees an absent device */
	/* Ports the guest reaches directly: all but the ones that could end or reset the VM or
	 * the CPU Bastion runs on (see svm_port_denied); those exit and act as absent hardware. */
	memset(svm_iopm, 0, SVM_IOPM_SIZE);
	for (uint32_t port = 0; port < 0x10000; port++) {
		if (svm_port_denied((uint16_t)port) || port == 0x70 || port == 0x71 ||
		    (port >= FWCFG_PORT_FIRST && port <= FWCFG_PORT_LAST)) {
			((uint8_t *)svm_iopm)[port / 8] |= (uint8_t)(1u << (port % 8));
		}
	}
	memset(svm_msrpm, 0xFF, SVM_MSRPM_SIZE);
	cpu_wrmsr(MSR_EFER, cpu_rdmsr(MSR_EFER) | EFER_SVME);
	cpu_wrmsr(MSR_VM_HSAVE_PA, va_to_pa(svm_hsave));
	LOG_INFO("native platform: SVM on, nested page tables %lu pages", svm_npt.table_pages);
	return 0;
}

static struct platform_vcpu *svm_vcpu_create(void)
{
	struct page_pool *pool = page_alloc_kernel_pool();
	struct platform_vcpu *v = kzalloc(sizeof(*v));
	struct vmcb_control *c = NULL;

	if (v == NULL) {
		return NULL;
	}
	v->vmcb = page_alloc(pool, 0, PAGE_ALLOC_ZERO);
	v->vmsa = page_alloc(pool, 0, PAGE_ALLOC_ZERO);
	if (v->vmcb == NULL || v->vmsa == NULL) {
		if (v->vmcb != NULL) {
			page_free(pool, v->vmcb, 0);
		}
		if (v->vmsa != NULL) {
			page_free(pool, v->vmsa, 0);
		}
		kfree(v);
		return NULL;
	}
	c = &v->vmcb->control;
	/* Physical interrupts are not intercepted and V_INTR_MASKING is 0: with one CPU, the
	 * guest owns the interrupt controllers, and an interrupt that arrives while Bastion runs
	 * (IF = 0) waits until the next VMRUN and goes to the guest's IDT (APM 15.21.1). */
	c->intercept_misc1 = VMCB_INTERCEPT_NMI | VMCB_INTERCEPT_SMI |
			     VMCB_INTERCEPT_INIT | VMCB_INTERCEPT_INVD | VMCB_INTERCEPT_HLT |
			     VMCB_INTERCEPT_IOIO | VMCB_INTERCEPT_MSR | VMCB_INTERCEPT_TASK_SWITCH |
			     VMCB_INTERCEPT_SHUTDOWN;
	c->intercept_misc2 = VMCB_INTERCEPT_VMRUN | VMCB_INTERCEPT_VMMCALL | VMCB_INTERCEPT_VMLOAD |
			     VMCB_INTERCEPT_VMSAVE | VMCB_INTERCEPT_STGI | VMCB_INTERCEPT_CLGI |
			     VMCB_INTERCEPT_SKINIT;
	c->iopm_base_pa = va_to_pa(svm_iopm);
	c->msrpm_base_pa = va_to_pa(svm_msrpm);
	c->guest_asid = 1;
	v->msr.mtrr_cap = cpu_rdmsr(0xFEu); /* MTRRcap: report what the CPU has */
	c->np_enable = 1;
	c->n_cr3 = pgtable_root_cr3(&svm_npt);
	return v;
}

static struct vmsa *svm_vcpu_vmsa(struct platform_vcpu *v)
{
	return v->vmsa;
}

static void vcpu_load(struct platform_vcpu *v)
{
	const struct vmsa *s = v->vmsa;

	memcpy(v->vmcb->save, s, VMCB_SAVE_VMSA_BYTES);
	v->gprs = (struct svm_gprs){
		.rbx = s->rbx, .rcx = s->rcx, .rdx = s->rdx, .rsi = s->rsi, .rdi = s->rdi,
		.rbp = s->rbp, .r8 = s->r8,   .r9 = s->r9,   .r10 = s->r10, .r11 = s->r11,
		.r12 = s->r12, .r13 = s->r13, .r14 = s->r14, .r15 = s->r15,
	};
	/* Guest EFER.SVME must be set for VMRUN's consistency checks (APM 15.5.1). */
	((struct vmsa *)(void *)v->vmcb->save)->efer |= VMSA_EFER_SVME;
	v->vmcb->control.tlb_control = 1; /* flush this ASID: NPT may have changed */
	v->vmcb->control.clean_bits = 0;
}

static void vcpu_store(struct platform_vcpu *v)
{
	struct vmsa *s = v->vmsa;
	const struct vmcb_control *c = &v->vmcb->control;

	memcpy(s, v->vmcb->save, VMCB_SAVE_VMSA_BYTES);
	s->rbx = v->gprs.rbx;
	s->rcx = v->gprs.rcx;
	s->rdx = v->gprs.rdx;
	s->rsi = v->gprs.rsi;
	s->rdi = v->gprs.rdi;
	s->rbp = v->gprs.rbp;
	s->r8 = v->gprs.r8;
	s->r9 = v->gprs.r9;
	s->r10 = v->gprs.r10;
	s->r11 = v->gprs.r11;
	s->r12 = v->gprs.r12;
	s->r13 = v->gprs.r13;
	s->r14 = v->gprs.r14;
	s->r15 = v->gprs.r15;
	s->guest_exit_code = c->exit_code;
	s->guest_exit_info_1 = c->exit_info_1;
	s->guest_exit_info_2 = c->exit_info_2;
	s->guest_nrip = c->next_rip;
}

static enum platform_exit vcpu_stop(struct platform_vcpu *v, uint64_t exit_code, uint64_t gpa)
{
	v->stopped = true;
	v->stop.exit_code = exit_code;
	v->stop.fault_gpa = gpa;
	v->stop.bastion_memory =
		addr_ranges_overlap(gpa, 1, BASTION_REGION_GPA, BASTION_REGION_SIZE);
	return PLATFORM_EXIT_TERMINATED;
}

/* Steps over the intercepted instruction. Returns false if its length cannot be known. */
static bool skip_instruction(struct platform_vcpu *v, enum insn_kind kind)
{
	struct vmsa *s = v->vmsa;
	uint8_t bytes[15];
	size_t got = 0;
	size_t n = 0;

	if (svm_has_nrips) {
		s->rip = v->vmcb->control.next_rip;
		return true;
	}
	got = guest_fetch(s, bytes, sizeof(bytes));
	n = insn_len(kind, bytes, got,
		     (s->efer & EFER_LMA_BIT) != 0 && (s->cs.attrib & VMSA_CS_L) != 0);
	if (n == 0) {
		return false;
	}
	s->rip += n;
	return true;
}

/* #GP(0) into the guest (APM 15.20, EVENTINJ: vector, type 3 = exception, EV, V). */
static void inject_gp(struct platform_vcpu *v)
{
	v->vmcb->control.event_inj = 13u | (3u << 8) | (1u << 11) | (1u << 31);
}

/* RDMSR/WRMSR exits (APM 15.11: EXITINFO1 0 read, 1 write), emulated by msr_emul.c.
 * Returns false if the instruction cannot be stepped over. */
static bool handle_msr(struct platform_vcpu *v)
{
	struct vmsa *s = v->vmsa;
	uint32_t msr = (uint32_t)s->rcx;
	bool write = v->vmcb->control.exit_info_1 != 0;
	bool ok = false;

	if (write) {
		ok = msr_emul_write(&v->msr, s, msr,
				    ((s->rdx & 0xFFFFFFFFull) << 32) | (s->rax & 0xFFFFFFFFull));
	} else {
		uint64_t value = 0;

		ok = msr_emul_read(&v->msr, s, msr, &value);
		if (ok) {
			s->rax = (uint32_t)value;
			s->rdx = value >> 32;
		}
	}
	if (!ok) {
		LOG_VERBOSE("guest %s of MSR 0x%x refused: #GP", write ? "write" : "read", msr);
		inject_gp(v);
		return true; /* the instruction faults: RIP stays on it */
	}
	return skip_instruction(v, write ? INSN_WRMSR : INSN_RDMSR);
}

static enum platform_exit svm_enter_guest(struct platform_vcpu *v)
{
	for (;;) {
		uint64_t exit_code = 0;
		uint64_t info2 = 0;

		if (v->stopped) {
			return PLATFORM_EXIT_TERMINATED;
		}
		vcpu_load(v);
		svm_vmrun(va_to_pa(v->vmcb), va_to_pa(svm_host_save), &v->gprs);
		vcpu_store(v);
		exit_code = v->vmcb->control.exit_code;
		info2 = v->vmcb->control.exit_info_2;
		LOG_VERBOSE("guest exit 0x%lx at rip 0x%lx", exit_code, v->vmsa->rip);

		switch (exit_code) {
		case VMEXIT_VMMCALL:
			if (!skip_instruction(v, INSN_VMMCALL)) {
				LOG_INFO("cannot decode the guest's VMMCALL at rip 0x%lx: guest stopped",
					 v->vmsa->rip);
				return vcpu_stop(v, exit_code, 0);
			}
			/* GHCB MSR protocol Run VMPL request for VMPL 0 (GHCB spec, 2.3.x; ABI 3.3):
			 * the guest's way of making an SVSM call. */
			if ((v->msr.ghcb & GHCB_MSR_INFO_MASK) == GHCB_MSR_RUN_VMPL_REQ &&
			    (v->msr.ghcb >> 12) == 0) {
				v->msr.ghcb = GHCB_MSR_RUN_VMPL_RESP;
				v->vmsa->guest_exit_code = VMSA_EXIT_VMGEXIT;
				return PLATFORM_EXIT_SVSM_CALL;
			}
			LOG_INFO("guest VMGEXIT with GHCB MSR 0x%lx not supported: guest stopped",
				 v->msr.ghcb);
			return vcpu_stop(v, exit_code, 0);
		case VMEXIT_MSR:
			if (handle_msr(v)) {
				continue;
			}
			LOG_INFO("cannot step over the guest's MSR instruction at rip 0x%lx: guest "
				 "stopped",
				 v->vmsa->rip);
			return vcpu_stop(v, exit_code, 0);
		case VMEXIT_IOIO:
			if (handle_ioio(v)) {
				continue;
			}
			LOG_INFO("guest I/O 0x%lx not emulated: guest stopped",
				 v->vmcb->control.exit_info_1);
			return vcpu_stop(v, exit_code, 0);
		case VMEXIT_HLT:
			if (!skip_instruction(v, INSN_HLT)) {
				return vcpu_stop(v, exit_code, 0);
			}
			return PLATFORM_EXIT_HALT;
		case VMEXIT_SHUTDOWN:
			LOG_INFO("guest shut down (triple fault)");
			v->stopped = true;
			v->stop.exit_code = exit_code;
			return PLATFORM_EXIT_SHUTDOWN;
		case VMEXIT_NPF:
			if (addr_ranges_overlap(info2, 1, BASTION_REGION_GPA, BASTION_REGION_SIZE)) {
				LOG_INFO("guest touched Bastion memory at GPA 0x%lx (error 0x%lx, rip "
					 "0x%lx): guest stopped",
					 info2, v->vmcb->control.exit_info_1, v->vmsa->rip);
			} else {
				LOG_INFO("guest accessed unmapped GPA 0x%lx (error 0x%lx, rip 0x%lx): "
					 "guest stopped",
					 info2, v->vmcb->control.exit_info_1, v->vmsa->rip);
			}
			return vcpu_stop(v, exit_code, info2);
		case VMEXIT_INVALID:
			LOG_ERROR("VMRUN refused the guest state (VMEXIT_INVALID): guest stopped");
			return vcpu_stop(v, exit_code, 0);
		default:
			LOG_INFO("guest exit 0x%lx (info 0x%lx/0x%lx) not handled: guest stopped",
				 exit_code, v->vmcb->control.exit_info_1, info2);
			return vcpu_stop(v, exit_code, 0);
		}
	}
}

bool svm_vcpu_stop_info(struct platform_vcpu *v, struct svm_stop_info *out)
{
	*out = v->stop;
	return v->stopped;
}

uint64_t svm_vcpu_ghcb_msr(struct platform_vcpu *v)
{
	return v->msr.ghcb;
}

/* Guest RAM starts validated and mapped (mm.c): a page is ready if the ledger says so. */
static int svm_guest_page_accept(gpa_t gpa)
{
	struct page_state_record rec;

	if (page_state_get(mm_page_state(), gpa, &rec) != PS_OK) {
		return -1;
	}
	return page_state_record_owner(rec) == PS_OWNER_GUEST && page_state_record_validated(rec) &&
			       !page_state_record_shared(rec)
		       ? 0
		       : -1;
}

static uint64_t svm_guest_sev_status(void)
{
	return 0;
}

/* No AMD-SP natively: a software report signed by Bastion's per-boot key, flagged as not
 * hardware-rooted (kernel/native_report.h). */
static int svm_attestation_report(const uint8_t report_data[64], uint8_t *report, size_t cap, size_t *len)
{
	*len = 0;
	if (cap < NATIVE_REPORT_SIZE || native_report_make(report_data, report) != 0) {
		return -1;
	}
	*len = NATIVE_REPORT_SIZE;
	return 0;
}

static int svm_derived_key(uint64_t guest_field_select, uint8_t key[32])
{
	(void)guest_field_select;
	(void)key;
	return -1;
}

const struct platform_ops svm_platform_ops = {
	.name = "native",
	.has_vmpls = false,
	.guest_page_accept = svm_guest_page_accept,
	.guest_sev_status = svm_guest_sev_status,
	.attestation_report = svm_attestation_report,
	.derived_key = svm_derived_key,
	.guest_memory_init = svm_guest_memory_init,
	.vcpu_create = svm_vcpu_create,
	.vcpu_vmsa = svm_vcpu_vmsa,
	.enter_guest = svm_enter_guest,
	.core_backend = svm_core_backend,
};

/* One 4 KiB page of the nested tables: map (identity, RWX) or unmap, splitting a 2 MiB leaf
 * that covers it first. */
static uint32_t npt_page_access(uint64_t gpa, bool grant)
{
	enum pgtable_result r = PGTABLE_OK;
	uint64_t size = 0;

	if (grant) {
		r = pgtable_map(&svm_npt, vaddr_init(gpa), paddr_init(gpa), PAGE_SIZE,
				PGTABLE_READ | PGTABLE_WRITE | PGTABLE_EXEC, 0);
		return r == PGTABLE_OK || r == PGTABLE_ERR_MAPPED ? CORE_ARCH_OK
				 : r == PGTABLE_ERR_NOMEM ? CORE_ARCH_NO_MEMORY
							  : CORE_ARCH_FAULT;
	}
	if (!pgtable_lookup(&svm_npt, vaddr_init(gpa), NULL, NULL, &size)) {
		return CORE_ARCH_OK;
	}
	if (size == HUGE_PAGE_SIZE) {
		r = pgtable_split_large(&svm_npt, vaddr_init(gpa & ~HUGE_PAGE_MASK));
		if (r != PGTABLE_OK) {
			return r == PGTABLE_ERR_NOMEM ? CORE_ARCH_NO_MEMORY : CORE_ARCH_FAULT;
		}
	}
	return pgtable_unmap(&svm_npt, vaddr_init(gpa), PAGE_SIZE) == PGTABLE_OK ? CORE_ARCH_OK
										  : CORE_ARCH_FAULT;
}

uint32_t svm_npt_set_access(gpa_t gpa, enum page_size size, bool grant)
{
	uint64_t base = gpa_get(gpa);
	uint64_t len = size == PAGE_SIZE_2M ? HUGE_PAGE_SIZE : PAGE_SIZE;

	if (size == PAGE_SIZE_2M && grant &&
	    pgtable_map(&svm_npt, vaddr_init(base), paddr_init(base), HUGE_PAGE_SIZE,
			PGTABLE_READ | PGTABLE_WRITE | PGTABLE_EXEC, 0) == PGTABLE_OK) {
		return CORE_ARCH_OK;
	}
	if (size == PAGE_SIZE_2M && !grant &&
	    pgtable_unmap(&svm_npt, vaddr_init(base), HUGE_PAGE_SIZE) == PGTABLE_OK) {
		return CORE_ARCH_OK;
	}
	for (uint64_t off = 0; off < len; off += PAGE_SIZE) {
		uint32_t r = npt_page_access(base + off, grant);

		if (r != CORE_ARCH_OK) {
			return r;
		}
	}
	return CORE_ARCH_OK;
}

bool svm_npt_guest_accessible(gpa_t gpa)
{
	return pgtable_lookup(&svm_npt, vaddr_init(gpa_get(gpa)), NULL, NULL, NULL);
}
