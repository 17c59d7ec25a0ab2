# l cycles the sync method of the next run (rewriting --sync), and a run with
# the mutex shows its lock and loses nothing; R runs the demo 20 times into
# the histogram, with the expected value marked.
. "$(dirname "$0")/lib.sh"

rl_start "--run 'race --workers 2 --sync none --iters 200000 --runs 1'"
wait_for "exited 0" 20
keys l
wait_for "next run: --sync mutex"
wait_for "racelab-race --workers 2 --sync mutex --iters 200000"
keys Enter
wait_for "Locks" 10
wait_for "exited 0" 20
screen | grep -q " m .*mutex" || fail "the mutex is not in the Locks panel"
screen | grep -E "balance +100 +100 +lost 0 " >/dev/null || fail "a locked run lost updates"
keys l l l
wait_for "racelab-race --workers 2 --sync none"
keys +
wait_for "racelab-race --workers 3 --sync none"
keys - -
wait_for "racelab-race --workers 1 --sync none"
keys +
keys R
wait_for "--runs 20"
wait_for "20 runs:" 60
wait_for "<- expected"
keys q
wait_for "Lessons"
keys q
rl_wait_exit >/dev/null
rl_check_clean
echo ok
