# Lesson text at 120x40: no character of a code line is lost.  Every code
# line of every step of every lesson (lesson 12 step 1 and lesson 05's
# Value/Array step among them: the side-by-side Python/C tables the review
# found cut) is on the screen after scrolling the text pane, a line too
# wide for the pane continuing after the mark; the reference markers read
# as places in the source ("shared-memory.c: struct named"), never as
# "DOC:", on every page of every step and in the catalog preview; o shows
# the source at the place.
. "$(dirname "$0")/lib.sh"

# The text pane's lines of the current screen: what lies between the
# pane's left border and its right one.
pane() { screen | sed -n 's/^│ \([^│]*\)│.*/\1/p'; }

pct() { screen | grep -o '[0-9]*% PgDn' | head -n 1; }
moved() { [ "$(pct)" != "$pos" ]; }

# All the text pane's lines of the step, PgDn by PgDn; the lines a page
# shares with the one before are dropped (the longest overlap).
step_text() {
	: > "$RL_TMP/all"
	prev=
	for _i in $(seq 1 30); do
		pane > "$RL_TMP/page"
		cur=$(cat "$RL_TMP/page")
		[ "$cur" = "$prev" ] && break
		awk -v all="$RL_TMP/all" '
			BEGIN { while ((getline l < all) > 0) a[++na] = l }
			{ p[++np] = $0 }
			END {
				best = 0
				for (k = (np < na ? np : na); k > 0; k--) {
					ok = 1
					for (i = 1; i <= k; i++) if (a[na - k + i] != p[i]) { ok = 0; break }
					if (ok) { best = k; break }
				}
				for (i = best + 1; i <= np; i++) print p[i] >> all
			}' "$RL_TMP/page"
		prev=$cur
		# The pane's border says how far down it is ("62% PgDn"); none, or
		# 100%, on the last page.  After PgDn, wait for it to move: the
		# text rows above it are drawn by then.
		pos=$(pct)
		case $pos in "" | "100% PgDn") break ;; esac
		keys NPage
		wait_until moved
	done
	# A continuation line (after the mark) joins the line before it.
	awk '{ s = $0; sub(/^ +/, "", s)
	       if (s ~ /^↪ /) { sub(/^↪ /, "", s); line = line s } else { if (NR > 1) print line; line = $0 } }
	     END { print line }' "$RL_TMP/all" | tr -d ' ' > "$RL_TMP/joined"
}

# The code lines of step N of a lesson.md: indented by four or more after
# a blank line, outside lists and fences.
code_lines() {
	awk -v want="$2" '
		BEGIN { prevblank = 1 }
		/^## / { n++ }
		/^```/ { fence = !fence; next }
		fence { next }
		/^(- |[0-9]+\. )/ { inlist = 1 }
		/^$/ { prevblank = 1; next }
		{
			if (/^    +[^ ]/ && (prevblank || incode) && !inlist) {
				incode = 1
				if (n == want) print
			} else {
				incode = 0
				if (!/^ /) inlist = 0
			}
			prevblank = 0
		}' "$1"
}

# Every code line of the step shown is on the screen (after scrolling).
check_code() { # lesson.md step-number label
	code_lines "$1" "$2" > "$RL_TMP/code"
	n=0
	while IFS= read -r line; do
		# The marker is shown as where it is: look for the text around it.
		before=$(printf '%s' "${line%%DOC:*}" | tr -d ' ')
		after=
		case $line in *DOC:*) after=$(printf '%s' "${line#*DOC: }" | sed 's/^[A-Za-z0-9_-]*//' | tr -d ' ') ;; esac
		grep -qF -- "$before" "$RL_TMP/joined" || fail "$3: code line lost: $line"
		[ -z "$after" ] || grep -qF -- "$after" "$RL_TMP/joined" || fail "$3: code line cut: $line"
		n=$((n + 1))
	done < "$RL_TMP/code"
	codes=$((codes + n))
}

# Every step of every lesson, every page: no DOC:, no code line lost.
codes=0
for dir in "$ROOT"/lessons/*/; do
	num=$(basename "$dir" | sed 's/-.*//; s/^0//')
	steps=$(grep -c '^## ' "$dir/lesson.md")
	rl_start "$num"
	wait_for "Step 1/$steps"
	s=1
	while :; do
		step_text
		grep -q "DOC:" "$RL_TMP/all" && fail "DOC: on lesson $num step $s"
		check_code "$dir/lesson.md" "$s" "lesson $num step $s"
		case "$num/$s" in
		12/1) echo "lesson $num step $s: every code line on the screen" ;;
		5/5) echo "lesson $num step $s: every code line on the screen"
		     grep -qF "shared-memory.c:structnamed" "$RL_TMP/joined" ||
			fail "the reference is not shown as a place" ;;
		esac
		[ "$s" -ge "$steps" ] && break
		keys n
		s=$((s + 1))
		wait_for "Step $s/$steps"
	done
	keys q; wait_for "Lessons"; keys q
	[ "$(rl_wait_exit)" = 0 ] || fail "bad exit status"
done
echo "no DOC: on any step of any lesson; $codes code lines, all on the screen"
[ "$codes" -gt 50 ] || fail "only $codes code lines were checked"

# The catalog preview of each lesson.
rm -rf "$RL_TMP/state"/* # no lesson to reopen: the catalog
rl_start ""
wait_for "Lessons"
for lesson in $(ls "$ROOT/lessons"); do
	screen | grep -q "DOC:" && fail "DOC: in the catalog preview before $lesson"
	keys Down
	sleep 0.1
done
keys q
[ "$(rl_wait_exit)" = 0 ] || fail "bad exit status"

# o: the source view at the reference (lesson 03 step 2: race.c: update()).
rl_start "3"
wait_for "Step 1/"
keys n
wait_for "Step 2/"
wait_for "race.c: update()"
keys o
# The Step panel shows race.c with the marker's line marked and the
# function it documents below it (line numbers from race.c itself).
m=$(grep -n "DOC: racy-update" "$ROOT/lessons/03-race/race.c" | cut -d: -f1)
f=$(grep -n "^update(" "$ROOT/lessons/03-race/race.c" | cut -d: -f1)
wait_for "race.c: update(), line $m"
marked() { screen | grep -q "▶ *$m "; }
wait_until marked
screen | grep -q "│ *$f update(" || fail "update() (line $f) is not shown below the marker (line $m)"
keys q; wait_for "Lessons"; keys q
[ "$(rl_wait_exit)" = 0 ] || fail "bad exit status"
rl_check_clean
echo ok
