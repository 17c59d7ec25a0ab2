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
echo "ok: 4 crash signals with a demo running"

# Every other signal whose default action ends the process: the shell
# handles it (quits as q does) or, for the crash signals, restores the
# terminal before it dies.  Afterwards the pane's terminal is sane: stty
# settings as before, icanon and echo on, cursor shown, normal screen.
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
rtmin=$(kill -l RTMIN 2>/dev/null || echo 34)
rtmax=$(kill -l RTMAX 2>/dev/null || echo 64)
sigs="HUP INT TERM USR1 USR2 ALRM VTALRM PROF XCPU PWR IO STKFLT QUIT ILL TRAP SYS"
n=$rtmin
while [ "$n" -le "$rtmax" ]; do sigs="$sigs $n"; n=$((n + 1)); done
t0=$(now_ms) count=0
for sig in $sigs; do
	rl_start ""
	wait_for "Lessons"
	# env kill: the system's kill(1), which knows every name (dash's
	# builtin knows no STKFLT).
	case $sig in [0-9]*) kill -"$sig" "$(rl_shell_pid)" ;; *) env kill -s "$sig" "$(rl_shell_pid)" ;; esac ||
		fail "cannot send SIG$sig"
	rc=$(rl_wait_exit 50)
	rl_check_clean
	[ "$(modes)" = "0 000 1" ] || fail "SIG$sig (rc $rc): terminal not restored: $(modes)"
	T kill-server
	count=$((count + 1))
done
echo "ok: $count signals, the terminal restored after each ($(( $(now_ms) - t0 )) ms)"

# The terminal is sane after a signal, as stty -a in the pane says.
rl_start ""
wait_for "Lessons"
kill -s USR1 "$(rl_shell_pid)"
rl_wait_exit >/dev/null
T send-keys -t rl C-c 2>/dev/null
T respawn-pane -k -t rl "stty -a; sleep 30" 2>/dev/null
wait_for "icanon"
screen | grep -q -- "-icanon" && fail "icanon off after SIGUSR1"
screen | grep -qw -- "echo" || fail "echo off after SIGUSR1"
T kill-server

# Over RLIMIT_FSIZE (ulimit -f 0) saving progress fails with EFBIG: the
# shell says progress is not saved, and does not die of SIGXFSZ.
RL_PRE="ulimit -f 0"
rl_start "3"
wait_for "Step 1/"
keys n
wait_for "Step 2/"
keys q
wait_for "Lessons"
keys q
rc=$(rl_wait_exit)
[ "$rc" = 0 ] || fail "ulimit -f 0: exit status $rc (153 is death by SIGXFSZ)"
wait_for "File too large: progress is not saved"
rl_check_clean
echo "ok: ulimit -f 0: exit 0, 'File too large: progress is not saved'"
