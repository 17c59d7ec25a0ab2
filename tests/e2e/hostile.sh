# A lesson file from someone else cannot run arbitrary commands: a run block
# names a racelab lesson program (no path, no shell), and its words become
# that program's argv as they are, without a shell.  Shell syntax is either
# refused when the catalog loads (the lesson is reported broken, file:line)
# or reaches the lesson program as plain arguments, which it rejects
# (exit 2).  Nothing the block names is ever executed: the marker file
# stays absent.  (cli.sh has the first hostile case, sh -c.)
. "$(dirname "$0")/lib.sh"

L=$RL_TMP/lessons
P=$RL_TMP/pwned
mk() { mkdir -p "$L/$1"; printf "# Hostile\n\n## One\n\n\`\`\`run\n%s\n\`\`\`\n" "$2" > "$L/$1/lesson.md"; }

# Refused when loaded.
mk 01-semicolon 'race; rm -rf /'
mk 02-dotdot "../../bin/sh -c 'touch $P'"
mk 03-absolute "/bin/sh -c 'touch $P'"
mk 04-envprefix "FOO=1 race"
mk 05-relative 'bin/racelab-race'
mkdir -p "$L/06-twolines"
printf '# Hostile\n\n## One\n\n```run\nrace --runs 1\nsh -c "touch %s"\n```\n' "$P" > "$L/06-twolines/lesson.md"

# Accepted as the race program with strange arguments: one step each.
H="$L/07-args/lesson.md"
mkdir -p "$L/07-args"
printf '# Hostile arguments\n' > "$H"
n=0
for cmd in "race ; touch $P" "race --workers \$(touch $P)" "race --workers \`touch $P\`" \
	"race --workers 2 && touch $P" "race | sh" "race --iters 1 > $P" "race *"; do
	n=$((n + 1))
	printf '\n## Step %d\n\n```run\n%s\n```\n' "$n" "$cmd" >> "$H"
done

RACELAB_LESSONS=$L "$ROOT/bin/racelab" --list > "$RL_TMP/list" 2>&1 || fail "--list"
cat "$RL_TMP/list"
refused() {
	grep -q "$1/lesson.md:$2: $3" "$RL_TMP/list" || fail "$1 not refused ($3)"
}
refused 01-semicolon 6 "run block names unknown program 'race;'"
refused 02-dotdot 6 "run block names unknown program '../../bin/sh'"
refused 03-absolute 6 "run block names unknown program '/bin/sh'"
refused 04-envprefix 6 "run block names unknown program 'FOO=1'"
refused 05-relative 6 "run block names unknown program 'bin/racelab-race'"
refused 06-twolines 7 "a run block holds one command"
grep -q "^07  args .*($n steps)" "$RL_TMP/list" || fail "the argument lesson did not load"

# Run every step of 07: each reaches racelab-race as plain words, which it
# refuses; nothing else runs.
RL_ENV="RACELAB_LESSONS=$L"
rl_start "7"
wait_for "Step 1/$n"
i=1
while [ "$i" -le "$n" ]; do
	wait_for "Step $i/$n"
	keys Enter
	wait_for "racelab-race: " 10   # its one-line usage error, in the output
	wait_for "exited 2" 10
	[ -e "$P" ] && fail "step $i: the run block executed a command"
	keys n
	i=$((i + 1))
done
keys q
wait_for "Lessons"
keys q
rl_wait_exit >/dev/null
rl_check_clean
[ -e "$P" ] && fail "a run block executed a command"
echo "ok: 6 hostile run blocks refused at load, $n ran only racelab-race (exit 2)"
T kill-server

# Hostile state: a state directory that is a symlink, one owned by another
# user (nobody), one writable by others.  Each has a planted progress.tmp
# symlink to a root-only 0600 file (the victim).  racelab must refuse the
# directory with a clear warning (on screen and at exit), write nothing
# there, and leave the victim as it was.
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
V=$RL_TMP/victim
printf 'secret\n' > "$V"; chmod 600 "$V"
state_case() { # NAME EXPECTED-WARNING (its start on screen, whole at exit)
	S=$RL_TMP/st-$1
	mkdir -p "$S"
	case $1 in
	symlink) mkdir -p "$RL_TMP/elsewhere"; ln -s "$RL_TMP/elsewhere" "$S/racelab" ;;
	foreign) mkdir -p "$S/racelab"; chown 65534:65534 "$S/racelab"; chmod 755 "$S/racelab" ;;
	others) mkdir -p "$S/racelab"; chmod 777 "$S/racelab" ;;
	esac
	ln -s "$V" "$S/racelab/progress.tmp" 2>/dev/null
	RL_ENV="XDG_STATE_HOME=$S"
	rl_start "3"
	wait_for "Step 1/"
	keys n n                   # each step change saves progress
	wait_for "Step 3/"
	keys q
	wait_for "! $(echo "$2" | cut -c1-20)"   # the catalog's preview says why
	keys q
	rl_wait_exit >/dev/null
	wait_for "$2: progress is not saved"     # and again at exit
	[ "$(cat "$V")" = secret ] || fail "$1: the victim file was overwritten"
	[ -e "$S/racelab/progress" ] && fail "$1: progress written into a refused directory"
	ls "$S/racelab/" | grep -v '^progress.tmp$' | grep -q . && fail "$1: files made in a refused directory: $(ls "$S/racelab")"
	T kill-server
	echo "ok: state directory $1 refused: $2"
}
state_case symlink "cannot use $RL_TMP/st-symlink/racelab (a symlink or not a directory)"
state_case foreign "refusing $RL_TMP/st-foreign/racelab (owned by uid 65534, not by us)"
state_case others "refusing $RL_TMP/st-others/racelab (writable by others (mode 777))"

# A good directory with a planted progress.tmp symlink: progress is saved
# (a fresh temporary name, O_EXCL|O_NOFOLLOW), the symlink not followed.
S=$RL_TMP/st-good
mkdir -p "$S/racelab"; chmod 700 "$S/racelab"
ln -s "$V" "$S/racelab/progress.tmp"
RL_ENV="XDG_STATE_HOME=$S"
rl_start "3"
wait_for "Step 1/"
keys n
wait_for "Step 2/"
keys q q
rl_wait_exit >/dev/null
grep -q '^last race 1$' "$S/racelab/progress" || fail "progress not saved in a good directory"
[ "$(cat "$V")" = secret ] || fail "the planted progress.tmp symlink was followed"
T kill-server
echo "ok: planted progress.tmp not followed, progress saved"

# Sources for step mode that are not regular files: a FIFO (opening it
# would block for ever) and /dev/zero (reading it never ends).  Step mode
# opens without its source pane, and the shell answers q at once.
for kind in fifo zero; do
	L2=$RL_TMP/lessons-$kind
	cp -r "$ROOT/lessons" "$L2"
	rm -f "$L2/03-race/race.c"
	case $kind in
	fifo) mkfifo "$L2/03-race/race.c" ;;
	zero) ln -s /dev/zero "$L2/03-race/race.c" ;;
	esac
	RL_ENV="RACELAB_LESSONS=$L2 XDG_STATE_HOME=$RL_TMP/state"
	rl_start "race"
	wait_for "Step 1/"
	keys n n
	wait_for "Step 3/"
	t0=$(now_ms)
	keys s 1
	wait_for "worker 1 did: read balance" 5
	keys x q q
	rl_wait_exit 50 >/dev/null
	ms=$(( $(now_ms) - t0 ))
	[ "$ms" -lt 5000 ] || fail "$kind source: step mode and quit took $ms ms"
	rl_check_clean
	T kill-server
	echo "ok: a $kind as race.c: step mode ran and the shell quit in $ms ms"
done

# What a demo prints cannot act on the terminal: a bidi override (U+202E),
# an isolate (U+2066), C1 CSI (as UTF-8 and as a raw byte) and ESC reach
# the output panel as '?'.  (Here racelab-race echoes its bad argument.)
RL_ENV=
bad=$(printf 'A\342\200\256B\302\233C\233D\033[31mE\342\201\246F')
rl_start "--run 'race --workers $bad'"
wait_for "exited 2" 10
line=$(screen | grep "racelab-race: --workers")
# (The lesson escapes ESC itself, as \x1b, since lab messages are one
# line; the rest is for the shell to stop.)
echo "$line" | grep -qF "'A?B?C?D\\x1b[31mE?F'" || fail "hostile output not escaped: $(echo "$line" | od -c | head)"
screen | grep -q "$(printf '\342\200\256\|\342\201\246\|\302\233\|\233')" && fail "a bidi or C1 character reached the screen"
keys q q
rl_wait_exit >/dev/null
rl_check_clean
T kill-server
echo "ok: bidi and C1 characters in a demo's output shown as '?'"

# Under LANG=C the shell measures what it draws in that locale: UTF-8
# lesson text (07 has an em dash) becomes '?' and no row pushes the text
# panel's right border out of its column.
RL_ENV="LANG=C LC_ALL=C"
rl_start "7"
wait_for "Step 1/"
keys n n n
wait_for "Step 4/"
screen > "$RL_TMP/screen"
col=$(sed -n 3p "$RL_TMP/screen" | awk '{ print index($0, "||") }')
[ "$col" -gt 10 ] || fail "no panel border found: $(sed -n 3p "$RL_TMP/screen")"
bad_rows=$(awk -v c="$col" 'NR > 2 && substr($0, 1, 1) == "|" && substr($0, c, 1) != "|" { print NR": "$0 }' "$RL_TMP/screen")
[ -z "$bad_rows" ] || fail "LANG=C: rows overflow the border at column $col: $bad_rows"
grep -q '?' "$RL_TMP/screen" || fail "LANG=C: no UTF-8 character was replaced (test text changed?)"
keys q q
rl_wait_exit >/dev/null
T kill-server
echo "ok: LANG=C: every row keeps the border at column $col"
