# Step mode: the student is the scheduler.  The race lesson's "make the
# balance end at 101" goal played with keys on real processes: s, then
# 1 2 1 2.  Workers held at their gates sleep in the kernel (state S, on a
# futex), and the goal is recognised from the board.  Then "predict, then
# run": the quiz before a demo, the answer kept in the saved progress.
. "$(dirname "$0")/lib.sh"

rl_start "race"
wait_for "Step 1/"
keys n n
wait_for "Step 3/"
wait_for "Goal: make the balance end at 101"
keys s
wait_for "step mode on"
keys 1                       # starts the demo in step mode, worker 1 reads
wait_for "worker 1 did: read balance"
wait_for "[1] next: write balance = 99"
wait_for "[2] next: read balance"
wait_until rows_at_least proc 2
# The source pane marks where each worker stands.
screen | grep -q "▶1 .*lab_step_val(w, \"write balance\"" || fail "no ▶1 at the write"
screen | grep -q "▶2 .*lab_step(w, \"read balance\")" || fail "no ▶2 at the read"
# At a gate a worker uses no CPU: it sleeps on a futex (S), it does not spin.
for p in $(proc_rows | awk '$2 == "proc" { print $3 }'); do
	[ "$(task_state "$p" "$p")" = S ] || fail "worker $p at its gate is in state $(task_state "$p" "$p"), not S"
done
keys 2 1 2
wait_for "Final Balance:  101"
wait_for "GOAL REACHED: make the balance end at 101"
wait_for "schedule: 1,2,1,2"
screen | grep -q "GOAL REACHED make the balance end at 99" && fail "the 99 goal shown as reached"

# Predict, then run: step 2's demo asks first.
keys p
wait_for "Step 2/"
keys Enter
wait_for "Predict, then run"
wait_for "what final balance do you expect?"
keys 1 0 1 Enter
wait_for "Final Balance:  101"
wait_for "Prediction: 101"
wait_for "Measured: 101"
wait_for "(right)"
grep -qx "quiz race 1 101" "$RL_TMP/state/racelab/progress" ||
	fail "the answer is not in the saved progress: $(cat "$RL_TMP/state/racelab/progress")"
[ "$(stat -c %a "$RL_TMP/state/racelab/progress")" = 600 ] || fail "progress is not 0600"
keys q
wait_for "Lessons"
keys q
[ "$(rl_wait_exit)" = 0 ] || fail "bad exit status"
rl_check_clean
T kill-server

# Thread workers park at their gates too (each thread asleep, state S), and
# --run has step mode as well: 1 starts a new run held at the gates.
rl_start "--run 'race --workers 2 --iters 1 --runs 1 --mode thread'"
wait_for "exited 0"
keys s 1
wait_for "worker 1 did: read balance"
wait_until rows_at_least thrd 2
leader=$(demo_pid)
for t in $(proc_rows | awk '$2 == "thrd" { print $5 }'); do
	[ "$(task_state "$leader" "$t")" = S ] || fail "thread $t at its gate is not in state S"
done
keys 2 1 2
wait_for "Final Balance:  101"
wait_for "schedule: 1,2,1,2"
keys q
wait_for "Lessons"
keys q
[ "$(rl_wait_exit)" = 0 ] || fail "bad exit status"
rl_check_clean
echo ok
