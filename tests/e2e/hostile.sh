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
