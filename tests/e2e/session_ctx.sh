#!/usr/bin/env bash
# Flow: saved session contexts (TPM2_ContextSave / TPM2_ContextLoad). tpm2_startauthsession -S
# saves the new policy session to a file; tpm2_policypcr and tpm2_policycommandcode each load
# it, extend its policy digest and save it again, and the digests they print are recomputed
# with coreutils. Between the tools the session is listed as saved (handles-saved-session).
# Loading an older copy of the file (a replay) fails with TPM_RC_HANDLE + P1 (0x1CB) and a
# copy with one bit flipped in the context's integrity HMAC with TPM_RC_INTEGRITY + P1 (0x1DF).
[ "${BASH_SOURCE[0]}" != "$0" ] || { . "$(dirname "$0")/common.sh"; e2e_standalone "$@"; }

e2e_session_ctx() {
	local s=$E2E_TMP/sess.ctx exp got sel pcrd zeros
	zeros=0000000000000000000000000000000000000000000000000000000000000000
	if ! e2e_run sctx-start tpm2_startauthsession --policy-session -S "$s"; then
		t_fail "session context: startauthsession -S" "$(e2e_err "$E2E_TMP/sctx-start.err")"
		return
	fi
	cp "$s" "$E2E_TMP/sess0.ctx"
	got=$(tpm2_getcap handles-saved-session 2>/dev/null | tr -d ' \n-')
	e2e_eq "session context: listed as saved after startauthsession -S" 0x3000000 "$got"
	# PolicyPCR(sha256:0,1): H(0^32 || TPM_CC_PolicyPCR || TPML_PCR_SELECTION || H(PCR0 || PCR1)).
	sel=00000001000b03030000
	pcrd=$({ e2e_unhex "$(e2e_pcr sha256 0)"; e2e_unhex "$(e2e_pcr sha256 1)"; } | e2e_digest sha256)
	exp=$({ e2e_unhex "$zeros"; e2e_unhex 0000017f; e2e_unhex "$sel"; e2e_unhex "$pcrd"; } | e2e_digest sha256)
	got=$(tpm2_policypcr -S "$s" -l sha256:0,1 2>"$E2E_TMP/sctx-pcr.err")
	e2e_eq "session context: policypcr through the saved session" "$exp" "$got"
	# PolicyCommandCode(PCR_Extend) on the same saved session: H(prev || 0x16C || 0x182).
	exp=$({ e2e_unhex "$exp"; e2e_unhex 0000016c00000182; } | e2e_digest sha256)
	got=$(tpm2_policycommandcode -S "$s" 0x182 2>"$E2E_TMP/sctx-cc.err")
	e2e_eq "session context: policycommandcode continues the same session" "$exp" "$got"
	# Replay: the first saved copy was loaded and re-saved since.
	tpm2_policycommandcode -S "$E2E_TMP/sess0.ctx" 0x182 >/dev/null 2>"$E2E_TMP/sctx-replay.err"
	if grep -q 'Esys_ContextLoad(0x1CB)' "$E2E_TMP/sctx-replay.err"; then
		t_pass "session context: an older copy is refused (TPM_RC_HANDLE + P1)"
	else
		t_fail "session context: an older copy is refused" "$(e2e_err "$E2E_TMP/sctx-replay.err")"
	fi
	# Tamper: offset 48 of tpm2-tools' session file is inside the integrity HMAC.
	cp "$s" "$E2E_TMP/sess-bad.ctx"
	"$E2E_PY" -c 'import sys; p=sys.argv[1]; d=bytearray(open(p,"rb").read()); d[48]^=1; open(p,"wb").write(d)' "$E2E_TMP/sess-bad.ctx"
	tpm2_policycommandcode -S "$E2E_TMP/sess-bad.ctx" 0x182 >/dev/null 2>"$E2E_TMP/sctx-bad.err"
	if grep -q 'Esys_ContextLoad(0x1DF)' "$E2E_TMP/sctx-bad.err"; then
		t_pass "session context: a tampered context is refused (TPM_RC_INTEGRITY + P1)"
	else
		t_fail "session context: a tampered context is refused" "$(e2e_err "$E2E_TMP/sctx-bad.err")"
	fi
	# The untampered file still loads (neither refusal changed the saved session).
	got=$(tpm2_policycommandcode -S "$s" 0x182 2>"$E2E_TMP/sctx-cc2.err")
	exp=$({ e2e_unhex "$exp"; e2e_unhex 0000016c00000182; } | e2e_digest sha256)
	e2e_eq "session context: still loads after the refusals" "$exp" "$got"
	# tpm2_flushcontext -s flushes the saved session by its handle.
	if e2e_run sctx-flush tpm2_flushcontext -s &&
		[ -z "$(tpm2_getcap handles-saved-session 2>/dev/null)" ]; then
		t_pass "session context: flushcontext -s removes the saved session"
	else
		t_fail "session context: flushcontext -s" "$(e2e_err "$E2E_TMP/sctx-flush.err")"
	fi
}
e2e_session_ctx

[ "${BASH_SOURCE[0]}" != "$0" ] || t_summary
