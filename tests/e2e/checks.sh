# After a run the step's results area shows each expect: line with what the run measured
# and a check mark or a cross, judged from the --json records the lesson
# writes beside its text output (RACELAB_JSON_FD); a false when condition
# says "not checked" and why.  The text output stays in the Output panel,
# and no record is shown there.
. "$(dirname "$0")/lib.sh"

L=$RL_TMP/lessons
mkdir -p "$L/01-check"
cat > "$L/01-check/lesson.md" <<'EOS'
# Checks

## One

```run
race --workers 2 --iters 1 --schedule 1,2,1,2 --runs 2
expect: final == 101
expect: final >= 102
expect: lost between 1 and 1 in every run
expect: final == 101 when ncpu > 100000
```

## Two

```run
race --workers 2 --iters 1 --schedule 1,1,2,2
expect: final == 100
```
EOS
# The left column (text and results area) as one line: a line the area
# wraps reads whole again.
left() { screen | sed -n 's/^│ \([^│]*\)│.*/\1/p' | tr '\n' ' ' | tr -s ' '; }
has_now() { left | grep -qF -- "$1"; }
wait_left() { _w=$1; wait_until has_now "$_w"; }

RL_ENV="RACELAB_LESSONS=$L"
rl_start "1"
wait_for "Step 1/2"
wait_left "final == 101 (run the demo to check)"
keys Enter
wait_for "exited 0" 20
wait_left "final == 101: measured 2 of 2 runs (101) ✓"
wait_left "final ≥ 102: measured 0 of 2 runs (101) ✗"
wait_left "lost between 1 and 1 in every run: measured 2 of 2 runs (1) ✓"
wait_left "final == 101 when ncpu > 100000: not checked: ncpu"
# The text output is there, the records are not.
wait_for "Final Balance:  101"
screen | grep -q '"final":' && fail "a JSON record reached the Output panel"
# The next step's claims are not judged on this step's records.
keys n
wait_for "Step 2/2"
wait_left "final == 100 (run the demo to check)"
keys Enter
wait_left "final == 100: measured 10 of 10 runs (100) ✓"
keys q
wait_for "Lessons"
keys q
[ "$(rl_wait_exit)" = 0 ] || fail "bad exit status"
rl_check_clean
echo ok
