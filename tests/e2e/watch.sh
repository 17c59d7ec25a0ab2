# racelab --watch: a program of the learner's own (tests/watch/forks.c:
# alice takes left_fork then right_fork, bob the other way round), live in
# the shell.  The process table shows its real PID and TIDs (checked in
# /proc) named by their start routines, the Locks panel its globals with
# their holders; the step keys drive it into the deadlock, and the Locks
# panel spells the cycle in the program's names; the Source panel shows
# the very line of forks.c each worker stands at.  At 80x24 the cycle and
# the source still show.  Bad input is one line and exit 2, and a lesson's
# run block may watch only a file of its own folder.
. "$(dirname "$0")/lib.sh"

src=$ROOT/tests/watch/forks.c
[ -x "$ROOT/bin/racelab-watch" ] || fail "bin/racelab-watch is not built"
cc -g -O1 -pthread -o "$RL_TMP/forks" "$src" || fail "cannot build forks.c"

# Bad input: one line on stderr, exit 2, before any terminal is needed.
one_line_exit2() { # one_line_exit2 WHAT ARGS...: racelab ARGS fails so
	what=$1
	shift
	"$ROOT/bin/racelab" "$@" > "$RL_TMP/out" 2> "$RL_TMP/err" < /dev/null
	rc=$?
	[ "$rc" = 2 ] || fail "$what: exit $rc, not 2"
	[ "$(wc -l < "$RL_TMP/err")" = 1 ] || fail "$what: not one line: $(cat "$RL_TMP/err")"
	[ ! -s "$RL_TMP/out" ] || fail "$what: wrote to stdout"
}
one_line_exit2 "--watch alone" --watch
grep -q "no program given" "$RL_TMP/err" || fail "--watch alone: $(cat "$RL_TMP/err")"
one_line_exit2 "a missing program" --watch "$RL_TMP/nope" 1 2
grep -q "nope: No such file or directory" "$RL_TMP/err" || fail "missing: $(cat "$RL_TMP/err")"
one_line_exit2 "--run of a missing program" --run "watch no-such-prog"
grep -q "^racelab: --run: no-such-prog: No such file" "$RL_TMP/err" || fail "--run: $(cat "$RL_TMP/err")"
# What racelab-watch cannot run is refused by the shell before its view
# opens (no terminal here), in racelab-watch's own words (one check,
# watch_cmd.c), and by racelab-watch itself; nothing is written (no cache,
# no state) and nothing runs.
printf '#!/bin/sh\necho hi\n' > "$RL_TMP/script.sh"
chmod +x "$RL_TMP/script.sh"
printf 'int main(void) { return 0; }\n' > "$RL_TMP/st.c"
mkdir -p "$RL_TMP/adir" "$RL_TMP/dir.c"
cp "$RL_TMP/st.c" "$RL_TMP/plain"
refuse() { # refuse FILE WORDS: racelab --watch, --run and racelab-watch say WORDS
	(
		export HOME="$RL_TMP/nohome" XDG_STATE_HOME="$RL_TMP/nostate" XDG_CACHE_HOME="$RL_TMP/nocache"
		one_line_exit2 "--watch $1" --watch "$1"
		grep -qF -- "$1: $2" "$RL_TMP/err" || fail "--watch $1: $(cat "$RL_TMP/err")"
		one_line_exit2 "--run 'watch $1'" --run "watch $1"
		grep -qF -- "$1: $2" "$RL_TMP/err" || fail "--run $1: $(cat "$RL_TMP/err")"
		"$ROOT/bin/racelab-watch" "$1" > "$RL_TMP/out" 2> "$RL_TMP/err" < /dev/null
		[ $? = 2 ] && [ "$(wc -l < "$RL_TMP/err")" = 1 ] && [ ! -s "$RL_TMP/out" ] &&
			grep -qF -- "$1: $2" "$RL_TMP/err" ||
			fail "racelab-watch $1: not one line and exit 2: $(cat "$RL_TMP/err")"
	) || exit 1
	for d in nohome nostate nocache; do
		[ ! -e "$RL_TMP/$d" ] || fail "refusing $1 left $d: $(find "$RL_TMP/$d")"
	done
}
refuse "$RL_TMP/script.sh" "a script (#!), not a C program"
refuse "$RL_TMP/adir" "a directory, not a program"
refuse "$RL_TMP/dir.c" "a directory, not a program"
refuse "$RL_TMP/plain" "not an executable file"
refuse "$RL_TMP/nope.c" "No such file or directory"
if cc -static -o "$RL_TMP/static" "$RL_TMP/st.c" 2> /dev/null; then # libc.a: libc6-dev
	refuse "$RL_TMP/static" "statically linked: nothing can be preloaded"
fi

# Bash completion after --watch offers files (the program), not slugs.
if command -v bash > /dev/null; then
	got=$(cd "$ROOT" && bash -c '. tools/completion.bash; COMP_WORDS=(racelab --watch tests/watch/for)
		COMP_CWORD=2; _racelab; printf "%s\n" "${COMPREPLY[@]}"')
	echo "$got" | grep -qx "tests/watch/forks.c" || fail "--watch completes to: $got"
fi

# A lesson may watch only its own files: a link out of its folder is
# refused when it is loaded (the catalog, --verify, opening it).
les=$RL_TMP/lessons
mkdir -p "$les/90-outside" "$les/91-inside"
ln -s "$src" "$les/90-outside/forks.c"
cp "$ROOT/tests/watch/counter.c" "$les/91-inside/counter.c"
printf '# Outside\n\nIntro.\n\n## One\n\nText.\n\n```run\nwatch forks.c\n```\n' > "$les/90-outside/lesson.md"
printf '# Inside\n\nIntro.\n\n## One\n\nText.\n\n```run\nwatch counter.c\nexpect: status == 0 in every run\n```\n' > "$les/91-inside/lesson.md"
RACELAB_LESSONS=$les "$ROOT/bin/racelab" --verify outside > "$RL_TMP/verify" 2>&1 &&
	fail "--verify accepted a lesson watching a link out of its folder"
grep -q "90-outside.*ERROR: .*lesson.md:10: watch: forks.c is not a file of the lesson's folder" \
	"$RL_TMP/verify" || fail "--verify: $(cat "$RL_TMP/verify")"
RACELAB_LESSONS=$les "$ROOT/bin/racelab" --list > "$RL_TMP/list" || fail "--list failed"
grep -q "^90  outside *BROKEN: .*watch: forks.c is not a file" "$RL_TMP/list" ||
	fail "the catalog does not refuse it: $(grep outside "$RL_TMP/list")"
grep -q "^91  inside *Inside" "$RL_TMP/list" || fail "a lesson watching its own file is refused"
# ... and runs: --verify's own options go before the program, not into
# its arguments.
RACELAB_LESSONS=$les XDG_CACHE_HOME=$RL_TMP/cache "$ROOT/bin/racelab" --verify inside > "$RL_TMP/verify" 2>&1 ||
	fail "--verify inside: $(cat "$RL_TMP/verify")"
grep -q '\$ racelab-watch --json counter.c ' "$RL_TMP/verify" || fail "--verify ran: $(cat "$RL_TMP/verify")"
RACELAB_LESSONS=$les one_line_exit2 "opening it" outside
# ... and a lesson watching a script of its own folder is broken too, in
# racelab-watch's words.
mkdir -p "$les/94-script"
cp "$RL_TMP/script.sh" "$les/94-script/run.sh"
printf '# Script\n\nIntro.\n\n## One\n\nText.\n\n```run\nwatch run.sh\n```\n' > "$les/94-script/lesson.md"
RACELAB_LESSONS=$les "$ROOT/bin/racelab" --list > "$RL_TMP/list" || fail "--list failed"
grep -q "^94  script *BROKEN: .*lesson.md:10: watch: run.sh: a script (#!)" "$RL_TMP/list" ||
	fail "a lesson watching a script: $(grep script "$RL_TMP/list")"
rm -r "$les/94-script"

# free_run_ended: the free run ended by itself (exit 0).  A real free run
# of a program that can deadlock sometimes does (a loaded machine
# preempts a philosopher between its two forks): the Locks panel says so
# at once; kill that run and run again, as a learner would.
free_run_ended() {
	screen > "$RL_TMP/fr"
	grep -qF "exited 0 after" "$RL_TMP/fr" && return 0
	if grep -qF "Deadlock: " "$RL_TMP/fr" && grep -qF "running pid" "$RL_TMP/fr"; then
		keys k
		wait_for "killed by SIG"
		keys Enter
	fi
	return 1
}

# The live view, at 120x40, of a program named relative to the working
# directory (the e2e terminal starts in $ROOT).
rel=$(realpath --relative-to="$ROOT" "$RL_TMP/forks")
case $rel in /*) fail "no relative path to $RL_TMP/forks" ;; esac
rl_start "--watch $rel"
wait_until free_run_ended
wait_for "left_fork  mutex"
# The program's own stdout in the Output panel, as a lesson's is (the
# JSON record carries it too).
wait_for "meals = 2"
# Step mode numbers the steps as --explore does (one definition: a
# worker alone, main before its first pthread_create, takes none), so the
# deadlock's schedule that --explore prints, typed key by key, leads to
# it: main creates bob while alice starts and takes left_fork, bob starts
# and takes right_fork; then each asks for the other fork.
# (--explore has a step more after each pthread_create of an executable,
# "pthread_create returned", where the new thread may go first; step mode
# has not yet: to_step_mode drops them, as --trace names them.)
to_step_mode() { # to_step_mode SCHEDULE PROGRAM
	"$ROOT/bin/racelab-watch" --trace --schedule "$1" "$2" 2>&1 >/dev/null | grep '^trace ' |
		head -n "$(echo "$1" | tr ',' '\n' | wc -l)" | grep -v ' returned (' |
		sed 's/^trace [0-9]*: worker \([0-9]*\):.*/\1/' | paste -sd, -
}
sched=$("$ROOT/bin/racelab-watch" --explore --preemptions 1 "$RL_TMP/forks" 2>&1 |
	sed -n 's/^ *deadlock .* --schedule \([0-9,]*\)$/\1/p')
[ "$sched" = 1,1,1,2,2,3,3 ] || fail "--explore's deadlock schedule: '$sched'"
sched=$(to_step_mode "$sched" "$RL_TMP/forks")
[ "$sched" = 1,2,2,3,3 ] || fail "the deadlock's schedule in step mode: '$sched'"
type_schedule() { # type_schedule S [DONE]: S's workers as keys, each step seen
	_done=$2
	for _k in $(echo "$1" | tr ',' ' '); do
		keys "$_k"
		_done=${_done:+$_done,}$_k
		wait_for "schedule: $_done  "
	done
}
keys s
type_schedule "$sched"
wait_for "[2] next: lock right_fork"
wait_for "[3] next: lock left_fork"
keys 2
wait_for "[2] waits for right_fork (held by 3)"
keys 3
wait_for "bob holds right_fork and waits for left_fork, held by alice"
wait_for "alice holds left_fork and waits for right_fork, held by bob"
wait_for "Deadlock: "
screen > "$RL_TMP/s1"
grep -Eq '│ left_fork +mutex +w2 alice ' "$RL_TMP/s1" || fail "left_fork is not held by alice"
grep -Eq '│ right_fork +mutex +w3 bob ' "$RL_TMP/s1" || fail "right_fork is not held by bob"

# Real PIDs and TIDs: one process, three threads of it, as /proc has them.
wait_until rows_at_least thrd 2
pid=$(proc_rows | awk '$1 == "1" { print $3 }')
[ -n "$pid" ] && [ -d "/proc/$pid" ] || fail "worker 1's pid '$pid' is not a process"
[ "$(cat "/proc/$pid/comm")" = forks ] || fail "pid $pid is $(cat "/proc/$pid/comm"), not forks"
for w in 2 3; do
	row=$(proc_rows | awk -v w="$w" '$1 == w')
	[ "$(echo "$row" | awk '{ print $3 }')" = "$pid" ] || fail "thread $w is not in process $pid: $row"
	tid=$(echo "$row" | awk '{ print $5 }')
	[ -d "/proc/$pid/task/$tid" ] || fail "thread $w: no task $tid in /proc/$pid/task"
	[ "$tid" != "$pid" ] || fail "thread $w has the main thread's TID"
	[ "$(task_state "$pid" "$tid")" = S ] || fail "thread $w ($tid) waiting for a fork is not asleep"
done
grep -Eq "│ 2 thrd +$pid .* alice " "$RL_TMP/s1" || fail "thread 2 is not named alice"
grep -Eq "│ 3 thrd +$pid .* bob " "$RL_TMP/s1" || fail "thread 3 is not named bob"

# The Source panel: each worker at its own line of forks.c (its second
# lock), that line's text beside its number, as the file has it.
line_in() { # line_in FUNCTION TEXT: the first line holding TEXT in FUNCTION
	awk -v f="^$1[(]" -v t="$2" '$0 ~ f { in_f = 1 } in_f && index($0, t) { print NR; exit }' "$src"
}
for w in "2 alice right_fork" "3 bob left_fork"; do
	set -- $w
	n=$(line_in "$2" "pthread_mutex_lock(&$3)")
	[ -n "$n" ] || fail "no lock of $3 in $2() of forks.c"
	marked=$(printf '▶%s     %4d %s' "$1" "$n" "$(sed -n "${n}p" "$src" | expand -t 4)")
	grep -qF -- "$marked" "$RL_TMP/s1" || fail "Source: line $n not shown as '$marked'"
done

# The step panel says it too, on each worker's own row.
grep -qF "[2] alice holds left_fork and waits for right_fork, held by bob" "$RL_TMP/s1" ||
	fail "the step panel does not spell worker 2's wait"

# 80x24: the cycle and the source still show (fewer lines).
T resize-window -t rl -x 80 -y 24
wait_for "[3] bob holds right_fork and waits for left_fork, held by alice"
wait_for "$(printf '▶2     %4d' "$(line_in alice "pthread_mutex_lock(&right_fork)")")"
keys x
keys q
wait_for "Lessons"
keys q
[ "$(rl_wait_exit)" = 0 ] || fail "racelab did not exit with 0"
rl_check_clean
# The lost update's schedule from --explore, typed, ends the same
# ("counter = 1"); the next run, a step and then g: the program runs free
# to its end at once (not after racelab-watch's 10 s time limit).
sched=$("$ROOT/bin/racelab-watch" --explore "$ROOT/build/watch/counter" 2>&1 |
	sed -n 's/.*"counter = 1\\n"}.* --schedule \([0-9,]*\)$/\1/p')
[ -n "$sched" ] || fail "--explore found no lost update in counter"
sched=$(to_step_mode "$sched" "$ROOT/build/watch/counter")
rl_start "--watch $ROOT/build/watch/counter"
wait_for "exited 0"
keys s
type_schedule "$sched"
wait_for "exited 0 after"
# (The Output panel: the last run's line after its "--- $" header.)
last=$(screen | grep -A1 -- '--- \$ racelab-watch' | tail -n 1)
case $last in *"counter = 1 "*) ;; *) fail "the typed schedule $sched gave: $last" ;; esac
keys 1
wait_for "schedule: 1  "
wait_for "running pid"
keys g
wait_for "exited 0 after" 3
keys q
wait_for "Lessons"
keys q
[ "$(rl_wait_exit)" = 0 ] || fail "racelab did not exit with 0"
rl_check_clean
# The watched program itself is gone too.
for e in /proc/[0-9]*/environ; do
	{ tr '\0' '\n' < "$e"; } 2>/dev/null | grep -qx "RACELAB_E2E=$RL_TMP" || continue
	p=${e#/proc/}
	p=${p%/environ}
	[ "$(cat "/proc/$p/comm" 2>/dev/null)" = forks ] && fail "the watched program $p is left running"
done
# A .c counter whose workers print: a step's name is the program's
# ("write stdout", not the C library's "_IO_2_1_stdout_..."; no symbol
# version, "stdout@GLIBC_2.2.5"), a read of the library's stdout is no
# step, and output is a step in the shell as in --explore: the lost
# update's schedule, typed, ends in it.
cat > "$RL_TMP/pc.c" <<'EOF2'
#include <pthread.h>
#include <stdio.h>
int counter;
static void *worker(void *arg)
{
	int v = counter;
	(void)arg;
	counter = v + 1;
	fprintf(stdout, "read %d\n", v);
	return NULL;
}
int main(void)
{
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("counter = %d\n", counter);
	return 0;
}
EOF2
export XDG_CACHE_HOME="$RL_TMP/cache"
sched=$("$ROOT/bin/racelab-watch" --explore "$RL_TMP/pc.c" 2>&1 |
	sed -n 's/.*\\ncounter = 1\\n"}.* --schedule \([0-9,]*\)$/\1/p')
[ -n "$sched" ] || fail "--explore found no lost update in pc.c"
"$ROOT/bin/racelab-watch" --trace --schedule "$sched" "$RL_TMP/pc.c" > "$RL_TMP/trace" 2>&1
grep -q "worker 2: write stdout (pc.c:9)" "$RL_TMP/trace" || fail "no 'write stdout' step: $(cat "$RL_TMP/trace")"
grep -E "@|_IO_|read stdout" "$RL_TMP/trace" && fail "a step named by the C library's inside"
# Its first output step, typed, shows its line in the Output panel at
# once (under the shell stdout is line-buffered, as in a terminal).
n=$(sed -n 's/^trace \([0-9]*\): worker [0-9]*: write stdout .*/\1/p' "$RL_TMP/trace" | head -n 1)
rl_start "--watch $RL_TMP/pc.c"
wait_for "exited 0"
keys s
type_schedule "$(echo "$sched" | cut -d, -f1-"$n")"
printed() { screen | grep -A1 -- '--- \$ racelab-watch' | tail -n 1 | grep -q '│ read '; }
wait_until printed
type_schedule "$(echo "$sched" | cut -d, -f$((n + 1))-)" "$(echo "$sched" | cut -d, -f1-"$n")"
wait_for "exited 0 after"
wait_for "the run is over: no worker stands at a line now"
last=$(screen | grep -A3 -- '--- \$ racelab-watch' | tail -n 1)
case $last in *"counter = 1 "*) ;; *) fail "the typed schedule $sched gave: $last" ;; esac
screen | grep -E "@GLIBC|_IO_|read stdout" && fail "a step named by the C library's inside"
keys q
wait_for "Lessons"
keys q
[ "$(rl_wait_exit)" = 0 ] || fail "pc: racelab did not exit with 0"
rl_check_clean
unset XDG_CACHE_HOME
# Three philosophers of one start routine, forks[3] a global array: the
# cycle names each by its number too ("philosopher 2 ... held by
# philosopher 3"), not one "philosopher" waiting on itself.  Once every
# thread waits, the sentence shows as soon as the kernel has them asleep:
# the step panel is drawn again when /proc says so (its board is
# unchanged by then), not only on the board's next change.
cat > "$RL_TMP/phil.c" <<'EOF2'
#include <pthread.h>
pthread_mutex_t forks[3] = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
                            PTHREAD_MUTEX_INITIALIZER};
static void *philosopher(void *a)
{
	long i = (long)a;
	pthread_mutex_lock(&forks[i]);
	pthread_mutex_lock(&forks[(i + 1) % 3]);
	pthread_mutex_unlock(&forks[(i + 1) % 3]);
	pthread_mutex_unlock(&forks[i]);
	return 0;
}
int main(void)
{
	pthread_t t[3];
	for (long i = 0; i < 3; i++)
		pthread_create(&t[i], 0, philosopher, (void *)i);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], 0);
	return 0;
}
EOF2
cc -g -O0 -pthread -o "$RL_TMP/phil" "$RL_TMP/phil.c" || fail "cannot build phil.c"
rl_start "--watch $RL_TMP/phil"
wait_until free_run_ended
# Main creates the other two (the first it creates alone, no step);
# each starts and takes its left fork, then asks for its right one.
keys s
type_schedule 1,1,2,2,3,3,4,4,2,3,4
# Stepped, it waits on the learner: not under racelab-watch's 10 s cap
# for a run that does not end (its environment has an hour).
wpid=$(proc_rows | awk '$1 == "M" { print $3 }')
[ -n "$wpid" ] && tr '\0' '\n' < "/proc/$wpid/environ" | grep -qx RACELAB_WATCH_TIMEOUT=3600 ||
	fail "racelab-watch ($wpid) in step mode keeps its 10 s cap"
wait_for "[2] philosopher 2 holds forks[0] and waits for forks[1], held by philosopher 3"
wait_for "[4] philosopher 4 holds forks[2] and waits for forks[0], held by philosopher 2"
# At 80x24 the sentence is too wide for its row: the row's [2] names the
# subject, the one it waits for keeps its number.
T resize-window -t rl -x 80 -y 24
wait_for "[2] holds forks[0] and waits for forks[1], held by philosopher 3"
keys x
keys q
wait_for "Lessons"
keys q
[ "$(rl_wait_exit)" = 0 ] || fail "phil: racelab did not exit with 0"
rl_check_clean
# A program that kills itself: the title says how it ended (from its
# record), not racelab-watch's own exit 0.
printf '#include <signal.h>\n#include <unistd.h>\nint main(void) { kill(getpid(), SIGKILL); return 0; }\n' > "$RL_TMP/selfkill.c"
rl_start "--watch $RL_TMP/selfkill.c"
wait_for "killed by SIGKILL after"
# Its file turned into what racelab-watch cannot run, a run from inside
# the shell (Enter) is refused in one line, racelab-watch never started
# (no second run in the Output panel).
rm "$RL_TMP/selfkill.c"
mkdir "$RL_TMP/selfkill.c"
keys Enter
wait_for "watch: $RL_TMP/selfkill.c: a directory, not a program"
[ "$(screen | grep -c -- '--- \$ racelab-watch')" = 1 ] || fail "a refused run started racelab-watch"
# The Processes panel says why (not "Enter runs this step's demo"), and
# so does the step panel when a step key is refused the start.
wait_for "│ not started: watch: $RL_TMP/selfkill.c: a directory"
screen | grep -q "no demo yet" && fail "a refused start: 'no demo yet' shown"
keys s 1
wait_until eval '[ "$(screen | grep -c "│ not started: watch: $RL_TMP/selfkill.c: a dir")" = 2 ]'
keys q
wait_for "Lessons"
keys q
[ "$(rl_wait_exit)" = 0 ] || fail "selfkill: racelab did not exit with 0"
rl_check_clean
# The Source panel of a lesson program (its probes name their file): a
# source missing from the lesson's folder, or larger than 1 MiB, is said,
# not shown (and the shell runs on).  From $RL_TMP, so that the tree's
# own lessons/03-race/race.c is not found instead.
for case in missing huge; do
	mkdir -p "$les/9$([ $case = missing ] && echo 2 || echo 3)-src$case"
done
printf '# M\n\nIntro.\n\n## One\n\nText.\n\n```run\nrace --workers 2 --iters 2\npanels: step source\n```\n' |
	tee "$les/92-srcmissing/lesson.md" > "$les/93-srchuge/lesson.md"
head -c 1100000 /dev/zero | tr '\0' '\n' > "$les/93-srchuge/race.c"
RL_ENV="RACELAB_LESSONS=$les"
RL_PRE="cd $RL_TMP"
for case in "srcmissing race.c: No such file or directory" "srchuge race.c: larger than 1 MiB: not shown"; do
	set -- $case
	lesson=$1
	shift
	rl_start "$lesson"
	wait_for "Step 1/"
	keys s 1
	wait_for "[1] next: "
	wait_for "$*"
	keys q
	wait_for "Lessons"
	keys q
	[ "$(rl_wait_exit)" = 0 ] || fail "$lesson: racelab did not exit with 0"
	rl_check_clean
done
echo "ok: --watch (output, pids, tids, locks, step, source, deadlock), bad input, lesson folders"
