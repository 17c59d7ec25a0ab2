#!/bin/sh
# Runs each fuzz target for $1 seconds (default 60) from its seed corpus,
# keeping what it learns in build/fuzz/corpus-*; prints what it found.
secs=${1:-60}
cd "$(dirname "$0")/../.." || exit 1
status=0
for t in md args; do
	work=build/fuzz/corpus-$t
	mkdir -p "$work" build/fuzz/crashes-$t
	echo "== fuzz_$t for ${secs}s"
	./build/fuzz/fuzz_$t -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix=build/fuzz/crashes-$t/ -print_final_stats=1 \
		"$work" tests/fuzz/corpus/$t > build/fuzz/fuzz_$t.log 2>&1
	rc=$?
	grep -E '^stat::number_of_executed_units|^stat::peak_rss|^#[0-9]+ *DONE' build/fuzz/fuzz_$t.log
	n=$(ls build/fuzz/crashes-$t | wc -l)
	echo "fuzz_$t: exit $rc, $n crash file(s) in build/fuzz/crashes-$t"
	[ "$rc" -eq 0 ] && [ "$n" -eq 0 ] || status=1
done
exit $status
