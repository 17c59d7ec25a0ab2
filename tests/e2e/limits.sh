# Limits: a lesson cannot fork-bomb.  Its options cap the workers (1024
# threads, 256 processes), and when the kernel refuses a fork (here: an
# unprivileged user under RLIMIT_NPROC, since root is exempt) the lesson
# says so in one clear line, exits 1 and leaves no worker behind.
. "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit 1

command -v setpriv >/dev/null && command -v prlimit >/dev/null || fail "needs setpriv and prlimit (util-linux)"
nobody=65534
# Nothing of that user's may be running, or the limit counts it.
[ -z "$(pgrep -u $nobody)" ] || fail "user $nobody already has processes"
env RACELAB_E2E="$RL_TMP" setpriv --reuid=$nobody --regid=$nobody --clear-groups \
	prlimit --nproc=8 bin/racelab-race --workers 40 --mode process \
	--iters 1000 --runs 1 --quiet >"$RL_TMP/o" 2>"$RL_TMP/e" </dev/null
rc=$?
[ "$rc" = 1 ] || fail "exit $rc (want 1): $(cat "$RL_TMP/e")"
grep -q "^racelab-race: fork of worker [0-9]* failed: Resource temporarily unavailable$" "$RL_TMP/e" ||
	fail "message: $(cat "$RL_TMP/e")"
[ "$(wc -l < "$RL_TMP/e")" = 1 ] || fail "not one line: $(cat "$RL_TMP/e")"
left=$(pgrep -u $nobody -l)
[ -z "$left" ] || fail "workers left behind: $left"

# The caps themselves.
bin/racelab-race --workers 1025 >/dev/null 2>&1 </dev/null; [ $? = 2 ] || fail "1025 workers accepted"
bin/racelab-race --workers 257 --mode process >/dev/null 2>&1 </dev/null; [ $? = 2 ] || fail "257 processes accepted"
out=$(bin/racelab-race --workers 1024 --mode thread --iters 10 --runs 1 --sync atomic --quiet </dev/null) ||
	fail "1024 threads failed"
echo "$out" | grep -q "Final Balance:  100" || fail "1024 threads: $out"
out=$(bin/racelab-race --workers 256 --mode process --iters 10 --runs 1 --sync atomic --quiet </dev/null) ||
	fail "256 processes failed"
echo "$out" | grep -q "Final Balance:  100" || fail "256 processes: $out"
[ -z "$(rl_pids)" ] || fail "left running: $(rl_pids)"

# The shell under resource limits says what failed, in one line: out of
# address space (ulimit -v), out of descriptors (ulimit -n).  The address
# space is the least in which the program can still be loaded at all (its
# libraries mapped: it depends on the build and the machine), found by
# trying: with that, the first real allocation fails.
vlim=2000
fits() { (ulimit -v "$1"; exec bin/racelab --version) >/dev/null 2>&1 </dev/null; }
until fits $vlim 2>/dev/null; do
	vlim=$((vlim + 250))
	[ $vlim -le 65536 ] || fail "bin/racelab --version does not run in 64 MiB of address space"
done
(ulimit -v $vlim; exec bin/racelab --list) >/dev/null 2>"$RL_TMP/e" </dev/null
rc=$?
[ "$rc" = 1 ] && [ "$(cat "$RL_TMP/e")" = "racelab: out of memory" ] ||
	fail "ulimit -v $vlim: exit $rc, '$(cat "$RL_TMP/e")'"
RL_PRE="ulimit -v $vlim"
rl_start "" 2>/dev/null
rc=$(rl_wait_exit)
[ "$rc" = 1 ] || fail "ulimit -v $vlim in a terminal: exit $rc"
wait_for "racelab: out of memory"
T kill-server
RL_PRE="ulimit -n 5"
rl_start ""
rc=$(rl_wait_exit)
[ "$rc" = 1 ] || fail "ulimit -n 5: exit $rc"
wait_for "racelab: cannot make the signal pipe: Too many open files"
T kill-server
[ -z "$(rl_pids)" ] || fail "left running: $(rl_pids)"
echo "limits hold"
