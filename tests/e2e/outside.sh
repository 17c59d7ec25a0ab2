# A lesson written outside the tree: built against the staged lab runtime
# (make install DESTDIR=..., then pkg-config racelab-lab), found through the
# search path ($RACELAB_LESSONS before $XDG_DATA_HOME/racelab/lessons
# before the installed lessons; an earlier slug wins; --list says where
# each comes from), and its program, next to its lesson.md, run by the shell.
. "$(dirname "$0")/lib.sh"

S=$RL_TMP/stage
unset MAKEFLAGS MFLAGS MAKELEVEL
make -s -C "$ROOT" install DESTDIR="$S" PREFIX=/usr > "$RL_TMP/install.log" 2>&1 ||
	{ cat "$RL_TMP/install.log"; fail "make install DESTDIR"; }

# The instructor's own repository: one lesson and its program.
C=$RL_TMP/course
mkdir -p "$C/50-hello"
cat > "$C/50-hello/lesson.md" <<'EOM'
# Hello from outside

A lesson kept in the instructor's own repository.

## Two workers

Each worker adds its number to a shared counter under a lock.

```run
hello --workers 2
```
EOM
cat > "$C/50-hello/hello.c" <<'EOM'
// An out-of-tree lesson: workers add their number to a counter under a lock.
#include "lab/lab.h"

#include <stdio.h>
#include <unistd.h>

static struct board_counter *sum;
static struct lab_lock *m;

static const struct lab_lesson lesson = {
	.slug = "hello",
	.title = "Hello from outside the tree",
	.workers = 2,
	.modes = LAB_MODES_BOTH,
	.runs = 1,
};

static int
hello(struct lab_worker *w)
{
	lab_lock(w, m);
	atomic_fetch_add(&sum->value, w->no);
	lab_unlock(w, m);
	lab_say(w->lab, "hello from worker %d, pid %d\n", w->no, (int)getpid());
	return 0;
}

int
main(int argc, char **argv)
{
	struct lab lab;
	struct lab_team *t;
	int n;

	lab_init(&lab, &lesson, argc, argv);
	n = lab.o.workers;
	sum = lab_counter(&lab, "sum", 0);
	lab_counter_expect(sum, (int64_t)n * (n + 1) / 2);
	m = lab_lock_new(&lab, "m", BOARD_LOCK_MUTEX);
	lab_run_begin(&lab, 1);
	t = lab_spawn(&lab, n, hello, NULL);
	if (lab_join(t) != LAB_JOIN_OK)
		lab_die(&lab, "a worker failed");
	lab_run_end(&lab);
	lab_result(&lab, "sum %lld of %d workers\n", (long long)atomic_load(&sum->value), n);
	return 0;
}
EOM
pc() {
	PKG_CONFIG_LIBDIR="$S/usr/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$S" pkg-config "$@" racelab-lab
}
[ "$(pc --modversion)" = "$(sed -n 's/^VERSION *= *//p' "$ROOT/config.mk")" ] ||
	fail "racelab-lab.pc: version $(pc --modversion)"
(cd "$C/50-hello" && cc -std=c17 -Wall -Wextra -Werror hello.c $(pc --cflags --libs) -o racelab-hello) ||
	fail "the lesson does not build against the staged runtime"
"$C/50-hello/racelab-hello" --workers 3 > "$RL_TMP/out" || fail "racelab-hello exit $?"
grep -qx "sum 6 of 3 workers" "$RL_TMP/out" || fail "racelab-hello: $(cat "$RL_TMP/out")"
"$C/50-hello/racelab-hello" --version | grep -qx "racelab-hello $(pc --modversion)" ||
	fail "racelab-hello --version"

# Search path: a "race" in the course hides the installed one; XDG's race
# loses to the course's, XDG's own lesson shows.
X=$RL_TMP/xdg
mkdir -p "$C/99-race" "$C/01-first" "$X/racelab/lessons/60-race" "$X/racelab/lessons/61-xdgonly"
printf '# First of the course\n\n## One\n\ntext\n' > "$C/01-first/lesson.md"
printf '# Course race\n\n## One\n\n```run\nrace --workers 2\n```\n' > "$C/99-race/lesson.md"
printf '# XDG race\n\n## One\n\ntext\n' > "$X/racelab/lessons/60-race/lesson.md"
printf '# XDG only\n\n## One\n\ntext\n' > "$X/racelab/lessons/61-xdgonly/lesson.md"
I=$S/usr/share/racelab/lessons
(cd / && RACELAB_LESSONS="$RL_TMP/nothing:$C" XDG_DATA_HOME="$X" "$S/usr/bin/racelab" --list) \
	> "$RL_TMP/list" || fail "--list"
cat "$RL_TMP/list"
grep -qx "50  hello        Hello from outside (1 step)  \[$C\]" "$RL_TMP/list" || fail "hello not listed"
grep -qx "99  race         Course race (1 step)  \[$C\]" "$RL_TMP/list" || fail "the course's race"
grep -qx "61  xdgonly      XDG only (1 step)  \[$X/racelab/lessons\]" "$RL_TMP/list" ||
	fail "the XDG lesson"
grep -q "^01  processes .*  \[$I\]$" "$RL_TMP/list" || fail "the installed lessons"
[ "$(grep -c " race " "$RL_TMP/list")" = 1 ] || fail "race is listed more than once"
[ "$(wc -l < "$RL_TMP/list")" = $(( $(ls -d "$ROOT"/lessons/*/ | wc -l) + 3 )) ] ||
	fail "not the installed lessons minus race plus four"
# One number twice: the earlier directory's lesson comes first (racelab 1).
[ "$(sed -n 1p "$RL_TMP/list" | cut -c1-9)" = "01  first" ] || fail "01: $(sed -n 1p "$RL_TMP/list")"

# In the shell: open the course's lesson by slug and run its program.
RL_ENV="RACELAB_LESSONS=$C"
ROOT=$S/usr  # rl_start runs $ROOT/bin/racelab
rl_start "hello"
wait_for "Hello from outside"
keys Enter
wait_for "hello from worker 2" 20
wait_for "sum 3 of 2 workers" 20
wait_for "exited 0" 20
keys q
wait_for "Lessons"
wait_for "50 Hello from outside"
keys q
rl_wait_exit >/dev/null
rl_check_clean
echo "ok: an outside lesson built with pkg-config racelab-lab and run in the shell"
