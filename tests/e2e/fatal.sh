# A catchable fatal signal (SIGSEGV, SIGABRT, SIGBUS, SIGFPE) restores the
# terminal (stty settings, normal screen, cursor visible, no mouse reports),
# kills the demo's whole group, and the shell still dies of that signal.
. "$(dirname "$0")/lib.sh"

ulimit -c 0 # no core files in the working tree

# "ALT MOUSE CURSOR" as tmux sees the terminal.
modes() {
	T display -p -t rl '#{alternate_on} #{mouse_any_flag}#{mouse_button_flag}#{mouse_standard_flag} #{cursor_flag}'
}

for sn in SEGV:11 ABRT:6 BUS:7 FPE:8; do  # Linux numbers (x86, Arm)
	sig=${sn%:*} num=${sn#*:}
	rl_start "--run 'race --workers 3 --iters 1000000000 --runs 1'"
	wait_for "running pid"
	wait_until rows_at_least proc 3
	leader=$(demo_pid)
	[ -n "$leader" ] || fail "no demo pid"
	case $(modes) in
	"1 000 "* | "0 "*) fail "racelab: not on the alternate screen with the mouse on: $(modes)" ;;
	esac
	kill -s "$sig" "$(rl_shell_pid)"
	rc=$(rl_wait_exit)
	[ "$rc" = $((128 + num)) ] || fail "SIG$sig: exit status $rc, not death by SIG$sig"
	rl_check_clean # nothing left, stty settings as before
	group_empty() { [ -z "$(group_pids "$leader")" ]; }
	wait_until group_empty
	[ "$(modes)" = "0 000 1" ] || fail "SIG$sig: terminal not restored: $(modes)"
	T kill-server
done
echo ok
