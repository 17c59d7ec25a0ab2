# The goal "all blocked" in the shell's step mode, at 80x24: a lesson of
# our own runs the two-lock program; stepped 1 2 1, worker 1 sleeps but
# worker 2 can still move: not reached.  One more step for worker 2 and
# each waits for the lock the other holds: the shell says it is reached.
. "$(dirname "$0")/lib.sh"

mkdir -p "$RL_TMP/lessons/50-asleep"
cat > "$RL_TMP/lessons/50-asleep/lesson.md" <<'EOM'
# Everyone asleep

Two workers, two locks, taken in opposite orders.

## Put them all to sleep

```run
deadlock --fix none
panels: step procs locks output
goal: all blocked :: put every worker to sleep
```
EOM
RL_COLS=80
RL_LINES=24
RL_ENV="RACELAB_LESSONS=$RL_TMP/lessons"

rl_start "asleep"
wait_for "Step 1/"
wait_for "Goal: put every worker to sleep"
# Worker 1 waits for b, which worker 2 holds; worker 2 can still move.
keys s 1 2 1
wait_for "worker 1 did: lock b"
wait_for "[1] waits for b (held by 2)"
screen | grep -q "GOAL REACHED" && fail "all blocked reached with worker 2 at its gate"
# Worker 2 asks for a: now nobody can move.
keys 2
wait_for "GOAL REACHED put every worker to sleep"
wait_for "exited 3"
keys q
wait_for "Lessons"
keys q
[ "$(rl_wait_exit)" = 0 ] || fail "racelab did not exit, or not with 0"
rl_check_clean
echo ok
