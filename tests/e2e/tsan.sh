#!/bin/sh
# The tool teaches the truth: ThreadSanitizer, watching the race lesson's
# thread workers, reports the unsynchronised mode and stays quiet for every
# synchronised one.  (Process workers are outside TSan's view.)
set -u
cd "$(dirname "$0")/../.." || exit 1
bin=build/tsan/racelab-race
[ -x "$bin" ] || { echo "missing $bin (make tsan)"; exit 1; }
fail=0
out=$(TSAN_OPTIONS=exitcode=66 "$bin" --mode thread --iters 2000 --runs 2 --quiet --sync none 2>&1)
rc=$?
if [ $rc -ne 66 ] || ! echo "$out" | grep -q 'WARNING: ThreadSanitizer: data race'; then
	echo "racy mode not reported (exit $rc)"; fail=1
fi
echo "$out" | grep -q 'race.c' || { echo "report does not point at race.c"; fail=1; }
for s in mutex spin atomic; do
	out=$(TSAN_OPTIONS=exitcode=66 "$bin" --mode thread --iters 2000 --runs 2 --quiet --sync $s 2>&1)
	rc=$?
	if [ $rc -ne 0 ] || echo "$out" | grep -q ThreadSanitizer; then
		echo "sync $s: TSan reported (exit $rc):"; echo "$out" | head -20; fail=1
	fi
done
# Scripted step mode (gates, futexes) is race-free too.
out=$(TSAN_OPTIONS=exitcode=66 "$bin" --mode thread --iters 1 --schedule 1,2,1,2 --sync none --runs 3 2>&1)
rc=$?
[ $rc -eq 0 ] && ! echo "$out" | grep -q ThreadSanitizer || { echo "schedule: TSan reported (exit $rc)"; echo "$out" | head -20; fail=1; }
exit $fail
