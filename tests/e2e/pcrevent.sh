#!/usr/bin/env bash
# Flow: PCR_Event through tpm2_pcrevent: the TPM hashes the data in every bank and extends
# each PCR bank with that digest; digests and PCR values recomputed with coreutils.
# tpm2_pcrevent also sends StartAuthSession and FlushContext (tpm2-tools opens a session for
# the command), so this flow needs the engine's session commands.
[ "${BASH_SOURCE[0]}" != "$0" ] || { . "$(dirname "$0")/common.sh"; e2e_standalone "$@"; }

# Above 1024 bytes (TPM2B_EVENT) tpm2_pcrevent switches to an event sequence:
# HashSequenceStart(TPM_ALG_NULL), SequenceUpdate, EventSequenceComplete.
e2e_pcrevent() {
	local alg d1 bad o1 o256 o384 size
	for size in 700 1025 5000; do
		head -c "$size" /dev/urandom >"$E2E_TMP/event.bin"
		o1=$(e2e_pcr sha1 16) o256=$(e2e_pcr sha256 16) o384=$(e2e_pcr sha384 16)
		if e2e_run pcrevent tpm2_pcrevent 16 "$E2E_TMP/event.bin"; then
			bad=
			for alg in sha1 sha256 sha384; do
				d1=$(e2e_digest "$alg" <"$E2E_TMP/event.bin")
				grep -q "^$alg: $d1\$" "$E2E_TMP/pcrevent.out" || bad="$bad $alg-digest"
			done
			[ "$(e2e_pcr sha1 16)" = "$(e2e_extend sha1 "$o1" "$(e2e_digest sha1 <"$E2E_TMP/event.bin")")" ] || bad="$bad sha1-pcr"
			[ "$(e2e_pcr sha256 16)" = "$(e2e_extend sha256 "$o256" "$(e2e_digest sha256 <"$E2E_TMP/event.bin")")" ] || bad="$bad sha256-pcr"
			[ "$(e2e_pcr sha384 16)" = "$(e2e_extend sha384 "$o384" "$(e2e_digest sha384 <"$E2E_TMP/event.bin")")" ] || bad="$bad sha384-pcr"
			if [ -z "$bad" ]; then
				t_pass "pcrevent 16 ($size bytes): digests == sha*sum, PCRs == H(old || H(data))"
			else
				t_fail "pcrevent 16 ($size bytes)" "mismatch:$bad; output: $(tr '\n' ' ' <"$E2E_TMP/pcrevent.out")"
			fi
		else
			t_fail "pcrevent 16 ($size bytes)" "$(e2e_err "$E2E_TMP/pcrevent.err")"
		fi
	done
}
e2e_pcrevent

[ "${BASH_SOURCE[0]}" != "$0" ] || t_summary
