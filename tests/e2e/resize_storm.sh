# Resize storm: 500 random sizes from 1x1 to 300x100 within 10 s while a
# demo runs, then a normal size.  The shell must still be running, answer a
# key, and lay the screen out for the final size: every box spans the full
# width (corners and sides in the last column), the status bar on the last
# line.  The seed is printed so a failure can be replayed (SEED=n).
. "$(dirname "$0")/lib.sh"

N=500
SEED=${SEED:-$(date +%s)}
FW=100 FH=30

rl_start "--run 'race --mode process --workers 4 --iters 1000000000 --runs 1'"
wait_for "running pid"
wait_until rows_at_least proc 4
shell=$(rl_shell_pid)

awk -v n="$N" -v s="$SEED" 'BEGIN { srand(s); for (i = 0; i < n; i++)
	printf "%d %d\n", 1 + int(rand() * 300), 1 + int(rand() * 100) }' > "$RL_TMP/sizes"
t0=$(date +%s%N)
while read -r x y; do
	T resize-window -t rl -x "$x" -y "$y" 2>/dev/null || fail "tmux refused ${x}x${y}"
done < "$RL_TMP/sizes"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "seed $SEED: $N sizes in $ms ms"
[ "$ms" -le 10000 ] || echo "note: the machine took longer than 10 s for the resizes"
[ -d "/proc/$shell" ] && [ "$(task_state "$shell" "$shell")" != Z ] ||
	fail "the shell died in the storm (seed $SEED)"

# Box characters as single ASCII bytes, any other multibyte character as one
# byte, so lengths count columns: + corners, | sides.
layout_ok() {
	screen | LC_ALL=C sed -e 's/\xe2\x94\x8c/</g; s/\xe2\x94\x90/>/g' \
	    -e 's/\xe2\x94\x94/[/g; s/\xe2\x94\x98/]/g; s/\xe2\x94\x82/|/g' \
	    -e 's/[\xc0-\xff][\x80-\xbf]*/./g' > "$RL_TMP/final"
	LC_ALL=C awk -v w="$FW" -v h="$FH" '
	    { n = NR; c = substr($0, 1, 1); e = substr($0, length($0), 1) }
	    c == "<" { boxes++; if (length($0) != w || e != ">") bad = bad " top@" NR }
	    c == "[" { if (length($0) != w || e != "]") bad = bad " bottom@" NR }
	    c == "|" { if (length($0) != w || e != "|") bad = bad " side@" NR }
	    NR == h && !/\? help/ { bad = bad " no-status-bar" }
	    NR == 1 && !/running pid/ { bad = bad " no-title" }
	    END { if (n != h) bad = bad " lines=" n; if (boxes < 3) bad = bad " boxes=" boxes
	          if (bad) { print bad; exit 1 } }' "$RL_TMP/final"
}
wait_layout() {
	_n=30
	until why=$(layout_ok); do
		_n=$((_n - 1))
		[ "$_n" -gt 0 ] || { cat "$RL_TMP/final"; fail "layout at ${FW}x${FH}:$why (seed $SEED)"; }
		sleep 0.1
	done
}

T resize-window -t rl -x "$FW" -y "$FH"
# The next frame after the resize draws it: poll until it is right.
wait_layout
# It answers: the help overlay opens and closes.  (Only once the shell has
# the final size: tmux may deliver a key before it resizes the pane, and
# below 80x24 the shell rightly ignores keys but q.)
keys '?'
wait_for "racelab keys"
keys Escape
wait_gone "racelab keys"
wait_for "running pid"
# And the layout is still right after the overlay closed.
wait_layout
echo "final ${FW}x${FH}: $(grep -c '^<' "$RL_TMP/final") boxes span the width, status bar on line $FH"
keys C-c
rl_wait_exit >/dev/null
rl_check_clean
echo ok
