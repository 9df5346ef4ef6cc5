#!/usr/bin/env bash
# Flow: tpm2-pytss (ESAPI over the same TCTI): GetRandom + PCR_Extend + PCR_Read and the
# per-command latency on one persistent connection (pytss_flow.py).
[ "${BASH_SOURCE[0]}" != "$0" ] || { . "$(dirname "$0")/common.sh"; e2e_standalone "$@"; }

e2e_pytss() {
	if ! "$E2E_PY" -c 'import tpm2_pytss' 2>/dev/null; then
		t_fail "pytss flow" "python3-tpm2-pytss is not installed for $E2E_PY (scripts/deps)"
		return
	fi
	"$E2E_PY" "$E2E_DIR/pytss_flow.py" "$TPM2TOOLS_TCTI" >"$E2E_TMP/pytss.out" 2>&1
	local status=$?
	e2e_count_lines "$E2E_TMP/pytss.out"
	if [ "$status" -ne 0 ] && ! grep -q '^FAIL ' "$E2E_TMP/pytss.out"; then
		t_fail "pytss flow" "exit status $status"
	fi
}
e2e_pytss

[ "${BASH_SOURCE[0]}" != "$0" ] || t_summary
