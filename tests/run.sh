#!/bin/sh
# Runs every test: the libcheck suites (tests/unit), then each end-to-end
# script (tests/e2e/*.sh, exit 0 = pass), then prints one summary line.
#
# The e2e scripts listed in SHARED measure no time: they wait for what they
# expect (screens, files, exit statuses) with deadlines, so they run
# RACELAB_TEST_JOBS at a time (default 2), beside each other, after the
# rest.  Every other script runs alone, one after another, the machine to
# itself as far as make check goes: those that bound a time (a cleanup
# within 1 s, Escape within 300 ms), judge claims gated on the load
# (verify.sh) or count on a quiet machine.  A new script runs alone until
# it is added to SHARED.  RACELAB_TEST_JOBS=1 runs everything alone.
cd "$(dirname "$0")/.." || exit 1
out=build/tests/unit.log
now() { date +%s.%N; }
secs() { echo "$1 $(now)" | awk '{ printf "%.1f s", $2 - $1 }'; }
SHARED="package fatal lesson_text python layout layout_small lesson_claims step_quit
	quit complete outside mouse step step_semaphores step_condvars step_trace step_locks
	readers_writers philosophers step_memory_order step_spinlocks step_asleep step_undo
	panel_order pids images sync cli lesson checks bad_input crash kill nocolor resize
	suspend freeze limits tsan watch_locks watch_student version"
jobs=${RACELAB_TEST_JOBS:-2}
case $jobs in '' | *[!0-9]* | 0) jobs=1 ;; esac
t0=$(now)
CK_FORK=yes CK_VERBOSITY=normal ./build/tests/unit 2>&1 | tee "$out"
echo "unit: $(secs "$t0")"
line=$(grep -E '^[0-9]+%: Checks: ' "$out" | tail -n 1)
uchecks=$(echo "$line" | sed -n 's/.*Checks: \([0-9]*\).*/\1/p')
ufail=$(echo "$line" | sed -n 's/.*Failures: \([0-9]*\), Errors: \([0-9]*\).*/\1 \2/p')
ufail=$(( ${ufail% *} + ${ufail#* } ))
[ -n "$uchecks" ] || { echo "unit tests did not report a summary"; uchecks=0; ufail=1; }

R=build/tests/e2e.run # one result file per script, and the claims of the lanes
rm -rf "$R" && mkdir -p "$R" || exit 1
# run_one SCRIPT: run it, log in build/tests/NAME.log, "ok"/"not ok" line
# in $R/NAME (printed, with the log's tail on failure, when all are done).
run_one() {
	_n=$(basename "$1" .sh) _t1=$(now)
	if sh "$1" > build/tests/"$_n".log 2>&1; then
		echo "ok - $1 ($(secs "$_t1"))" > "$R/$_n"
	else
		echo "not ok - $1 ($(secs "$_t1"))" > "$R/$_n"
	fi
	head -n 1 "$R/$_n"
}
shared() { case " $(echo $SHARED) " in *" $1 "*) return 0 ;; esac; return 1; }
alone= pool= ordered=
for t in tests/e2e/*.sh; do
	case $t in */lib.sh) continue ;; esac
	[ -f "$t" ] || continue
	if [ "$jobs" -gt 1 ] && shared "$(basename "$t" .sh)"; then
		pool="$pool $t"
	else
		alone="$alone $t"
	fi
done
for t in $alone; do run_one "$t"; done
# The pool in SHARED's order (the longest first), each lane taking the next
# script nobody has claimed (mkdir is atomic), until none is left.
if [ -n "$pool" ]; then
	ordered=
	for n in $SHARED; do
		case " $pool " in *" tests/e2e/$n.sh "*) ordered="$ordered tests/e2e/$n.sh" ;; esac
	done
	lane=1
	while [ "$lane" -le "$jobs" ]; do
		(for t in $ordered; do
			mkdir "$R/claim.$(basename "$t" .sh)" 2>/dev/null && run_one "$t"
		done) &
		lane=$((lane + 1))
	done
	wait
fi
epass=0 efail=0
for t in $alone $ordered; do
	n=$(basename "$t" .sh)
	if [ -f "$R/$n" ] && grep -q '^ok - ' "$R/$n"; then
		epass=$((epass + 1))
	else
		efail=$((efail + 1))
		cat "$R/$n" 2>/dev/null || echo "not ok - $t (no result)"
		sed 's/^/    /' build/tests/"$n".log | tail -n 30
	fi
done
echo "e2e: $epass passed, $efail failed"
passed=$((uchecks - ufail + epass)); failed=$((ufail + efail))
echo "check: $passed passed, $failed failed ($(secs "$t0") of tests)"
[ "$failed" -eq 0 ]
