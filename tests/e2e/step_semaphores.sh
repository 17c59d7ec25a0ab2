# Lesson 18 played in step mode with keys (120x40): b1 before a1 without
# the signalling semaphore; both asleep in a rendezvous that waits first;
# three inside a multiplex of two after a post without a wait; the
# barrier non-solution leaves everyone asleep; a worker a lap ahead with
# a one-turnstile barrier.
# Then the first goal again at 80x24, a projector's size.
. "$(dirname "$0")/lib.sh"

play_signal() {
	wait_for "Step 1/"
	keys c
	wait_for "demo 2 of 3 in this step selected"
	wait_for "Goal: make worker 2 do b1"
	keys s 2
	wait_for "GOAL REACHED make worker 2 do b1"
	keys s
}

rl_start "semaphores"
play_signal
keys n
wait_for "Step 2/"
wait_for "Goal: put both workers to sleep"
keys s 1 1 2 2
wait_for "GOAL REACHED put both workers to sleep"
keys s n
wait_for "Step 3/"
keys c c
wait_for "demo 3 of 4 in this step selected"
wait_for "Goal: get three workers inside a multiplex of two"
keys s 1 1 2
wait_for "worker 2 did: wait for multiplex"
keys 3
wait_for "GOAL REACHED get three workers inside"
keys s n
wait_for "Step 4/"
wait_for "Goal: leave the workers asleep at the barrier"
keys s 1 1 1 2 2 2
wait_for "worker 2 did: wait for turnstile"
keys 3 3 3 3
wait_for "[1] next: critical point"
keys 1
wait_for "GOAL REACHED leave the workers asleep at the barrier"
keys s n
wait_for "Step 5/"
keys c
wait_for "demo 2 of 4 in this step selected"
wait_for "Goal: get a worker a lap ahead of the other"
keys s 1 1
wait_for "worker 1 did: post mutex"
keys 2 2 2 2 2 2 2
wait_for "schedule: 1,1,2,2,2,2,2,2,2 "
keys 2 2 2 2 2 2 2
wait_for "GOAL REACHED get a worker a lap ahead"
wait_for "schedule: 1,1,2,2,2,2,2,2,2,2,2,2,2,2,2,2"
keys q
wait_for "Lessons"
keys q
[ "$(rl_wait_exit)" = 0 ] || fail "racelab did not exit, or not with 0"
rl_check_clean
T kill-server

RL_COLS=80
RL_LINES=24
rl_start "semaphores"
play_signal
keys q
wait_for "Lessons"
keys q
[ "$(rl_wait_exit)" = 0 ] || fail "racelab did not exit at 80x24, or not with 0"
rl_check_clean
echo ok
