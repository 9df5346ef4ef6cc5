#!/usr/bin/env bash
# Boots a Bastion IGVM file in QEMU.
#
# usage: scripts/qemu-run.sh [options] FILE.igvm
#   --mem MIB        guest RAM in MiB (default 512)
#   --smp N          vCPUs (default 1)
#   --tools DIR      where igvmload and qemu_reset_rom.bin live (default: build/tools)
#   --test           non-interactive: no monitor, serial on stdout, stdin ignored
#   --timeout SEC    with --test: kill QEMU after SEC seconds (default 120)
#   --fw-cfg N=S     add `-fw_cfg name=N,string=S` (e.g. opt/bastion/ktest=suite.name)
#   --serial2 SPEC   a second serial port (COM2) on the chardev SPEC, e.g.
#                    tcp:127.0.0.1:4444,server=on,wait=off (the vTPM relay guest's link)
#
# QEMU >= 10.2 loads IGVM files itself (`-object igvm-cfg`, native platform); older QEMU
# (Debian 12 ships 7.2) gets the file through igvmload, which turns the NATIVE directives into
# `-device loader` blobs plus a reset-vector ROM. BASTION_LOADER=igvmload|qemu forces one.
# TCG is the default accelerator; BASTION_ACCEL=kvm selects KVM (needs nested SVM for the
# native platform's guest).
#
# Exit status with --test: 0 when Bastion reported success through isa-debug-exit (QEMU
# status 33), 1 when it reported failure (35), 2 when QEMU stopped otherwise (triple fault
# with -no-reboot, QEMU error), 3 on timeout.
set -euo pipefail

QEMU=${QEMU:-qemu-system-x86_64}
mem=512
smp=1
tools=build/tools
test_mode=0
timeout_s=120
fw_cfg=()
serial2=()
igvm=

while [ $# -gt 0 ]; do
	case "$1" in
	--mem) mem=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--tools) tools=$2; shift 2 ;;
	--test) test_mode=1; shift ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--fw-cfg) fw_cfg+=(-fw_cfg "name=${2%%=*},string=${2#*=}"); shift 2 ;;
	--serial2) serial2=(-serial "$2"); shift 2 ;;
	-h|--help) sed -n '2,24p' "$0"; exit 0 ;;
	-*) echo "qemu-run.sh: unknown option $1" >&2; exit 2 ;;
	*) igvm=$1; shift ;;
	esac
done
[ -n "$igvm" ] || { echo "qemu-run.sh: no IGVM file given" >&2; exit 2; }
[ -f "$igvm" ] || { echo "qemu-run.sh: $igvm not found (run make first)" >&2; exit 2; }

qemu_has_native_igvm() {
	local v major minor
	v=$("$QEMU" --version | sed -n '1s/.*version \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
	read -r major minor <<<"$v"
	[ -n "${major:-}" ] || return 1
	if [ "$major" -lt 10 ] || { [ "$major" -eq 10 ] && [ "$minor" -lt 2 ]; }; then
		return 1
	fi
	"$QEMU" -object help 2>/dev/null | grep -qw igvm-cfg
}

loader=${BASTION_LOADER:-}
if [ -z "$loader" ]; then
	if qemu_has_native_igvm; then loader=qemu; else loader=igvmload; fi
fi

args=(-machine q35 -accel "${BASTION_ACCEL:-tcg}" -cpu max -m "${mem}M" -smp "$smp"
	-nodefaults -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04)
case "$loader" in
qemu)
	args=(-machine "q35,igvm-cfg=igvm0" -object "igvm-cfg,id=igvm0,file=$igvm" "${args[@]:2}")
	;;
igvmload)
	workdir=$(mktemp -d "${TMPDIR:-/tmp}/bastion-qemu.XXXXXX")
	trap 'rm -rf "$workdir"' EXIT
	mapfile -t load_args < <("$tools/igvmload" --mem-mib "$mem" --smp "$smp" \
		--rom "$tools/qemu_reset_rom.bin" --out "$workdir" "$igvm" || echo "__FAILED__")
	if [ "${#load_args[@]}" -eq 0 ] || [ "${load_args[-1]}" = "__FAILED__" ]; then
		echo "qemu-run.sh: igvmload could not prepare $igvm" >&2
		exit 2
	fi
	args+=("${load_args[@]}")
	;;
*)
	echo "qemu-run.sh: BASTION_LOADER must be igvmload or qemu" >&2
	exit 2
	;;
esac
args+=("${fw_cfg[@]}")

if [ "$test_mode" -eq 0 ]; then
	echo "qemu-run.sh: booting $igvm ($loader loader, ${mem} MiB, $smp vCPU); Ctrl-A X quits"
	"$QEMU" "${args[@]}" -nographic -serial mon:stdio "${serial2[@]}"
	exit $?
fi

set +e
timeout --kill-after=5 "$timeout_s" "$QEMU" "${args[@]}" -display none -serial stdio \
	"${serial2[@]}" -monitor none </dev/null
status=$?
set -e
case "$status" in
33) exit 0 ;;
35) exit 1 ;;
124|137) echo "qemu-run.sh: timeout after ${timeout_s}s" >&2; exit 3 ;;
*) echo "qemu-run.sh: QEMU stopped with status $status (reset, triple fault or QEMU error)" >&2; exit 2 ;;
esac
