#!/bin/sh
# Runs every benchmark in build/bench and prints its table.
# Budgets are checked here, never in the unit tests.
cd "$(dirname "$0")/.." || exit 1
printf 'racelab bench on %s, %s CPUs, %s\n\n' "$(uname -r)" "$(nproc)" "$(date -u +%Y-%m-%dT%H:%MZ)"
for b in build/bench/*; do
	[ -x "$b" ] || continue
	echo "== $(basename "$b")"
	"$b" || echo "(bench $(basename "$b") failed: exit $?)"
	echo
done
# --explore's runs and steps per second.
echo "== explore"
sh bench/explore.sh </dev/null || echo "(bench explore failed: exit $?)"
echo
# racelab-watch: a watched program's runs and steps per second.
echo "== watch"
sh bench/watch.sh </dev/null || echo "(bench watch failed: exit $?)"
echo
# A check of each exercise (racelab --check), cold and warm.
echo "== exercise"
sh bench/exercise.sh </dev/null || echo "(bench exercise failed: exit $?)"
echo
# Lesson 09 in C and in Python, side by side.
echo "== C vs Python (lesson 09)"
sh bench/python.sh </dev/null || echo "(bench python failed: exit $?)"
echo
# The shell's own budgets, in a real terminal (needs tmux).
if command -v tmux >/dev/null; then
	echo "== shell"
	sh bench/shell.sh </dev/null || echo "(bench shell failed: exit $?)"
else
	echo "== shell: skipped (no tmux)"
fi
