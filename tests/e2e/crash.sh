# Fault isolation in the shell (lesson 02 --demo crash): a NULL dereference
# in a thread kills its whole process, every thread of it; in a process
# only that process.  The Processes panel says so, and no core file is
# left although the core size limit allows one.
. "$(dirname "$0")/lib.sh"

RL_PRE="ulimit -c unlimited 2>/dev/null || ulimit -c \$(ulimit -H -c);"
rm -f "$ROOT/core"
rl_start "--run 'threads-vs-processes --demo crash --workers 3 --crash 2 --unit-ms 5'"
wait_for "results delivered" 10
wait_for "w7: exit 0" 10
# Row "W KIND PID PPID TID S ... STATE NAME OP": pick the state and OP.
row() { screen | grep -E "^│ $1 (proc|thrd) " | head -n 1; }
row 1 | grep -q "killed.*thread team.*by SIGSEGV" || fail "w1 (the threads' process) not killed by SIGSEGV: $(row 1)"
for w in 2 4; do
	row $w | grep -q "thrd.*killed.*by SIGSEGV" || fail "thread w$w not killed with its process: $(row $w)"
done
row 3 | grep -q "thrd.*killed.*by SIGSEGV at dereference NULL" || fail "w3 did not crash at the NULL store: $(row 3)"
row 6 | grep -q "proc.*killed.*by SIGSEGV at dereference NULL" || fail "process w6 not killed by SIGSEGV: $(row 6)"
for w in 5 7; do
	row $w | grep -q "proc.* done" || fail "process w$w did not finish: $(row $w)"
done
screen | grep -qF "0 of 3 results delivered" || fail "thread results not reported lost"
screen | grep -qF "1 killed, 2 of 3 results delivered" || fail "process results not reported"
keys q
wait_for "Lessons"
keys q
rl_wait_exit >/dev/null
rl_check_clean
[ ! -e "$ROOT/core" ] || fail "a core file was written"
echo ok
