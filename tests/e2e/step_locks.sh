# Step mode with real locks.  With the mutex, "get both workers into the
# critical section" cannot be reached: the second worker shows that it waits
# for m, held by worker 1, and stepping it does nothing.  In the deadlock
# lesson, stepping 1 2 1 2 deadlocks the two workers, and the shell says so.
. "$(dirname "$0")/lib.sh"

rl_start "race"
wait_for "Step 1/"
keys n n n n n
wait_for "Step 6/"
keys c
wait_for "demo 2 of 2 in this step selected"
wait_for "Goal: get both workers into the critical section"
keys s 1
wait_for "worker 1 did: lock m"
keys 2
wait_for "worker 2 did: lock m"
wait_for "[2] waits for m (held by 1)"
keys 2
wait_for "worker 2 waits for m (held by 1): stepping it does nothing"
wait_for "most at once: 1"
wait_until rows_at_least proc 2
w2=$(proc_rows | awk '$1 == "2" { print $3 }')
[ "$(task_state "$w2" "$w2")" = S ] || fail "worker 2 waiting for m is not sleeping"
# Worker 1 goes through; only when it unlocks can worker 2 go on.
keys 1 1 1
wait_for "worker 1 did: unlock m"
keys 2 2 2
wait_for "Final Balance:  100"
screen | grep -q "GOAL REACHED" && fail "both workers were in the critical section"
wait_for "schedule: 1,2,1,1,1,2,2,2"
keys q
wait_for "Lessons"
keys q
[ "$(rl_wait_exit)" = 0 ] || fail "racelab did not exit, or not with 0"
rl_check_clean
T kill-server

rl_start "deadlock"
wait_for "Step 1/"
keys n
wait_for "Step 2/"
wait_for "Goal: deadlock the two workers"
keys s 1 2 1 2
wait_for "GOAL REACHED: deadlock the two workers"
wait_for "Result: deadlock"
keys q
wait_for "Lessons"
keys q
[ "$(rl_wait_exit)" = 0 ] || fail "racelab did not exit, or not with 0"
rl_check_clean
echo ok
