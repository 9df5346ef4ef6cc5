/* Decoding the few intercepted instructions the native platform steps over without NRIPS. */
#include "arch/x86/svm/insn_len.h"
#include "tests/ktest/ktest.h"

KTEST(insn_len, vmgexit_and_plain_vmmcall)
{
	static const uint8_t rep_vmmcall[] = { 0xF3, 0x0F, 0x01, 0xD9, 0x90 };
	static const uint8_t vmmcall[] = { 0x0F, 0x01, 0xD9 };
	static const uint8_t rex_vmmcall[] = { 0xF3, 0x48, 0x0F, 0x01, 0xD9 };

	EXPECT_EQ(insn_len(INSN_VMMCALL, rep_vmmcall, sizeof(rep_vmmcall), 0), 4);
	EXPECT_EQ(insn_len(INSN_VMMCALL, vmmcall, sizeof(vmmcall), 0), 3);
	EXPECT_EQ(insn_len(INSN_VMMCALL, rex_vmmcall, sizeof(rex_vmmcall), 1), 5);
	/* 0x48 is DEC EAX outside long mode, not a prefix. */
	EXPECT_EQ(insn_len(INSN_VMMCALL, rex_vmmcall, sizeof(rex_vmmcall), 0), 0);
}

KTEST(insn_len, msr_and_hlt)
{
	static const uint8_t wrmsr[] = { 0x0F, 0x30 };
	static const uint8_t rdmsr[] = { 0x66, 0x0F, 0x32 };
	static const uint8_t hlt[] = { 0xF4 };

	EXPECT_EQ(insn_len(INSN_WRMSR, wrmsr, sizeof(wrmsr), 0), 2);
	EXPECT_EQ(insn_len(INSN_RDMSR, rdmsr, sizeof(rdmsr), 0), 3);
	EXPECT_EQ(insn_len(INSN_HLT, hlt, sizeof(hlt), 1), 1);
	EXPECT_EQ(insn_len(INSN_RDMSR, wrmsr, sizeof(wrmsr), 0), 0); /* wrong instruction */
}

KTEST(insn_len, truncated_or_garbage_bytes_give_zero)
{
	static const uint8_t prefixes[15] = { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
					      0x66, 0x66, 0x66, 0x66, 0x66, 0x0F, 0x01 };
	static const uint8_t partial[] = { 0x0F, 0x01 };

	EXPECT_EQ(insn_len(INSN_VMMCALL, partial, sizeof(partial), 0), 0);
	EXPECT_EQ(insn_len(INSN_VMMCALL, prefixes, sizeof(prefixes), 0), 0);
	EXPECT_EQ(insn_len(INSN_HLT, partial, 0, 0), 0);
	EXPECT_EQ(insn_len((enum insn_kind)99, partial, sizeof(partial), 0), 0);
}
