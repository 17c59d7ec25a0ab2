#!/bin/sh
# racelab-watch's speed (issue 15's budget: >= 1000 complete runs/s and
# >= 50,000 scheduled steps/s for a 2-thread program of about 20 steps).
# tests/watch/twenty.c: two threads of ten scheduling points each.
#  - --explore: its first 3000 interleavings, each a real run forked by
#    the fork server in the program's own process (runs/s, steps/s);
#  - one long run under --quantum 1 (a hand-off of the baton at every
#    step, 200,000 steps): the scheduler's own steps/s.
cd "$(dirname "$0")/.." || exit 1
prog=build/watch/twenty
[ -x bin/racelab-watch ] && [ -x $prog ] || { echo "build first: make all"; exit 1; }
ex=$(bin/racelab-watch --explore --max-runs 3000 --json $prog) || exit 1
t0=$(date +%s%N)
long=$(bin/racelab-watch --quantum 1 --json $prog 100000) || exit 1
t1=$(date +%s%N)
printf '%s\n%s\n%s\n' "$ex" "$long" "$((t1 - t0))" | python3 -c '
import json, sys
lines = sys.stdin.read().split("\n")
r, l, ns = json.loads(lines[0]), json.loads(lines[1]), int(lines[2])
runs, steps = r["runs_per_s"], r["steps_per_s"]
print("%-50s %10s %10s" % ("watch: twenty (2 threads x 10 points)", "runs/s", "steps/s"))
print("%-50s %10.0f %10.0f" % ("  --explore: %d runs, %d steps, %.2f s" % (r["explored"], r["steps"], r["seconds"]), runs, steps))
lsteps = l["steps"] / (ns / 1e9)
print("%-50s %10s %10.0f" % ("  --quantum 1: %d steps, %.2f s (exec included)" % (l["steps"], ns / 1e9), "-", lsteps))
print("%-50s %10d %10d   %s" % ("  budget (issue 15)", 1000, 50000,
      "runs %s, steps %s" % ("met" if runs >= 1000 else "NOT met",
                               "met" if max(steps, lsteps) >= 50000 else "NOT met")))
'
