# Step mode keeps the trace of the steps taken, as --trace prints them
# (narrower: "3 [1] write balance = 99 -> balance 99"):
# number, worker, operation, the balance after it.  Stepping 1 2 1 2 ... in
# the shell fills the step panel's history; past HIST_ROWS (6) it follows
# the newest step, and with the panel focused Up scrolls back to step 1.
# The history is the same, line for line, as the lesson program's own
# --trace with the schedule the shell saved.  Then goals judged during the
# run: "reached LABEL" and "counter X CMP N at any time".  At 120x40 and
# 80x24.
. "$(dirname "$0")/lib.sh"

L=$RL_TMP/lessons
mkdir -p "$L/01-trace"
cat > "$L/01-trace/lesson.md" <<'MD'
# Trace

## Step it

```run
race --workers 2 --iters 2 --runs 1
panels: step counters output
```

## Goals

```run
race --workers 2 --iters 1 --runs 1
panels: step counters
goal: reached write balance :: reach a write
goal: counter balance == 99 at any time :: balance 99 once
goal: counter balance == 99 :: end at 99
```
MD
RL_ENV="RACELAB_LESSONS=$L"

# The step panel's rows as plain text (the frame's sides cut).
step_rows() { screen | grep -o '│   [0-9][0-9]* \[[0-9]*\] [^│]*' | sed 's/^│   //; s/ *$//'; }

shown() { step_rows | grep -qF -- "$1"; }

for size in 120x40 80x24; do
	RL_COLS=${size%x*}
	RL_LINES=${size#*x}
	rl_start "1"
	wait_for "Step 1/2"
	keys s 1
	wait_for "1 [1] read balance -> balance 100"
	keys 2
	wait_for "2 [2] read balance -> balance 100"
	keys 1
	wait_for "3 [1] write balance = 99 -> balance 99"
	keys 2
	wait_for "4 [2] write balance = 101 -> balance 101"
	keys 1
	wait_for "5 [1] read balance -> balance 101"
	keys 1
	wait_for "6 [1] write balance = 100 -> balance 100"
	keys 2
	wait_for "7 [2] read balance -> balance 100"
	# Seven steps, six rows at most: the newest is shown, the first has
	# scrolled off.
	wait_for "steps taken (Up/Down scroll):"
	step_rows | grep -qF "1 [1] read balance" &&
		fail "$size: step 1 still shown with 7 steps in 6 rows"
	# The step panel has the focus (it is the first panel): Up goes
	# back to step 1, Down to the newest again.
	keys Up Up Up Up Up Up
	wait_until shown "1 [1] read balance -> balance 100"
	step_rows | grep -qF "7 [2] read balance" && fail "$size: Up left step 7 shown"
	keys Down Down Down Down Down Down
	wait_until shown "7 [2] read balance -> balance 100"
	keys 2
	wait_for "8 [2] write balance = 101 -> balance 101"
	wait_for "exited 0" 20
	# The shell's history, in full, against the program's own --trace.
	keys Up Up Up Up Up Up Up
	wait_until shown "1 [1] "
	rows1=$(step_rows)
	keys Down Down Down Down Down Down Down
	wait_until shown "8 [2] "
	all=$( (printf '%s\n' "$rows1"; step_rows) | sort -n -u)
	"$ROOT/bin/racelab-race" --workers 2 --iters 2 --runs 1 --schedule 1,2,1,2,1,1,2,2 --trace |
		sed -n 's/^trace \([0-9]*\): worker \([0-9]*\): /\1 [\2] /p' > "$RL_TMP/lab"
	[ "$(wc -l < "$RL_TMP/lab")" -eq 8 ] || fail "--trace gave $(wc -l < "$RL_TMP/lab") lines, not 8"
	printf '%s\n' "$all" > "$RL_TMP/shell"
	diff "$RL_TMP/lab" "$RL_TMP/shell" || fail "$size: the step panel's history differs from --trace"
	# Goals judged during the run: the balance is 99 after step 3 and
	# 101 at the end (1,2,1,2): "at any time" is reached, "at the end" not.
	keys n
	wait_for "Step 2/2"
	wait_for "Goal: reach a write"
	keys s 1
	wait_for "GOAL REACHED reach a write"
	screen | grep -qF "GOAL REACHED balance 99 once" &&
		fail "$size: 'at any time' reached before the balance was 99"
	keys 2 1
	wait_for "GOAL REACHED balance 99 once"
	keys 2
	wait_for "exited 0" 20
	wait_for "4 [2] write balance = 101 -> balance 101"
	screen | grep -qF "GOAL REACHED end at 99" &&
		fail "$size: the end goal reached with a final balance of 101"
	keys q
	wait_for "Lessons"
	keys q
	[ "$(rl_wait_exit)" = 0 ] || fail "bad exit status"
	rl_check_clean
done
echo ok
