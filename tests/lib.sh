# Shared helpers for the shell-level tests. Source it; call t_pass/t_fail/t_check; end with
# t_summary, which prints "N passed, N failed" and returns non-zero on any failure.
t_passed=0
t_failed=0

t_pass() { t_passed=$((t_passed + 1)); echo "PASS $1"; }
t_fail() { t_failed=$((t_failed + 1)); echo "FAIL $1${2:+: $2}"; }

# t_grep NAME PATTERN FILE: passes when the extended regex PATTERN occurs in FILE.
t_grep() {
	if grep -Eq -- "$2" "$3"; then t_pass "$1"; else t_fail "$1" "no line matching /$2/ in $3"; fi
}

# t_status NAME EXPECTED ACTUAL
t_status() {
	if [ "$2" = "$3" ]; then t_pass "$1"; else t_fail "$1" "exit status $3, expected $2"; fi
}

t_summary() {
	echo "$t_passed passed, $t_failed failed"
	[ "$t_failed" -eq 0 ]
}
