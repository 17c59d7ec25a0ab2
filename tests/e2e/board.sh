# What the board carries stays on screen after a demo ends, however short:
# the PIDs of a run that lasted less than 50 ms, both locks of the deadlock
# with holder and waiters (120x40 and 80x24), the buffer's two condition
# variables, a gauge's range without any LOST, and the timeline of a short
# run drawn over its real duration.
. "$(dirname "$0")/lib.sh"

quit_clean() {
	keys q
	sleep 0.2
	keys q
	[ "$(rl_wait_exit)" = 0 ] || fail "racelab did not exit with 0"
	rl_check_clean
	T kill-server
}

# The panel that starts with title $1, from its top border to its bottom.
panel() {
	screen | awk -v t="$1" 'index($0, "─ " t " ") { p = 1 } p { print } p && /└/ { exit }'
}

# ---- A demo of a few milliseconds: its actors are still listed after. ----
rl_start "--run 'race --workers 2 --iters 1000 --runs 1'"
wait_for "exited 0 after 0.0 s" 15
screen | grep -q "waiting for the lesson to publish" && fail "actors lost after a short run"
proc_rows > "$RL_TMP/rows"
[ "$(awk '$2 == "proc"' "$RL_TMP/rows" | wc -l)" -eq 2 ] ||
	fail "the 2 process workers of a short run are not on screen"
[ "$(awk '$2 == "main"' "$RL_TMP/rows" | wc -l)" -eq 1 ] || fail "main is not on screen"
# Three distinct real PIDs (main and its two forked workers).
[ "$(awk '{ print $3 }' "$RL_TMP/rows" | sort -u | wc -l)" -eq 3 ] ||
	fail "the PIDs on screen are not three distinct processes"
awk '$3 <= 1 { exit 1 }' "$RL_TMP/rows" || fail "a PID on screen is not a PID"
# Their parent is the lesson's main, although both have exited.
mainpid=$(awk '$2 == "main" { print $3 }' "$RL_TMP/rows")
[ "$(awk -v m="$mainpid" '$2 == "proc" && $4 == m' "$RL_TMP/rows" | wc -l)" -eq 2 ] ||
	fail "the PPID of the exited workers is not the lesson's PID"
screen | grep -q "no workers yet" && fail "the timeline lost its workers"
panel Counters | grep -q "balance" || fail "the balance counter is gone"
quit_clean

# ---- A program with no probe points: w offers no schedule for it. -------
rl_start "--run 'processes --workers 2'"
wait_for "exited 0" 15
keys w
wait_for "racelab-processes has no probe points: no schedule to save"
quit_clean

# ---- The deadlock: both locks, holder and waiter each, at two sizes. -----
for size in 120x40 80x24; do
	RL_COLS=${size%x*}
	RL_LINES=${size#*x}
	rl_start "deadlock"
	wait_for "Step 1/"
	keys Enter
	wait_for "exited 3" 20 # 3: the deadlock was found and reported
	panel Locks > "$RL_TMP/locks"
	# (dead): the lesson kills the workers after it reports the cycle.
	grep -Eq '│ a +mutex +w1(\(dead\))? .*1: w2' "$RL_TMP/locks" ||
		{ cat "$RL_TMP/locks"; fail "$size: lock a is not held by w1 with w2 waiting"; }
	grep -Eq '│ b +mutex +w2(\(dead\))? .*1: w1' "$RL_TMP/locks" ||
		{ cat "$RL_TMP/locks"; fail "$size: lock b is not held by w2 with w1 waiting"; }
	quit_clean
done
RL_COLS=120
RL_LINES=40

# ---- A condition variable's row (full width): its wake-ups and the time
# its waiters slept, never a share of contended takes (5 waits for 2
# wake-ups once read 250%).
rl_start "--run 'condvars --workers 3 --items 1 --cvs one --schedule 2,2,3,3,1,1,1,1,1,1,1,2,2,2,2,2,3,3'"
wait_for "everyone asleep" 20
panel Locks > "$RL_TMP/locks"
grep -Eq '│ cv +condvar +- +[0-9]+ +- +[0-9.]+ +3: w1,w2,w3' "$RL_TMP/locks" ||
	{ cat "$RL_TMP/locks"; fail "the condvar row is not wake-ups, -, wait ms, 3 waiters"; }
quit_clean

# ---- Lesson 12's buffer: the mutex and both condition variables. --------
rl_start "coordination"
wait_for "Step 1/"
keys n n
wait_for "Step 3/"
keys Enter
wait_for "exited 0" 20
panel Locks > "$RL_TMP/locks"
grep -Eq '│ buffer +mutex' "$RL_TMP/locks" || { cat "$RL_TMP/locks"; fail "no buffer mutex"; }
grep -Eq '│ not full +condvar' "$RL_TMP/locks" || { cat "$RL_TMP/locks"; fail "no 'not full'"; }
grep -Eq '│ not empty +condvar' "$RL_TMP/locks" || { cat "$RL_TMP/locks"; fail "no 'not empty'"; }
# "in buffer" is a gauge: its range, never LOST.
panel Counters > "$RL_TMP/counters"
grep -Eq '│ in buffer +0 +0 +(min 0 max [1-4]|0\.\.[1-4]) ' "$RL_TMP/counters" ||
	{ cat "$RL_TMP/counters"; fail "the in-buffer gauge shows no range"; }
grep -q "LOST" "$RL_TMP/counters" && { cat "$RL_TMP/counters"; fail "LOST on counters that cannot lose"; }
quit_clean

# ---- A 0.15 s run: the timeline is drawn over its duration, from events. --
# Three workers, one permit, one entry of 50 ms each: the first goes in at
# once, the other two wait their turn (50 and 100 ms), one inside at a time.
rl_start "--run 'coordination --demo semaphore --workers 3 --limit 1 --iters 1 --hold 0.05'"
wait_for "exited 0" 15
panel Timeline > "$RL_TMP/tl"
secs=$(sed -n 's/.* \([0-9.]*\) s shown .*/\1/p' "$RL_TMP/tl")
[ -n "$secs" ] || { cat "$RL_TMP/tl"; fail "the timeline does not say the time it shows"; }
awk -v s="$secs" 'BEGIN { exit !(s >= 0.14 && s < 1.0) }' ||
	{ cat "$RL_TMP/tl"; fail "timeline shows $secs s for a 0.15 s run"; }
waited=0
for w in w1 w2 w3; do
	lane=$(grep "│ $w " "$RL_TMP/tl")
	echo "$lane" | grep -q '#' || { cat "$RL_TMP/tl"; fail "$w never inside"; }
	echo "$lane" | grep -q '~.*#' && waited=$((waited + 1))
	# Drawn across the lane (one column per 1/100 of the run), not one
	# column per frame (a 0.15 s run has about five frames).
	marks=$(echo "$lane" | sed 's/^.*│ w[0-9]* *//; s/│.*//' | tr -cd '.~#=-' | wc -c)
	[ "$marks" -ge 50 ] || { cat "$RL_TMP/tl"; fail "$w: $marks columns drawn for a finished run"; }
done
[ "$waited" -eq 2 ] || { cat "$RL_TMP/tl"; fail "$waited lanes show a wait, then the turn inside (2 expected)"; }
grep -q "# critical" "$RL_TMP/tl" && grep -q "~ waiting" "$RL_TMP/tl" ||
	{ cat "$RL_TMP/tl"; fail "the legend lacks a mark that is drawn"; }
quit_clean
echo ok
