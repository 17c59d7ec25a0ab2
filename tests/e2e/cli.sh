# The command line: --help/--version to stdout, exit 0; bad options, no
# terminal, TERM unset or dumb: one line on stderr, exit 2; --list works
# without a terminal; broken and hostile lesson files are reported as
# file:line and the rest of the catalog still works.
. "$(dirname "$0")/lib.sh"

rl=$ROOT/bin/racelab
out=$("$rl" --help) || fail "--help exit status"
echo "$out" | grep -q "usage: racelab" || fail "--help text"
"$rl" --version | grep -qx "racelab [0-9.]*" || fail "--version"
for bad in "--bogus" "--run" "nosuchlesson"; do
	"$rl" $bad >"$RL_TMP/o" 2>"$RL_TMP/e" </dev/null; rc=$?
	[ "$rc" = 2 ] || fail "$bad: exit $rc"
	[ "$(wc -l < "$RL_TMP/e")" = 1 ] || fail "$bad: not one line: $(cat "$RL_TMP/e")"
	[ -s "$RL_TMP/o" ] && fail "$bad: wrote to stdout"
done
"$rl" </dev/null >/dev/null 2>"$RL_TMP/e"; rc=$?
[ "$rc" = 2 ] && grep -q "not a terminal" "$RL_TMP/e" || fail "no tty: exit $rc"
"$rl" --list </dev/null | grep -q "^03  race" || fail "--list without a terminal"

# --list takes nothing else; an argument with a newline is one line.
for bad in "--list bogus" "--list --run x"; do
	"$rl" $bad >"$RL_TMP/o" 2>"$RL_TMP/e" </dev/null; rc=$?
	[ "$rc" = 2 ] || fail "$bad: exit $rc"
	[ "$(wc -l < "$RL_TMP/e")" = 1 ] || fail "$bad: not one line: $(cat "$RL_TMP/e")"
done
"$rl" "$(printf 'no\nsuch')" >/dev/null 2>"$RL_TMP/e" </dev/null; rc=$?
[ "$rc" = 2 ] && [ "$(wc -l < "$RL_TMP/e")" = 1 ] && grep -qF 'no\nsuch' "$RL_TMP/e" ||
	fail "newline argument: exit $rc, $(cat "$RL_TMP/e")"

# A write error on stdout is exit 1 and a message, for the shell and for
# every lesson program (--help and a --json run), never exit 0 with
# nothing written.
full() { # WHAT CMD...: CMD > /dev/full must exit 1 with "write error"
	_w=$1; shift
	"$@" >/dev/full 2>"$RL_TMP/e" </dev/null; _rc=$?
	[ "$_rc" = 1 ] || fail "$_w > /dev/full: exit $_rc"
	grep -q "write error on standard output" "$RL_TMP/e" || fail "$_w > /dev/full: $(cat "$RL_TMP/e")"
}
full "racelab --help" "$rl" --help
full "racelab --list" "$rl" --list
nprog=0
for p in "$ROOT"/bin/racelab-*; do
	full "$(basename "$p") --help" "$p" --help
	full "$(basename "$p") --version" "$p" --version
	nprog=$((nprog + 1))
done
full "racelab-race --json" "$ROOT/bin/racelab-race" --json --runs 1 --iters 1000
[ "$nprog" -ge 14 ] || fail "only $nprog lesson programs"
echo "ok: > /dev/full is exit 1 for racelab and $nprog lesson programs"

# TERM unset or dumb, in a real terminal.
for term in "" dumb; do
	rl_new_server
	T new-session -d -s t -x 80 -y 24 \
		"env -u TERM ${term:+TERM=$term} '$rl' 2>'$RL_TMP/e'; echo \$? > '$RL_TMP/rc'; sleep 60"
	wait_until test -s "$RL_TMP/rc"
	[ "$(cat "$RL_TMP/rc")" = 2 ] || fail "TERM='$term': exit $(cat "$RL_TMP/rc")"
	[ "$(wc -l < "$RL_TMP/e")" = 1 ] || fail "TERM='$term': $(cat "$RL_TMP/e")"
	rm -f "$RL_TMP/rc"
done
T kill-server 2>/dev/null

# Hostile and broken lessons.
L=$RL_TMP/lessons
mkdir -p "$L/01-good" "$L/02-notitle" "$L/03-open" "$L/04-evil" "$L/05-quote" "$L/06-panel"
printf '# Good\n\nIntro.\n\n## One\n\n```run\nrace --workers 2 --iters 10 --runs 1\n```\n' > "$L/01-good/lesson.md"
printf 'No title here.\n\n## One\n\ntext\n' > "$L/02-notitle/lesson.md"
printf '# Open\n\n## One\n\n```run\nrace --workers 2\n\nmore text\n' > "$L/03-open/lesson.md"
printf '# Evil\n\n## One\n\n```run\nsh -c "touch %s/pwned"\n```\n' "$RL_TMP" > "$L/04-evil/lesson.md"
printf '# Quote\n\n## One\n\n```run\nrace --name "oops\n```\n' > "$L/05-quote/lesson.md"
printf '# Panel\n\n## One\n\n```run\nrace\npanels: procs bogus\n```\n' > "$L/06-panel/lesson.md"
RACELAB_LESSONS=$L "$rl" --list > "$RL_TMP/list" || fail "--list with broken lessons"
cat "$RL_TMP/list"
grep -q "^01  good .*Good (1 step)" "$RL_TMP/list" || fail "the good lesson is missing"
grep -q "02-notitle/lesson.md:1: no title" "$RL_TMP/list" || fail "no title not reported"
grep -q "03-open/lesson.md:5: unterminated run block" "$RL_TMP/list" || fail "open fence not reported"
grep -q "04-evil/lesson.md:6: run block names unknown program 'sh'" "$RL_TMP/list" || fail "evil not refused"
grep -q "05-quote/lesson.md:6: bad run line" "$RL_TMP/list" || fail "bad quote not reported"
grep -q "06-panel/lesson.md:7: unknown panel 'bogus'" "$RL_TMP/list" || fail "bad panel not reported"

RL_ENV="RACELAB_LESSONS=$L"
rl_start ""
wait_for "Lessons"
wait_for "[broken]"
# By number: the installed lessons are listed too (the search path).
keys 2
wait_for "is broken"
wait_for "lesson.md:1: no title"
keys 1 Enter
wait_for "Step 1/1"
keys Enter
wait_for "exited 0" 10
keys q q
rl_wait_exit >/dev/null
rl_check_clean
[ -e "$RL_TMP/pwned" ] && fail "a lesson file ran a command"
echo ok
