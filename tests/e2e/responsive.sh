# Nothing the shell does holds a signal back: SIGTERM ends it within a
# second after a flood of 5000 keys (the loop looks at its signals between
# keys), and in step mode with `a` on a frozen demo, whose workers cannot
# settle (step mode polls them once a frame instead of waiting).  Each time
# the terminal is restored and nothing is left.
. "$(dirname "$0")/lib.sh"

# exit_ms PID: SIGTERM to PID, then milliseconds until it is gone.
exit_ms() {
	_t0=$(date +%s%N)
	kill -s TERM "$1"
	_n=1000
	while [ -d "/proc/$1" ] && [ "$(task_state "$1" "$1")" != Z ] && [ "$_n" -gt 0 ]; do
		sleep 0.01
		_n=$((_n - 1))
	done
	echo $(( ($(date +%s%N) - _t0) / 1000000 ))
}

# ---- a paste of 5000 keys, then SIGTERM --------------------------------------
# n and p page the lesson's steps (each saves the progress); they are
# queued in the terminal faster than the shell handles them.
rl_start "race"
wait_for "Step 1/"
sh_pid=$(rl_shell_pid)
flood=$(awk 'BEGIN { for (i = 0; i < 2500; i++) printf "np" }')
keys -l "$flood"
ms=$(exit_ms "$sh_pid")
echo "SIGTERM after 5000 keys: gone in $ms ms"
[ "$ms" -le 1000 ] || fail "SIGTERM after a 5000-key flood took $ms ms (bound 1000)"
[ "$(rl_wait_exit)" = 0 ] || fail "bad exit status after SIGTERM"
rl_check_clean
T kill-server

# ---- step mode: `a` on a frozen demo, then SIGTERM --------------------------
# Eight workers held at their gates, the demo frozen (Space): a grant can
# never settle.  SIGTERM right after `a` (twice: grants queued behind the
# unsettled one) still ends the shell at once.
park_frozen() {
	rl_start "--run 'race --workers 8 --iters 3 --runs 1'"
	wait_for "exited 0"
	keys s 1
	wait_for "worker 1 did: read balance"
	keys Space
	wait_for "FROZEN"
	sh_pid=$(rl_shell_pid)
	leader=$(demo_pid)
}
park_frozen
keys a a
ms=$(exit_ms "$sh_pid")
echo "SIGTERM during step mode, a on a frozen demo: gone in $ms ms"
[ "$ms" -le 1000 ] || fail "SIGTERM in step mode on a frozen demo took $ms ms (bound 1000)"
[ "$(rl_wait_exit)" = 0 ] || fail "bad exit status after SIGTERM"
[ -d "/proc/$leader" ] && [ "$(task_state "$leader" "$leader")" != Z ] &&
	fail "the frozen demo survived the shell"
rl_check_clean
T kill-server

# ---- the step that cannot settle is reported, and q works at once ----------
park_frozen
keys a
wait_for "did not settle"
screen | grep -q "worker [0-9] did not settle: frozen?" || fail "no 'did not settle' report"
# Thawed, the granted worker takes its step: nothing was lost.
keys Space
wait_gone "FROZEN"
keys q
wait_for "Lessons" 2
keys q
[ "$(rl_wait_exit 20)" = 0 ] || fail "q during an unsettled step: bad exit status"
rl_check_clean
echo ok
