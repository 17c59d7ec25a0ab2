. "$(dirname "$0")/lib.sh"
RL_ENV="RACELAB_LESSONS=/tmp/symdbg/les2"
rl_start "src"
wait_for "Step 1/"
keys s 1 2 1
sleep 1.5
screen
keys q q
