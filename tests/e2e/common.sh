# Shared helpers for the end-to-end tests (tests/e2e/*.sh): Debian's real TPM clients
# (tpm2-tools, tpm2-pytss) driving build/vtpm-server over the mssim TCP protocol.
# Source it. Every flow script works two ways:
#   - sourced by run.sh, which starts one server for all flows and sums the PASS/FAIL lines;
#   - run by hand:  tests/e2e/pcr.sh BUILD_DIR   (starts its own server), or
#                   TPM2TOOLS_TCTI=mssim:host=127.0.0.1,port=2321 tests/e2e/pcr.sh
#                   (against a server you started, after tpm2_startup -c).
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib.sh
. "$E2E_DIR/../lib.sh"

# Debian's python3 (python3-tpm2-pytss lives in its dist-packages, not in a pyenv).
E2E_PY=${E2E_PY:-/usr/bin/python3}
E2E_SERVER_PID=
E2E_SWTPM_PID=
E2E_TMP=${E2E_TMP:-}

e2e_tmp() {
	if [ -z "$E2E_TMP" ]; then
		E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/bastion-e2e.XXXXXX")
	else
		mkdir -p "$E2E_TMP"
	fi
}

# e2e_free_port: prints a port P such that P and P+1 are both free on 127.0.0.1.
e2e_free_port() {
	"$E2E_PY" - <<'EOF'
import random, socket
for _ in range(200):
    p = random.randrange(20000, 60000, 2)
    try:
        a = socket.socket(); a.bind(("127.0.0.1", p))
        b = socket.socket(); b.bind(("127.0.0.1", p + 1))
        a.close(); b.close()
        print(p)
        break
    except OSError:
        pass
EOF
}

# e2e_wait_port PORT PID: waits (<= 5 s) until PORT accepts connections and PID still lives.
e2e_wait_port() {
	for _ in $(seq 100); do
		kill -0 "$2" 2>/dev/null || return 1
		if "$E2E_PY" -c 'import socket,sys; s=socket.create_connection(("127.0.0.1",int(sys.argv[1])),0.2); s.close()' "$1" 2>/dev/null; then
			return 0
		fi
		sleep 0.05
	done
	return 1
}

# e2e_start_server BUILD_DIR: starts BUILD_DIR/vtpm-server on free ports, exports
# TPM2TOOLS_TCTI, E2E_PORT; the log goes to $E2E_TMP/server.log.
e2e_start_server() {
	local bin=$1/vtpm-server
	e2e_tmp
	[ -x "$bin" ] || { echo "e2e: $bin not built (make vtpm-server)" >&2; return 1; }
	for _ in 1 2 3 4 5; do
		E2E_PORT=$(e2e_free_port)
		"$bin" -port "$E2E_PORT" >>"$E2E_TMP/server.log" 2>&1 &
		E2E_SERVER_PID=$!
		if e2e_wait_port "$E2E_PORT" "$E2E_SERVER_PID"; then
			export E2E_PORT
			export TPM2TOOLS_TCTI="mssim:host=127.0.0.1,port=$E2E_PORT"
			return 0
		fi
		kill "$E2E_SERVER_PID" 2>/dev/null
		wait "$E2E_SERVER_PID" 2>/dev/null
		E2E_SERVER_PID=
	done
	echo "e2e: vtpm-server did not start; log:" >&2
	cat "$E2E_TMP/server.log" >&2
	return 1
}

# e2e_start_swtpm: starts Debian's swtpm on free ports (state in $E2E_TMP/swtpm), exports
# E2E_SWTPM_TCTI and sends TPM2_Startup(CLEAR).
e2e_start_swtpm() {
	local port
	e2e_tmp
	command -v swtpm >/dev/null || { echo "swtpm is not installed (scripts/deps)"; return 1; }
	mkdir -p "$E2E_TMP/swtpm"
	port=$(e2e_free_port)
	swtpm socket --tpm2 --server type=tcp,port="$port" --ctrl type=tcp,port=$((port + 1)) \
		--flags not-need-init --tpmstate dir="$E2E_TMP/swtpm" >>"$E2E_TMP/swtpm.log" 2>&1 &
	E2E_SWTPM_PID=$!
	e2e_wait_port "$port" "$E2E_SWTPM_PID" || { echo "swtpm did not start"; return 1; }
	export E2E_SWTPM_TCTI="swtpm:host=127.0.0.1,port=$port"
	TPM2TOOLS_TCTI=$E2E_SWTPM_TCTI tpm2_startup -c >/dev/null 2>&1
}

e2e_cleanup() {
	if [ -n "$E2E_SERVER_PID" ]; then
		kill "$E2E_SERVER_PID" 2>/dev/null
		wait "$E2E_SERVER_PID" 2>/dev/null
	fi
	if [ -n "$E2E_SWTPM_PID" ]; then
		kill "$E2E_SWTPM_PID" 2>/dev/null
		wait "$E2E_SWTPM_PID" 2>/dev/null
	fi
	E2E_SERVER_PID=
	E2E_SWTPM_PID=
	[ -z "$E2E_TMP" ] || rm -rf "$E2E_TMP"
}

# e2e_platform_signal CODE...: sends bare u32 signals on the platform port (E2E_PORT + 1) of
# the server and checks that each is answered with u32 0.
e2e_platform_signal() {
	"$E2E_PY" - "$((E2E_PORT + 1))" "$@" <<'EOF'
import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
for code in sys.argv[2:]:
    s.sendall(struct.pack(">I", int(code)))
    r = b""
    while len(r) < 4:
        chunk = s.recv(4 - len(r))
        if not chunk:
            sys.exit("platform port closed")
        r += chunk
    if struct.unpack(">I", r)[0] != 0:
        sys.exit("signal %s answered %r" % (code, r))
s.close()
EOF
}

# e2e_run NAME CMD...: runs CMD with stdout in $E2E_TMP/NAME.out, stderr in NAME.err;
# returns CMD's status.
e2e_run() {
	local name=$1
	shift
	"$@" >"$E2E_TMP/$name.out" 2>"$E2E_TMP/$name.err"
}

# e2e_err FILE: the informative part of a tool's stderr on one line: tpm2-tools' own
# "ERROR: Esys_X(0xRC) - text" line when there is one, else the start of the file.
e2e_err() {
	local line
	line=$(grep -m1 -E '^ERROR: [^:]+\(0x' "$1" 2>/dev/null) || line=$(head -c 300 "$1" 2>/dev/null)
	printf '%s' "$line" | tr '\n' ' '
}

# e2e_ok NAME CMD...: PASS when CMD exits 0, FAIL with the first line of its stderr otherwise.
e2e_ok() {
	local name=$1 tool
	shift
	# The tool's name goes into the line: the log says which client ran (`env VAR=...` and
	# shell functions skipped to the program).
	for tool in "$@"; do
		case "$tool" in env|*=*) continue ;; esac
		break
	done
	if e2e_run "$name" "$@"; then
		t_pass "$name [${tool##*/}]"
	else
		t_fail "$name [${tool##*/}]" "exit $?: $(e2e_err "$E2E_TMP/$name.err")"
	fi
}

# e2e_eq NAME EXPECTED ACTUAL: an ACTUAL of only blanks (a tool that printed nothing) fails.
e2e_eq() {
	if [ -n "${3//[[:space:]]/}" ] && [ "$2" = "$3" ]; then
		t_pass "$1"
	else
		t_fail "$1" "got '$3', expected '$2'"
	fi
}

# e2e_hex FILE: lowercase hex of a file's bytes, one line.
e2e_hex() { od -An -v -tx1 "$1" | tr -d ' \n'; }

# e2e_standalone "$@": for a flow script run by hand. With TPM2TOOLS_TCTI set it uses that
# TPM; otherwise it starts BUILD_DIR/vtpm-server (argument 1, default build) and sends
# TPM2_Startup(CLEAR). Installs the cleanup trap.
e2e_standalone() {
	trap e2e_cleanup EXIT
	e2e_tmp
	if [ -z "${TPM2TOOLS_TCTI:-}" ]; then
		e2e_start_server "${1:-build}" || exit 1
		tpm2_startup -c || { echo "tpm2_startup -c failed"; exit 1; }
	elif [ -z "${E2E_PORT:-}" ]; then
		E2E_PORT=$(echo "$TPM2TOOLS_TCTI" | sed -n 's/.*port=\([0-9]*\).*/\1/p')
	fi
}

# e2e_unhex HEX: writes the bytes HEX spells to stdout.
e2e_unhex() { printf "%b" "$(printf '%s' "$1" | sed 's/../\\x&/g')"; }

# e2e_digest ALG: the ALG (sha1, sha256, sha384, sha512) digest of stdin, lowercase hex, via
# coreutils.
e2e_digest() { "${1}sum" | cut -d' ' -f1; }

# e2e_extend ALG OLD_HEX DIGEST_HEX: the PCR value after an extend, H(old || digest)
# (TPM 2.0 Part 1, PCR extend).
e2e_extend() { { e2e_unhex "$2"; e2e_unhex "$3"; } | e2e_digest "$1"; }

# e2e_pcr ALG INDEX: the current PCR value (lowercase hex, no 0x) via tpm2_pcrread.
e2e_pcr() {
	# tpm2_pcrread prints "  0 : 0x..." (index padded to two columns) and "  16: 0x...".
	tpm2_pcrread "$1:$2" 2>/dev/null | sed -nE 's/^ +([0-9]+) *: 0x([0-9A-Fa-f]+)$/\1 \2/p' |
		awk -v idx="$2" '$1 == idx { print tolower($2) }'
}

# e2e_zeros ALG: an all-zero PCR value of that bank.
e2e_zeros() { e2e_unhex "" | e2e_digest "$1" | tr '0-9a-f' '0'; }

# e2e_count_lines FILE: turns a helper's PASS/FAIL lines into t_pass/t_fail; echoes INFO lines.
e2e_count_lines() {
	local line
	while IFS= read -r line; do
		case $line in
		"PASS "*) t_pass "${line#PASS }" ;;
		"FAIL "*)
			line=${line#FAIL }
			t_fail "${line%%: *}" "${line#*: }"
			;;
		*) echo "$line" ;;
		esac
	done <"$1"
}
