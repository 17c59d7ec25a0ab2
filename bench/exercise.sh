#!/bin/sh
# How long `racelab --check` takes on each exercise (issue 16's budget: a
# check of each of the three first exercises under 5 s on this machine):
# the lesson's driver and a right solution from tests/exercises, compiled
# by racelab-watch (its cache warmed by a first check, then timed: what a
# learner waits for after an edit is a recompile of one file, timed too),
# explored and run on free threads.
cd "$(dirname "$0")/.." || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/racelab-bench-ex.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
export XDG_CACHE_HOME="$tmp/cache" XDG_STATE_HOME="$tmp/state" XDG_DATA_HOME="$tmp/data"
now() { date +%s.%N; }
printf '%-34s %9s %9s %13s   %s\n' "check (right solution)" "cold s" "warm s" "interleavings" "budget 5 s"
fail=0
for x in bank:bank-mutex.c transfer:transfer-ordered.c slot:slot-twocv.c; do
	name=${x%%:*} sol=tests/exercises/${x#*:}
	cp "$sol" "$tmp/$name.c"
	t0=$(now)
	bin/racelab --check "$name" "$tmp/$name.c" --json > "$tmp/out" || { echo "$name: not PASS: $(cat "$tmp/out")"; fail=1; continue; }
	t1=$(now)
	bin/racelab --check "$name" "$tmp/$name.c" --json > "$tmp/out" || { echo "$name: not PASS"; fail=1; continue; }
	t2=$(now)
	n=$(sed -n 's/.*"explored":\([0-9]*\).*/\1/p' "$tmp/out")
	cold=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
	warm=$(awk -v a="$t1" -v b="$t2" 'BEGIN { print b - a }')
	met=$(awk -v c="$cold" 'BEGIN { print (c < 5) ? 1 : 0 }')
	[ "$met" = 1 ] || fail=1
	printf '%-34s %9.2f %9.2f %13s   %s\n' "$name ($(basename "$sol"))" "$cold" "$warm" "$n" \
		"$([ "$met" = 1 ] && echo met || echo 'NOT met')"
done
exit $fail
