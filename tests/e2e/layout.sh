# What the lesson points at is on the screen, whole (issue 10, 1/2/4/6), at
# 120x40: a multiple-choice quiz's verdict with its answer in its own area
# (not in the step-mode panel), the hash result line wrapped to its last
# word, the names lessons give their workers, the output scrolled back with
# PgUp and following the end again.
. "$(dirname "$0")/lib.sh"

# The right-hand column (the panels) of the screen, one row a line.
right_column() { screen | awk -F'│' 'NF >= 5 { print $4 }'; }
# The results area under the text, its wrapped rows joined into one line.
results_area() {
	screen | awk -F'│' '/Your prediction and the run/ { on = 1; next }
		on && /^└/ { on = 0 } on { print $2 }' | tr -s ' \n' '  '
}
# q goes back to the catalog (from --run too), q again quits.
quit() {
	keys q
	wait_for "Lessons"
	keys q
	rc=$(rl_wait_exit)
	[ "$rc" = 0 ] || fail "bad exit status: $rc"
}
area_has() { results_area | grep -qF -- "$1"; }

# 08 step 2: predict, run, the verdict says the answer.
rl_start "pools"
wait_for "Step 1/"
keys n
wait_for "Step 2/"
keys Enter
wait_for "Predict, then run"
keys 1 Enter                 # the wrong choice: the answer must be shown
wait_until area_has "Prediction: you chose 1) 5, 4, 3, 2, 1: the order they were submitted"
wait_for "exited 0" 20
wait_until area_has "Verdict: not this one; answer: 2) 1, 2, 3, 4, 5: the order they finish"
screen | grep -qF "Step mode: you are the scheduler" &&
	fail "the step-mode panel is shown outside step mode"
# 08 step 7: the hash line ends, after its wrapped rows, with "correct".
keys n n n n n
wait_for "Step 7/"
keys Enter
wait_for "racelab-pools --demo hash "
wait_for "exited 0" 60
hashline=$(right_column | awk '
	/^ hash: / { on = 1; line = $0; next }
	on && /^ ↪ / { sub(/^ ↪ /, " "); line = line $0; next }
	on { on = 0 }
	END { print line }' | sed 's/ *$//')
case $hashline in
*'sha256("abc") correct') ;;
*) fail "the hash line does not end with its verdict: '$hashline'" ;;
esac
quit

# Names set with lab_set_name reach the Processes panel.
rl_start "--run 'ipc --demo full'"
wait_for "exited 0" 30
# In the table, on the workers' rows (the output names them too).
named() { screen | grep -qE "^│ *[0-9]+ .*[0-9]+ .* $1 "; }
wait_until named "producer"
wait_until named "slow consumer"
screen | grep -qF "zsleeping" && fail "a state mark is glued to its word"
quit

# Output scrollback: 60 lines in a panel of fewer rows; PgUp goes back to
# the first, PgDn back to the end, which it follows again.
rl_start "--run 'race --workers 2 --iters 1000 --runs 60'"
wait_for "exited 0" 30
wait_for "expected 100"
screen | grep -qF -- "--- \$ racelab-race" && fail "the output panel shows all 60 lines at once?"
n=0
while ! screen | grep -qF "rows back"; do
	n=$((n + 1))
	[ "$n" -le 8 ] || fail "PgUp never scrolled the output panel"
	keys Tab PPage
	sleep 0.2
done
# Page by page, as far as the first line and back (the panel's height
# decides how many pages).
page_until() { # KEY TEST...
	_k=$1; shift; _i=0
	until "$@"; do
		_i=$((_i + 1)); [ "$_i" -le 100 ] || fail "$_k never got to: $*"
		keys "$_k"; sleep 0.05
	done
}
on_screen() { screen | grep -qF -- "$1"; }
off_screen() { ! on_screen "$1"; }
page_until PPage on_screen "--- \$ racelab-race --workers 2 --iters 1000 --runs 60"
page_until NPage off_screen "rows back"
wait_for "expected 100"
quit
rl_check_clean
