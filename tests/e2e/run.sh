#!/usr/bin/env bash
# End-to-end tests of Bastion's vTPM: Debian's real clients (tpm2-tools, tpm2-pytss) drive
# BUILD_DIR/vtpm-server (the engine in vtpm/ behind the mssim TCP protocol), plus a raw
# protocol robustness client and a differential run against swtpm.
# usage: tests/e2e/run.sh BUILD_DIR    (build the server first: make vtpm-server)
# Prints PASS/FAIL per check and ends with "N passed, N failed". Each flow is also a script
# of its own (tests/e2e/<flow>.sh BUILD_DIR, or with TPM2TOOLS_TCTI set to use a running TPM).
set -u
O=${1:?usage: run.sh BUILD_DIR}
. "$(dirname "$0")/common.sh"
trap e2e_cleanup EXIT
e2e_tmp
t0=$(date +%s%N)

for tool in tpm2_startup sha384sum; do
	command -v "$tool" >/dev/null || { t_fail "prerequisites" "$tool missing (scripts/deps)"; t_summary; exit 1; }
done
if ! e2e_start_server "$O"; then
	t_fail "vtpm-server starts" "see the log above"
	t_summary
	exit 1
fi
t_pass "vtpm-server starts (port $E2E_PORT)"
e2e_ok "startup (CLEAR)" tpm2_startup -c

# The flows, in this order. A flow is listed only once the engine implements every command it
# sends (pcrevent: tpm2_pcrevent also opens a session, StartAuthSession + FlushContext;
# session_ctx: ContextSave + ContextLoad).
for flow in getrandom getcap pcr pcrevent hash session_ctx object seal sign clock pytss latency swtpm_diff nv hierarchy linux_bus crypt credential policy systemd_creds attest_time shutdown state; do
	echo "== $flow"
	# shellcheck source=/dev/null
	. "$E2E_DIR/$flow.sh"
done

echo "== mssim protocol"
"$E2E_PY" "$E2E_DIR/mssim_proto.py" "$E2E_PORT" >"$E2E_TMP/proto.out" 2>&1
e2e_count_lines "$E2E_TMP/proto.out"
grep -qE '^(PASS|FAIL) ' "$E2E_TMP/proto.out" || t_fail "mssim protocol" "no result: $(head -c 300 "$E2E_TMP/proto.out")"
if tpm2_getrandom 8 >/dev/null 2>&1; then
	t_pass "tpm2-tools still served after the protocol abuse"
else
	t_fail "tpm2-tools still served after the protocol abuse"
fi

# STOP on the command port: the server exits with status 0.
"$E2E_PY" -c 'import socket,struct,sys; s=socket.create_connection(("127.0.0.1",int(sys.argv[1])),5); s.sendall(struct.pack(">I",21)); s.recv(1)' "$E2E_PORT" 2>/dev/null
status=124
for _ in $(seq 50); do
	if ! kill -0 "$E2E_SERVER_PID" 2>/dev/null; then
		wait "$E2E_SERVER_PID"
		status=$?
		E2E_SERVER_PID=
		break
	fi
	sleep 0.05
done
t_status "server exits 0 on STOP" 0 "$status"

if grep -qiE 'sanitizer|segfault|abort' "$E2E_TMP/server.log"; then
	t_fail "server log clean" "$(grep -iE 'sanitizer|segfault|abort' "$E2E_TMP/server.log" | head -3)"
fi
t1=$(date +%s%N)
echo "e2e: $(((t1 - t0) / 1000000)) ms"
t_summary
