# Lesson 17 played in step mode with keys (120x40): --wait if, a consumer
# takes from an empty buffer; one condition variable, everyone asleep (a
# lost wake-up); check-then-act sells a seat that is not there.  Each goal is recognised from the board ("GOAL REACHED").
. "$(dirname "$0")/lib.sh"

rl_start "condvars"
wait_for "Step 1/"
# A step key on a demo that plays its own --schedule does not run it: its
# checks wait for its run, not judge step 1's records (consumed 2000).
keys Enter
wait_for "exited 0 after"
keys n
wait_for "Step 2/"
keys c c
wait_for "demo 3 of 4 in this step selected"
keys s 2
wait_for "this demo plays its own --schedule: Enter runs it"
! screen | grep -qF "(2000)" || fail "a demo not run was checked against step 1's run"
wait_for "the demo to check)"
keys s c c c
wait_for "demo 2 of 4 in this step selected"
wait_for "Goal: make a consumer take from an empty buffer"
keys s 2
wait_for "worker 2 did: lock m"
keys 2 1 1 1
wait_for "worker 1 did: unlock m"
keys 3 3 3
wait_for "worker 3 did: unlock m"
keys 2 2
wait_for "GOAL REACHED make a consumer take from an empty buffer"
wait_for "schedule: 2,2,1,1,1,3,3,3,2,2"
keys s n
wait_for "Step 3/"
wait_for "Goal: put every worker to sleep"
keys s 2 2 3 3
wait_for "worker 3 did: wait cv"
keys 1 1 1 1 1 1 1
wait_for "worker 1 did: wait cv"
keys 2 2 2 2 2
wait_for "worker 2 did: wait cv"
keys 3 3
wait_for "GOAL REACHED put every worker to sleep"
# Each asleep on cv, which no one holds: no "(held by -1)".
wait_for "[3] waits for cv"
! screen | grep -qF "held by -1" || fail "a waiter on a condition variable shown held by -1"
wait_for "schedule: 2,2,3,3,1,1,1,1,1,1,1,2,2,2,2,2,3,3"
keys s n n n
wait_for "Step 6/"
keys c
wait_for "demo 2 of 3 in this step selected"
wait_for "Goal: sell a seat that is not there"
keys s 1 1 1
wait_for "worker 1 did: unlock m"
keys 2 2 2 1 1 1 2 2
wait_for "GOAL REACHED sell a seat that is not there"
keys q
wait_for "Lessons"
keys q
[ "$(rl_wait_exit)" = 0 ] || fail "racelab did not exit, or not with 0"
rl_check_clean
echo ok
