# Space freezes the demo: every task of its group is stopped (kernel state T,
# read from /proc) and the screen says FROZEN; Space again thaws it.
. "$(dirname "$0")/lib.sh"

rl_start "--run 'race --workers 2 --mode thread --iters 1000000000 --runs 1'"
wait_for "running pid"
wait_until rows_at_least thrd 2
leader=$(demo_pid)
keys Space
wait_for "FROZEN"
all_stopped() {
	for t in /proc/"$leader"/task/*; do
		[ "$(task_state "$leader" "${t##*/}")" = T ] || return 1
	done
}
wait_until all_stopped
# The screen shows what the kernel says: T for the workers.
frozen_rows() { [ "$(proc_rows | awk '$6 == "T"' | wc -l)" -ge 3 ]; }
wait_until frozen_rows
keys Space
wait_gone "FROZEN"
none_stopped() {
	for t in /proc/"$leader"/task/*; do
		[ "$(task_state "$leader" "${t##*/}")" = T ] && return 1
	done
	return 0
}
wait_until none_stopped
# Quit while frozen: the stop still reaps everything.
keys Space
wait_for "FROZEN"
keys C-c
rc=$(rl_wait_exit)
[ "$rc" = 0 ] || fail "exit status $rc after Ctrl-C"
rl_check_clean
[ -d "/proc/$leader" ] && fail "frozen demo survived the quit"
echo ok
