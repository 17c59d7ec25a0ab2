# Readers and writers in step mode (lesson 19): with no lock, two keys put
# the writer inside with a reader; with the lightswitch, readers go in
# past the waiting writer until the goal says it is starved; the same at
# 80x24.
. "$(dirname "$0")/lib.sh"

rl_start "readers-writers"
wait_for "Step 1/"
keys n
wait_for "Step 2/"
wait_for "Goal: get the writer inside with a reader"
keys s 2 1
wait_for "GOAL REACHED get the writer inside with a reader"
wait_for "collide: a writer with others inside"
keys n n
wait_for "Step 4/"
wait_for "Goal: starve the writer"
keys s 2 2 2 2 1 1
wait_for "[1] waits for roomEmpty"
keys 3 3 3 4 4 4 2 2 2 2 2 2
wait_for "GOAL REACHED starve the writer"
# The writer is still outside, asleep on the semaphore the readers hold.
screen | grep -q "\[1\] waits for roomEmpty" || fail "the writer is not waiting for roomEmpty"
keys q
wait_for "Lessons"
keys q
[ "$(rl_wait_exit)" = 0 ] || fail "racelab did not exit, or not with 0"
rl_check_clean

# 80x24: the starved writer still shows.
RL_COLS=80
RL_LINES=24
rl_start "readers-writers"
wait_for "Step 1/"
keys n n n
wait_for "Step 4/"
keys s 2 2 2 2 1 1 3 3 3 4 4 4 2 2 2 2 2 2
wait_for "GOAL REACHED"
keys q
wait_for "Lessons"
keys q
[ "$(rl_wait_exit)" = 0 ] || fail "racelab did not exit, or not with 0"
rl_check_clean
echo ok
