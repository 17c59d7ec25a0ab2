# Lessons 21 and 22 live in the shell: the bank's ranks are on screen with
# their real PIDs (each one's /proc environ says it is that rank of this
# very run, a child of this run's mpirun), and the balance in the Counters
# panel is the window's memory, moving while the ranks' puts land; q stops
# the job and leaves no rank.  Then the collectives' run prints the MPI
# numbers beside racelab-ipc's, from the same run, and leaves nothing (no
# racelab-ipc either), at 80x24.  Two mpirun launches.
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

# ---- the collectives: MPI beside lesson 06, one run ----------------------
keys q
rc=$(rl_wait_exit)
[ "$rc" = 0 ] || fail "racelab exited $rc"
rl_check_clean
# At 80x24 this time: the Output panel is four lines, the ipc line wraps.
RL_COLS=80 RL_LINES=24
rl_start "--run 'mpi-collectives --workers 2 --n 1000000 --messages 2000'"
wait_for "lesson 06 (racelab-ipc), same run: socketpair round trip" 30
screen > "$RL_TMP/coll"
grep -q "(MPI:" "$RL_TMP/coll" || fail "no MPI round trip beside the socketpair's"
grep -q "pipe [0-9.]*, queue [0-9.]*, ring [0-9.]* MB/s" "$RL_TMP/coll" ||
	fail "no pipe, queue and ring figures"
grep -q "WRONG" "$RL_TMP/coll" && fail "a wrong sum"
grep -q "messages" "$RL_TMP/coll" || fail "no messages counter"
for w in 1 2; do
	grep -q "rank $((w - 1))" "$RL_TMP/coll" || fail "no rank $((w - 1)) at 80x24"
done
keys q
wait_for "Lessons" 10
keys q
rc=$(rl_wait_exit)
[ "$rc" = 0 ] || fail "racelab exited $rc"
rl_check_clean
echo ok
