# Exercises in the shell, as a learner plays one: lesson 04's bank step,
# a hint (h), e copies the template and opens $EDITOR (here a script that
# writes one of tests/exercises/ in place, as a person would save), the
# verdict in the step (FAIL with the driver's message, then PASS), the
# learner's copy never overwritten, the terminal back after the editor,
# E rechecking on a save, progress saved; then at 80x24 a compile error
# with its file:line.  One tmux session.
. "$(dirname "$0")/lib.sh"

SOL=$ROOT/tests/exercises
COPY=$RL_TMP/home/.local/share/racelab/exercises/bank.c
# The editor: records what the file held when it was opened, then writes
# the solution named in $RL_TMP/next (as `cp` over it: the same inode).
cat > "$RL_TMP/editor.sh" <<EOS
#!/bin/sh
cat "\$1" > "$RL_TMP/opened"
cat "\$(cat "$RL_TMP/next")" > "\$1"
EOS
chmod +x "$RL_TMP/editor.sh"
RL_ENV="EDITOR=$RL_TMP/editor.sh VISUAL= XDG_CACHE_HOME=$RL_TMP/cache ${EX_WATCH:+RACELAB_WATCH=$EX_WATCH}"

# The command line first: bad usage is one line and exit 2; a FAIL is
# exit 1 with a --schedule line that, pasted, shows the same failure.
cli() { env HOME="$RL_TMP/home" XDG_STATE_HOME="$RL_TMP/state" XDG_CACHE_HOME="$RL_TMP/cache" \
	"$ROOT/bin/racelab" "$@"; }
for args in "--check" "--check nope" "--check bank $RL_TMP/none.c" "--check bank $RL_TMP" \
	"--check bank $ROOT/README.md" "--hint" "--exercises x"; do
	cli $args > "$RL_TMP/out" 2> "$RL_TMP/err" && fail "racelab $args succeeded"
	[ $? = 2 ] || fail "racelab $args: not exit 2"
	[ "$(wc -l < "$RL_TMP/err")" = 1 ] || fail "racelab $args: $(cat "$RL_TMP/err")"
done
cli --check bank "$SOL/bank-luck.c" > "$RL_TMP/out"; rc=$?
[ $rc = 1 ] || fail "bank-luck.c: exit $rc, not 1: $(cat "$RL_TMP/out")"
grep -q "^FAIL bank: the balance is" "$RL_TMP/out" || fail "$(cat "$RL_TMP/out")"
replay=$(sed -n 's/^  replay it: //p' "$RL_TMP/out")
[ -n "$replay" ] || fail "no replay line: $(cat "$RL_TMP/out")"
env XDG_CACHE_HOME="$RL_TMP/cache" sh -c "$replay" | grep -q "the balance is" ||
	fail "the replay line did not show the lost update: $replay"
cli --check transfer "$SOL/transfer-ordered.c" --json > "$RL_TMP/out" ||
	fail "transfer-ordered.c: $(cat "$RL_TMP/out")"
grep -q '"verdict":"pass"' "$RL_TMP/out" || fail "--json: $(cat "$RL_TMP/out")"
cli --exercises > "$RL_TMP/out"
grep -q "^bank .* not started " "$RL_TMP/out" || fail "$(cat "$RL_TMP/out")"
grep -q "^transfer .* passed " "$RL_TMP/out" || fail "$(cat "$RL_TMP/out")"

rl_start "locks"
wait_for "Step 1/"
keys n n n n n
wait_for "Exercise bank:"
wait_for "e edit+check"

# A hint first: the mildest.
keys h
wait_for "hint 1 of 3"
wait_for "Run the check on the file"

# e: the template is copied, the editor writes a solution that passes by
# luck on free threads; the check finds the interleaving that loses one.
echo "$SOL/bank-luck.c" > "$RL_TMP/next"
keys e
wait_for "FAIL: the balance is" 30
wait_for "f steps through it"
grep -q "long b = a->balance" "$RL_TMP/opened" || fail "the editor did not get the template"
cmp -s "$COPY" "$SOL/bank-luck.c" || fail "the copy is not what the editor wrote"
[ "$(stat -c %a "$COPY")" = 600 ] || fail "the copy is mode $(stat -c %a "$COPY"), not 600"
# The terminal is ours again: keys work, the screen is drawn.
wait_for "Step 6/6"

# e again: the copy is kept (the editor sees the last solution), then the
# right one passes.
echo "$SOL/bank-mutex.c" > "$RL_TMP/next"
keys e
wait_for "PASS:" 30
cmp -s "$RL_TMP/opened" "$SOL/bank-luck.c" || fail "e overwrote the learner's copy with the template"
grep -qx "exercise bank 1 1" "$RL_TMP/state/racelab/progress" ||
	fail "progress: $(cat "$RL_TMP/state/racelab/progress")"
[ "$(stat -c %a "$RL_TMP/state/racelab/progress")" = 600 ] || fail "progress is not 0600"

# E: a save outside racelab is checked again.
keys E
wait_for "checked on every save"
wait_for "PASS:" 30
cp "$SOL/bank-half.c" "$COPY.tmp" && mv "$COPY.tmp" "$COPY"  # as vim saves
wait_for "FAIL:" 30

# At 80x24: a compile error names the file and the line.
T resize-window -t rl -x 80 -y 24
cp "$SOL/bank-syntax.c" "$COPY"
wait_for "cc: bank.c:16:29: error:" 30

# f: the failing interleaving in step mode, on real threads, one step per
# f, numbered as the explorer numbers them (main alone takes no step).
T resize-window -t rl -x 120 -y 40
cp "$SOL/bank-luck.c" "$COPY"
wait_for "FAIL: the balance is" 30
keys E
wait_for "no longer checking on save"
# The results box may wrap the command line anywhere (its paths are the
# checkout's): its rows are joined before the schedule is read.
sched=$(screen | awk -F'│' 'NF >= 3 { printf "%s ", $2 }' |
	sed -n 's/.*--schedule *\([0-9][0-9,]*\).*/\1/p' | head -n 1)
[ -n "$sched" ] || fail "no --schedule on the screen"
keys f
wait_for "the failing interleaving, "
wait_for "at gate"
# Its first steps are the explorer's: the shell's schedule follows the one
# the check reported.
keys f
wait_for "schedule: ${sched%%,*} "
keys f
rest=${sched#*,}
wait_for "schedule: ${sched%%,*},${rest%%,*} "
keys q
wait_for "racelab"
keys q
[ "$(rl_wait_exit)" = 0 ] || fail "racelab exited with status $(cat "$RL_TMP/rc")"
rl_check_clean
grep -qx "exercise bank 1 1" "$RL_TMP/state/racelab/progress" || fail "passed not kept"
echo "exercise: ok"
