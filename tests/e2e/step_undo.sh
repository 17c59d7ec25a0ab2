# Step mode's undo is honest: u restarts the demo and replays the schedule
# without its last step, on new processes (new PIDs), to the same state.
# w saves the schedule as a command line that replays it in a plain
# terminal, and that command gives the same result.
. "$(dirname "$0")/lib.sh"

rl_start "race"
wait_for "Step 1/"
keys n n
wait_for "Step 3/"
keys s 1 2 1
wait_for "schedule: 1,2,1 "
wait_for "[1] done"
wait_for "[2] next: write balance = 101"
wait_until rows_at_least proc 2
old=$(proc_rows | awk '$2 == "proc" { print $3 }' | sort | tr '\n' ' ')
leader=$(demo_pid)
keys u
wait_for "restarted and replayed 2 steps"
wait_for "schedule: 1,2 "
# The same state: both read 100, both about to write.
wait_for "[1] next: write balance = 99"
wait_for "[2] next: write balance = 101"
wait_until rows_at_least proc 2
new=$(proc_rows | awk '$2 == "proc" { print $3 }' | sort | tr '\n' ' ')
[ -n "$new" ] && [ "$old" != "$new" ] || fail "same worker PIDs after undo: $old / $new"
for p in $old; do
	[ ! -d "/proc/$p" ] || [ "$(task_state "$p" "$p")" = Z ] || fail "old worker $p still runs"
done
[ "$(demo_pid)" != "$leader" ] || fail "the lesson program was not restarted"
# Finish the other way round: worker 2 writes first, worker 1's 99 wins.
keys 2 1
wait_for "Final Balance:  99"
wait_for "GOAL REACHED: make the balance end at 99"
keys w
wait_for "replay it with: racelab-race --workers 2 --iters 1 --runs 1 --schedule 1,2,2,1"
f="$RL_TMP/state/racelab/schedules"
grep -qx "racelab-race --workers 2 --iters 1 --runs 1 --schedule 1,2,2,1" "$f" ||
	fail "schedule not saved: $(cat "$f" 2>/dev/null)"
[ "$(stat -c %a "$f")" = 600 ] || fail "$f is not 0600"
keys q
wait_for "Lessons"
keys q
[ "$(rl_wait_exit)" = 0 ] || fail "racelab did not exit, or not with 0"
rl_check_clean
# The saved line replays the same interleaving in a plain terminal.
cmd=$(grep '^racelab-race' "$f" | tail -n 1)
out=$(cd "$ROOT/bin" && PATH="$ROOT/bin:$PATH" sh -c "$cmd" 2>&1 </dev/null)
echo "$out" | grep -q "Final Balance:  99" || fail "replay gave: $out"
echo ok
