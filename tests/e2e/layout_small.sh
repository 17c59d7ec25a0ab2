# On a projector (80x24) the layout still gives each panel of the step the
# rows its content needs, in the step's priority order (issue 10): the race
# lesson shows the balance, its expected value and LOST; the deadlock
# lesson both locks with holder and waiter; the Processes panel the names
# lessons give; the status bar whole keys only, "? help" always.
. "$(dirname "$0")/lib.sh"
RL_COLS=80
RL_LINES=24

# The results area under the text, its wrapped rows joined into one line.
results_area() {
	screen | awk -F'│' '/Your prediction and the run/ { on = 1; next }
		on && /^└/ { on = 0 } on { print $2 }' | tr -s ' \n' '  '
}
area_has() { results_area | grep -qF -- "$1"; }

quit() {
	keys q
	wait_for "Lessons"
	keys q
	rc=$(rl_wait_exit)
	[ "$rc" = 0 ] || fail "bad exit status: $rc"
}

# Every key of the status bar (the last line) is one of the keys the
# screen offers, whole; "? help" is there.
status_whole() { # KEYS...
	bar=$(screen | tail -n 1 | sed 's/^ *//; s/ *$//')
	case "  $bar  " in *"  ? help  "*) ;; *) fail "no '? help' in the status bar: '$bar'" ;; esac
	echo "$bar" | awk -F'  ' '{ for (i = 1; i <= NF; i++) if ($i != "") print $i }' |
	while read -r k; do
		ok=
		for want in "$@"; do [ "$k" = "$want" ] && ok=1; done
		[ -n "$ok" ] || fail "a cut or unknown key in the status bar: '$k' in '$bar'"
	done || exit 1
}

rl_start ""
wait_for "Lessons"
status_whole "Up/Down select" "Enter open" "? help" "q quit"
keys 3 Enter
wait_for "Step 1/"
status_whole "Enter run" "n/p step" "q back" "s step" "R x20" "Space freeze" "l sync" \
	"Tab panel" "+/- workers" "k kill" "? help"
# The title bar: the command Enter runs, whole, before the lesson's title.
screen | head -n 1 | grep -qF "racelab-race --workers 2 --sync none --runs 3 " ||
	fail "the title bar cuts the command: $(screen | head -n 1)"
# A multiple-choice verdict, wrapped in the 34 columns under the text,
# keeps its answer whole.
keys q
wait_for "Lessons"
keys 8 Enter
wait_for "Step 1/"
keys n
wait_for "Step 2/"
keys Enter
wait_for "Predict, then run"
keys 3 Enter
wait_for "exited 0" 30
wait_until area_has "Verdict: not this one; answer: 2) 1, 2, 3, 4, 5: the order they finish"
quit

# Names, at 80 columns too.
rl_start "--run 'ipc --demo full'"
wait_for "exited 0" 30
# In the table, on the workers' rows (the output names them too).
named() { screen | grep -qE "^│ *[0-9]+ .*[0-9]+ .* $1 "; }
wait_until named "producer"
wait_until named "slow consumer"
quit
# The race: balance, expected and LOST in the Counters panel (the
# Counters panel's own columns must fit its width too).
rl_start "race"
wait_for "Step 1/"
keys Enter
wait_for "exited 0" 30
screen | grep -q "│ balance .* 100 " || fail "no balance row with its expected 100"
screen | grep -qF "LOST" || fail "no LOST column"
quit

# The deadlock: a and b, each with its holder and its waiter, while the
# workers are stuck (the lesson stops them after a second).
locks() { screen | awk -F'│' '/─ Locks /{ on = 1; next } on && /└/ { on = 0 } on { print $4 }'; }
cycle_shown() {
	locks | grep -q "^ a .*w[12] .* w[12] *$" && locks | grep -q "^ b .*w[12] .* w[12] *$"
}
rl_start "deadlock"
wait_for "Step 1/"
keys Enter
n=0
until cycle_shown; do
	n=$((n + 1))
	screen | grep -qF "exited" && fail "the run ended before both locks were shown with holder and waiter: $(locks)"
	[ "$n" -le 100 ] || fail "both locks never shown: $(locks)"
	sleep 0.05
done
quit

rl_check_clean
