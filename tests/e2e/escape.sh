# Escape reacts at once (set_escdelay), not after curses' default second:
# from a lesson back to the catalog, and closing the help overlay.  Each is
# timed from send-keys to the screen showing the result, best of three; the
# bound (300 ms) leaves room for a loaded machine and for polling, and is
# far below the 1000 ms a default ESCDELAY would take.
. "$(dirname "$0")/lib.sh"

BOUND_MS=300
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# ms_until CMD...: ms from now until CMD succeeds (polled without sleeping).
ms_until() {
	_t0=$(now_ms)
	_i=0
	while ! "$@"; do
		_i=$((_i + 1))
		[ "$_i" -lt 5000 ] || fail "timed out waiting until: $*"
	done
	echo $(($(now_ms) - _t0))
}
shown() { screen | grep -qF -- "$1"; }
not_shown() { ! shown "$1"; }

rl_start "race"
T set-option -s escape-time 0 # tmux itself passes Esc on at once
wait_for "Step 1/"
best_back=100000 best_help=100000
for i in 1 2 3; do
	keys Escape
	ms=$(ms_until shown "Up/Down select")
	[ "$ms" -lt "$best_back" ] && best_back=$ms
	keys Enter                   # the lesson again
	wait_for "Step 1/"
	keys '?'
	wait_for "racelab keys"
	keys Escape
	ms=$(ms_until not_shown "racelab keys")
	[ "$ms" -lt "$best_help" ] && best_help=$ms
done
echo "Esc: lesson -> catalog ${best_back} ms, help closed ${best_help} ms"
[ "$best_back" -lt "$BOUND_MS" ] || fail "Esc took ${best_back} ms to leave the lesson"
[ "$best_help" -lt "$BOUND_MS" ] || fail "Esc took ${best_help} ms to close the help"
keys q
wait_for "Lessons"
keys q
rl_wait_exit >/dev/null
rl_check_clean
echo ok
