. tests/e2e/lib.sh
RL_COLS=${C:-120}; RL_LINES=${L:-40}
rl_start "$1"
sleep 1.5
shift
for k in "$@"; do
  case $k in
    sleep*) sleep ${k#sleep} ;;
    shot) screen; echo ======== ;;
    *) keys "$k" ;;
  esac
done
screen
keys C-c
rl_wait_exit >/dev/null
