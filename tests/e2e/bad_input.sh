# Bad input, as a table: every line is a command that must answer with
# exactly one line on stderr, nothing on stdout, exit status 2, and leave
# nothing running.  The shell's lines run outside a terminal, so they also
# show that bad usage is reported before the terminal is even needed.
. "$(dirname "$0")/lib.sh"

cd "$ROOT" || exit 1
n=0
check() {
	n=$((n + 1))
	env RACELAB_E2E="$RL_TMP" "$@" >"$RL_TMP/o" 2>"$RL_TMP/e" </dev/null
	rc=$?
	[ "$rc" = 2 ] || fail "[$*]: exit $rc, stderr: $(cat "$RL_TMP/e")"
	[ "$(wc -l < "$RL_TMP/e")" = 1 ] || fail "[$*]: not one line on stderr: $(cat "$RL_TMP/e")"
	[ -s "$RL_TMP/o" ] && fail "[$*]: wrote to stdout: $(head -c 200 "$RL_TMP/o")"
	return 0
}

# The shell.
check bin/racelab --bogus
check bin/racelab --run
check bin/racelab nosuchlesson
check bin/racelab 99
check bin/racelab race processes
check bin/racelab -x
check bin/racelab --run 'race' race

# Every lesson program: the common options ...
for p in bin/racelab-*; do
	check "$p" --bogus
	check "$p" --workers 0
	check "$p" --workers abc
	check "$p" --workers 100000
	check "$p" --runs 0
	check "$p" --runs
	check "$p" stray-argument
	check "$p" --json=yes
done
# ... and the ones that take them.
check bin/racelab-race --mode fiber
check bin/racelab-race --sync sometimes
check bin/racelab-race --iters -5
check bin/racelab-race --iters 99999999999
check bin/racelab-race --schedule 1,9
check bin/racelab-race --schedule ,
check bin/racelab-race --schedule 1,2 --step
check bin/racelab-race --widen lots
check bin/racelab-race --mode process --workers 257
check bin/racelab-processes --sleep -1
check bin/racelab-processes --sleep 1e400
check bin/racelab-processes --sleep nan
# A newline (or another control character) in a value is still one line.
nl=$(printf 'x\ny')
for p in bin/racelab-*; do
	check "$p" --workers "$nl"
	check "$p" "--no$nl-such"
done
check bin/racelab-race --sync "$(printf 'a\tb\033[2J')"
check bin/racelab "$nl"

# Nothing was started by any of them.
left=$(rl_pids)
[ -z "$left" ] || fail "left running: $left"
echo "$n bad command lines: each one line on stderr, exit 2, nothing started"
