# What lessons 12 and 14 say the screen shows, checked on the screen.
# 12: every worker is S (asleep) in the kernel, the one inside as much as
# those waiting, and the board's STATE column tells them apart; k on the
# worker inside the room (its permit is lost for good) ends the run with a
# message instead of leaving the others waiting for ever.
# 14: three workers that exited and are not yet reaped show as zombies (Z)
# in the process table; an orphan's PPID becomes the shell (a subreaper);
# worker 4's deliberate exit 42 is marked failed.
. "$(dirname "$0")/lib.sh"

rl_start "--run 'coordination --workers 3 --limit 1 --hold 3 --iters 1'"
wait_for "running pid"
wait_until rows_at_least proc 3
# The one inside sleeps in nanosleep; the others wait in sem_wait.
inside_pid() {
	for p in $(proc_rows | awk '$2 == "proc" { print $3 }'); do
		[ "$(cat /proc/"$p"/wchan 2>/dev/null)" = hrtimer_nanosleep ] &&
			{ echo "$p"; return 0; }
	done
	return 1
}
wait_until inside_pid >/dev/null
inside=$(inside_pid)
no=$(proc_rows | awk -v p="$inside" '$3 == p { print $1 }')
[ -n "$no" ] || fail "no worker inside"
all_asleep() { [ "$(proc_rows | awk '$2 == "proc" && $6 != "S"' | wc -l)" -eq 0 ]; }
wait_until all_asleep
screen | grep -E "^[^0-9]* $no proc .*critical" >/dev/null ||
	fail "worker $no, inside, is not shown critical"
i=0
while [ "$i" -lt "$no" ]; do keys Down; i=$((i + 1)); done   # row 0 is main
keys k
wait_for "exited 1" 5
wait_for "worker $no was killed by SIGKILL" 2
for p in $(proc_rows | awk '$2 == "proc" { print $3 }'); do
	[ -d "/proc/$p" ] && [ "$(task_state "$p" "$p")" != Z ] &&
		fail "worker $p still runs after the permit holder died"
done
keys q
wait_for "Lessons"
keys q
rl_wait_exit >/dev/null
rl_check_clean
T kill-server

rl_start "--run 'lifecycle --demo zombie --workers 3 --hold 3'"
wait_for "running pid"
zombies_shown() { [ "$(proc_rows | awk '$2 == "proc" && $6 == "Z"' | wc -l)" -eq 3 ]; }
wait_until zombies_shown
wait_for "exited 0" 10
keys q
wait_for "Lessons"
keys q
rl_wait_exit >/dev/null
rl_check_clean
T kill-server

rl_start "--run 'lifecycle --demo orphan --hold 2'"
wait_for "running pid"
shell=$(rl_shell_pid) || fail "no racelab process"
orphan_is_shells() {
	[ "$(proc_rows | awk '$1 == "2" && $2 == "proc" { print $4 }')" = "$shell" ]
}
wait_until orphan_is_shells
wait_for "exited 0" 10
keys q
wait_for "Lessons"
keys q
rl_wait_exit >/dev/null
rl_check_clean
T kill-server

rl_start "--run 'lifecycle --demo terminate --grace 0.3'"
wait_for "exited 0" 10
screen | grep -E "^[^0-9]* 4 proc .*failed" >/dev/null || fail "worker 4 is not shown failed"
keys q
wait_for "Lessons"
keys q
rl_wait_exit >/dev/null
rl_check_clean
echo ok
