# The dining philosophers in step mode (lesson 13): three philosophers
# deadlocked with six keys, the cycle in the Locks panel (each fork held
# by one and waited for by the next); a Tanenbaum philosopher starved
# while its neighbours eat in turn; and the deadlock again at 80x24.
. "$(dirname "$0")/lib.sh"

rl_start "deadlock"
wait_for "Step 1/"
keys n n n n n n n
wait_for "Step 8/"
wait_for "Goal: deadlock the three philosophers"
keys s 1 2 3 1 2 3
wait_for "GOAL REACHED deadlock the three philosophers"
# The circle, lock by lock: fork1 held by w1, waited for by w3, ...
on_screen() { screen | grep -q -- "$1"; }
wait_until on_screen 'fork1  *mutex  *w1  *1: w3'
screen | grep -q 'fork2  *mutex  *w2  *1: w1' || fail "fork2 is not held by w2 and waited for by w1"
screen | grep -q 'fork3  *mutex  *w3  *1: w2' || fail "fork3 is not held by w3 and waited for by w2"
wait_for "Nothing would ever move again"
# Tanenbaum's philosophers, starved: 2 comes to the table, 1 comes and
# waits, 2 eats, 5 eats, 2 stands up and eats again: three meals begun
# while 1 sleeps on its semaphore, and not one more than the keys made.
keys n n n n n
wait_for "Step 13/"
wait_for "Goal: starve philosopher 1"
keys s 2 2 2 1 1 1
wait_for "[1] waits for may-eat1"
keys 2 2 5 5 5 5 5 2 2 2 2 2 2
wait_for "(passed_over now 2)"
screen | grep -q "GOAL REACHED starve" && fail "the goal was reached before the third meal"
keys 2
wait_for "GOAL REACHED starve philosopher 1"
screen | grep -q "(passed_over now 3)" || fail "passed_over is not 3 after the last key"
screen | grep -q "waits for may-eat1" || fail "philosopher 1 is not waiting on its semaphore"
keys q
wait_for "Lessons"
keys q
[ "$(rl_wait_exit)" = 0 ] || fail "racelab did not exit, or not with 0"
rl_check_clean

# 80x24: the three-philosopher deadlock still reads.
RL_COLS=80
RL_LINES=24
rl_start "deadlock"
wait_for "Step 1/"
keys n n n n n n n
wait_for "Step 8/"
keys s 1 2 3 1 2 3
wait_for "GOAL REACHED"
keys q
wait_for "Lessons"
keys q
[ "$(rl_wait_exit)" = 0 ] || fail "racelab did not exit, or not with 0"
rl_check_clean
echo ok
