# Quitting from every screen, and by signal, leaves nothing running and the
# terminal as it was.  A SIGKILLed shell leaves no lesson process either
# (the children die with it: PR_SET_PDEATHSIG).
. "$(dirname "$0")/lib.sh"

long="--run 'race --workers 3 --iters 1000000000 --runs 1'"

# From the catalog.
rl_start ""
wait_for "Lessons"
keys q
[ "$(rl_wait_exit)" = 0 ] || fail "catalog q: bad exit status"
rl_check_clean
T kill-server

# From a lesson (q twice), and with Esc.
rl_start "race"
wait_for "Step 1/"
keys Enter
wait_for "running pid"
keys Escape
wait_for "Lessons"
keys q
rl_wait_exit >/dev/null
rl_check_clean
T kill-server

# From the help overlay and the too-small screen.
rl_start "$long"
wait_for "running pid"
keys '?'
wait_for "racelab keys"
keys q                      # closes the overlay only
wait_gone "racelab keys"
T resize-window -t rl -x 40 -y 10
wait_for "needs at least"
keys q
rl_wait_exit >/dev/null
rl_check_clean
T kill-server

# SIGTERM and SIGHUP stop the demo's group and restore the terminal.
for sig in TERM HUP INT; do
	rl_start "$long"
	wait_for "running pid"
	wait_until rows_at_least proc 3
	kill -s "$sig" "$(rl_shell_pid)"
	rl_wait_exit >/dev/null
	rl_check_clean
	T kill-server
done

# SIGKILL: no clean-up can run; the children die with the shell anyway.
rl_start "$long"
wait_for "running pid"
wait_until rows_at_least proc 3
leader=$(demo_pid)
kill -9 "$(rl_shell_pid)"
wait_until rl_no_leftovers
# Dead: gone, or a zombie waiting for init to reap it.
gone() { [ ! -d "/proc/$1" ] || [ "$(task_state "$1" "$1")" = Z ]; }
wait_until gone "$leader"
echo ok
