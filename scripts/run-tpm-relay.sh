#!/usr/bin/env bash
# `make run GUEST=tpm-relay`: boots Bastion with the vTPM relay guest and makes the TPM inside
# Bastion reachable as an mssim TPM on 127.0.0.1:PORT (default 2321; platform port PORT+1), so
# tpm2-tools talk to it from another terminal:
#
#   export TPM2TOOLS_TCTI=mssim:host=127.0.0.1,port=2321
#   tpm2_startup -c && tpm2_getrandom --hex 16 && tpm2_pcrread sha256:0-7
#
# Every command goes through the guest's SVSM_VTPM_CMD call into Bastion (docs/vtpm.md,
# "The vTPM inside QEMU"). Ctrl-A X quits QEMU (the adapter stops with it).
# usage: scripts/run-tpm-relay.sh BUILD_DIR RELAY_IGVM [PORT]
set -euo pipefail
O=${1:?usage: run-tpm-relay.sh BUILD_DIR RELAY_IGVM [PORT]}
igvm=${2:?usage: run-tpm-relay.sh BUILD_DIR RELAY_IGVM [PORT]}
port=${3:-2321}
here=$(cd "$(dirname "$0")" && pwd)
serial_port=$((port + 2))

/usr/bin/python3 "$here/../tests/relay/mssim_relay.py" --serial "127.0.0.1:$serial_port" \
	--port "$port" &
relay_pid=$!
trap 'kill $relay_pid 2>/dev/null' EXIT
echo "run-tpm-relay: the vTPM inside Bastion will answer on 127.0.0.1:$port (mssim);"
echo "run-tpm-relay:   export TPM2TOOLS_TCTI=mssim:host=127.0.0.1,port=$port"
"$here/qemu-run.sh" --mem "${MEM:-512}" --tools "$O/tools" \
	--serial2 "tcp:127.0.0.1:$serial_port,server=on,wait=off,nodelay=on" "$igvm"
