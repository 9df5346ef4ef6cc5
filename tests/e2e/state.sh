#!/usr/bin/env bash
# Flow: the NV image survives a server restart (vtpm-server -state FILE; vtpm.h
# vtpm_nv_image_*), like a TPM's NV survives a power loss:
#   Shutdown(STATE), stop the server, start a new one on the same FILE, Startup(STATE)
#     = TPM Resume from the file: PCR 16 and resetCount kept, restartCount + 1
#   a corrupted FILE: the server refuses to start and leaves the file alone
#   -rm: the file is removed first (a new TPM: resetCount back to 1 after Startup)
# Runs its own servers (not the one run.sh shares). Usage by hand: tests/e2e/state.sh BUILD
[ "${BASH_SOURCE[0]}" != "$0" ] || { . "$(dirname "$0")/common.sh"; trap e2e_cleanup EXIT; e2e_tmp; O=${1:-build}; }

# e2e_state_server FILE [ARGS]: starts $O/vtpm-server -state FILE on free ports; sets
# st_pid, st_port, st_tcti. Returns non-zero if it did not come up.
e2e_state_server() {
	local f=$1
	shift
	st_port=$(e2e_free_port)
	"$O/vtpm-server" -port "$st_port" -state "$f" "$@" >>"$E2E_TMP/state-server.log" 2>&1 &
	st_pid=$!
	st_tcti="mssim:host=127.0.0.1,port=$st_port"
	e2e_wait_port "$st_port" "$st_pid"
}

e2e_state_stop() {
	E2E_PORT=$st_port e2e_platform_signal 21 >/dev/null 2>&1
	kill "$st_pid" 2>/dev/null
	wait "$st_pid" 2>/dev/null
	st_pid=
}

e2e_state_field() {
	TPM2TOOLS_TCTI=$st_tcti tpm2_readclock 2>/dev/null | awk -v f="$1:" '$1 == f { print $2 }'
}

e2e_state() {
	local f="$E2E_TMP/tpm.nv" d v r0 s0 sum status
	rm -f "$f"
	d=$(printf 'persist' | e2e_digest sha256)
	if ! e2e_state_server "$f"; then
		t_fail "server with -state on a new file starts" "$(tail -3 "$E2E_TMP/state-server.log")"
		return
	fi
	t_pass "server with -state on a new file starts"
	[ -s "$f" ] && t_pass "new TPM written to the state file" || t_fail "new TPM written to the state file"
	e2e_ok "state: startup (CLEAR)" env TPM2TOOLS_TCTI="$st_tcti" tpm2_startup -c
	e2e_ok "state: extend PCR 16" env TPM2TOOLS_TCTI="$st_tcti" tpm2_pcrextend "16:sha256=$d"
	v=$(TPM2TOOLS_TCTI=$st_tcti e2e_pcr sha256 16)
	e2e_eq "state: PCR 16 extended" "$(e2e_extend sha256 "$(e2e_zeros sha256)" "$d")" "$v"
	r0=$(e2e_state_field reset_count) s0=$(e2e_state_field restart_count)
	e2e_ok "state: shutdown (STATE)" env TPM2TOOLS_TCTI="$st_tcti" tpm2_shutdown
	sum=$(sha256sum "$f" | cut -d' ' -f1)
	e2e_state_stop

	if ! e2e_state_server "$f"; then
		t_fail "server restarts on the state file" "$(tail -3 "$E2E_TMP/state-server.log")"
		return
	fi
	t_pass "server restarts on the state file"
	if e2e_run state-resume env TPM2TOOLS_TCTI="$st_tcti" tpm2_startup; then
		t_pass "startup (STATE) after the restart: TPM Resume"
		e2e_eq "PCR 16 kept across the restart" "$v" \
			"$(TPM2TOOLS_TCTI=$st_tcti e2e_pcr sha256 16)"
		e2e_eq "counters kept (resetCount same, restartCount + 1)" "$r0 $((s0 + 1))" \
			"$(e2e_state_field reset_count) $(e2e_state_field restart_count)"
	else
		t_fail "startup (STATE) after the restart" "$(e2e_err "$E2E_TMP/state-resume.err")"
	fi
	e2e_state_stop

	# Flip one payload byte: the checksum no longer matches.
	printf '\xff' | dd of="$f" bs=1 seek=100 conv=notrunc status=none
	sum=$(sha256sum "$f" | cut -d' ' -f1)
	st_port=$(e2e_free_port)
	"$O/vtpm-server" -port "$st_port" -state "$f" >"$E2E_TMP/state-bad.log" 2>&1
	status=$?
	t_status "server refuses a corrupted state file" 1 "$status"
	t_grep "refusal names the file" "not a usable NV image" "$E2E_TMP/state-bad.log"
	e2e_eq "corrupted state file left untouched" "$sum" "$(sha256sum "$f" | cut -d' ' -f1)"

	if e2e_state_server "$f" -rm; then
		t_pass "-rm starts a new TPM over the bad file"
		e2e_ok "state: startup (CLEAR) on the new TPM" env TPM2TOOLS_TCTI="$st_tcti" tpm2_startup -c
		e2e_eq "new TPM: resetCount 1" "1" "$(e2e_state_field reset_count)"
		e2e_state_stop
	else
		t_fail "-rm starts a new TPM over the bad file" "$(tail -3 "$E2E_TMP/state-server.log")"
	fi
}
e2e_state

[ "${BASH_SOURCE[0]}" != "$0" ] || t_summary
