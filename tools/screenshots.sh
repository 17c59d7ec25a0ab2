#!/bin/sh
# make screenshots: the real bin/racelab in a real terminal (a private tmux
# server, 120x40 unless a shot says otherwise, xterm-256color, a fresh HOME and XDG_STATE_HOME), driven
# with send-keys.  Each shot waits until the screen shows what it is meant
# to show (polling capture-pane, never sleeping and hoping), then writes
# screenshots/NAME.txt (the text) and screenshots/NAME.png (the same
# capture, colours included: tools/ansi2html.awk, headless Chromium, then
# pngquant).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/screenshots
COLS=120
LINES_=40
FONT_PX=14
PAD=10
TMP=$(mktemp -d "${TMPDIR:-/tmp}/racelab-shots.XXXXXX")
SOCK=racelab-shots-$$
N=0

T() { tmux -L "$SOCK" -f /dev/null "$@"; }

cleanup() {
	T kill-server 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

die() {
	echo "screenshots: $*" >&2
	if [ -f "$TMP/last.txt" ]; then
		echo "--- last screen:" >&2
		cat "$TMP/last.txt" >&2
	fi
	exit 1
}

for c in tmux chromium; do
	command -v "$c" >/dev/null || die "$c is not installed"
done
[ -x "$ROOT/bin/racelab" ] || die "bin/racelab is not built (make all)"
fc-list 2>/dev/null | grep -q "DejaVu Sans Mono" ||
	echo "screenshots: DejaVu Sans Mono not found; the font will differ" >&2
mkdir -p "$OUT" "$TMP/home" "$TMP/state" "$TMP/chromium"

# start ARGS [COLS LINES]: racelab with ARGS (shell words) in a fresh tmux
# server, 120x40 by default.  The state directory is kept across starts:
# the catalog shows the steps seen.
start() {
	COLS=${2:-120}
	LINES_=${3:-40}
	T kill-server 2>/dev/null
	N=$((N + 1))
	SOCK=racelab-shots-$$-$N
	cat > "$TMP/run.sh" <<EOS
cd "$ROOT"
exec env -u NO_COLOR TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 \
    HOME="$TMP/home" XDG_STATE_HOME="$TMP/state" "$ROOT/bin/racelab" $1
EOS
	T new-session -d -s rl -x "$COLS" -y "$LINES_" "sh $TMP/run.sh" ||
		die "cannot start tmux"
	T set-option -t rl window-size manual 2>/dev/null
	T set-option -t rl remain-on-exit on 2>/dev/null
}

keys() { T send-keys -t rl "$@"; }

# grab: one capture, with its escapes (last.ansi) and as text (last.txt).
grab() {
	T capture-pane -e -p -N -t rl > "$TMP/last.ansi" || die "capture-pane failed"
	sed 's/\x1b\[[0-9;]*m//g; s/ *$//' "$TMP/last.ansi" > "$TMP/last.txt"
}

# until SECONDS CMD...: grab until CMD (run on the capture) succeeds.
until_() {
	_n=$(($1 * 10))
	shift
	while [ "$_n" -gt 0 ]; do
		grab
		"$@" && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	die "timed out waiting until: $*"
}
has() { grep -qF -- "$1" "$TMP/last.txt"; }
hasnt() { ! has "$1"; }

# The demo is running (not frozen, not exited) and has run SECONDS or more,
# per the title bar's "running pid N  S.s s".
running_for() {
	has "exited" && die "the demo ended early"
	_s=$(sed -n '1s/.*running pid [0-9][0-9]*  *\([0-9]*\)\.[0-9] s.*/\1/p' "$TMP/last.txt")
	[ -n "$_s" ] && [ "$_s" -ge "$1" ]
}

# The demo has run TENTHS tenths of a second or more (title bar).
running_tenths() {
	has "exited" && die "the demo ended early"
	_t=$(sed -n '1s/.*running pid [0-9][0-9]*  *\([0-9]*\)\.\([0-9]\) s.*/\1\2/p' "$TMP/last.txt")
	[ -n "$_t" ] && [ "$_t" -ge "$1" ]
}

# Mid-run: both race workers running, the run half a second old or more.
racing() {
	running_tenths 5 && [ "$(grep -c ' R = running ' "$TMP/last.txt")" -ge 2 ]
}

# At least N process rows in the table, all in kernel state R or S.
workers_up() {
	has "exited" && die "the demo ended early"
	[ "$(grep -cE '^[^0-9]*[0-9]+ proc +[0-9]+ +[0-9]+ +[0-9]+ +[RS] ' "$TMP/last.txt")" -ge "$1" ]
}

# shot NAME: the current capture to screenshots/NAME.{txt,png}.
shot() {
	cp "$TMP/last.txt" "$OUT/$1.txt"
	LC_ALL=C awk -v title="$1" -v cols="$COLS" -v fontpx="$FONT_PX" -v pad="$PAD" \
		-f "$ROOT/tools/ansi2html.awk" "$TMP/last.ansi" > "$TMP/$1.html" ||
		die "ansi2html failed"
	# DejaVu Sans Mono: advance 1233/2048 em; a line is round(ascent) +
	# round(descent) = 13 + 3 px at 14 px.
	_w=$(awk -v c="$COLS" -v f="$FONT_PX" -v p="$PAD" \
		'BEGIN { w = c * f * 1233 / 2048 + 2 * p; printf "%d", w + 0.999 }')
	_lh=$(awk -v f="$FONT_PX" \
		'BEGIN { a = int(f * 1901 / 2048 + 0.5); d = int(f * 483 / 2048 + 0.5); print a + d }')
	_h=$((LINES_ * _lh + 2 * PAD))
	rm -f "$OUT/$1.png"
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking \
		--disable-component-update --disable-sync --hide-scrollbars \
		--force-device-scale-factor=1 --user-data-dir="$TMP/chromium" \
		--window-size="$_w,$_h" --screenshot="$OUT/$1.png" \
		"file://$TMP/$1.html" > "$TMP/chromium.log" 2>&1
	[ -s "$OUT/$1.png" ] || { cat "$TMP/chromium.log" >&2; die "chromium wrote no $1.png"; }
	# A terminal needs few colours: a palette PNG is a quarter the size.
	if command -v pngquant >/dev/null; then
		pngquant --quality=70-95 --speed 1 --strip --force \
			--output "$OUT/$1.png" "$OUT/$1.png" ||
			echo "screenshots: pngquant failed, $1.png left as it is" >&2
	fi
	echo "screenshots/$1.png"
}

# 1. The race lesson: 20 runs into the histogram, then the help overlay.
start "race"
until_ 10 has "Step 1/"
keys R
until_ 120 has "20 runs:"
until_ 30 has "exited"
shot histogram
keys '?'
until_ 10 has "racelab keys"
shot help
keys Escape
until_ 10 hasnt "racelab keys"
keys n
until_ 10 has "Step 2/"

# 2. Back in the catalog: the race lesson selected, its steps seen marked.
keys q
until_ 10 has "Lessons"
until_ 10 has "Race conditions"
shot catalog
keys q

# 3. The live view mid-run, unsynchronised: the balance wanders off.
start "--run 'race --workers 4 --sync none --iters 1000000000 --runs 1'"
until_ 30 workers_up 4
until_ 30 running_for 3
shot race-none
keys x

# 4. The same with a mutex: every update counted, workers take turns.
start "--run 'race --workers 4 --sync mutex --iters 1000000000 --runs 1'"
until_ 30 workers_up 4
until_ 30 running_for 3
shot race-mutex
keys x

# 5. Step mode in the race lesson: you are the scheduler.  Worker 1 reads,
# worker 2 reads, worker 1 writes 99, worker 2 writes 101: a lost update
# made by hand, on real processes.
start "race"
until_ 10 has "Step "
keys p p p p p p
until_ 10 has "Step 1/"
keys n n
until_ 10 has "Step 3/"
keys s
until_ 10 has "step off"
for w in 1 2 1; do
	keys "$w"
	until_ 10 has "schedule: $(echo "${sched:+$sched,}$w")"
	sched=${sched:+$sched,}$w
done
until_ 10 has "- done"
shot race-step
keys x
keys q
keys q

# 6. The deadlock: both locks, each held by one worker and waited for by
# the other, the cycle the lesson's text describes.
start "--run 'deadlock --schedule 1,2,1,2'"
until_ 30 has "Result: deadlock"
until_ 10 has "1: w2"
until_ 10 has "1: w1"
shot deadlock-locks
keys q

# 7. Three dining philosophers, each holding its left fork and waiting for
# the next one's: a cycle of three in the Locks panel.
start "--run 'deadlock --workers 3 --schedule 1,2,3,1,2,3'"
# (The run's "Result: deadlock" line can scroll out of a short Output
# panel: the Locks panel's own cycle is what this shot is of.)
until_ 30 has "Deadlock: a cycle of waits"
until_ 10 has "worker 3 holds fork3 and waits for fork1"
shot philosophers-cycle
keys q

# 8. One condition variable for producer and consumers, signal: the wake-up
# goes to the wrong consumer and every worker sleeps on cv.
start "--run 'condvars --workers 3 --items 1 --cvs one --schedule 2,2,3,3,1,1,1,1,1,1,1,2,2,2,2,2,3,3'"
until_ 30 has "everyone asleep"
shot condvars-asleep
keys q

# 8b. A learner's own program (tests/watch/forks.c, unmodified) under
# racelab --watch, stepped into its deadlock with the schedule --explore
# reports: its threads by their start routines, its locks by its globals,
# the Source panel at each thread's line.
cc -g -O0 -pthread -o "$TMP/forks" "$ROOT/tests/watch/forks.c" || die "cannot build forks.c"
start "--watch $TMP/forks"
# Its free run ends, or (its own deadlock, now and then) is stopped.
until_ 30 has " after "
keys s
until_ 10 has "step off"
for w in 1 2 2 3 3; do
	keys "$w"
	until_ 10 has "schedule: $(echo "${wsched:+$wsched,}$w")"
	wsched=${wsched:+$wsched,}$w
done
keys 2
until_ 10 has "waits for right_fork"
keys 3
until_ 10 has "alice holds left_fork and waits for right_fork, held by bob"
shot watch-forks
keys x
keys q
keys q

# 9. The projector layout at 80x24 (P, --projector), the race lesson
# mid-run: 20 runs, the balance in big digits while the workers race.
start "--projector race" 80 24
until_ 10 has "Step "
keys p p p p p p
until_ 10 has "Step 1/"
until_ 10 has "P shows all"
keys R
until_ 30 racing
has "█" || die "no big digits"
shot projector-80x24
keys x
keys q
keys q

# 10. A replay (racelab --replay) of a recorded race run that lost
# updates (--trace-out; recorded until a run loses some), at its end (G):
# both workers' lanes, the balance off by what was lost, the last events.
_i=0
while :; do
	_i=$((_i + 1))
	[ "$_i" -le 50 ] || die "50 recorded runs lost no update"
	_f=$("$ROOT/bin/racelab-race" --workers 2 --iters 30000 --runs 1 --sync none \
		--trace-out "$TMP/race.json" | sed -n 's/^Final Balance: *//p')
	[ -n "$_f" ] && [ "$_f" != 100 ] && break
done
start "--replay $TMP/race.json"
until_ 10 has "REPLAY of race.json"
keys G
until_ 10 has "paused"
until_ 10 grep -q "balance  *$_f  *expected 100  *off by" "$TMP/last.txt"
shot replay
keys q

# The forced lost update as a trace, beside the shots, for Perfetto
# (tests/unit/check_trace.c reads it).
"$ROOT/bin/racelab-race" --workers 2 --iters 2 --runs 1 --schedule 1,2,1,2 \
	--trace-out "$OUT/race-trace.json" >/dev/null || die "racelab-race --trace-out failed"
echo "screenshots/race-trace.json"
