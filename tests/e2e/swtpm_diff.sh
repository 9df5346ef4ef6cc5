#!/usr/bin/env bash
# Flow: differential check against swtpm (Debian's swtpm/libtpms, an independent TPM): the
# same deterministic operations on both must give byte-identical results: PCR extend chains
# (multi-bank and single-bank) on the resettable PCR 16 in the sha1/sha256/sha384 banks,
# TPM2_Hash of the same inputs, and policy digests of trial sessions (PolicyPCR,
# PolicyCommandCode, PolicyAuthValue, PolicyPassword, PolicyRestart: policy_flow.py, which
# also recomputes them with hashlib). Starts its own swtpm on free ports.
[ "${BASH_SOURCE[0]}" != "$0" ] || { . "$(dirname "$0")/common.sh"; e2e_standalone "$@"; }

# e2e_diff_ops TCTI OUT: runs the deterministic operations on the TPM at TCTI, results to OUT.
e2e_diff_ops() {
	local tcti=$1 out=$2 alg i n
	(
		# shellcheck disable=SC2030 # only this subshell talks to that TPM
		export TPM2TOOLS_TCTI=$tcti
		tpm2_pcrreset 16 || exit 1
		for i in 1 2 3 4 5; do
			tpm2_pcrextend "16:sha1=$(printf 'diff %s' $i | e2e_digest sha1),sha256=$(printf 'diff %s' $i | e2e_digest sha256),sha384=$(printf 'diff %s' $i | e2e_digest sha384)" || exit 1
		done
		for alg in sha1 sha256 sha384; do
			tpm2_pcrextend "16:$alg=$(printf 'single %s' $alg | e2e_digest $alg)" || exit 1
		done
		for alg in sha1 sha256 sha384; do
			echo "pcr16 $alg $(e2e_pcr $alg 16)"
		done
		for alg in sha1 sha256 sha384; do
			for n in 0 3 64 513 1024; do
				head -c "$n" "$E2E_TMP/diff-data.bin" >"$E2E_TMP/diff-in.bin"
				echo "hash $alg $n $(tpm2_hash -g $alg --hex "$E2E_TMP/diff-in.bin")" || exit 1
			done
		done
	) >"$out" 2>"$out.err"
}

e2e_swtpm_diff() {
	# shellcheck disable=SC2031
	local tcti_ours=$TPM2TOOLS_TCTI
	if ! e2e_start_swtpm >"$E2E_TMP/swtpm-start.log" 2>&1; then
		t_fail "swtpm differential" "$(tr '\n' ' ' <"$E2E_TMP/swtpm-start.log")"
		return
	fi
	head -c 1024 /dev/urandom >"$E2E_TMP/diff-data.bin"
	if ! e2e_diff_ops "$E2E_SWTPM_TCTI" "$E2E_TMP/diff-swtpm.txt"; then
		t_fail "swtpm differential: swtpm side" "$(e2e_err "$E2E_TMP/diff-swtpm.txt.err")"
		return
	fi
	if ! e2e_diff_ops "$tcti_ours" "$E2E_TMP/diff-ours.txt"; then
		t_fail "swtpm differential: Bastion side" "$(e2e_err "$E2E_TMP/diff-ours.txt.err")"
		return
	fi
	if [ "$(grep -c '^pcr16' "$E2E_TMP/diff-ours.txt")" -eq 3 ] &&
		cmp -s <(grep '^pcr16' "$E2E_TMP/diff-ours.txt") <(grep '^pcr16' "$E2E_TMP/diff-swtpm.txt"); then
		t_pass "swtpm differential: PCR 16 extend chains, sha1/sha256/sha384"
	else
		t_fail "swtpm differential: PCR 16" "$(diff <(grep '^pcr16' "$E2E_TMP/diff-ours.txt") <(grep '^pcr16' "$E2E_TMP/diff-swtpm.txt") | tr '\n' ' ')"
	fi
	if [ "$(grep -c '^hash' "$E2E_TMP/diff-ours.txt")" -eq 15 ] &&
		cmp -s <(grep '^hash' "$E2E_TMP/diff-ours.txt") <(grep '^hash' "$E2E_TMP/diff-swtpm.txt"); then
		t_pass "swtpm differential: tpm2_hash sha1/sha256/sha384, 0..1024 bytes"
	else
		t_fail "swtpm differential: tpm2_hash" "$(diff <(grep '^hash' "$E2E_TMP/diff-ours.txt") <(grep '^hash' "$E2E_TMP/diff-swtpm.txt") | tr '\n' ' ')"
	fi
	# Policy digests in trial sessions: recomputed with hashlib on each TPM, and equal across.
	"$E2E_PY" "$E2E_DIR/policy_flow.py" "$tcti_ours" "$E2E_SWTPM_TCTI" >"$E2E_TMP/policy.out" 2>&1
	e2e_count_lines "$E2E_TMP/policy.out"
	grep -qE '^(PASS|FAIL) ' "$E2E_TMP/policy.out" ||
		t_fail "swtpm differential: policy digests" "$(head -c 300 "$E2E_TMP/policy.out")"
	kill "$E2E_SWTPM_PID" 2>/dev/null
	wait "$E2E_SWTPM_PID" 2>/dev/null
	E2E_SWTPM_PID=
}
e2e_swtpm_diff

[ "${BASH_SOURCE[0]}" != "$0" ] || t_summary
