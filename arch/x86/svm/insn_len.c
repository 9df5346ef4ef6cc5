#include "arch/x86/svm/insn_len.h"

#include <stdbool.h>

/* Legacy prefixes (Intel SDM vol 2, 2.1.1; APM vol 3, 1.2). */
static bool is_legacy_prefix(uint8_t b)
{
	switch (b) {
	case 0x66:
	case 0x67:
	case 0xF0:
	case 0xF2:
	case 0xF3:
	case 0x2E:
	case 0x36:
	case 0x3E:
	case 0x26:
	case 0x64:
	case 0x65:
		return true;
	default:
		return false;
	}
}

/* An instruction is at most 15 bytes long (APM vol 3, 1.1). */
#define INSN_MAX_LEN 15

size_t insn_len(enum insn_kind kind, const uint8_t *bytes, size_t len, int long_mode)
{
	size_t i = 0;
	size_t op_len = 0;

	if (len > INSN_MAX_LEN) {
		len = INSN_MAX_LEN;
	}
	while (i < len && is_legacy_prefix(bytes[i])) {
		i++;
	}
	if (long_mode && i < len && (bytes[i] & 0xF0) == 0x40) {
		i++; /* REX must come last, right before the opcode */
	}
	switch (kind) {
	case INSN_HLT:
		op_len = (i < len && bytes[i] == 0xF4) ? 1 : 0;
		break;
	case INSN_RDMSR:
		op_len = (i + 1 < len && bytes[i] == 0x0F && bytes[i + 1] == 0x32) ? 2 : 0;
		break;
	case INSN_WRMSR:
		op_len = (i + 1 < len && bytes[i] == 0x0F && bytes[i + 1] == 0x30) ? 2 : 0;
		break;
	case INSN_VMMCALL:
		op_len = (i + 2 < len && bytes[i] == 0x0F && bytes[i + 1] == 0x01 &&
			  bytes[i + 2] == 0xD9)
				 ? 3
				 : 0;
		break;
	default:
		op_len = 0;
		break;
	}
	return op_len == 0 ? 0 : i + op_len;
}
