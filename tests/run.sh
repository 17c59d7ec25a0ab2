#!/bin/sh
# Runs every test: the libcheck suites (tests/unit), then each end-to-end
# script (tests/e2e/*.sh, exit 0 = pass), then prints one summary line.
cd "$(dirname "$0")/.." || exit 1
out=build/tests/unit.log
now() { date +%s.%N; }
secs() { echo "$1 $(now)" | awk '{ printf "%.1f s", $2 - $1 }'; }
t0=$(now)
CK_FORK=yes CK_VERBOSITY=normal ./build/tests/unit 2>&1 | tee "$out"
echo "unit: $(secs "$t0")"
line=$(grep -E '^[0-9]+%: Checks: ' "$out" | tail -n 1)
uchecks=$(echo "$line" | sed -n 's/.*Checks: \([0-9]*\).*/\1/p')
ufail=$(echo "$line" | sed -n 's/.*Failures: \([0-9]*\), Errors: \([0-9]*\).*/\1 \2/p')
ufail=$(( ${ufail% *} + ${ufail#* } ))
[ -n "$uchecks" ] || { echo "unit tests did not report a summary"; uchecks=0; ufail=1; }
epass=0 efail=0
for t in tests/e2e/*.sh; do
	case $t in */lib.sh) continue ;; esac
	[ -f "$t" ] || continue
	t1=$(now)
	if sh "$t" > build/tests/"$(basename "$t" .sh)".log 2>&1; then
		epass=$((epass + 1)); echo "ok - $t ($(secs "$t1"))"
	else
		efail=$((efail + 1)); echo "not ok - $t ($(secs "$t1"))"
		sed 's/^/    /' build/tests/"$(basename "$t" .sh)".log | tail -n 30
	fi
done
echo "e2e: $epass passed, $efail failed"
passed=$((uchecks - ufail + epass)); failed=$((ufail + efail))
echo "check: $passed passed, $failed failed ($(secs "$t0") of tests)"
[ "$failed" -eq 0 ]
