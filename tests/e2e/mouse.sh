# The mouse: a click selects (a lesson in the catalog, a worker in the
# process table), a click on the selected lesson opens it, the wheel moves
# the selection and scrolls the lesson text.  --no-mouse never asks the
# terminal for mouse reports; after exit reporting is off again.
#
# The events are the SGR reports a terminal sends (ESC [ < b ; x ; y M/m),
# written into the pane by tmux; tmux's mouse_*_flag formats tell which
# mouse modes the program has switched on in the terminal.
. "$(dirname "$0")/lib.sh"

mouse_modes() {
	T display -p -t rl '#{mouse_standard_flag}#{mouse_button_flag}#{mouse_any_flag}'
}
mouse_on() { [ "$(mouse_modes)" != 000 ]; }
mouse_off() { [ "$(mouse_modes)" = 000 ]; }

# click X Y: button 1 pressed and released on the cell at column X, row Y
# (0-based).  wheel up|down X Y: one notch.
click() {
	keys -l "$(printf '\033[<0;%d;%dM\033[<0;%d;%dm' $(($1 + 1)) $(($2 + 1)) \
		$(($1 + 1)) $(($2 + 1)))"
}
wheel() {
	_b=64
	[ "$1" = down ] && _b=65
	keys -l "$(printf '\033[<%d;%d;%dM' "$_b" $(($2 + 1)) $(($3 + 1)))"
}
# The screen row (0-based) of the first line matching a regular expression.
row_of() {
	_r=$(screen | grep -n -m 1 -- "$1" | cut -d: -f1)
	[ -n "$_r" ] || fail "nothing on the screen matches '$1'"
	echo $((_r - 1))
}
# The catalog's preview (right of the list) shows this lesson's title.
previewing() { screen | grep -qF -- "││ $1"; }

# Catalog: click a row, wheel, click the selected row to open it.
rl_start ""
wait_for "Lessons"
wait_until mouse_on
wait_until previewing "Processes: start"
click 10 "$(row_of '^│ 05 ')"
wait_until previewing "Shared memory"
wheel down 10 "$(row_of '^│ 05 ')"
wait_until previewing "Pipes and queues"
wheel up 10 5
wheel up 10 5
wheel up 10 5
wait_until previewing "Race conditions"
click 10 "$(row_of '^│ 03 ')"        # the selected one: open it
wait_for "Step 1/"

# Lesson: the wheel over the text scrolls it (a small terminal, a long step).
T resize-window -t rl -x 80 -y 24
wait_for "Step 1/"
keys n
wait_for "Step 2/"
top_line() { screen | sed -n 3p | cut -c1-30; }
first=$(top_line)
wheel down 5 6
scrolled() { [ "$(top_line)" != "$first" ]; }
wait_until scrolled
wheel up 5 6
wheel up 5 6
back_at_top() { [ "$(top_line)" = "$first" ]; }
wait_until back_at_top
keys q
wait_for "Lessons"
keys q
[ "$(rl_wait_exit)" = 0 ] || fail "bad exit status"
rl_check_clean
mouse_off || fail "mouse reporting still on after exit: $(mouse_modes)"
T kill-server

# The process table: a click selects a worker, k kills that one.
rl_start "--run 'race --workers 2 --mode process --iters 1000000000 --runs 1'"
wait_for "running pid"
wait_until rows_at_least proc 2
w1=$(proc_rows | awk '$1 == "1" { print $3 }')
w2=$(proc_rows | awk '$1 == "2" { print $3 }')
[ -n "$w1" ] && [ -n "$w2" ] || fail "no worker pids"
click 30 "$(row_of '^│ *2 proc ')"   # row 0 (main) is selected at first
keys k
wait_for "a process worker dies alone"
w2_dead() { [ ! -d "/proc/$w2" ] || [ "$(task_state "$w2" "$w2")" = Z ]; }
wait_until w2_dead
[ -d "/proc/$w1" ] || fail "worker 1 died: the click did not select worker 2"
keys q
wait_for "Lessons"
keys q
rl_wait_exit >/dev/null
rl_check_clean
mouse_off || fail "mouse reporting still on after exit: $(mouse_modes)"
T kill-server

# --no-mouse: no mouse mode is switched on, neither in the catalog nor in
# a lesson (the terminal then sends no reports, and selection by mouse is
# left to the terminal).
rm -rf "$RL_TMP/state"          # start in the catalog, not where we left off
rl_start "--no-mouse"
wait_for "Lessons"
mouse_off || fail "--no-mouse, but mouse modes are on: $(mouse_modes)"
keys j
wait_until previewing "Threads vs processes"
keys Enter
wait_for "Step 1/"
mouse_off || fail "--no-mouse, but mouse modes are on: $(mouse_modes)"
keys q
wait_for "Lessons"
keys q
rl_wait_exit >/dev/null
rl_check_clean
echo ok
