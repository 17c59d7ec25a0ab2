#!/bin/sh
# racelab-watch's speed (issue 15's budget: >= 1000 complete runs/s and
# >= 50,000 scheduled steps/s for a 2-thread program of about 20 steps).
# tests/watch/twenty.c: two threads of ten scheduling points each.
#  - --explore: its first 3000 interleavings, each a real run forked by
#    the fork server in the program's own process (runs/s, steps/s),
#    three times: the median is the figure the budget is judged on (each
#    run a complete run of ~21.6 steps: both numbers at once);
#  - one long run under --quantum 1 (a hand-off of the baton at every
#    step, 200,000 steps): the scheduler's own steps/s, exec included;
#  - the same two unpinned (RACELAB_NO_PIN=1: the runs' threads free to
#    go to any CPU), in this same bench run, as a ratio: what pinning a
#    scheduled run to one CPU gives on this machine.
cd "$(dirname "$0")/.." || exit 1
prog=build/watch/twenty
[ -x bin/racelab-watch ] && [ -x $prog ] || { echo "build first: make all"; exit 1; }
ex() { env "$@" bin/racelab-watch --explore --max-runs 3000 --json $prog || echo '{}'; }
long() { # yields a thread; prints steps and nanoseconds
	t0=$(date +%s%N)
	l=$(env "$2" bin/racelab-watch --quantum 1 --json $prog "$1") || l='{}'
	t1=$(date +%s%N)
	printf '%s\n%s\n' "$l" "$((t1 - t0))"
}
{
	cut -d' ' -f1 /proc/loadavg
	ex X=1; ex X=1; ex X=1
	ex RACELAB_NO_PIN=1
	long 100000 X=1
	long 10000 RACELAB_NO_PIN=1
} | python3 -c '
import json, sys
lines = sys.stdin.read().split("\n")
load = lines[0]
ex = [json.loads(x) for x in lines[1:5]]
lp, lpns, lu, luns = json.loads(lines[5]), int(lines[6]), json.loads(lines[7]), int(lines[8])
if any("runs_per_s" not in r for r in ex) or "steps" not in lp or "steps" not in lu:
    print("watch: a run failed"); sys.exit(1)
pinned = sorted(ex[:3], key=lambda r: r["runs_per_s"])
med, free = pinned[1], ex[3]
runs, steps = med["runs_per_s"], med["steps_per_s"]
qs, qus = lp["steps"] / (lpns / 1e9), lu["steps"] / (luns / 1e9)
print("watch: twenty (2 threads x 10 points), load %s" % load)
print("%-58s %10s %10s" % ("", "runs/s", "steps/s"))
print("%-58s %10.0f %10.0f" % ("  --explore: %d runs, %d steps, median of 3 (%.0f-%.0f runs/s)"
      % (med["explored"], med["steps"], pinned[0]["runs_per_s"], pinned[2]["runs_per_s"]), runs, steps))
print("%-58s %10.0f %10.0f   pinning: x%.2f" % ("  --explore unpinned (RACELAB_NO_PIN=1)",
      free["runs_per_s"], free["steps_per_s"], runs / free["runs_per_s"] if free["runs_per_s"] else 0))
print("%-58s %10s %10.0f" % ("  --quantum 1: %d steps, %.2f s (exec included)" % (lp["steps"], lpns / 1e9), "-", qs))
print("%-58s %10s %10.0f   pinning: x%.2f" % ("  --quantum 1 unpinned: %d steps, %.2f s" % (lu["steps"], luns / 1e9),
      "-", qus, qs / qus if qus else 0))
print("%-58s %10d %10d   %s" % ("  budget (issue 15), judged on --explore", 1000, 50000,
      "runs %s, steps %s" % ("met" if runs >= 1000 else "NOT met", "met" if steps >= 50000 else "NOT met")))
'
