# Every run is a trace: w in the lesson view writes the run as a trace file,
# and racelab --replay plays it back, saying that it is a recording, with
# the same final balance as the live run showed.  Stepping goes forward and
# back event by event.  At 120x40 and at 80x24; a bad file is one line,
# exit 2.
. "$(dirname "$0")/lib.sh"

out=$("$ROOT/bin/racelab" --replay "$RL_TMP/none.json" 2>&1 </dev/null)
rc=$?
[ "$rc" = 2 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] ||
	fail "--replay of a missing file: exit $rc, '$out'"
echo '{"traceEvents": 3}' > "$RL_TMP/bad.json"
out=$("$ROOT/bin/racelab" --replay "$RL_TMP/bad.json" 2>&1 </dev/null)
[ $? = 2 ] && [ "$out" = "racelab: --replay $RL_TMP/bad.json: not a trace: no traceEvents" ] ||
	fail "--replay of a bad file: '$out'"
# A file too big to hold in memory (sparse: no disk used) is refused before
# it is read, not parsed into gigabytes.
truncate -s 300M "$RL_TMP/big.json"
out=$("$ROOT/bin/racelab" --replay "$RL_TMP/big.json" 2>&1 </dev/null)
[ $? = 2 ] && [ "$out" = "racelab: --replay $RL_TMP/big.json: too big for a replay (300 MB; at most 256 MB)" ] ||
	fail "--replay of a 300 MB file: '$out'"
rm -f "$RL_TMP/big.json"

traces() { ls "$RL_TMP"/state/racelab/trace-race-*.json 2>/dev/null; }

for size in 120x40 80x24; do
	RL_COLS=${size%x*}
	RL_LINES=${size#*x}
	rm -f "$RL_TMP"/state/racelab/trace-race-*.json
	rl_start "--run 'race --workers 2 --iters 3000 --widen yield --runs 1 --mode thread'"
	wait_for "Final Balance:"
	live=$(screen | sed -n 's/.*Final Balance:  *\(-\{0,1\}[0-9][0-9]*\).*/\1/p' | head -1)
	[ -n "$live" ] || fail "$size: no final balance on the screen"
	keys w
	wait_until traces >/dev/null
	[ "$size" = 80x24 ] || wait_for "trace saved: $RL_TMP/state/racelab/trace-race-"
	trace=$(traces | head -1)
	keys q
	wait_for "Lessons"
	keys q
	[ "$(rl_wait_exit)" = 0 ] || fail "$size: the live shell's exit status"
	rl_check_clean

	rl_start "--replay $trace"
	wait_for "REPLAY of trace-race-"
	wait_for "recorded, not live"
	wait_for "Timeline (recorded), from the first worker's start at"
	keys G
	wait_for "paused"
	# The recorded final balance, as the live run showed it.
	wait_until sh -c "tmux -L '$RL_SOCK' capture-pane -p -t rl |
		grep -Eq '^ +balance +$live +expected 100'" ||
		fail "$size: the replay does not end at $live"
	n=$(screen | sed -n 's/.*event \([0-9][0-9]*\)\/\([0-9][0-9]*\).*/\1 \2/p' | head -1)
	set -- $n
	[ "$1" = "$2" ] && [ "$1" -gt 12000 ] || fail "$size: at the end, event '$n'"
	# One event back, then forward again.
	keys ,
	wait_for "event $(($2 - 1))/$2"
	keys .
	wait_for "event $2/$2"
	# From the start, stepping: the first events, the balance not yet set.
	keys g
	keys .
	wait_for "event 1/$2"
	keys q
	[ "$(rl_wait_exit)" = 0 ] || fail "$size: the replay's exit status"
	rl_check_clean
	echo "ok: $size: replay of $(basename "$trace") ends at balance $live, $2 events"
done

# Ten runs (twenty lanes) at 80x24: the balance still shows under the
# eight lanes kept, not pushed off by them.
"$ROOT/bin/racelab-race" --workers 2 --iters 1 --schedule 1,2,1,2 --runs 10 \
	--trace-out "$RL_TMP/ten.json" >/dev/null || fail "the ten-run trace"
RL_COLS=80
RL_LINES=24
rl_start "--replay $RL_TMP/ten.json"
wait_for "more workers not shown"
keys G
wait_for "paused"
wait_until sh -c "tmux -L '$RL_SOCK' capture-pane -p -t rl |
	grep -Eq '^ +balance +101 +expected 100 +off by 1'" ||
	fail "80x24, ten runs: no balance on the screen"
keys q
[ "$(rl_wait_exit)" = 0 ] || fail "ten runs: the replay's exit status"
rl_check_clean
echo "ok: 80x24: a ten-run replay shows the balance under its lanes"
