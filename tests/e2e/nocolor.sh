# NO_COLOR: no colour escape in the screen at all; states still readable by
# their marks.  Without it, the same screen has colours.
. "$(dirname "$0")/lib.sh"

has_colour() {
	# SGR parameters 30-38, 40-48, 90-97, 100-107 set colours (39 and 49
	# only reset to the default, which tmux always writes).
	screen_e | grep -E "$(printf '\033')\[([0-9]*;)*(3[0-8]|4[0-8]|9[0-7]|10[0-7])(;[0-9]*)*m" >/dev/null
}

RL_ENV="NO_COLOR=1"
rl_start "--run 'race --workers 2 --iters 100000000 --runs 1'"
wait_for "running pid"
wait_for "= running"
has_colour && fail "colour codes with NO_COLOR set"
keys q
wait_for "Lessons"
has_colour && fail "colour codes in the catalog with NO_COLOR set"
keys q
rl_wait_exit >/dev/null
rl_check_clean
T kill-server

RL_ENV=
rl_start ""
wait_for "Lessons"
has_colour || fail "no colour at all without NO_COLOR"
keys q
rl_wait_exit >/dev/null
rl_check_clean
echo ok
