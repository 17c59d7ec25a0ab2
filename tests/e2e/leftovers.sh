# The SIGKILL-of-the-shell matrix: for every lesson, a demo that makes what
# that lesson makes (processes, threads, temp files and directories, a
# socket, shm and mq names, orphans), running or frozen (Space), then kill
# -9 of the shell.  Nothing may survive it, within a bounded wait: no
# process carrying this test's marker (the lesson, its workers, an orphan,
# the cleanup helper, the janitor), nothing in the demo's TMPDIR, nothing
# in /dev/shm named after the lesson.  Then `k` on the main row (SIGKILL of
# the lesson with the shell alive) and `x` past the grace on a large
# images run: the same.  Prints a table with the time each took.
. "$(dirname "$0")/lib.sh"

BOUND_MS=3000
RES=$RL_TMP/matrix
: > "$RES"
TMPD=$RL_TMP/tmp
mkdir -p "$TMPD"
RL_ENV="TMPDIR=$TMPD"
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# What is left, as words ("" when nothing).
# KEEP: pids that may stay (the shell and its janitor, when the shell
# was not the one killed).
leftovers() {
	_l= _p=$(rl_pids | grep -vxF -e "${KEEP:-none}" -e none)
	[ -n "$_p" ] && _l="procs:$(echo $_p | tr ' ' ,)"
	[ -n "$(ls -A "$TMPD")" ] && _l="$_l tmp:$(ls -A "$TMPD" | tr '\n' ,)"
	[ -n "$LEADER" ] && ls /dev/shm 2>/dev/null | grep -q "racelab-$LEADER-" && _l="$_l shm"
	echo "$_l"
}

# has_tmp: the lesson's files exist (so the kill really lands on them).
has_tmp() { [ -n "$(ls -A "$TMPD")" ]; }

# cell NAME 'COMMAND' [freeze|tmp|freeze+tmp] [how]: how = KILL (default,
# kill -9 of the shell), k (k on the main row), x (x on the demo).
cell() {
	name=$1 cmd=$2 opt=${3:-} how=${4:-KILL}
	rl_start "--run '$cmd'"
	wait_for "running pid" 20
	LEADER=$(demo_pid)
	case $opt in *tmp*) wait_until has_tmp ;; *) sleep 0.5 ;; esac
	case $opt in *freeze*) keys Space; wait_for "FROZEN" 5 ;; esac
	shell=$(rl_shell_pid)
	KEEP=
	[ "$how" != KILL ] && KEEP=$(for p in $(rl_pids); do
		case $(cat /proc/"$p"/comm) in racelab | racelab-janitor) echo "$p" ;; esac; done)
	EV=$(now_ms)
	case $how in
	KILL) kill -9 "$shell" ;;
	k) keys k ;;             # row 0, selected, is the lesson's main process
	x) keys x ;;
	esac
	verdict=ok
	while :; do
		left=$(leftovers)
		[ -z "$left" ] && break
		[ $(( $(now_ms) - EV )) -gt $BOUND_MS ] && { verdict="FAIL ($left)"; break; }
		sleep 0.02
	done
	printf '%-12s %-5s %-10s %5d ms  %s\n' "$name" "$how" "${opt:--}" $(( $(now_ms) - EV )) "$verdict" >> "$RES"
	if [ "$how" != KILL ]; then
		keys q; keys q
		rl_wait_exit >/dev/null
	fi
	T kill-server 2>/dev/null
	for p in $(rl_pids); do kill -9 "$p"; done
	rm -rf "${TMPD:?}"/*
}

t0=$(now_ms)
cell processes    'processes --workers 2 --sleep 5'
cell threads      'threads-vs-processes --demo ids --workers 2 --hold 5'
cell race         'race --workers 2 --mode process --iters 1000000000 --runs 1' freeze
cell locks        'locks --sync mutex --workers 3 --iters 100000000'
cell shm          'shared-memory --map posix --workers 2 --count 8 --delay 1'
cell ipc          'ipc --demo transfer --transport mq --messages 100000000'
cell manager      'manager --demo cost --workers 2 --ops 10000000' tmp
cell manager      'manager --demo cost --workers 2 --ops 10000000' tmp k
cell pools        'pools --demo hash --nfiles 8 --file-mb 64' tmp
cell cpu-bound    'cpu-bound --workers 4 --n 30000000000'
cell images       'images --workers 4 --images 8 --width 4096 --height 4096 --sigma 30' tmp
cell images       'images --workers 4 --images 8 --width 8192 --height 8192 --sigma 50' tmp x
cell images       'images --workers 2 --mode process --images 8 --width 4096 --height 4096' freeze+tmp
cell overhead     'overhead --part workers --max-workers 256'
cell coordination 'coordination --demo buffer --workers 4 --items 100000 --pace 0.01'
cell deadlock     'deadlock --fix none'
cell lifecycle    'lifecycle --demo orphan --hold 30'
cell lifecycle    'lifecycle --demo orphan --hold 30' freeze

echo "SIGKILL-of-the-shell matrix ($(( ($(now_ms) - t0) / 1000 )) s, bound $BOUND_MS ms)"
printf '%-12s %-5s %-10s %8s  %s\n' lesson how state "clean in" verdict
cat "$RES"
grep -q 'FAIL' "$RES" && fail "leftovers after a kill"
echo ok
