# Lesson 10 on the screen, at 80x24: the fetch stage is labelled as the
# network's stand-in in the worker's operation (OP), the GIL appears in
# the Locks panel, and q in the middle of the (long) waits stops the
# lesson: its temporary directory is gone, nothing is left running.
. "$(dirname "$0")/lib.sh"
RL_COLS=80
RL_LINES=24

rl_start "--run 'images --mode thread --gil --images 2 --workers 2 --fetch-ms 1500 --width 64 --height 48'"
wait_for "running pid"
wait_for "fetch: network wait"
screen | grep -E "^│ GIL +mutex" >/dev/null || fail "no GIL in the Locks panel"
wait_for "(removed at exit)"
dir=$(screen | sed -n 's/.*output in \(\/[^ ]*\) (removed at exit).*/\1/p' | head -n 1)
[ -n "$dir" ] || fail "no output directory on the screen"
[ -d "$dir" ] || fail "$dir is not there while the lesson runs"
keys q
wait_for "Lessons"
keys q
rl_wait_exit >/dev/null
rl_check_clean
[ -e "$dir" ] && fail "$dir is left after q"
T kill-server
echo ok
