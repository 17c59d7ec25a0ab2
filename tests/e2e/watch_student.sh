# A student's own programs under racelab-watch.
#
# A compile killed with its racelab-watch (the shell's janitor kills the
# whole group: cc's driver dies before it can remove its temporaries)
# leaves nothing on disk outside the cache's scratch directory, which the
# next compile sweeps: cc's temporaries go there too (TMPDIR).
#
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

mkdir -p "$RL_TMP/tmp" "$RL_TMP/cache"
awk 'BEGIN { for (i = 0; i < 4000; i++) printf "int f%d(int x) { return x * %d + (x >> 3); }\n", i, i
	print "int main(void) { return f1(0); }" }' > "$RL_TMP/slow.c"
TMPDIR=$RL_TMP/tmp XDG_CACHE_HOME=$RL_TMP/cache setsid "$ROOT/bin/racelab-watch" "$RL_TMP/slow.c" \
	> /dev/null 2>&1 &
w=$!
cc1_of_slow() { pgrep -f "cc1 .*$RL_TMP/slow.c" > /dev/null; }
wait_until cc1_of_slow
kill -KILL "-$w"
wait $w 2> /dev/null # reaped, as the shell reaps it: a zombie's pid is not gone
no_cc1() { ! cc1_of_slow; }
wait_until no_cc1
left=$(ls -A "$RL_TMP/tmp")
[ -z "$left" ] || fail "a killed compile left in TMPDIR: $left"
ls "$RL_TMP/cache/racelab" | grep -q "\.tmp" || fail "no scratch directory to sweep (the test missed cc)"
XDG_CACHE_HOME=$RL_TMP/cache "$ROOT/bin/racelab-watch" --explore "$ROOT/tests/watch/counter.c" \
	> /dev/null 2>&1 || fail "racelab-watch after a killed compile failed"
left=$(ls "$RL_TMP/cache/racelab" | grep "\.tmp")
[ -z "$left" ] || fail "the next compile did not sweep: $left"

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
	rl_quit_clean
	T kill-server
done
# A timed sleep inside a step (tests/watch/nap_step.c: usleep(700000)
# after its gate) is the step still going, not a worker asleep outside
# the model: the step is over (the thread at its end) only once it has
# woken and printed.
cc -g -O0 -pthread -o "$RL_TMP/nap_step" "$ROOT/tests/watch/nap_step.c" ||
	fail "cannot build nap_step.c"
RL_COLS=120 RL_LINES=40
rl_start "--watch $RL_TMP/nap_step"
wait_for "exited 0 after"
keys s
wait_for "step mode on"
keys 2
wait_for "worker 2 did: start"
keys 2
wait_for "worker 2 did: yield"
screen > "$RL_TMP/nap" # the frame that says the step is over: the thread at its end
grep -qF "[2] next: thread exit" "$RL_TMP/nap" ||
	fail "the step was over before its sleep ended: $(grep -F '[2]' "$RL_TMP/nap")"
keys g
wait_for "exited 0 after"
rl_quit_clean
T kill-server
echo "ok: a killed compile leaves nothing; step mode of a parent blocked in read() on its children's pipe (120x40, 80x24); a sleep inside a step"
