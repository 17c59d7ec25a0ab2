#!/bin/sh
# Lesson 09's sum of squares in C and in Python, side by side in one run:
# the same N, serial and with 2 processes, each timed by its own program
# (--json), and the ratios.  Skipped, saying so, without python3.
cd "$(dirname "$0")/.." || exit 1
N=${RACELAB_BENCH_N:-20000000}
W=2
if ! command -v python3 >/dev/null; then
	echo "python3 is not installed: the C-vs-Python row is skipped"
	exit 0
fi
c=$(./bin/racelab-cpu-bound --n "$N" --workers $W --json) || exit 1
py=$(python3 -I lessons/09-cpu-bound/cpu_bound.py --n "$N" --workers $W \
	--parallel processes --json) || exit 1
# One small Python program reads both records and prints the table.
python3 -I - "$c" "$py" <<'PY'
import json, sys
c, p = (json.loads(a) for a in sys.argv[1:3])
assert c["expected"] == p["expected"] == c["serial_sum"] == p["serial_sum"], "sums differ"
print(f"sum of squares of 1..{c['n']}, {c['workers']} processes, {c['ncpu']} CPUs, "
      f"Python {p['python']} (GIL {'on' if p['gil'] else 'off'}); same sum in both")
print(f"{'':16}{'C ms':>10}{'Python ms':>12}{'Python/C':>10}")
for k in ("serial", "processes"):
    print(f"{k:16}{c[k + '_ms']:10.1f}{p[k + '_ms']:12.1f}{p[k + '_ms'] / c[k + '_ms']:10.0f}x")
print(f"{'speedup':16}{c['processes_speedup']:10.2f}{p['processes_speedup']:12.2f}")
PY
