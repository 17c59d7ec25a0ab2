#!/bin/sh
# --explore's speed (issue 15's budget: >= 1000 runs/s and >= 50,000
# steps/s for a 2-thread program of about 20 steps): racelab-race with 2
# thread workers of 5 updates each (two probes an update: 20 steps a run),
# the first 2000 of its 184,756 schedules.  Each run is a fork of the
# parsed program (a fork server), its threads started and stepped by the
# lab's step driver.
cd "$(dirname "$0")/.." || exit 1
out=$(bin/racelab-race --workers 2 --iters 5 --mode thread --explore --max-runs 2000 --json) || exit 1
printf '%s\n' "$out" | python3 -c '
import json, sys
r = json.load(sys.stdin)
runs, steps = r["runs_per_s"], r["steps_per_s"]
print("%-44s %10s %10s" % ("explore: race 2 threads x 20 steps", "runs/s", "steps/s"))
print("%-44s %10.0f %10.0f" % ("  %d runs, %d steps, %.2f s" % (r["explored"], r["steps"], r["seconds"]), runs, steps))
print("%-44s %10d %10d   %s" % ("  budget (issue 15)", 1000, 50000,
      "met" if runs >= 1000 and steps >= 50000 else "NOT met"))
'
