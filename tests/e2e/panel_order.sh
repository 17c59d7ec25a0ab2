# When the panels a step asks for cannot all have even their minimum rows
# (80x24: five panels here), the one named last on the run block's panels: line is left out:
# the order of that line is the priority, not the order the panels stack in.
. "$(dirname "$0")/lib.sh"
RL_COLS=80
RL_LINES=24

L=$RL_TMP/lessons
mkdir -p "$L/01-order"
cat > "$L/01-order/lesson.md" <<'EOF'
# Order

## Histogram last

```run
race --workers 2 --iters 1000 --sync mutex --runs 3
panels: procs counters locks timeline histogram
```

## Processes last

```run
race --workers 2 --iters 1000 --sync mutex --runs 3
panels: histogram timeline locks counters procs
```
EOF
# The titles of the panels on screen, one line.
titles() { screen | grep -o '┌─ [A-Z][a-z]*' | sed 's/┌─ //' | tr '\n' ' '; }
shows() { titles | grep -qw "$1"; }

RL_ENV="RACELAB_LESSONS=$L"
rl_start "1"
wait_for "Step 1/2"
keys Enter
wait_for "exited 0" 20
wait_until shows Timeline
shows Processes || fail "step 1 (procs first) lost Processes: $(titles)"
shows Histogram && fail "step 1: Histogram, named last, is still there: $(titles)"
keys n
wait_for "Step 2/2"
keys Enter
wait_for "exited 0" 20
wait_until shows Histogram
shows Processes && fail "step 2: Processes, named last, is still there: $(titles)"
keys q
wait_for "Lessons"
keys q
[ "$(rl_wait_exit)" = 0 ] || fail "bad exit status"
rl_check_clean
echo ok
