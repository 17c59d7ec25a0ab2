# Dirty tracking: a frame where nothing changed draws nothing, and a frame
# where something did draws it.  A frozen demo's screen comes to rest (two
# captures a second apart are the same); from then on every frame the
# shell's stats record (RACELAB_STATS) is one that drew nothing.  Thawed,
# the frames draw again and the screen moves.  A key while nothing moves
# (Tab: the focus) is drawn at once.
. "$(dirname "$0")/lib.sh"

STATS="$RL_TMP/stats"
RL_ENV="RACELAB_STATS=$STATS"
rl_start "--run 'race --mode thread --workers 8 --iters 1000000000 --runs 1'"
wait_for "running pid"
wait_until rows_at_least thrd 8
keys Space
wait_for "FROZEN"
# Until the screen stands still (the last samples of running tasks land).
prev=$(screen) still=
for i in $(seq 1 20); do
	sleep 1
	cur=$(screen)
	[ "$cur" = "$prev" ] && { still=$(date +%s%N); break; }
	prev=$cur
done
[ -n "$still" ] || fail "the frozen demo's screen never stood still"
sleep 3
[ "$(screen)" = "$prev" ] || fail "the frozen screen changed again"
still_to=$(date +%s%N)
# A key is drawn at once though no data moves (Tab moves the focus).
before_e=$(screen_e)
keys Tab
changed() { [ "$(screen_e)" != "$before_e" ]; }
wait_until changed
# Thawed: it moves again.
keys Space
wait_gone "FROZEN"
frozen_screen=$prev
moved() { [ "$(screen)" != "$frozen_screen" ]; }
wait_until moved
t_thaw=$(date +%s%N)
sleep 1
keys C-c
[ "$(rl_wait_exit)" = 0 ] || fail "bad exit status"
rl_check_clean
# The frames of the still window: frozen, and none drew anything.
in_window() { # FROM TO: records whose end (wall clock) is in the window
	awk -v a="$1" -v b="$2" '/^first / { first = $2; next }
	     !off { off = first - $1 }
	     $1 + off > a && $1 + off < b' "$STATS"
}
n=$(in_window "$still" "$still_to" | awk '$2 == "F"' | grep -c .)
d=$(in_window "$still" "$still_to" | awk '$2 == "F" && $6 == "d"' | grep -c .)
echo "still window: $n frozen frames, $d drew something"
[ "$n" -ge 6 ] || fail "only $n frozen frames in a 3 s window"
[ "$d" -eq 0 ] || fail "$d of $n frames drew though nothing changed"
# After the thaw the live frames draw.
l=$(in_window "$t_thaw" 99999999999999999999 | awk '$2 == "L" && $6 == "d"' | grep -c .)
[ "$l" -ge 10 ] || fail "only $l live frames drew after the thaw"
echo ok
