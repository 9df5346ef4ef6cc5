#!/usr/bin/env bash
# Flow: Linux's TPM bus protection sequence (NULL-hierarchy ECC primary, ContextSave/Load,
# ECC-salted HMAC session with AES-128-CFB, HMAC-authorized PCR_Extend, encrypted GetRandom),
# driven with tpm2-pytss (linux_bus.py), which checks every response HMAC itself.
[ "${BASH_SOURCE[0]}" != "$0" ] || { . "$(dirname "$0")/common.sh"; e2e_standalone "$@"; }

e2e_linux_bus() {
	"$E2E_PY" "$E2E_DIR/linux_bus.py" "$TPM2TOOLS_TCTI" >"$E2E_TMP/bus.out" 2>&1
	local status=$?
	e2e_count_lines "$E2E_TMP/bus.out"
	if [ "$status" -ne 0 ] && ! grep -q '^FAIL ' "$E2E_TMP/bus.out"; then
		t_fail "linux bus flow" "exit status $status: $(tail -3 "$E2E_TMP/bus.out")"
	fi
}
e2e_linux_bus

[ "${BASH_SOURCE[0]}" != "$0" ] || t_summary
