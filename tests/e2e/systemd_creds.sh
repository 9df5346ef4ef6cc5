#!/usr/bin/env bash
# Flow: Debian 12's systemd 252 `systemd-creds` sealing a credential to PCR 7 of the vTPM.
# systemd 252 takes any tpm2-tss TCTI string in --tpm2-device= (it passes it to
# Tss2_TctiLdr_Initialize), so no /dev/tpmrm0 is needed: --tpm2-device=mssim:... reaches
# build/vtpm-server. Encrypt (CreatePrimary, PolicyPCR in a trial session, Create, ...),
# decrypt (Load, PolicyPCR in a policy session, Unseal), then tpm2_pcrextend 7 and decrypt
# again: systemd must refuse ("Current policy digest does not match stored policy
# digest"). systemd leaks its sessions and objects without a resource manager, so every
# call is followed by tpm2_flushcontext -l/-t. PCR 7 is extended once first: systemd warns
# (and does not enforce the policy in spirit) when the selected PCRs are all zero.
[ "${BASH_SOURCE[0]}" != "$0" ] || { . "$(dirname "$0")/common.sh"; e2e_standalone "$@"; }

e2e_sc_fl() { tpm2_flushcontext -l >/dev/null 2>&1; tpm2_flushcontext -t >/dev/null 2>&1; }

e2e_systemd_creds_flow() {
	local d dev
	d=$E2E_TMP/sdcreds
	mkdir -p "$d"
	if ! command -v systemd-creds >/dev/null; then
		t_fail "systemd-creds present" "systemd-creds missing (scripts/deps: systemd)"
		return
	fi
	dev=${TPM2TOOLS_TCTI}
	printf 'bastion credential %s' "$RANDOM" >"$d/plain"
	e2e_sc_fl
	e2e_ok "systemd-creds: extend PCR 7 (non-zero)" tpm2_pcrextend \
		"7:sha256=$(printf '%064x' $((RANDOM + 1)))"
	if e2e_run sc-enc systemd-creds encrypt --with-key=tpm2 --tpm2-device="$dev" \
		--tpm2-pcrs=7 --name=bastion "$d/plain" "$d/c.cred"; then
		t_pass "systemd-creds encrypt --with-key=tpm2 --tpm2-pcrs=7"
	else
		t_fail "systemd-creds encrypt --with-key=tpm2 --tpm2-pcrs=7" "$(e2e_err "$E2E_TMP/sc-enc.err")"
	fi
	e2e_sc_fl
	if e2e_run sc-dec systemd-creds decrypt --tpm2-device="$dev" --name=bastion \
		"$d/c.cred" "$d/out" && cmp -s "$d/out" "$d/plain"; then
		t_pass "systemd-creds decrypt returns the secret"
	else
		t_fail "systemd-creds decrypt returns the secret" "$(e2e_err "$E2E_TMP/sc-dec.err")"
	fi
	e2e_sc_fl
	if e2e_run sc-name systemd-creds decrypt --tpm2-device="$dev" --name=other \
		"$d/c.cred" "$d/out2"; then
		t_fail "systemd-creds decrypt with a wrong name refused" "it succeeded"
	else
		t_pass "systemd-creds decrypt with a wrong name refused"
	fi
	e2e_sc_fl
	e2e_ok "systemd-creds: extend PCR 7 again" tpm2_pcrextend \
		"7:sha256=$(printf '%064x' 7)"
	if e2e_run sc-dec2 systemd-creds decrypt --tpm2-device="$dev" --name=bastion \
		"$d/c.cred" "$d/out3"; then
		t_fail "systemd-creds decrypt refused after PCR 7 changed" "it succeeded"
	elif grep -qi 'policy digest does not match' "$E2E_TMP/sc-dec2.err"; then
		t_pass "systemd-creds decrypt refused after PCR 7 changed (policy digest mismatch)"
	else
		t_fail "systemd-creds decrypt refused after PCR 7 changed" "$(e2e_err "$E2E_TMP/sc-dec2.err")"
	fi
	e2e_sc_fl
}
e2e_systemd_creds_flow
[ "${BASH_SOURCE[0]}" != "$0" ] || t_summary
