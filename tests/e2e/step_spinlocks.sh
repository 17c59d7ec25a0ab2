# Lesson 15 (spinlocks) played in step mode with keys.  The flag lock:
# 1 2 1 2 puts both workers inside (critical flag >= 2, "both inside").
# Test-and-set: 1 2 1 1 1 1 lets worker 1 back in while worker 2 waits
# (an overtake), and the Locks panel shows the home-made lock with each
# worker's takes.  The histogram of timed runs.  Then the flag goal again
# at 80x24.
. "$(dirname "$0")/lib.sh"

flag_goal() {
	wait_for "Step 1/"
	keys c c
	wait_for "demo 3 of 3 in this step selected"
	wait_for "Goal: get both workers inside the flag lock"
	keys s 1
	wait_for "worker 1 did: test flag"
	keys 2 1 2
	# Both goals at once; the status bar shows the last note, the Step
	# panel marks every goal reached.
	wait_for "GOAL REACHED get both workers inside the"
	wait_for "GOAL REACHED make a worker find the other"
}

rl_start "spinlocks"
flag_goal
wait_for "[2] next: both inside"
# Both are holders of the home-made lock on the board.
screen | grep -q "flag  *custom  *w1,w2" || fail "the Locks panel does not show w1,w2 holding flag"
keys 2 2 1 1 2 2 1
wait_for "schedule: 1,2,1,2,2,2,1,1,2,2,1"
wait_for "LOST 1"
keys s
wait_for "step mode off"

# Test-and-set: worker 1 takes the lock again while worker 2 waits.
keys n n
wait_for "Step 3/"
keys c
wait_for "demo 2 of 4 in this step selected"
wait_for "Goal: let worker 1 take the lock again while worker 2 waits"
keys s 1
wait_for "worker 1 did: test-and-set"
keys 2
wait_for "worker 2 did: test-and-set"
keys 1 1 1
wait_for "worker 1 did: clear flag"
screen | grep -q "GOAL REACHED" && fail "the goal was reached before worker 1 took the lock again"
keys 1
wait_for "GOAL REACHED let worker 1 take the lock again while worker 2 waits"
wait_for "taken: w1 2 (100%) w2 0 (0%)"
keys q
wait_for "Lessons"
keys q
[ "$(rl_wait_exit)" = 0 ] || fail "racelab did not exit, or not with 0"
rl_check_clean
T kill-server

# Runs of a fixed time end on different counts: the histogram keeps each
# run's lost counts (counter 0), so three runs of a correct lock are three
# on the expected 0, not three "away from the expected 0".
rl_start "--run 'spinlocks --lock ticket --runs 3 --ms 50'"
wait_for "exited 0" 20
wait_for "3 runs: 0 ended away from the expected 0"
keys q
wait_for "Lessons"
keys q
[ "$(rl_wait_exit)" = 0 ] || fail "racelab did not exit, or not with 0"
rl_check_clean
T kill-server

# The flag goal at 80x24.
RL_COLS=80
RL_LINES=24
rl_start "spinlocks"
flag_goal
keys q
wait_for "Lessons"
keys q
[ "$(rl_wait_exit)" = 0 ] || fail "racelab did not exit, or not with 0"
rl_check_clean
echo ok
