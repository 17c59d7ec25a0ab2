# MPI lessons (src/lab/lab_mpi.c): the shell's Processes panel shows the
# ranks mpirun started, with their real PIDs (each one's /proc environ says
# it is rank W-1 of this very run), their parent mpirun, and the kernel's
# state; and no rank, no mpirun and none of Open MPI's files survive any
# end: kill -9 of the shell, the shell quitting, ^C of a standalone run, a
# normal end; Space freezes and thaws the ranks; step mode grants their
# steps (the order 321 of the goal, and 312 when the senders go first);
# a --hold longer than --watchdog is no stall.  At 120x40, and the
# Processes panel at 80x24.  Seven mpirun launches.
. "$(dirname "$0")/lib.sh"

TMPD=$RL_TMP/tmp
mkdir -p "$TMPD"
RL_ENV="TMPDIR=$TMPD"
PROG=$ROOT/bin/racelab-mpi-ranks
[ -x "$PROG" ] || fail "$PROG is not built"

# VAR=value in a process's environment.
env_has() { { tr '\0' '\n' < "/proc/$1/environ"; } 2>/dev/null | grep -qx "$2"; }
# Gone, or a zombie waiting for its reaper (it runs no more).
dead() { [ ! -d "/proc/$1" ] || [ "$(sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null)" = Z ]; }
# The pids of the ranks of launcher $1: its mpirun's children.
mpirun_of() {
	for p in $(pgrep -P "$1"); do
		[ "$(cat /proc/"$p"/comm 2>/dev/null)" = mpirun ] && echo "$p"
	done
}

# Open MPI's shared-memory segments (vader_segment.HOST.JOBID.RANK),
# named by job, not by pid: those that were not there before this test.
ls /dev/shm > "$RL_TMP/shm.before" 2>/dev/null
new_segments() {
	ls /dev/shm 2>/dev/null | grep '^vader_segment\.' | grep -vxF -f "$RL_TMP/shm.before"
}

# What this run may leave: the pids given, Open MPI's files of its mpirun
# ($MPIRUN), anything in the demo's TMPDIR.
left() {
	_l=
	for p in "$@"; do dead "$p" || _l="$_l pid:$p($(cat /proc/"$p"/comm 2>/dev/null))"; done
	[ -n "$(ls -A "$TMPD")" ] && _l="$_l tmp:$(ls -A "$TMPD" | tr '\n' ,)"
	ls -d /tmp/ompi.*/pid."$MPIRUN" /dev/shm/ompi.*/pid."$MPIRUN" 2>/dev/null | grep -q . &&
		_l="$_l session-dir:pid.$MPIRUN"
	[ -n "$(new_segments)" ] && _l="$_l shm:$(new_segments | tr '\n' ,)"
	echo "$_l"
}
wait_clean() {
	_n=100
	while [ "$_n" -gt 0 ]; do
		[ -z "$(left "$@")" ] && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	fail "$1 left behind:$(left "$@")"
}

# q back to the list, q out of the shell: it exits cleanly, and the ranks,
# mpirun and their files are gone (LEADER MPIRUN PIDS...).
quit_clean() {
	keys q
	wait_for "Lessons" 5
	keys q
	rl_wait_exit >/dev/null
	rl_check_clean
	wait_clean "$@"
}

# ---- the shell shows the ranks; kill -9 of the shell ----------------------
rl_start "--run 'mpi-ranks --workers 3 --hold 30'"
wait_for "running pid" 20
LEADER=$(demo_pid)
ranks_shown() { [ "$(proc_rows | awk '$2 == "proc"' | wc -l)" -eq 3 ]; }
wait_until ranks_shown
MPIRUN=$(mpirun_of "$LEADER")
[ -n "$MPIRUN" ] || fail "no mpirun child of the lesson $LEADER"
pids=
for w in 1 2 3; do
	row=$(proc_rows | awk -v w="$w" '$1 == w && $2 == "proc"')
	pid=$(echo "$row" | awk '{ print $3 }')
	ppid=$(echo "$row" | awk '{ print $4 }')
	[ -n "$pid" ] || fail "no row for rank $((w - 1))"
	env_has "$pid" "RACELAB_MPI_LAUNCHER=$LEADER" ||
		fail "pid $pid shown as worker $w is no rank of this run"
	env_has "$pid" "OMPI_COMM_WORLD_RANK=$((w - 1))" ||
		fail "pid $pid shown as worker $w is not rank $((w - 1))"
	[ "$ppid" = "$MPIRUN" ] || fail "rank $((w - 1)): PPID $ppid shown, mpirun is $MPIRUN"
	[ "$(awk '{ print $4 }' "/proc/$pid/stat")" = "$MPIRUN" ] ||
		fail "rank $((w - 1)) is not mpirun's child"
	# Sleeping in --hold: the panel's S is the kernel's (once sampled).
	same_state() {
		[ "$(proc_rows | awk -v p="$pid" '$3 == p { print $6 }')" = "$(task_state "$pid" "$pid")" ]
	}
	wait_until same_state
	screen | grep -q "rank $((w - 1))" || fail "no name 'rank $((w - 1))'"
	pids="$pids $pid"
done
# The lesson program itself is the main row, named so.
proc_rows | awk -v l="$LEADER" '$2 == "main" && $3 == l' | grep -q . || fail "no main row for the lesson $LEADER"
screen | grep -q "launcher" || fail "the main row is not named launcher"
has_files() { [ -n "$(ls -A "$TMPD")" ]; }
wait_until has_files  # Open MPI's session directory and segments exist
# Space freezes the ranks too (they are not in the demo's group: each
# stops itself), and thaws them; then kill -9 of the shell while frozen.
ranks_in() {
	for p in $pids; do [ "$(task_state "$p" "$p")" = "$1" ] || return 1; done
}
keys Space
wait_for "FROZEN" 5
wait_until ranks_in T
frozen_rows() { [ "$(proc_rows | awk '$2 == "proc" && $6 == "T"' | wc -l)" -eq 3 ]; }
wait_until frozen_rows
keys Space
wait_gone "FROZEN" 5
wait_until ranks_in S
keys Space
wait_for "FROZEN" 5
wait_until ranks_in T
kill -9 "$(rl_shell_pid)"
wait_clean "$LEADER" "$MPIRUN" $pids
rl_no_leftovers || fail "racelab processes left after kill -9 of the shell"

# ---- step mode grants the ranks' steps; the shell quitting ---------------
# The lesson's goal: 1 4 1 3 1 2, each receive posted (rank 0 blocked in
# MPI_Recv, settled; the send to it unsettles it until its next probe)
# before its sender sends: the trace shows order 321 after the last step.
# Then a (the end barrier) and 4 3 2 1 1 1 on a new job: all three sent before
# rank 0 asks, the first to come is taken first and the two waiting ones
# by rank (Open MPI's ob1): 312, as the lesson says.  Then q while the
# ranks wait at their gates.
rl_start "--run 'mpi-ranks --workers 4'"
wait_for "racelab-mpi-ranks" 10
wait_for "exited 0" 20   # the first run, free
keys s
wait_for "step mode on" 5
keys 1
wait_for "running pid" 20
LEADER=$(demo_pid)
wait_for "[1] blocked: MPI_Recv from any" 10
for k in 4 1 3 1 2; do keys "$k"; done
wait_for "-> order 321" 20
screen | grep -q "did not settle" && fail "a step did not settle"
keys a
wait_for "exited 0" 20
for k in 4 3 2 1 1 1; do keys "$k"; done
# The board's counter, not the trace line: rank 0's last receive returns
# by itself (its message is there), and the step may be counted done a
# moment before rank 0 records the order (lab_mpi.c, lab_mpi_sent).
order_312() { screen | grep -qE '^│ order +312 '; }
wait_until order_312
screen | grep -q "schedule: 4,3,2,1,1,1 " || fail "not every step was taken"
LEADER=$(demo_pid)
MPIRUN=$(mpirun_of "$LEADER")
pids=$(proc_rows | awk '$2 == "proc" { print $3 }')
[ "$(echo $pids | wc -w)" -eq 4 ] || fail "ranks not shown in step mode"
quit_clean "$LEADER" "$MPIRUN" $pids

# ---- at 80x24: the ranks' rows still show their real PIDs ---------------
RL_COLS=80 RL_LINES=24
two_ranks() { [ "$(proc_rows | awk '$2 == "proc"' | wc -l)" -eq 2 ]; }
rl_start "--run 'mpi-ranks --workers 2 --hold 30'"
wait_for "running pid" 20
LEADER=$(demo_pid)
wait_until two_ranks
MPIRUN=$(mpirun_of "$LEADER")
pids=$(proc_rows | awk '$2 == "proc" { print $3 }')
for p in $pids; do
	env_has "$p" "RACELAB_MPI_LAUNCHER=$LEADER" || fail "80x24: pid $p is no rank of this run"
done
quit_clean "$LEADER" "$MPIRUN" $pids
RL_COLS=120 RL_LINES=40

# ---- ^C of a standalone run (SIGINT to its foreground group) --------------
T kill-server 2>/dev/null
# Its own session and group, as a terminal's job (setsid -w may fork: the
# lesson is then its child, and it waits for it and returns its status).
TMPDIR=$TMPD setsid -w "$PROG" --workers 2 --hold 30 --quiet > "$RL_TMP/out" 2>&1 &
JOB=$!
leader_up() {
	LEADER=$JOB
	[ "$(cat /proc/$JOB/comm 2>/dev/null)" = setsid ] && LEADER=$(pgrep -P "$JOB")
	[ -n "$LEADER" ] && [ "$(cat /proc/"$LEADER"/comm 2>/dev/null)" = racelab-mpi-ran ]
}
wait_until leader_up
# The ranks: mpirun's children (mpirun's environment has the marker too).
ranks_of() {
	MPIRUN=$(mpirun_of "$LEADER")
	pids=$(for p in $(pgrep -P "${MPIRUN:-0}"); do
		env_has "$p" "RACELAB_MPI_LAUNCHER=$LEADER" && echo "$p"; done)
	[ "$(echo $pids | wc -w)" -eq 2 ]
}
wait_until ranks_of
kill -INT "-$LEADER"
wait "$JOB"
rc=$?
# (setsid -w says 1 for a child killed by a signal: the lesson dies of
# SIGINT, after its cleanup helper removed everything.)
[ "$rc" -ne 0 ] || fail "^C: exit 0"
wait_clean "$LEADER" "$MPIRUN" $pids

# ---- a normal end ---------------------------------------------------------
# Sleeping (--hold) longer than --watchdog is no stall: exit 0, not 3.
out=$(TMPDIR=$TMPD "$PROG" --workers 2 --hold 1.2 --watchdog 1 --json) ||
	fail "a normal run failed (exit $?): $out"
echo "$out" | grep -q '"ranks":2' || fail "no --json record: $out"
MPIRUN=$(echo "$out" | sed -n 's/.*"mpirun_pid":\([0-9]*\).*/\1/p')
LEADER=$(echo "$out" | sed -n 's/.*"lesson_pid":\([0-9]*\).*/\1/p')
pids=$(echo "$out" | sed -n 's/.*"pids":\[\([0-9,]*\)\].*/\1/p' | tr , ' ')
[ -n "$pids" ] || fail "no pids in the record"
wait_clean "$LEADER" "$MPIRUN" $pids
echo ok
