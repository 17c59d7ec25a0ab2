# racelab --watch: the Locks panel of a learner's own program tells the
# truth about every kind of lock it uses, as it does for a lesson's
# (tests/watch/: rwlock.c, sem.c, barrier.c, doomed.c,
# doomed_child.c).  Each program is
# driven in step mode to a forced state (each step seen in the schedule
# line before the next key), then the panel is read:
#   - an rwlock read-held by two readers, a writer waiting; then the
#     readers leave one by one and the writer is in (its wait counted);
#   - a semaphore of one permit: its value, the holder, the waiter, the
#     acquisitions, and the permit handed on at the post;
#   - a barrier of three: how many have arrived, who waits; all pass;
#   - a thread that SIGKILLs its own process while it holds a mutex: the
#     lock is shown held by a dead thread (the process is gone);
#   - a child process that does so holding a robust mutex it shares with
#     its parent: held by the dead child once the parent has reaped it,
#     then by the parent (EOWNERDEAD); named by its address, whole at
#     120 columns, by its last digits at 80 (the NAME column's 10);
#   - a spin lock held, a spinner waiting and then in; the timed waits
#     (timed.c): a timed rwlock read that times out, a clock wait on a
#     semaphore that waits its time on the clock it names, a timed mutex
#     lock shown waiting "(timed)";
#   - a condition variable signalled (prodcons_while.c): its waiter woken,
#     waiting for the mutex the signaller holds;
#   - the step panel of a timed wait says so at once, and the panel asks
#     for no row it leaves empty.
# At 120x40, then at 80x24 (the same columns, an inner width of 78).
. "$(dirname "$0")/lib.sh"

[ -x "$ROOT/bin/racelab-watch" ] || fail "bin/racelab-watch is not built"
for p in rwlock sem barrier doomed doomed_child timed prodcons_while; do
	cc -g -O1 -pthread -o "$RL_TMP/$p" "$ROOT/tests/watch/$p.c" || fail "cannot build $p.c"
done

type_schedule() { # type_schedule S: S's workers as keys, each step seen
	for _k in $(echo "$1" | tr ',' ' '); do
		keys "$_k"
		_done=${_done:+$_done,}$_k
		wait_for "schedule: $_done  "
	done
}
# row RE: the Locks panel shows a row matching the extended regex RE.
row() { screen | grep -Eq "│ $1"; }
want_row() { wait_until row "$1"; }
# start PROG END [ROW [TEXT]]: open PROG, wait for its free run to end
# with END (its Locks panel showing ROW, TEXT on the screen), step mode.
start() {
	RL_COLS=120 RL_LINES=40
	rl_start "--watch $RL_TMP/$1"
	wait_for "$2 after"
	[ -z "$3" ] || want_row "$3"
	[ -z "$4" ] || wait_for "$4"
	keys s
	wait_for "1-9 start the demo in step mode"
	_done=
}
narrow() { T resize-window -t rl -x 80 -y 24; }
quit() {
	rl_quit_clean "$1"
}

# An rwlock: main creates the three threads, each reader takes a read
# lock, the writer asks for the write lock and waits for both readers.
start rwlock "exited 0"
type_schedule 1,1,1,2,2,3,3,4,4
wait_for "[4] waits to write table (readers inside: 2 3)"
want_row "table +rw R2 +w2 reader,w3 reader +2 +0.0% +[0-9.]+ +1: w4 writer"
# The step panel asks for the rows it draws: its hint beside the
# schedule takes no row of its own, so the trace's newest step sits on
# the panel's bottom border (the row goes to the Source panel).
on_border() { screen | grep -A1 -F "│   9 [4] wrlock table" | tail -n 1 | grep -q "^└"; }
wait_until on_border
# At 80 columns the readers are named by number (their names would push
# the columns out).
narrow
want_row "table +rw R2 +w2,w3 +2 +0.0% +[0-9.]+ +1: w4 writer"
type_schedule 2
want_row "table +rw R1 +w3 reader +2 +0.0% +[0-9.]+ +1: w4 writer"
type_schedule 3
wait_for "[4] next: rwunlock table"
want_row "table +rw W +w4 writer +3 +33.3% +[0-9.]+ +0 *│"
quit rwlock

# A semaphore of one permit: the first user inside, the second waits;
# the first posts and the permit goes to the second.
start sem "exited 0"
type_schedule 1,1,2,2,3,3
wait_for "[3] waits for slot"
want_row "slot +sem 0/1 +w2 user +1 +0.0% +[0-9.]+ +1: w3 user"
type_schedule 2
wait_for "[3] next: sem_post slot"
narrow
want_row "slot +sem 0/1 +w3 user +2 +50.0% +[0-9.]+ +0 *│"
type_schedule 3
want_row "slot +sem 1/1 +- +2 +50.0% +[0-9.]+ +0 *│"
quit sem

# A barrier of three: two runners arrive and wait, the third lets all go
# (two of the three waited).
start barrier "exited 0"
type_schedule 1,1,1,2,2,3,3
wait_for "[3] waits for start_line"
want_row "start_line +bar 2/3 +- +0 +0.0% +[0-9.]+ +2: w2 runner,w3 runner"
narrow
type_schedule 4,4
want_row "start_line +bar 0/3 +- +3 +66.7% +[0-9.]+ +0 *│"
quit barrier

# A holder that kills its process: held by doomed, then, once
# it has sent itself SIGKILL, by a dead thread: the process is gone.
start doomed "killed by SIGKILL"
type_schedule 1,2,2
wait_for "[2] next: yield"
want_row "vault +mutex +w2 doomed +1 "
narrow
type_schedule 2
wait_for "killed by SIGKILL after"
want_row "vault +mutex +w2\(dead\) +1 +0.0% +[0-9.]+ +0 *│"
wait_for "[2] killed"
quit doomed

# The same in a child process, on a robust mutex it shares with its
# parent (named by its address: it is no global): the parent reaps the
# child, and the kernel's word (killed) is the end of its holder while
# the parent lives; the parent takes the mutex (EOWNERDEAD: the kernel's
# robust list says its owner died) and is its one holder.
start doomed_child "exited 0"
type_schedule 1,2,2
wait_for "[2] killed"
wait_for "[1] next: lock 0x"
want_row "0x[0-9a-f]{12} +mutex +w2 main\(dead\) +1 +0.0% +[0-9.]+ +0 *│"
narrow
want_row "0x…[0-9a-f]{7} mutex +w2 main\(dead\) +1 +0.0% +[0-9.]+ +0 *│"
type_schedule 1
wait_for "[1] next: unlock 0x"
want_row "0x…[0-9a-f]{7} mutex +w1 main +2 +0.0% +[0-9.]+ +0 *│"
quit doomed_child

# A spin lock and the timed waits.  The free run first: nobody posts
# ticket, and its sem_clockwait on CLOCK_MONOTONIC times out at its
# deadline on that clock, as the program sees it (read as a
# CLOCK_REALTIME deadline, long past, it would return at once).
start timed "exited 0" "ticket +sem 0/0 +- +0 +0.0% +[0-9.]+ +0 *│" \
	"sem_clockwait ticket: timed out at its deadline"
# holder takes gate, spot and book; spinner tries spot, then spins.
type_schedule 1,1,1,2,2,2,2,3,3,3
wait_for "[3] waits for spot (held by 2)"
want_row "spot +spin +w2 holder +1 +0.0% +[0-9.]+ +1: w3 spinner"
# timer's timed read of book times out (holder writes): no reader, no
# waiter left, nothing acquired.
type_schedule 4,4
wait_for "[4] next: rdlock book"
want_row "book +rw W +w2 holder +1 +0.0% +[0-9.]+ +0 *│"
# holder lets book go; timer reads it at once: a wait that timed out
# makes no later taking a contended one.
type_schedule 2,4
wait_for "[4] next: rwunlock book"
want_row "book +rw R1 +w4 timer +2 +0.0% +[0-9.]+ +0 *│"
# holder lets spot go: the spinner is in (it had to wait).
type_schedule 4,2
wait_for "[3] next: unlock spot"
want_row "spot +spin +w3 spinner +2 +50.0% +[0-9.]+ +0 *│"
# The clock wait times out, the timed lock of gate waits: marked timed
# (it ends by itself; the step does not settle until it does).
type_schedule 4,4
wait_for "[4] waits for gate (held by 2)"
want_row "gate +mutex +w2 holder +1 +0.0% +[0-9.]+ +1: w4 timer\(timed\)"
# The step panel says so at once, not "frozen?" after 3 s.
wait_for "worker 4 is in a timed wait for gate: it ends at its deadline, or sooner"
# ... and the step stays unsettled while the wait lasts (a thread asleep
# in the kernel 200 ms counts as settled only off the board's waits).
sleep 0.5
screen | grep -qF "worker 4 did: lock gate" && fail "a timed wait of 30 s settled at once"
narrow
want_row "gate +mutex +w2 holder +1 +0.0% +[0-9.]+ +1: w4\(timed\)"
quit timed

# A consumer waits on fill; the producer takes buf_lock and signals fill:
# the consumer is woken, and waits for buf_lock inside its
# pthread_cond_wait (not asleep on fill any more).
start prodcons_while "exited 0"
type_schedule 1,1,1,2,2,2
want_row "fill +condvar +- +0 +- +[0-9.]+ +1: w2 consumer *│"
type_schedule 4,4,4
wait_for "[4] next: unlock buf_lock"
want_row "fill +condvar +- +0 +- +[0-9.]+ +1: w2 consumer \\(1 woken\\)"
# The producer lets buf_lock go: the consumer has it back, out of its wait.
narrow
type_schedule 4
wait_for "[2] next: signal empty"
want_row "buf_lock +mutex +w2 consumer +3 +0.0% +[0-9.]+ +0 *│"
quit prodcons_while
echo "ok: --watch Locks panel: rwlock readers and writer, semaphore, barrier, a dead holder, spin lock, timed waits, address names"
