# Helpers for the end-to-end tests: the real bin/racelab in a real terminal
# (a private tmux server), read back with capture-pane.  POSIX sh: run.sh
# runs every test with sh.  Nothing sleeps and hopes: wait_for polls the
# screen until what we expect is there, or fails after a timeout.
#
#   . "$(dirname "$0")/lib.sh"
#   rl_start "--run 'race --workers 2'"   # words as the shell reads them
#   wait_for "running pid"; keys q; rl_wait_exit; rl_check_clean

ROOT=${RL_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}  # bench/shell.sh sets RL_ROOT
RL_TMP=$(mktemp -d "${TMPDIR:-/tmp}/racelab-e2e.XXXXXX")
RL_SOCK=racelab-e2e-$$
RL_COLS=120
RL_LINES=40
RL_ENV=
RL_PRE=   # shell commands run just before racelab (e.g. a ulimit)

RL_N=0
T() { tmux -L "$RL_SOCK" -f /dev/null "$@"; }

# A fresh tmux server for the next start (a killed one exits in its own time).
rl_new_server() {
	T kill-server 2>/dev/null
	RL_N=$((RL_N + 1))
	RL_SOCK=racelab-e2e-$$-$RL_N
}

fail() {
	echo "FAIL: $*"
	if [ -n "$RL_STARTED" ]; then
		echo "--- screen:"
		T capture-pane -p -t rl 2>/dev/null
	fi
	exit 1
}

rl_cleanup() {
	T kill-server 2>/dev/null
	# Whatever our racelab started, by the marker in its environment.
	for p in $(rl_pids); do kill -9 "$p" 2>/dev/null; done
	rm -rf "$RL_TMP"
}
trap rl_cleanup EXIT
trap 'exit 1' INT TERM HUP

command -v tmux >/dev/null || fail "tmux is not installed"
[ -x "$ROOT/bin/racelab" ] || fail "bin/racelab is not built"

# Pids whose environment holds this test's marker (the shell and everything
# it started: the marker is inherited), this script excepted.  One grep over
# every environment (-z: NUL-separated entries, -x: the whole entry): a tr
# and a grep per process cost most of a second a call on a busy machine.
rl_marked() {
	for e in $(grep -lzxF "RACELAB_E2E=$RL_TMP" /proc/[0-9]*/environ 2>/dev/null); do
		p=${e#/proc/}; p=${p%/environ}
		[ "$p" = "$$" ] || echo "$p"
	done
}

# Processes carrying this test's marker in their environment: the shell
# and everything it started.
rl_pids() {
	for p in $(rl_marked); do
		# Not the tmux pane's own sh or sleep: only racelab programs.
		case $(cat /proc/"$p"/comm 2>/dev/null) in
		racelab*) echo "$p" ;;
		esac
	done
}

# rl_start ARGS: start racelab with ARGS (shell words) in a fresh terminal.
rl_start() {
	rl_new_server
	mkdir -p "$RL_TMP/home" "$RL_TMP/state"
	rm -f "$RL_TMP/rc"
	cat > "$RL_TMP/run.sh" <<EOS
cd "$ROOT"
trap '' INT QUIT TSTP  # ^C in the pane is for racelab, not this script
stty -g > "$RL_TMP/stty.before"
( $RL_PRE
env RACELAB_E2E="$RL_TMP" TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 \
    HOME="$RL_TMP/home" XDG_STATE_HOME="$RL_TMP/state" $RL_ENV \
    "$ROOT/bin/racelab" $1 )
echo \$? > "$RL_TMP/rc.tmp"
stty -g > "$RL_TMP/stty.after"
mv "$RL_TMP/rc.tmp" "$RL_TMP/rc"
exec sleep 3600
EOS
	T new-session -d -s rl -x "$RL_COLS" -y "$RL_LINES" "sh $RL_TMP/run.sh" ||
		fail "cannot start tmux"
	T set-option -t rl window-size manual 2>/dev/null
	RL_STARTED=1
}

screen() { T capture-pane -p -t rl; }
screen_e() { T capture-pane -e -p -t rl; }
keys() { T send-keys -t rl "$@"; }

# wait_for TEXT [SECONDS]: until TEXT (fixed string) is on the screen.
# The first 0.2 s poll every 20 ms (what a key or a start shows usually
# comes within a frame or two), then every 100 ms: the deadline counts the
# 100 ms naps only, so it is never shorter than asked.
_rl_nap() {
	if [ "$_q" -lt 10 ]; then
		_q=$((_q + 1)); sleep 0.02; return 1
	fi
	sleep 0.1
}

wait_for() {
	_n=$(( ${2:-10} * 10 )) _q=0
	while [ "$_n" -gt 0 ]; do
		screen | grep -qF -- "$1" && return 0
		_rl_nap && _n=$((_n - 1))
	done
	fail "timed out waiting for '$1'"
}

# wait_gone TEXT [SECONDS]: until TEXT is no longer on the screen.
wait_gone() {
	_n=$(( ${2:-10} * 10 )) _q=0
	while [ "$_n" -gt 0 ]; do
		screen | grep -qF -- "$1" || return 0
		_rl_nap && _n=$((_n - 1))
	done
	fail "'$1' stayed on the screen"
}

# wait_until CMD... [within 10 s]: until the command succeeds.
wait_until() {
	_n=100 _q=0
	while [ "$_n" -gt 0 ]; do
		"$@" && return 0
		_rl_nap && _n=$((_n - 1))
	done
	fail "timed out waiting until: $*"
}

# The racelab shell's own pid.
rl_shell_pid() {
	for p in $(rl_pids); do
		[ "$(cat /proc/"$p"/comm)" = racelab ] && { echo "$p"; return 0; }
	done
	return 1
}

# The demo's pid, as the title bar shows it ("running pid N").
demo_pid() {
	screen | sed -n 's/.*\(running\|FROZEN\) pid \([0-9][0-9]*\).*/\2/p' | head -n 1
}

# Rows of the process table: "W KIND PID PPID TID S".
proc_rows() {
	screen | sed -n 's/^[^0-9M]*\([0-9M][0-9]*\) \(main\|proc\|thrd\) *\([0-9][0-9]*\) *\([0-9-][0-9]*\) *\([0-9][0-9]*\) *\([A-Za-z-]\) .*/\1 \2 \3 \4 \5 \6/p'
}

# rows_at_least KIND N: the process table shows N rows of KIND.
rows_at_least() {
	[ "$(proc_rows | grep -c " $1 ")" -ge "$2" ]
}

# Pids in a process group, as ps sees it.
group_pids() {
	ps -e -o pgid=,pid= | awk -v g="$1" '$1 == g { print $2 }'
}

# Kernel state letter of a task.
task_state() {
	sed 's/.*) \(.\).*/\1/' "/proc/$1/task/$2/stat" 2>/dev/null
}

rl_wait_exit() {
	_n=${1:-100} _q=0
	while [ ! -f "$RL_TMP/rc" ] && [ "$_n" -gt 0 ]; do
		_rl_nap && _n=$((_n - 1))
	done
	[ -f "$RL_TMP/rc" ] || fail "racelab did not exit"
	cat "$RL_TMP/rc"
}

rl_no_leftovers() {
	left=$(rl_pids)
	[ -z "$left" ] || {
		ps -o pid,ppid,pgid,stat,args -p "$(echo $left | tr ' ' ',')"
		return 1
	}
}

# After racelab exited: the terminal is as it was, and nothing is left.
rl_check_clean() {
	wait_until rl_no_leftovers
	cmp -s "$RL_TMP/stty.before" "$RL_TMP/stty.after" ||
		fail "stty settings changed: $(cat "$RL_TMP/stty.before") -> $(cat "$RL_TMP/stty.after")"
	# Mouse reporting and the alternate screen are off again.
	screen | grep -q "racelab" && [ -n "$RL_CHECK_SCREEN_EMPTY" ] &&
		fail "the racelab screen is still shown"
	return 0
}

# python3 processes started under this test's racelab (a python block's
# program and its children), by the marker in their environment.
rl_py_pids() {
	for p in $(rl_marked); do
		case $(cat /proc/"$p"/comm 2>/dev/null) in
		python*) echo "$p" ;;
		esac
	done
}

# From a lesson's view: q to the list, q to quit; racelab exits 0 and
# leaves the terminal and the machine clean.
rl_quit_clean() {
	keys q
	wait_for "Lessons"
	keys q
	[ "$(rl_wait_exit)" = 0 ] || fail "${1:+$1: }racelab did not exit, or not with 0"
	rl_check_clean
}
