# Open a lesson from the catalog, step through it, run a step's demo, and
# find the progress saved (0600) and restored on the next start.
. "$(dirname "$0")/lib.sh"

rl_start ""
wait_for "Lessons"
wait_for "Race conditions"
keys 3                       # jump to lesson 03
keys Enter
wait_for "Step 1/"
keys n
wait_for "Step 2/"
keys Right
wait_for "Step 3/"
keys p
wait_for "Step 2/"
# Step 2 runs a forced schedule: the lost update, every time.  Its quiz
# asks for a prediction first (Esc cancels; Enter asks again).
keys Enter
wait_for "Predict, then run"
keys Escape
wait_for "quiz cancelled"
keys Enter
wait_for "Predict, then run"
keys 1 0 0 Enter
wait_for "Final Balance:  101" 15
wait_for "Prediction: 100"
wait_for "Measured: 101"
wait_for "(not this time)"
wait_for "exited 0" 15
keys q
wait_for "Lessons"
f="$RL_TMP/state/racelab/progress"
[ -f "$f" ] || fail "no progress file"
[ "$(stat -c %a "$f")" = 600 ] || fail "progress file mode $(stat -c %a "$f")"
grep -q "^last race 1$" "$f" || { cat "$f"; fail "last step not saved"; }
grep -q "^seen race 7$" "$f" || { cat "$f"; fail "steps seen not saved"; }
keys q
[ "$(rl_wait_exit)" = 0 ] || fail "bad exit status"
rl_check_clean
T kill-server

# racelab reopens where the user left off.
rl_start ""
wait_for "Step 2/"
wait_for "Race conditions"
keys q
wait_for "Lessons"
keys q
[ "$(rl_wait_exit)" = 0 ] || fail "bad exit status"
rl_check_clean
echo ok
