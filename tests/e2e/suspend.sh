# Ctrl-Z gives the terminal back to the shell the user started racelab from,
# sane (same stty settings, normal screen, no mouse reports); `fg` brings
# the lab back, redrawn.  The pane runs an interactive sh with job control.
. "$(dirname "$0")/lib.sh"

# "ALT MOUSE CURSOR": on the alternate screen (1/0), mouse modes on (three
# flags), cursor visible (1/0), as tmux sees the terminal.
modes() {
	T display -p -t rl '#{alternate_on} #{mouse_any_flag}#{mouse_button_flag}#{mouse_standard_flag} #{cursor_flag}'
}
lab_modes() { # alternate screen, some mouse mode on
	case $(modes) in "1 000 "*) return 1 ;; "1 "*) return 0 ;; *) return 1 ;; esac
}

rl_new_server
mkdir -p "$RL_TMP/home" "$RL_TMP/state"
T new-session -d -s rl -x "$RL_COLS" -y "$RL_LINES" \
	"env -i PATH=\"$PATH\" HOME=\"$RL_TMP/home\" TERM=xterm-256color PS1='rl-prompt\$ ' sh -i" ||
	fail "cannot start tmux"
T set-option -t rl window-size manual 2>/dev/null
RL_STARTED=1
wait_for "rl-prompt\$"
keys -l "stty -g > $RL_TMP/stty.before; RACELAB_E2E=$RL_TMP LANG=C.UTF-8 LC_ALL=C.UTF-8 XDG_STATE_HOME=$RL_TMP/state $ROOT/bin/racelab --run 'race --workers 2 --iters 1000000000 --runs 1'"
keys Enter
wait_for "running pid"
lab_modes || fail "racelab: not on the alternate screen with the mouse on: $(modes)"
pid=$(rl_shell_pid) || fail "no racelab process"

# Ctrl-Z: racelab stops, the prompt is back on the normal screen.
keys C-z
stopped() { [ "$(task_state "$pid" "$pid")" = T ]; }
wait_until stopped
wait_gone "running pid"
wait_for "rl-prompt\$"
m=$(modes)
[ "$m" = "0 000 1" ] || fail "terminal not restored while suspended (alternate mouse cursor: $m)"
keys -l "stty -g > $RL_TMP/stty.mid"
keys Enter
wait_until test -s "$RL_TMP/stty.mid"
cmp -s "$RL_TMP/stty.before" "$RL_TMP/stty.mid" ||
	fail "stty settings while suspended: $(cat "$RL_TMP/stty.before") -> $(cat "$RL_TMP/stty.mid")"

# fg: the lab comes back, every panel redrawn, and goes on.
keys -l "fg"
keys Enter
wait_for "running pid"
wait_for "Processes & threads"
wait_for "Counters"
wait_gone "rl-prompt"
running() { [ "$(task_state "$pid" "$pid")" != T ]; }
wait_until running
lab_modes || fail "after fg: not on the alternate screen with the mouse on: $(modes)"
# It still answers keys: the help overlay opens and closes.
keys '?'
wait_for "racelab keys"
keys Escape
wait_gone "racelab keys"

keys q
wait_for "Lessons"
keys q
wait_for "rl-prompt\$"
keys -l "echo rc=\$? > $RL_TMP/rc"   # fg's status is the job's
keys Enter
wait_until test -s "$RL_TMP/rc"
[ "$(cat "$RL_TMP/rc")" = "rc=0" ] || fail "exit status: $(cat "$RL_TMP/rc")"
keys -l "stty -g > $RL_TMP/stty.after"
keys Enter
wait_until test -s "$RL_TMP/stty.after"
cmp -s "$RL_TMP/stty.before" "$RL_TMP/stty.after" || fail "stty settings changed"
[ "$(modes)" = "0 000 1" ] || fail "terminal not restored after exit: $(modes)"
wait_until rl_no_leftovers
echo ok
