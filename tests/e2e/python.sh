# A python run block in the shell: python3 runs the lesson's own .py, its
# processes (the python3 process, the two it starts, its thread) are the
# Processes panel's rows with the PIDs, PPIDs and TIDs /proc gives, its
# output is in the Output panel, and after q or a kill -9 of the shell no
# python process is left.  Then the same block with no python3 on PATH:
# a one-line note, nothing run.  And a lesson whose block names ../x.py
# is refused at load (path:line, exit 2).
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || { echo "skip: python3 is not installed"; exit 0; }
L=$RL_TMP/lessons
mkdir -p "$L/01-py" "$L/02-bad"
printf '# Py\n\n## One\n\nTwo processes and a thread.\n\n```run\npython hold.py --hold 30\npanels: procs output\n```\n' \
	> "$L/01-py/lesson.md"
cat > "$L/01-py/hold.py" <<'PY'
import argparse, multiprocessing, os, threading, time
p = argparse.ArgumentParser()
p.add_argument("--hold", type=float)
a = p.parse_args()
if __name__ == "__main__":
    kids = [multiprocessing.Process(target=time.sleep, args=(a.hold,)) for _ in range(2)]
    for k in kids:
        k.start()
    t = threading.Thread(target=time.sleep, args=(a.hold,))
    t.start()
    print("kids", *[k.pid for k in kids], "thread", t.native_id)
    for k in kids:
        k.join()
PY
printf '# Bad\n\n## One\n\n```run\npython ../01-py/hold.py\n```\n' > "$L/02-bad/lesson.md"
RL_ENV="RACELAB_LESSONS=$L"

# racelab --verify judges a python block's claims on the record its file
# prints with --json, and without python3 leaves them not checked.
mkdir -p "$L/03-v"
printf '# V\n\n## One\n\n```run\npython v.py --n 3\nexpect: n == 3\nexpect: twice == 2 * n\n```\n' \
	> "$L/03-v/lesson.md"
printf 'import json, sys\nn = int(sys.argv[2])\nassert sys.argv[3:] == ["--json"]\nprint(json.dumps({"n": n, "twice": 2 * n}))\n' \
	> "$L/03-v/v.py"
RACELAB_LESSONS=$L "$ROOT/bin/racelab" --verify v > "$RL_TMP/v.out" 2>&1 ||
	{ cat "$RL_TMP/v.out"; fail "--verify of a python block failed"; }
grep -q '03-v .* twice == 2 \* n  *6 vs 6  *ok' "$RL_TMP/v.out" || { cat "$RL_TMP/v.out"; fail "no ok row"; }
PATH=/nonexistent RACELAB_LESSONS=$L "$ROOT/bin/racelab" --verify v > "$RL_TMP/v.out" 2>&1 ||
	{ cat "$RL_TMP/v.out"; fail "--verify without python3 failed"; }
[ "$(grep -c 'not checked: python3 not installed' "$RL_TMP/v.out")" = 2 ] ||
	{ cat "$RL_TMP/v.out"; fail "the claims are not 'not checked' without python3"; }

# Refused at load: path:line and exit 2, nothing started.
RACELAB_LESSONS=$L "$ROOT/bin/racelab" bad > "$RL_TMP/bad.out" 2> "$RL_TMP/bad.err" < /dev/null
[ $? = 2 ] || fail "a block naming ../01-py/hold.py was not refused with exit 2"
grep -q "02-bad/lesson.md:6: python: '../01-py/hold.py' is not a .py file of the lesson's folder" \
	"$RL_TMP/bad.err" || fail "no path:line for the bad block: $(cat "$RL_TMP/bad.err")"

# kids_shown: the Output panel has the program's line, and the panel a row
# for each process and the thread it names.
kids_shown() {
	set -- $(screen | sed -n 's/.*kids \([0-9]*\) \([0-9]*\) thread \([0-9]*\).*/\1 \2 \3/p' | head -n 1)
	[ $# = 3 ] || return 1
	K1=$1 K2=$2 TH=$3
	py_rows | awk -v a="$K1" -v b="$K2" -v t="$TH" '
		$2 == "proc" && ($3 == a || $3 == b) { n++ }
		$2 == "thrd" && $5 == t { n++ }
		END { exit (n == 3 ? 0 : 1) }' 
}
# The panel's rows (proc_rows, from the right of the lesson text: its
# "python3" would stop proc_rows' pattern at the wrong digit).
py_rows() {
	screen | sed -n 's/.*││ *\([0-9M][0-9]*\) \(main\|proc\|thrd\) *\([0-9][0-9]*\) *\([0-9-][0-9]*\) *\([0-9][0-9]*\) *\([A-Za-z-]\) .*/\1 \2 \3 \4 \5 \6/p'
}
ppid_of() { sed 's/.*) . \([0-9]*\).*/\1/' "/proc/$1/stat"; }

for how in q KILL; do
	rl_start "py"
	wait_for "Step 1/"
	keys Enter
	wait_for "running pid" 20
	leader=$(demo_pid)
	wait_until kids_shown
	[ "$(cat /proc/"$leader"/comm)" = python3 ] || fail "the demo's leader $leader is not python3"
	# The rows are /proc's: every PID shown is in the leader's process
	# group, each child's PPID is the leader, the thread is the leader's.
	# (A row whose S is "-" is a task gone since: the panel keeps it.)
	for p in $(py_rows | awk '$6 != "-" { print $3 }' | sort -u); do
		group_pids "$leader" | grep -qx "$p" || fail "pid $p shown is not in group $leader: $(py_rows | tr "\n" ";") ps: $(ps -o pid,pgid,ppid,stat,comm -g "$leader" | tr "\n" ";")"
	done
	for p in $(group_pids "$leader"); do
		py_rows | awk '{ print $3 }' | grep -qx "$p" || fail "pid $p of the group is not shown"
	done
	for k in "$K1" "$K2"; do
		[ "$(ppid_of "$k")" = "$leader" ] || fail "$k: PPID $(ppid_of "$k") in /proc, not $leader"
		py_rows | awk -v k="$k" -v l="$leader" '$2 == "proc" && $3 == k && $4 == l { f = 1 }
			END { exit !f }' || fail "$k: the PPID shown is not $leader"
	done
	[ -d "/proc/$leader/task/$TH" ] || fail "thread $TH is not a task of $leader"
	py_rows | awk -v l="$leader" '$1 == "M" && $3 == l { f = 1 } END { exit !f }' ||
		fail "no main row for the python3 process"
	screen | grep -q '\$ python3 hold.py --hold 30' || fail "the command is not shown as python3 hold.py"
	[ -n "$(rl_py_pids)" ] || fail "no python process found by its marker"
	if [ "$how" = q ]; then
		keys q
		wait_for "Lessons"
		keys q
		rl_wait_exit > /dev/null
	else
		keys Space # frozen (SIGSTOP), then the shell killed: still none left
		wait_for "FROZEN" 5
		kill -9 "$(rl_shell_pid)"
	fi
	gone() { [ -z "$(rl_py_pids)" ]; }
	wait_until gone || fail "python processes left after $how: $(rl_py_pids)"
	# (A SIGKILLed shell cannot restore the terminal: only q is checked.)
	if [ "$how" = q ]; then rl_check_clean; else wait_until rl_no_leftovers; fi
done

# C beside Python: lesson 03's one-core step, its C block then its
# Python block; the results area shows both runs' common fields.
RL_ENV=
rl_start "race"
wait_for "Step 1/"
keys n n n n
wait_for "Step 5/"
# The C block's size is the lesson's to choose (it moves with what an
# update costs): read it from lesson.md.
c_iters=$(sed -n 's/^race --workers 2 --cpus 1 --iters \([0-9]*\) --runs 10$/\1/p' \
	"$ROOT/lessons/03-race/lesson.md")
[ -n "$c_iters" ] || fail "lesson 03 has no one-core C block of 10 runs"
keys c
wait_for "racelab-race --workers 2 --cpus 1 --iters $c_iters --runs 10"
keys Enter
wait_for "exited 0" 30
keys c
wait_for "python3 race.py --cpus 1 --iters 100000 --runs 3 "
keys Enter
wait_for "exited 0" 30
# The results box's own rows, joined: its lines wrap where the numbers
# make them (and a row joined with the Output panel beside it would run
# into that panel's text).
results() {
	screen | sed -n '/Your prediction and the run/,/^└/s/^│\([^│]*\)│.*/\1/p' | tr -d '\n' |
		tr -s ' '
}
results_has() { results | grep -qF -- "$1"; }
wait_until results_has "C | Python: workers 2 | 2, iters $c_iters | 100000,"
results_has "cpus 1 | 1" || fail "no cpus 1 | 1 side by side: $(results)"
keys q
wait_for "Lessons"
keys q
rl_wait_exit > /dev/null
rl_check_clean

# No python3 on PATH: the step says so in one line, nothing runs (at
# 80x24, the smallest terminal a lesson must serve).
RL_ENV="RACELAB_LESSONS=$L PATH=/nonexistent"
RL_COLS=80 RL_LINES=24
rl_start "py"
wait_for "Step 1/"
keys Enter
wait_for "python3 is not installed: this block is skipped"
screen | grep -q "running pid" && fail "something runs without python3"
keys q
wait_for "Lessons"
keys q
rl_wait_exit > /dev/null
rl_check_clean
echo "ok: python block"
