# racelab --verify: every run block of every lesson run standalone (--json,
# no terminal), its expect: lines judged and its goals' counters and locks
# looked for on the board.  First a made-up lesson tree that must fail in
# each way (a false claim, a field the program never prints, a goal naming
# a counter it never creates, a program that exits non-zero, a deadlock goal
# a run never reaches, a counter goal a schedule's steps never reach) and
# bad usage
# (exit 2); then the real lessons, which must all hold (exit 0).
. "$(dirname "$0")/lib.sh"

L=$RL_TMP/lessons
mkdir -p "$L/01-good" "$L/02-false" "$L/03-field" "$L/04-goal" "$L/05-exit" "$L/06-kofn" "$L/07-few" \
	"$L/08-dl" "$L/09-nodl" "$L/10-steps" "$L/11-nosteps"
run() { printf '# %s\n\n## One\n\n```run\n%s\n```\n' "$1" "$2" > "$L/$3/lesson.md"; }
run Good 'race --workers 2 --iters 1 --schedule 1,2,1,2 --runs 2
expect: final == 101
expect: final / expected > 1
expect: lost between 1 and 1 in every run
expect: final == 101 when ncpu > 100000' 01-good
run False 'race --workers 2 --iters 1 --schedule 1,1,2,2 --runs 1
expect: final == 101' 02-false
run Field 'race --workers 2 --iters 1 --runs 1 --sync mutex
expect: speedup >= 1.5' 03-field
run Goal 'race --workers 2 --iters 1 --runs 1
goal: counter nosuch == 3 :: never reachable' 04-goal
run Exit 'race --workers 0
expect: final == 0' 05-exit
run KofN 'race --workers 2 --iters 1 --sync mutex
verify: race --workers 2 --iters 1 --sync mutex
expect: final == expected in >= 4 of 4 runs' 06-kofn
run Few 'race --workers 2 --iters 1 --sync mutex --runs 2
expect: final == expected in >= 3 of 3 runs' 07-few
# goal: deadlock is judged, not skipped: a cycle of waits on the board.
run Dl 'deadlock --fix none
goal: deadlock :: deadlock them
verify: deadlock --fix none --schedule 1,2,1,2' 08-dl
run NoDl 'deadlock --fix order
goal: deadlock :: never reachable' 09-nodl
# A counter goal "at any time" with a schedule is judged on the steps
# (--trace), not on the run'"'"'s end: these twelve keys let two readers in
# past the writer; the free run after them lets in more.
run Steps 'readers-writers --sync lightswitch --rounds 3
goal: counter overtaken >= 2 at any time :: two
verify: readers-writers --sync lightswitch --rounds 3 --schedule 2,2,2,2,1,1,3,3,3,4,4,4' 10-steps
run NoSteps 'readers-writers --sync lightswitch --rounds 3
goal: counter overtaken >= 3 at any time :: three
verify: readers-writers --sync lightswitch --rounds 3 --schedule 2,2,2,2,1,1,3,3,3,4,4,4' 11-nosteps

v() { RACELAB_LESSONS=$L timeout 120 "$ROOT/bin/racelab" --verify "$@" > "$RL_TMP/out" 2> "$RL_TMP/err"; echo $?; }
has() { grep -q -- "$1" "$RL_TMP/out" || { cat "$RL_TMP/out"; fail "no line: $1"; }; }

[ "$(v good)" = 0 ] || { cat "$RL_TMP/out" "$RL_TMP/err"; fail "the good lesson failed"; }
cat "$RL_TMP/out"
has "01-good .* final == 101 .* 2 of 2 runs (101) .* ok"
has "final / expected > 1 .* ok"
has "final == 101 when ncpu > 100000 .* not checked: ncpu [0-9]* (needs > 100000)"

[ "$(v 2)" = 1 ] || fail "a false claim passed"
has "02-false .* final == 101  *100  *FAILED (lesson.md:7)"
[ "$(v 3)" = 1 ] || fail "an unknown field passed"
has "ERROR lesson.md:7: field 'speedup' is not in the --json record"
[ "$(v 4)" = 1 ] || fail "a goal on a counter never made passed"
has "ERROR lesson.md:7: racelab-race never creates counter 'nosuch' (it has: balance"
[ "$(v 5)" = 1 ] || fail "a program that exits 2 passed"
has "ERROR: exited 2: "
# "in >= 4 of 4 runs" and no --runs: verify asks for 4, and says what ran.
[ "$(v 6)" = 0 ] || { cat "$RL_TMP/out"; fail "k of n"; }
has "racelab-race --workers 2 --iters 1 --sync mutex --runs 4 --json .*(the block's verify: variant)"
has "4 of 4 runs (100) .* ok"
# --runs 2 in the block and "3 of 3 runs": the block's mistake.
[ "$(v 7)" = 1 ] || fail "too few runs passed"
has "ERROR lesson.md:7: the command gives 2 runs, the claim needs 3"
[ "$(v 8)" = 0 ] || { cat "$RL_TMP/out"; fail "a deadlock goal that is reached failed"; }
has "08-dl .* goal: deadlock  *a cycle on the board  *ok"
[ "$(v 9)" = 1 ] || { cat "$RL_TMP/out"; fail "a deadlock goal never reached passed"; }
has "09-nodl .* goal: deadlock  *none  *FAILED (lesson.md:7): racelab-deadlock showed no cycle"
[ "$(v 10)" = 0 ] || { cat "$RL_TMP/out"; fail "a counter goal the steps reach failed"; }
has "10-steps .* goal: counter overtaken >= 2 at any time  *2 at step 12  *ok"
[ "$(v 11)" = 1 ] || { cat "$RL_TMP/out"; fail "a counter goal only the free run reaches passed"; }
has "11-nosteps .* goal: counter overtaken >= 3 at any time  *at most 2  *FAILED (lesson.md:7): the schedule's steps never reach it"
[ "$(v 1 2)" = 1 ] || fail "two lessons: one false, yet exit 0"
grep -q "verify: 2 lessons:" "$RL_TMP/out" || fail "not two lessons"

# Bad usage: one line, exit 2.
[ "$(v nosuch)" = 2 ] || fail "an unknown lesson is not exit 2"
grep -q "no lesson nosuch" "$RL_TMP/err" || fail "no message for an unknown lesson"
[ "$(v --bogus)" = 2 ] || fail "an option is not exit 2"
[ "$(wc -l < "$RL_TMP/err")" -eq 1 ] || fail "not one line"
wait_until rl_no_leftovers

# The real lessons: every expectation holds (or says why it was not checked).
t0=$(date +%s)
RACELAB_E2E=$RL_TMP "$ROOT/bin/racelab" --verify > "$RL_TMP/all" 2>&1
rc=$?
cat "$RL_TMP/all"
echo "racelab --verify took $(( $(date +%s) - t0 )) s"
# The failed lines again, last: make check shows a failing script's tail.
[ "$rc" = 0 ] || fail "racelab --verify exited $rc: $(grep -E 'FAILED|ERROR' "$RL_TMP/all" | tr -s ' ' | tr '\n' ';')"
n=$(ls -d "$ROOT"/lessons/[0-9]*/ | wc -l)  # every lesson in the tree
grep -q "^verify: $n lessons: .* 0 failed, .* 0 errors" "$RL_TMP/all" || fail "summary"
wait_until rl_no_leftovers
echo ok
