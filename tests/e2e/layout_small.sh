# On a projector (80x24) the layout still gives each panel of the step the
# rows its content needs, in the step's priority order (issue 10): the race
# lesson shows the balance, its expected value and LOST; the deadlock
# lesson both locks with holder and waiter; the Processes panel the names
# lessons give; the status bar whole keys only, "? help" always.
. "$(dirname "$0")/lib.sh"
RL_COLS=80
RL_LINES=24

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
# The race: balance, expected and LOST in the Counters panel.
keys Enter
wait_for "exited 0" 30
screen | grep -q "│ balance .* 100 " || fail "no balance row with its expected 100"
screen | grep -qF "LOST" || fail "no LOST column"
quit

# The deadlock: a and b, each with its holder, and a waiter.
rl_start "deadlock"
wait_for "Step 1/"
keys Enter
wait_for "deadlock" 30
wait_for "exited" 30
locks=$(screen | awk -F'│' '/─ Locks /{ on = 1; next } on && /└/ { on = 0 } on { print $4 }')
echo "$locks" | grep -q "^ a .*w[12]" || fail "lock a and its holder are not shown: $locks"
echo "$locks" | grep -q "^ b .*w[12]" || fail "lock b and its holder are not shown: $locks"
quit

# Names, at 80 columns too.
rl_start "--run 'ipc --demo full'"
wait_for "exited 0" 30
# In the table, on the workers' rows (the output names them too).
named() { screen | grep -qE "^│ *[0-9]+ .*[0-9]+ .* $1 "; }
wait_until named "producer"
wait_until named "slow consumer"
quit
rl_check_clean
