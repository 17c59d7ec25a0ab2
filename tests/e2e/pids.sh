# The live view shows the lesson's real processes: the PIDs on the screen are
# the demo's own (children of the lesson program, in its process group), and
# after quitting nothing is left and the terminal is restored.
. "$(dirname "$0")/lib.sh"

rl_start "--run 'race --workers 2 --sync none --iters 1000000000 --runs 1'"
wait_for "running pid" 10
wait_until rows_at_least proc 2
leader=$(demo_pid)
shell=$(rl_shell_pid) || fail "no racelab process"
[ -n "$leader" ] || fail "no demo pid on screen"
[ "$(ps -o ppid= -p "$leader" | tr -d ' ')" = "$shell" ] ||
	fail "demo $leader is not a child of racelab $shell"
[ "$(ps -o pgid= -p "$leader" | tr -d ' ')" = "$leader" ] ||
	fail "demo $leader does not lead its own process group"
n=0
proc_rows > "$RL_TMP/rows"
cat "$RL_TMP/rows"
while read -r w kind pid ppid tid st; do
	[ -d "/proc/$pid" ] || fail "pid $pid on screen does not exist"
	[ "$(ps -o pgid= -p "$pid" | tr -d ' ')" = "$leader" ] ||
		fail "pid $pid is not in the demo's group $leader"
	case $kind in
	main) [ "$pid" = "$leader" ] || fail "main pid $pid is not the demo $leader" ;;
	proc)
		[ "$ppid" = "$(ps -o ppid= -p "$pid" | tr -d ' ')" ] ||
			fail "ppid of $pid on screen ($ppid) differs from ps"
		[ "$ppid" = "$leader" ] || fail "worker $pid is not a child of the lesson"
		[ "$tid" = "$pid" ] || fail "a process worker's tid is its pid"
		grep -q racelab-race "/proc/$pid/cmdline" || fail "$pid is not racelab-race"
		n=$((n + 1)) ;;
	esac
done < "$RL_TMP/rows"
[ "$n" -eq 2 ] || fail "expected 2 process workers on screen, saw $n"
# The same set ps sees in the group (the lesson and its workers).
[ "$(group_pids "$leader" | wc -l)" -eq 3 ] || fail "group $leader is not 3 processes"

keys q
wait_for "Lessons" 5
keys q
rc=$(rl_wait_exit)
[ "$rc" = 0 ] || fail "racelab exited $rc"
rl_check_clean
[ -d "/proc/$leader" ] && fail "demo $leader still runs after quit"
echo ok
