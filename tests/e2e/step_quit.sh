# Step mode never leaves workers stuck: with workers parked at their gates,
# stopping the demo (x), quitting the shell (q), SIGTERM and SIGKILL of the
# shell each leave no lesson process behind.
. "$(dirname "$0")/lib.sh"

# Open the race lesson's step 3 and park two workers at their gates.
park() {
	rl_start "$1 race"
	wait_for "Step 1/"
	keys n n
	wait_for "Step 3/"
	keys s 1
	wait_for "[1] next: write balance = 99"
	wait_until rows_at_least proc 2
	workers=$(proc_rows | awk '$2 == "proc" || $2 == "thrd" { print $3 }' | sort -u)
	leader=$(demo_pid)
	[ -n "$workers" ] && [ -n "$leader" ] || fail "no workers parked"
}
gone() { [ ! -d "/proc/$1" ] || [ "$(task_state "$1" "$1")" = Z ]; }
all_gone() {
	for p in $leader $workers; do gone "$p" || return 1; done
}

# x stops the demo: its group is killed though every worker waits at a gate.
park ""
keys x
wait_until all_gone
wait_for "killed by SIGTERM"
keys q
wait_for "Lessons"
keys q
[ "$(rl_wait_exit)" = 0 ] || fail "racelab did not exit, or not with 0"
rl_check_clean
T kill-server

# q back to the catalog, then q: nothing left.
park ""
keys q
wait_for "Lessons"
wait_until all_gone
keys q
[ "$(rl_wait_exit)" = 0 ] || fail "racelab did not exit, or not with 0"
rl_check_clean
T kill-server

# Ctrl-C quits at once from the lesson.
park ""
keys C-c
[ "$(rl_wait_exit)" = 0 ] || fail "racelab did not exit, or not with 0"
wait_until all_gone
rl_check_clean
T kill-server

# SIGTERM to the shell.
park ""
kill -s TERM "$(rl_shell_pid)"
[ "$(rl_wait_exit)" = 0 ] || fail "racelab did not exit, or not with 0"
wait_until all_gone
rl_check_clean
T kill-server

# SIGKILL to the shell: no clean-up runs, the children die with it.
park ""
kill -9 "$(rl_shell_pid)"
wait_until all_gone
wait_until rl_no_leftovers
echo ok
