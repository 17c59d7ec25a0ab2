# The projector layout (issue 17), the way an instructor uses it, in one
# terminal resized to 80x24, 60x20 and 120x40: P toggles it; the big
# digits, read back off the screen, are the balance the counters panel
# shows, live and frozen; it says what it hides; the step's text is cut
# only between words; run, freeze, step mode, the sync method and the
# workers still work in it.
. "$(dirname "$0")/lib.sh"
RL_COLS=80
RL_LINES=24

# The screen as one byte per cell: box lines and blocks to ASCII, any other
# non-ASCII character to '?', so that awk counts columns.
plain() {
	screen | sed 's/█/#/g; s/[┌┐└┘]/+/g; s/│/|/g; s/─/-/g' |
		LC_ALL=C sed 's/[\xc0-\xff][\x80-\xbf]*/?/g'
}

# The number the Counters panel shows in big digits, decoded from the
# screen: the ink rows inside the panel's frame; the columns with ink in
# some row, in runs one glyph wide (3 pixels of sx columns); each glyph
# read back pixel by pixel.  Empty when there are none.
big_value() {
	plain | LC_ALL=C awk '
	BEGIN {
		split("###|#.#|#.#|#.#|### .#.|##.|.#.|.#.|### ###|..#|###|#..|### ###|..#|.##|..#|### #.#|#.#|###|..#|..# ###|#..|###|..#|### ###|#..|###|#.#|### ###|..#|..#|..#|..# ###|#.#|###|#.#|### ###|#.#|###|..#|### ...|...|###|...|...", g, " ")
		for (i = 1; i <= 11; i++) glyph[g[i]] = substr("0123456789-", i, 1)
	}
	{ line[NR] = $0 }
	END {
		for (i = 1; i <= NR; i++)
			if ((c0 = index(line[i], "+- Counters ")) > 0) { top = i; break }
		if (!top) exit
		c1 = index(substr(line[top], c0 + 1), "+") + c0
		for (i = top + 1; i <= NR && substr(line[i], c0, 1) == "|"; i++) {
			s = substr(line[i], c0 + 1, c1 - c0 - 1)
			if (index(s, "#")) rows[n++] = s
		}
		if (n == 0 || n % 5) exit
		sy = n / 5
		w = c1 - c0 - 1
		x = 1
		while (x <= w) {
			ink = 0
			for (r = 0; r < n; r++) if (substr(rows[r], x, 1) == "#") ink = 1
			if (!ink) { x++; continue }
			for (e = x; e <= w; e++) {
				ink = 0
				for (r = 0; r < n; r++) if (substr(rows[r], e, 1) == "#") ink = 1
				if (!ink) break
			}
			sx = (e - x) / 3
			key = ""
			for (r = 0; r < 5; r++) {
				for (c = 0; c < 3; c++)
					key = key (substr(rows[r * sy], x + c * sx, 1) == "#" ? "#" : ".")
				if (r < 4) key = key "|"
			}
			out = out ((key in glyph) ? glyph[key] : "?")
			x = e
		}
		print out
	}'
}

# The balance in the usual Counters panel: "balance  -9317  100  LOST ...".
small_value() {
	screen | sed -n 's/.* balance  *\(-\{0,1\}[0-9][0-9]*\)  *-\{0,1\}[0-9][0-9]*  .*/\1/p' | head -n 1
}

# size COLS LINES: resize the terminal and wait for the layout to follow.
size() {
	T resize-window -t rl -x "$1" -y "$2"
	wait_until sized "$1" "$2"
}
sized() {
	[ "$(T display-message -p -t rl '#{pane_width}x#{pane_height}')" = "$1x$2" ] &&
		[ "$(screen | tail -n 1 | wc -c)" -gt 1 ] &&
		[ "$(screen | head -n 1 | awk '{ print length($0) }')" -ge "$(( $1 - 12 ))" ] 2>/dev/null
}

# Every word in the text box is a word of the lesson: none cut in two.
text_whole() {
	plain | LC_ALL=C awk -v cols="$1" '
		/^\+- Step [0-9]/ { on = 1; e = index(substr($0, 2), "+") + 1; next }
		on && /^\+/ { on = 0 }
		on { print substr($0, 2, e - 2) }' > "$RL_TMP/text"
	[ -s "$RL_TMP/text" ] || fail "no text box at $1"
	# (its run lines are shown as the command: racelab-race)
	{ echo racelab; cat "$ROOT/lessons/03-race/lesson.md"; } |
		tr -cs 'A-Za-z0-9' '\n' | sort -u > "$RL_TMP/words"
	tr -cs 'A-Za-z0-9' '\n' < "$RL_TMP/text" | sed '/^$/d' | sort -u |
		comm -23 - "$RL_TMP/words" > "$RL_TMP/cut"
	[ ! -s "$RL_TMP/cut" ] || fail "at $1 the text has words the lesson has not (cut?): $(cat "$RL_TMP/cut" | tr '\n' ' ')"
}

# big_is VALUE: until the big digits read VALUE (the screen follows).
big_is() {
	_n=50
	while [ "$_n" -gt 0 ]; do
		[ "$(big_value)" = "$1" ] && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	fail "the big digits read '$(big_value)', not '$1'"
}

rl_start "race"
wait_for "Step 1/"
keys Enter
wait_for "exited 0"
v=$(small_value)
[ -n "$v" ] || fail "no balance in the Counters panel"
screen | grep -q "██" && fail "big digits in the usual layout"

# P: the projector layout, the same balance in big digits.
keys P
wait_for "hidden: timeline, histogram, output — P shows all"
big_is "$v"
screen | grep -qF "Processes & threads" || fail "80x24: the second panel (procs) is not shown"
screen | grep -qF "Timeline" && fail "80x24: a third panel"
screen | grep -qF "Your prediction" && fail "80x24: the results area in the projector layout"
screen | grep -qF "LOST" || fail "80x24: the counter's line lacks LOST"
text_whole 80x24

size 60 20
wait_for "hidden: procs, timeline, histogram, output — P shows all"
big_is "$v"
screen | grep -qF "racelab needs" && fail "60x20 is too small for the projector layout"
text_whole 60x20

size 120 40
wait_for "hidden: histogram, output — P shows all"
big_is "$v"
screen | grep -qF "Timeline" || fail "120x40: no third panel"
text_whole 120x40

size 80 24
wait_for "hidden: timeline"
# P again: the usual layout, the same value, nothing hidden.
keys P
wait_gone "P shows all"
wait_for "Your prediction and the run"
[ "$(small_value)" = "$v" ] || fail "back in the usual layout the balance is $(small_value), not $v"
keys P
wait_for "P shows all"

# Live: 20 runs; the big digits move with the balance; Space freezes them,
# and the usual Counters panel shows the same frozen value.
keys R
wait_for "running pid"
first=$(big_value)
_n=100
while [ "$(big_value)" = "$first" ] && [ "$_n" -gt 0 ]; do sleep 0.05; _n=$((_n - 1)); done
[ "$_n" -gt 0 ] || fail "the big digits stay at $first while the demo runs"
keys Space
wait_for "FROZEN"
f1=$(big_value)
sleep 0.3 # frozen: the value must stay (a check, not a wait)
[ "$(big_value)" = "$f1" ] || fail "the big digits moved while frozen: $f1 -> $(big_value)"
keys P
wait_gone "P shows all"
wait_until [ -n "$(small_value)" ]
[ "$(small_value)" = "$f1" ] || fail "frozen: big $f1, the Counters panel $(small_value)"
keys P
wait_for "P shows all"
big_is "$f1"
keys Space
wait_gone "FROZEN"
keys x
wait_gone "running pid"

# Step mode: s, then 1 starts the demo with its step panel shown.
keys s
wait_for "step mode on"
keys 1
wait_for "Step mode: you are the scheduler"
# At 60x20 the Step panel takes the text's place, and the screen says so.
size 60 20
wait_for "hidden: text, procs, "
wait_for "Step mode: you are the scheduler"
big_is 100
size 80 24
wait_for "Step 1/"
keys s
wait_for "step mode off"
keys x
wait_gone "running pid"

# The sync method and the workers, then a run with them: a mutex loses
# nothing, so the big digits read the expected value, 0 for 3 workers.
keys n n n
wait_for "Step 4/"
keys l
wait_for "next run: --sync mutex"
keys +
wait_for "next run: --workers 3"
keys Enter
wait_for "--workers 3 --iters 100 --sync mutex"
wait_for "exited 0"
wait_for "expected 0  lost 0"
big_is 0

keys q
wait_for "Lessons"
keys q
rc=$(rl_wait_exit)
[ "$rc" = 0 ] || fail "bad exit status: $rc"
rl_check_clean
echo ok
