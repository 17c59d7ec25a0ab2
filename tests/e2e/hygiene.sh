# The process hygiene matrix: every way a session can end or break, for
# thread workers and for process workers.  After each, within 1 s: no lesson
# process is left, no zombie of ours, nothing named racelab* in /dev/shm;
# where the signal can be caught, the terminal is as it was (stty settings,
# cursor visible, no mouse reporting, no alternate screen).
#
#   q        q to the catalog (stops the demo), q again to quit
#   ^C       Ctrl-C
#   TERM HUP kill -TERM / -HUP of the shell
#   KILL     kill -9 of the shell: nothing can be restored, but the lesson
#            and its workers die with it (PR_SET_PDEATHSIG)
#   crash    kill -SEGV of the lesson process: the shell shows it, stays up
#   worker   k on worker 1 (SIGKILL), then quit
#   frozen   Space (SIGSTOP to the group), then quit while frozen
#   gates    s: step mode, the workers block at their gates; then quit
#
# Prints the matrix as a table; fails if any cell failed.
. "$(dirname "$0")/lib.sh"

CASES="q ^C TERM HUP KILL crash worker frozen gates"
RES="$RL_TMP/matrix"
: > "$RES"

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# The pids noted at the start of a cell: the shell, and the lesson's process
# group (its main process and, in process mode, the workers).  Polling these
# is fast; rl_pids (every environment on the machine) checks at the end that
# nothing else of ours was started.
TRACKED=
alive() { [ -d "/proc/$1" ] && [ "$(task_state "$1" "$1")" != Z ]; }
# Lesson processes still running.
lesson_left() {
	for p in $TRACKED; do
		[ "$p" = "$shell" ] && continue
		alive "$p" && echo "$p"
	done
}
# Zombies: none may be left, except after SIGKILL of the shell, when the
# orphans belong to pid 1 (on this kind of container pid 1 does not reap
# promptly: a plain orphaned sleep stays a zombie there too).
zombies() {
	for p in $TRACKED; do
		[ "$(task_state "$p" "$p")" = Z ] || continue
		[ -n "$INIT_OK" ] && [ "$(awk '/^PPid:/ { print $2 }' /proc/"$p"/status 2>/dev/null)" = 1 ] &&
			{ echo "$p" >> "$RL_TMP/initz"; continue; }
		echo "Z$p"
	done
}
# Named shared memory, semaphores (sem.racelab*) : new since the cell began
# (other racelab tests may run at the same time).
shm_list() { ls /dev/shm 2>/dev/null | grep 'racelab' ; }
shm_left() { shm_list | grep -vxF -f "$RL_TMP/shm0" ; }
# The pane's terminal modes, as tmux tracks them.
term_flags() {
	T display -p -t rl '#{cursor_flag} #{mouse_any_flag}#{mouse_button_flag}#{mouse_standard_flag}#{mouse_all_flag} #{alternate_on}'
}

# clean_within MS [shell_too]: nothing of the demo left within MS ms of the
# event (at EV, ms); with shell_too, the shell is gone too.  Echoes the time
# it took.
clean_within() {
	_t0=$EV
	while :; do
		_bad=$(lesson_left)$(zombies)$(shm_left)
		[ -n "$2" ] && alive "$shell" && _bad="$_bad shell"
		[ -z "$_bad" ] && { echo $(( $(now_ms) - _t0 )); return 0; }
		[ $(( $(now_ms) - _t0 )) -gt "$1" ] && { echo "left:$(echo $_bad)"; return 1; }
		sleep 0.02
	done
}

# The terminal after the shell exited: stty as before, cursor visible, no
# mouse reporting, not on the alternate screen.
term_ok() {
	cmp -s "$RL_TMP/stty.before" "$RL_TMP/stty.after" || { echo "stty changed"; return 1; }
	_f=$(term_flags)
	[ "$_f" = "1 0000 0" ] || { echo "cursor/mouse/altscreen flags '$_f'"; return 1; }
	echo restored
}

wait_shell_exit() {
	_n=30
	while [ ! -f "$RL_TMP/rc" ] && [ "$_n" -gt 0 ]; do sleep 0.05; _n=$((_n - 1)); done
	[ -f "$RL_TMP/rc" ]
}

# cell MODE CASE: one run; appends "MODE CASE clean-result term-result".
cell() {
	mode=$1 case=$2 term="-" clean= ok=1 INIT_OK=
	rm -f "$RL_TMP/initz"
	shm_list > "$RL_TMP/shm0"; echo /nothing/ >> "$RL_TMP/shm0"
	rl_start "--run 'race --mode $mode --workers 2 --iters 200000000 --runs 1'"
	wait_for "running pid"
	if [ "$mode" = thread ]; then wait_until rows_at_least thrd 2
	else wait_until rows_at_least proc 2; fi
	leader=$(demo_pid)
	shell=$(rl_shell_pid)
	TRACKED="$shell $(group_pids "$leader")"
	case $case in
	q)
		EV=$(now_ms); keys q; wait_for "Lessons" 3; keys q ;;
	^C)
		EV=$(now_ms); keys C-c ;;
	TERM | HUP)
		EV=$(now_ms); kill -s "$case" "$shell" ;;
	KILL)
		EV=$(now_ms); kill -9 "$shell" ;;
	crash)
		EV=$(now_ms); kill -SEGV "$leader"
		# (Built with ASan, its handler catches the SEGV and exits 1.)
		crashed() { screen | grep -qE "killed by SIGSEGV|exited 1 after"; }
		wait_until crashed
		# The shell survived the lesson and cleaned up after it.
		clean=$(clean_within 1000) || ok=0
		[ -d "/proc/$shell" ] || { clean="shell died"; ok=0; }
		keys q; wait_for "Lessons" 3; EV=$(now_ms); keys q ;;
	worker)
		keys Down; keys k                      # row 0 is main; worker 1
		if [ "$mode" = thread ]; then
			wait_for "killed by SIGKILL" 3     # a thread takes its process
		else
			wait_for "a process worker dies alone" 3
		fi
		EV=$(now_ms); keys q; wait_for "Lessons" 3; keys q ;;
	frozen)
		keys Space; wait_for "FROZEN" 3
		all_t() { [ "$(task_state "$leader" "$leader")" = T ]; }
		wait_until all_t
		EV=$(now_ms); keys q; wait_for "Lessons" 3; keys q ;;
	gates)
		keys s; wait_for "step mode on" 3
		# Every worker blocked at its gate: the screen says "gate".
		gated() { [ "$(proc_rows | awk '$2 != "main" && $6 == "S"' | wc -l)" -ge 2 ] &&
		          screen | grep -q "gate"; }
		wait_until gated
		EV=$(now_ms); keys q; wait_for "Lessons" 3; keys q ;;
	esac
	if [ "$case" = KILL ]; then
		INIT_OK=1
		c2=$(clean_within 1000 shell) || ok=0
		[ -f "$RL_TMP/initz" ] && c2="$c2(+init's Z)"
		# Dead, or a zombie of init's: the pid 1 of this machine may not
		# reap; what matters is that none of it is ours or runs.
		term="n/a (SIGKILL)"
	else
		c2=$(clean_within 1000 shell) || ok=0
		if wait_shell_exit; then
			term=$(term_ok) || ok=0
		else
			term="shell did not exit"; ok=0
		fi
	fi
	[ -z "$(rl_pids)" ] || { c2="$c2 +racelab left"; ok=0; }
	[ -n "$clean" ] && clean="crash:${clean}ms,"
	printf '%-7s %-7s %-22s %-16s %s\n' "$mode" "$case" "${clean}end:${c2}ms" "$term" \
		"$([ $ok = 1 ] && echo ok || echo FAIL)" >> "$RES"
	T kill-server 2>/dev/null
}

t0=$(now_ms)
for mode in thread process; do
	for c in $CASES; do
		cell "$mode" "$c"
	done
done

echo "process hygiene matrix ($(( ($(now_ms) - t0) / 1000 )) s)"
printf '%-7s %-7s %-22s %-16s %s\n' mode case "clean (no lesson/zombie/shm)" terminal verdict
cat "$RES"
grep -q 'FAIL$' "$RES" && fail "hygiene matrix has failures"
echo ok
