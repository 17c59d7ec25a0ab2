# racelab --watch, step mode, of a fork-and-pipe program
# (tests/watch/pipe_children.c): once the parent has forked its two
# children it blocks in read() on the pipe, in the kernel, at no
# scheduling point.  Step mode takes that worker as settled (asleep
# outside the model) and steps the children: each key is a step (a
# child's start writes its letter, its second step is its _exit), the
# parent reads what the stepped child wrote, and the run ends with the
# letters in the order the learner chose.  At 120x40 and at 80x24;
# nothing is left behind.
. "$(dirname "$0")/lib.sh"

cc -g -O0 -o "$RL_TMP/pipe_children" "$ROOT/tests/watch/pipe_children.c" ||
	fail "cannot build pipe_children.c"
for size in 120x40 80x24; do
	RL_COLS=${size%x*} RL_LINES=${size#*x}
	rl_start "--watch $RL_TMP/pipe_children"
	wait_for "exited 0 after"
	keys s
	wait_for "step mode on"
	keys 1
	wait_for "[3] next: start"
	wait_for "[1] asleep in the kernel, at no scheduling point (its last: fork)"
	keys 3
	wait_for "worker 3 did: start"
	keys 2
	wait_for "worker 2 did: start"
	# Each child's second step is its _exit; the parent reads the end of the
	# pipe when both are gone, and alone, runs on to its end.
	keys 3
	wait_for "worker 3 did: exit"
	keys 2
	wait_for "exited 0 after"
	screen | grep -qF "read BA" || fail "not the order stepped (3 then 2): $(screen | grep -F 'read ')"
	screen | grep -qF "did not settle" && fail "a step did not settle: $(screen | grep -F 'settle')"
	keys q
	wait_for "Lessons"
	keys q
	[ "$(rl_wait_exit)" = 0 ] || fail "racelab did not exit, or not with 0"
	rl_check_clean
	T kill-server
done
echo "ok: step mode of a parent blocked in read() on its children's pipe (120x40, 80x24)"
