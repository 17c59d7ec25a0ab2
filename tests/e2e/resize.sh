# Below the minimum size the shell says what it needs, and recovers when the
# terminal grows again; the help overlay survives a resize.
. "$(dirname "$0")/lib.sh"

rl_start "race"
wait_for "Step 1/"
T resize-window -t rl -x 60 -y 20
wait_for "needs at least 80x24 (now 60x20)"
T resize-window -t rl -x 120 -y 40
wait_for "Step 1/"
keys '?'
wait_for "racelab keys"
T resize-window -t rl -x 70 -y 22
wait_for "needs at least 80x24 (now 70x22)"
T resize-window -t rl -x 100 -y 30
wait_for "racelab keys"
wait_for "freeze / thaw"
keys Escape
wait_gone "racelab keys"
wait_for "Step 1/"
# A resize during a running demo re-lays it out at once.
keys Enter
T resize-window -t rl -x 90 -y 26
wait_for "Processes & threads"
wait_for "Timeline"
keys q
wait_for "Lessons"
keys q
rl_wait_exit >/dev/null
rl_check_clean
echo ok
