/*
 * x86-64 instruction wrappers: the only place outside nasm files where privileged or
 * CPU-identification instructions appear. Each wrapper states what it assumes and how it can
 * fault; callers outside arch/ use these and never open-code inline assembly.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define CR0_PE (1ull << 0)
#define CR0_WP (1ull << 16)
#define CR0_PG (1ull << 31)
#define CR4_PAE (1ull << 5)
#define CR4_PGE (1ull << 7)
#define CR4_OSFXSR (1ull << 9)
#define CR4_UMIP (1ull << 11)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)

#define MSR_EFER 0xC0000080u
#define EFER_SCE (1ull << 0)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)
#define EFER_SVME (1ull << 12)

#define RFLAGS_IF (1ull << 9)

struct cpuid_regs {
	uint32_t eax;
	uint32_t ebx;
	uint32_t ecx;
	uint32_t edx;
};

/*
 * CPUID leaf/subleaf. Never faults on native; on SEV-ES/SNP it raises #VC and must not be
 * used before the #VC handler exists (SNP code reads the CPUID page instead).
 */
static inline struct cpuid_regs cpu_cpuid(uint32_t leaf, uint32_t subleaf)
{
	struct cpuid_regs r;

	__asm__ volatile("cpuid"
			 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(subleaf));
	return r;
}

/* RDMSR: #GP if the MSR does not exist; #VC on SEV-ES/SNP for intercepted MSRs. */
static inline uint64_t cpu_rdmsr(uint32_t msr)
{
	uint32_t lo;
	uint32_t hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

/* WRMSR: #GP on a reserved MSR or reserved bits; #VC on SEV-ES/SNP for intercepted MSRs. */
static inline void cpu_wrmsr(uint32_t msr, uint64_t value)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32))
			 : "memory");
}

/* Control-register reads never fault at CPL0. */
static inline uint64_t cpu_read_cr0(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static inline uint64_t cpu_read_cr2(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline uint64_t cpu_read_cr3(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static inline uint64_t cpu_read_cr4(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

/* CR4 write: #GP if a bit the CPU does not support is set. */
static inline void cpu_write_cr4(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr4" ::"r"(v) : "memory");
}

/* Port I/O. Never faults at CPL0 on native; raises #VC on SEV-ES/SNP (IOIO intercept). */
/*
 * XGETBV: reads extended control register index (0: XCR0). Assumes CR4.OSXSAVE is set
 * (#UD otherwise). No other faults.
 */
static inline uint64_t cpu_xgetbv(uint32_t index)
{
	uint32_t lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(index));
	return ((uint64_t)hi << 32) | lo;
}

/* INVLPG: drops this CPU's TLB entries for the page containing va. No faults. */
static inline void cpu_invlpg(uint64_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

/* Reloads CR3 with its own value: flushes this CPU's non-global TLB entries. No faults. */
static inline void cpu_flush_tlb(void)
{
	uint64_t cr3;

	__asm__ volatile("mov %%cr3, %0\n\tmov %0, %%cr3" : "=r"(cr3) : : "memory");
}

static inline void cpu_outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}

static inline uint8_t cpu_inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void cpu_outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port));
}

static inline void cpu_outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port));
}

static inline uint16_t cpu_inw(uint16_t port)
{
	uint16_t v;

	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t cpu_inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* Interrupt flag control. */
static inline void cpu_irq_disable(void)
{
	__asm__ volatile("cli" ::: "memory");
}

/* HLT with interrupts as they are: with IF = 0 only NMI/SMI/INIT wake the CPU. */
static inline void cpu_halt(void)
{
	__asm__ volatile("hlt" ::: "memory");
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}

/* Time-stamp counter; no serialization implied. */
static inline uint64_t cpu_rdtsc(void)
{
	uint32_t lo;
	uint32_t hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* Stops this CPU for good: interrupts off, then HLT forever (NMIs return to the loop). */
static inline __attribute__((noreturn)) void cpu_halt_forever(void)
{
	cpu_irq_disable();
	for (;;) {
		cpu_halt();
	}
}

struct cpu_descriptor_table {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

/* SIDT/SGDT/STR: read back the loaded descriptor tables. Never fault at CPL0 (UMIP only
 * affects CPL > 0). */
static inline struct cpu_descriptor_table cpu_sidt(void)
{
	struct cpu_descriptor_table t;

	__asm__ volatile("sidt %0" : "=m"(t));
	return t;
}

static inline struct cpu_descriptor_table cpu_sgdt(void)
{
	struct cpu_descriptor_table t;

	__asm__ volatile("sgdt %0" : "=m"(t));
	return t;
}

static inline uint16_t cpu_str(void)
{
	uint16_t sel;

	__asm__ volatile("str %0" : "=r"(sel));
	return sel;
}
