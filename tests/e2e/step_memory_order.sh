# Lesson 16 (memory-order) played in step mode with keys: one operation at
# a time, 1 2 2 1 (both stores, then both loads) makes both loads read 1,
# the goal; no order of steps makes both read 0 (the unit tests try all
# six).  At 120x40, then at 80x24.
. "$(dirname "$0")/lib.sh"

play() {
	wait_for "Step 1/"
	keys n
	wait_for "Step 2/"
	wait_for "Goal: make both loads read 1"
	keys s 1
	wait_for "worker 1 did: x = 1"
	keys 2
	wait_for "worker 2 did: y = 1"
	screen | grep -q "GOAL REACHED" && fail "goal reached before the loads"
	keys 2 1
	wait_for "GOAL REACHED make both loads read 1"
	wait_for "both loads saw 0 in 0 trials"
	wait_for "schedule: 1,2,2,1"
	keys q
	wait_for "Lessons"
	keys q
	[ "$(rl_wait_exit)" = 0 ] || fail "racelab did not exit, or not with 0"
	rl_check_clean
}

rl_start "memory-order"
play
T kill-server

RL_COLS=80
RL_LINES=24
rl_start "memory-order"
play
echo ok
