# Hostile lesson files: a FIFO, a device, a directory, a huge file and a
# broken lesson as lesson.md.  `racelab --list` answers at once (no read of
# a FIFO or /dev/zero: only regular files are opened, O_NONBLOCK, then
# fstat), a 1 MB lesson loads in well under a second (the parser is
# linear; it took 63-66 s), a file over the cap is refused as file:line,
# and `racelab N` refuses a broken lesson as the catalog does, with the
# same file:line message and exit 2 (it used to open it, titled "(null)").
. "$(dirname "$0")/lib.sh"

L=$RL_TMP/lessons
mkdir -p "$L/01-fifo" "$L/02-zero" "$L/03-dir/lesson.md" "$L/04-big" "$L/05-huge" \
	"$L/06-broken" "$L/07-tty" "$L/08-race"
mkfifo "$L/01-fifo/lesson.md"
ln -s /dev/zero "$L/02-zero/lesson.md"
ln -s /dev/tty "$L/07-tty/lesson.md"
printf '# Broken\n\n## S\n\n```run\nrace\nexpect: final === 1\n```\n' > "$L/06-broken/lesson.md"
cp "$ROOT/lessons/03-race/lesson.md" "$L/08-race/lesson.md"
cp "$ROOT"/lessons/03-race/*.py "$L/08-race/"  # its python blocks' file
# 1 MB of the shapes that were slow: many steps, blocks and lines.
awk 'BEGIN { print "# Big\n"; for (i = 0; i < 10000; i++)
	printf "## Step %d\n\nSome *text* and `code`, **bold**.\n\n    code %d\n\n```run\nrace\nexpect: final == expected\n```\n\n", i, i }' \
	> "$L/04-big/lesson.md"
size=$(wc -c < "$L/04-big/lesson.md")
[ "$size" -gt 1000000 ] || fail "the big lesson is only $size bytes"
# Over the cap (2 MiB): 3 MB.
awk 'BEGIN { print "# Huge\n\n## S\n"; for (i = 0; i < 100000; i++) print "0123456789012345678901234567890" }' \
	> "$L/05-huge/lesson.md"

ms() { date +%s%3N; }
t0=$(ms)
RACELAB_LESSONS=$L timeout 20 "$ROOT/bin/racelab" --list > "$RL_TMP/list" 2>&1
rc=$?
t1=$(ms)
cat "$RL_TMP/list"
[ "$rc" -eq 0 ] || fail "--list exited $rc"
echo "--list took $((t1 - t0)) ms"
[ $((t1 - t0)) -lt 2000 ] || fail "--list took $((t1 - t0)) ms"
has() { grep -q -- "$1" "$RL_TMP/list" || fail "--list lacks: $1"; }
has "01  fifo .*BROKEN: $L/01-fifo/lesson.md: not a regular file"
has "02  zero .*BROKEN: $L/02-zero/lesson.md: not a regular file"
has "03  dir .*BROKEN: $L/03-dir/lesson.md: not a regular file"
has "04  big .*Big (10000 steps)"
has "05  huge .*BROKEN: $L/05-huge/lesson.md:[0-9]*: file too large"
has "06  broken .*BROKEN: $L/06-broken/lesson.md:7: expect: "
has "07  tty .*BROKEN: $L/07-tty/lesson.md: "
has "08  race .*Race conditions"

# racelab N: the broken lesson is refused with the catalog's own message.
for n in 1 5 6; do
	RACELAB_LESSONS=$L timeout 10 "$ROOT/bin/racelab" "$n" > "$RL_TMP/out" 2> "$RL_TMP/err" < /dev/null
	rc=$?
	cat "$RL_TMP/err"
	[ "$rc" -eq 2 ] || fail "racelab $n exited $rc"
	[ "$(wc -l < "$RL_TMP/err")" -eq 1 ] || fail "racelab $n: not one line"
	grep -q "^racelab: $L/0$n-[a-z]*/lesson.md:" "$RL_TMP/err" || fail "racelab $n: no file:line"
	grep -q "(null)" "$RL_TMP/err" "$RL_TMP/out" && fail "racelab $n printed (null)"
done

# The shell starts at once over the same tree and opens the good lesson.
RL_ENV="RACELAB_LESSONS=$L"
t0=$(ms)
rl_start "race"
wait_for "Step 1/" 10
t1=$(ms)
echo "startup took $((t1 - t0)) ms"
[ $((t1 - t0)) -lt 5000 ] || fail "startup took $((t1 - t0)) ms"
keys q
wait_for "Lessons"
keys q
[ "$(rl_wait_exit)" = 0 ] || fail "bad exit status"
rl_check_clean
echo "ok"
