#!/usr/bin/env bash
# The vTPM inside Bastion, end to end (issue #8): Bastion boots the relay guest
# (tests/guest/conformance/relay.c) in QEMU (TCG, native platform); QEMU connects the guest's
# COM2 to a socket; tests/relay/mssim_relay.py turns that socket into an mssim TPM on
# 127.0.0.1; then the e2e flows (tests/e2e/*.sh: Debian's tpm2-tools and tpm2-pytss) run
# against it. Every TPM command travels tpm2-tools -> mssim -> COM2 -> guest -> SVSM_VTPM_CMD
# -> Bastion's engine and back. The flows that need platform power signals (shutdown: power
# cycles) or a second TPM (swtpm_diff) run only against the host server (tests/e2e/run.sh).
# Builds nothing: make (bastion.elf, tools) and make BUILD/guest/relay.fd first.
# usage: tests/relay_test.sh BUILD_DIR [BASTION_ELF]
set -uo pipefail
O=${1:?usage: relay_test.sh BUILD_DIR [BASTION_ELF]}
elf=${2:-$O/bastion.elf}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/e2e/common.sh"
e2e_tmp
work=$E2E_TMP
qemu_pid=
relay_pid=

cleanup() {
	[ -n "$relay_pid" ] && kill "$relay_pid" 2>/dev/null
	[ -n "$qemu_pid" ] && { pkill -TERM -P "$qemu_pid" 2>/dev/null; kill "$qemu_pid" 2>/dev/null; }
	wait 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

for f in "$elf" "$O/guest/relay.fd" "$O/tools/igvmbuild"; do
	[ -f "$f" ] || { t_fail "relay: $f is missing (build it first)"; t_summary; exit 1; }
done
if ! "$O/tools/igvmbuild" --elf "$elf" --firmware "$O/guest/relay.fd" -o "$work/relay.igvm" \
	>"$work/igvmbuild.txt" 2>&1; then
	t_fail "relay: igvmbuild" "$(tail -n 1 "$work/igvmbuild.txt")"
	t_summary
	exit 1
fi

serial_port=$(e2e_free_port)
E2E_PORT=$(e2e_free_port)
"$here/../scripts/qemu-run.sh" --tools "$O/tools" --test --mem 512 --timeout 900 \
	--serial2 "tcp:127.0.0.1:$serial_port,server=on,wait=off,nodelay=on" "$work/relay.igvm" \
	>"$work/qemu.txt" 2>&1 &
qemu_pid=$!
for _ in $(seq 600); do
	grep -aq 'relay: ready' "$work/qemu.txt" && break
	kill -0 "$qemu_pid" 2>/dev/null || break
	sleep 0.1
done
if ! grep -aq 'relay: ready' "$work/qemu.txt"; then
	t_fail "relay guest boots under Bastion and finds the vTPM" "$(tr -d '\r' <"$work/qemu.txt" | tail -5)"
	t_summary
	exit 1
fi
t_pass "relay guest boots under Bastion and finds the vTPM (VTPM_QUERY bit 8)"
tr -d '\r' <"$work/qemu.txt" | grep -a -m1 'vtpm: manufactured' | sed 's/^/  /'

"$E2E_PY" "$here/relay/mssim_relay.py" --serial "127.0.0.1:$serial_port" --port "$E2E_PORT" \
	--log "$work/relay.log" &
relay_pid=$!
export E2E_PORT
export TPM2TOOLS_TCTI="mssim:host=127.0.0.1,port=$E2E_PORT"
# The guest cannot power-cycle the TPM inside Bastion: flows skip their power-cycle parts.
export E2E_NO_POWER_CYCLE=1
e2e_wait_port "$E2E_PORT" "$relay_pid" || { t_fail "relay adapter listens" "$(cat "$work/relay.log")"; t_summary; exit 1; }
t_pass "relay adapter listens on 127.0.0.1:$E2E_PORT"

t0=$(date +%s)
echo "== tpm2_startup -c (through SVSM_VTPM_CMD)"
e2e_ok "startup (CLEAR) through the SVSM" tpm2_startup -c
for flow in getrandom getcap pcr pcrevent hash session_ctx clock pytss object seal sign nv hierarchy linux_bus crypt credential policy systemd_creds attest_time; do
	echo "== $flow (tests/e2e/$flow.sh through Bastion)"
	# shellcheck source=/dev/null
	. "$here/e2e/$flow.sh"
done
echo "relay: flows took $(($(date +%s) - t0)) s"

# STOP ends the guest through isa-debug-exit with its pass code: QEMU exits 0.
"$E2E_PY" -c 'import socket,struct,sys; s=socket.create_connection(("127.0.0.1",int(sys.argv[1])),5); s.sendall(struct.pack(">I",21))' "$E2E_PORT"
wait "$qemu_pid"
status=$?
qemu_pid=
t_status "relay guest stops on STOP (QEMU exit 0)" 0 "$status"
tr -d '\r' <"$work/qemu.txt" | grep -a -E 'relay: (STOP|VTPM_CMD|unknown)|PANIC|EXCEPTION' | sed 's/^/  /'
if grep -aqE 'PANIC|EXCEPTION' "$work/qemu.txt"; then
	t_fail "Bastion log clean"
fi
t_summary
