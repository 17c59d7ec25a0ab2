. "$(dirname "$0")/lib.sh"
rl_start "--watch build/watch/counter"
sleep 2
screen
keys q
sleep 0.5
screen | tail -3
cat $RL_TMP/rc
