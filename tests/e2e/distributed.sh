# Lessons 21 and 22 live in the shell: the bank's ranks are on screen with
# their real PIDs (each one's /proc environ says it is that rank of this
# very run, a child of this run's mpirun), and the balance in the Counters
# panel is the window's memory, moving while the ranks' puts land; q stops
# the job and leaves no rank.  Then the collectives at 80x24 show both
# ranks, and kill -9 of the shell while rank 0 runs racelab-ipc leaves
# nothing (no racelab-ipc either).  Two mpirun launches.
. "$(dirname "$0")/lib.sh"

env_has() { { tr '\0' '\n' < "/proc/$1/environ"; } 2>/dev/null | grep -qx "$2"; }
dead() { [ ! -d "/proc/$1" ] || [ "$(sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null)" = Z ]; }
balance() { screen | sed -n 's/^│ balance  *\(-\{0,1\}[0-9][0-9]*\) .*/\1/p' | head -n 1; }

# ---- the bank: 2,000,000 updates each, far longer than the test looks ----
rl_start "--run 'mpi-bank --sync none --iters 2000000 --runs 1'"
wait_for "running pid" 20
LEADER=$(demo_pid)
two_ranks() { [ "$(proc_rows | awk '$2 == "proc"' | wc -l)" -eq 2 ]; }
wait_until two_ranks
pids=
for w in 1 2; do
	row=$(proc_rows | awk -v w="$w" '$1 == w && $2 == "proc"')
	pid=$(echo "$row" | awk '{ print $3 }')
	ppid=$(echo "$row" | awk '{ print $4 }')
	env_has "$pid" "RACELAB_MPI_LAUNCHER=$LEADER" ||
		fail "pid $pid shown as worker $w is no rank of this run"
	env_has "$pid" "OMPI_COMM_WORLD_RANK=$((w - 1))" ||
		fail "pid $pid shown as worker $w is not rank $((w - 1))"
	[ "$(cat "/proc/$ppid/comm")" = mpirun ] || fail "rank $((w - 1))'s parent $ppid is not mpirun"
	[ "$(awk '{ print $4 }' "/proc/$pid/stat")" = "$ppid" ] || fail "PPID of $pid differs from the kernel's"
	grep -q racelab-mpi-bank "/proc/$pid/cmdline" || fail "$pid is not racelab-mpi-bank"
	pids="$pids $pid"
done
screen | grep -q "rank 0" || fail "no name 'rank 0'"
# The counter is the window: it moves while the ranks run, and stays in
# reach of the updates (100 - 2000000 .. 100 + 2000000).
has_balance() { [ -n "$(balance)" ]; }
wait_until has_balance
first=$(balance)
moved() { b=$(balance); [ -n "$b" ] && [ "$b" != "$first" ]; }
wait_until moved
b=$(balance)
[ "$b" -ge -1999900 ] && [ "$b" -le 2000100 ] || fail "balance $b out of reach"
screen | grep -q "get balance\|put balance" || fail "no rank's operation shown"
keys q
wait_for "Lessons" 10
for p in $pids; do
	gone() { dead "$p"; }
	wait_until gone
done

keys q
rc=$(rl_wait_exit)
[ "$rc" = 0 ] || fail "racelab exited $rc"
rl_check_clean
# ---- the collectives at 80x24; kill -9 of the shell while rank 0 runs ----
# racelab-ipc.  That is rank 0's child, outside the demo's group: it must
# die with rank 0 (PR_SET_PDEATHSIG), as the rank dies with mpirun.  (The
# numbers it gives are checked in check_mpi_collectives.c.)
RL_COLS=80 RL_LINES=24
rl_start "--run 'mpi-collectives --workers 2 --n 1000 --messages 100'"
# Rank 0 runs it late in the run and briefly: polled for from the start
# (the screen's "run racelab-ipc" label can come after it has ended).
IPC=
has_ipc() {
	for p in $(pgrep -x racelab-ipc); do
		env_has "$p" "RACELAB_E2E=$RL_TMP" && IPC="$IPC $p"
	done
	[ -n "$IPC" ]
}
wait_until has_ipc
screen > "$RL_TMP/coll"
for w in 1 2; do
	grep -q "rank $((w - 1))" "$RL_TMP/coll" || fail "no rank $((w - 1)) at 80x24"
done
grep -q "messages" "$RL_TMP/coll" || fail "no messages counter"
[ -n "$IPC" ] || fail "no racelab-ipc of this run while rank 0 runs it"
kill -9 "$(rl_shell_pid)"
wait_until rl_no_leftovers
for p in $IPC; do
	gone() { dead "$p"; }
	wait_until gone
done
echo ok
