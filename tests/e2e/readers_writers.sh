# Readers and writers in step mode (lesson 19): with no lock, two keys put
# the writer inside with a reader; after the lightswitch's free run the
# next step's goal is not reached before its own run; with the
# lightswitch, readers go in
# past the waiting writer until the goal says it is starved; the same
# with glibc's prefer-reader rwlock; the lightswitch again at 80x24.
. "$(dirname "$0")/lib.sh"

rl_start "readers-writers"
wait_for "Step 1/"
keys n
wait_for "Step 2/"
wait_for "Goal: get the writer inside with a reader"
keys s 2 1
wait_for "GOAL REACHED get the writer inside with a reader"
wait_for "collide: a writer with others inside"
# Step 3's free run (step mode off) ends with overtaken in the hundreds;
# step 4's goal (overtaken >= 3) must not be judged on its board.
keys n
wait_for "Step 3/"
keys s r 3 Enter
wait_for "Readers that went in while a writer waited"
keys n
wait_for "Step 4/"
wait_for "Goal: starve the writer"
screen | grep -q "GOAL REACHED" && fail "step 4's goal was judged on step 3's finished run"
keys s 2 2 2 2 1 1
wait_for "[1] waits for roomEmpty"
keys 3 3 3 4 4 4 2 2 2 2 2 2
wait_for "GOAL REACHED starve the writer"
# The writer is still outside, asleep on the semaphore the readers hold.
screen | grep -q "\[1\] waits for roomEmpty" || fail "the writer is not waiting for roomEmpty"
# Reader 2 took roomEmpty for the readers; now it leaves first, 3 next,
# and 4, the last out, posts it: the writer is the one holder, not 2 too.
keys 2 2 2 3 3 3 4 4 4 4
wait_for "[1] next: write"
wait_for "roomEmpty  sem 0/1  w1  "
# glibc's prefer-reader rwlock, the same game in twelve keys.
keys n n n n
wait_for "Step 8/"
wait_for "Goal: starve the writer of a prefer-reader"
keys s 2 2 1 1
wait_for "worker 1 did: write-lock room"
# Read-held, the rwlock has no one holder: the writer waits for the
# readers inside, and the panel names them.
wait_for "[1] waits to write room (readers inside: 2)"
keys 3 3 4 4 2 2 2 2
wait_for "worker 2 did: read-lock room"
wait_for "[1] waits to write room (readers inside: 2 3 4)"
wait_for "GOAL REACHED starve the writer of a prefer-reader rwlock"
# Reached in this demo (the rwlock's, still running), not the last one's.
screen | grep -q "(overtaken now 3)" || fail "overtaken is not 3 in the rwlock demo"
screen | grep -q "room  *rw" || fail "no rwlock room in the Locks panel"
screen | grep -q "run ended" && fail "the goal was judged on a finished run"
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
