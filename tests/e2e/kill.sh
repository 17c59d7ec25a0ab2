# k kills the selected worker: a process worker dies alone (the lesson and
# the other worker go on); a thread worker takes its whole process with it.
. "$(dirname "$0")/lib.sh"

rl_start "--run 'race --workers 2 --mode process --iters 1000000000 --runs 1'"
wait_for "running pid"
wait_until rows_at_least proc 2
leader=$(demo_pid)
w1=$(proc_rows | awk '$1 == "1" { print $3 }')
w2=$(proc_rows | awk '$1 == "2" { print $3 }')
[ -n "$w1" ] && [ -n "$w2" ] || fail "no worker pids"
keys Down                    # row 0 is main; select worker 1
keys k
wait_for "a process worker dies alone"
w1_dead() { [ ! -d "/proc/$w1" ] || [ "$(task_state "$w1" "$w1")" = Z ]; }
wait_until w1_dead
[ -d "/proc/$w2" ] || fail "worker 2 died with worker 1"
[ -d "/proc/$leader" ] || fail "the lesson died with its process worker"
keys x                       # stop this demo
wait_for "killed by SIGTERM" 5
keys q
wait_for "Lessons"
keys q
rl_wait_exit >/dev/null
rl_check_clean
T kill-server

rl_start "--run 'race --workers 2 --mode thread --iters 1000000000 --runs 1'"
wait_for "running pid"
wait_until rows_at_least thrd 2
leader=$(demo_pid)
keys Down
keys k
wait_for "kills the whole process"
wait_for "killed by SIGKILL" 5
[ -d "/proc/$leader" ] && [ "$(task_state "$leader" "$leader")" != Z ] &&
	fail "the lesson process survived killing a thread"
keys q
wait_for "Lessons"
keys q
rl_wait_exit >/dev/null
rl_check_clean
echo ok
