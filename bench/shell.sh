#!/bin/sh
# Bench: what the shell costs while it watches, and whether watching changes
# the experiment.  The real bin/racelab in a real terminal (tmux, through the
# e2e helpers), with its opt-in instrumentation:
#   RACELAB_STATS=<file>     one record per frame: end time, kind (L live,
#                            F frozen = nothing moves, O other), CPU time of
#                            the frame's work and of its tick, tasks sampled,
#                            drawn or not, the shell's minor faults in it
#   RACELAB_DEMO_LOG=<file>  a copy of the demo's output (watched results)
# Shell CPU comes from /proc/<pid>/schedstat (ns), memory from status.
# Prints one row per figure: name, budget, measured, verdict; where a budget
# is missed the verdict says by how much.
RL_ROOT=$(cd "$(dirname "$0")/.." && pwd)
export RL_ROOT
. "$RL_ROOT/tests/e2e/lib.sh"
cd "$RL_ROOT" || exit 1

NCPU=$(nproc)
REPS=${REPS:-7}

# ---- helpers ---------------------------------------------------------------
now_ns() { date +%s%N; }
cpu_ns() { cut -d' ' -f1 "/proc/$1/schedstat"; }
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
envvar() { tr '\0' '\n' < "/proc/$1/environ" | sed -n "s/^$2=//p"; }
# pct P: the P-th percentile of the numbers on stdin (nearest rank).
pct() { sort -n | awk -v p="$1" '{ v[NR] = $1 } END { if (!NR) { print 0; exit }
	i = int(NR * p / 100 + 0.999); if (i < 1) i = 1; if (i > NR) i = NR; print v[i] }'; }
median() { pct 50; }
row() { printf '%-46s %-12s %-26s %s\n' "$1" "$2" "$3" "$4"; }
# verdict MEASURED BUDGET [higher]: ok, or OVER by N% (UNDER for higher-is-better).
verdict() {
	awk -v m="$1" -v b="$2" -v hi="$3" 'BEGIN {
		if (hi) { if (m >= b) print "ok"; else printf "UNDER by %.0f%%", (b - m) * 100 / b }
		else { if (m <= b) print "ok"; else printf "OVER by %.0f%% (%.1fx)", (m - b) * 100 / b, m / b } }'
}

# run_shell "ARGS" ENV: start racelab with stats on; sets SHPID, STATS.
run_shell() {
	STATS="$RL_TMP/stats.$RL_N"
	RL_ENV="RACELAB_STATS=$STATS RACELAB_T0=\$(date +%s%N) $2"
	rl_start "$1"
	shell_up() { SHPID=$(rl_shell_pid); }
	wait_until shell_up
}
# Quit with Ctrl-C and wait for the stats file.
end_shell() {
	keys C-c
	rl_wait_exit >/dev/null
	T kill-server 2>/dev/null
}
# shell_cpu SECONDS: the shell's CPU use over that window, % of one core.
shell_cpu() {
	_c0=$(cpu_ns "$SHPID") _t0=$(now_ns)
	sleep "$1"
	_c1=$(cpu_ns "$SHPID") _t1=$(now_ns)
	awk -v c=$((_c1 - _c0)) -v t=$((_t1 - _t0)) 'BEGIN { printf "%.3f", c * 100 / t }'
}
# Frames of a kind from a stats file: the work (ns) column.
work_of() { awk -v k="$2" '$2 == k { print $3 }' "$1"; }
us() { awk -v n="$1" 'BEGIN { printf "%.1f", n / 1000 }'; }
ms() { awk -v n="$1" 'BEGIN { printf "%.2f", n / 1000000 }'; }

printf '%-46s %-12s %-26s %s\n' figure budget measured verdict

# ---- time to first frame, idle CPU, RSS --------------------------------------
# Baseline in the same run: racelab --list (loads and parses every lesson,
# no terminal), the part of start-up that is not curses.
ff= base=
for i in 1 2 3; do
	t0=$(now_ns); "$RL_ROOT/bin/racelab" --list >/dev/null; t1=$(now_ns)
	base="$base $((t1 - t0))"
	run_shell "" ""
	wait_for "Lessons"
	t0=$(envvar "$SHPID" RACELAB_T0)
	if [ "$i" = 3 ]; then
		idle=$(shell_cpu 3)
		rss_idle=$(status_kb "$SHPID" VmRSS)
	fi
	end_shell
	ff="$ff $(( $(sed -n 's/^first //p' "$STATS") - t0 ))"
done
ffm=$(echo $ff | tr ' ' '\n' | median)
basem=$(echo $base | tr ' ' '\n' | median)
row "time to first frame (median of 3)" "<= 50 ms" "$(ms "$ffm") ms (--list $(ms "$basem") ms)" \
	"$(verdict "$(ms "$ffm")" 50)"
row "shell CPU, idle in the catalog (3 s)" "<= 0.2%" "$idle%" "$(verdict "$idle" 0.2)"

# ---- 64 live workers: CPU, frame work, fps under saturation, unchanged frames
run_shell "--run 'race --mode thread --workers 64 --iters 1000000000 --runs 1'" ""
wait_for "running pid"
sleep 1 # let all 64 start: the window below is steady state
tmux_pid=$(T display -p '#{pid}')
tc0=$(cpu_ns "$tmux_pid")
live=$(shell_cpu 4)
tc1=$(cpu_ns "$tmux_pid")
tmux_cpu=$(awk -v c=$((tc1 - tc0)) 'BEGIN { printf "%.2f", c * 100 / 4e9 }')
keys Space
wait_for "FROZEN"
# Frozen, the screen still changes for about a second: the last samples of
# tasks that were running (the shell rereads them all a few times to catch
# up).  Frames count as unchanged once two captures of the pane a second
# apart are the same, until a third, 4 s later, is the same again.
stable_from= stable_to=
prev=$(screen) tries=20
while [ "$tries" -gt 0 ]; do
	sleep 1
	t=$(now_ns) cur=$(screen)
	if [ "$cur" = "$prev" ]; then stable_from=$t; break; fi
	prev=$cur tries=$((tries - 1))
done
if [ -n "$stable_from" ]; then
	sleep 4
	[ "$(screen)" = "$prev" ] && stable_to=$(now_ns)
fi
rss=$(status_kb "$SHPID" VmRSS) hwm=$(status_kb "$SHPID" VmHWM)
shm=$(status_kb "$SHPID" RssShmem)
end_shell
S64=$STATS
row "shell CPU, 64 live thread workers (4 s)" "<= 3%" "$live% (tmux parsing it: ~$tmux_cpu%)" "$(verdict "$live" 3)"
p99=$(work_of "$S64" L | pct 99)
row "frame work p99, 64 workers" "<= 1 ms" "$(us "$p99") us (p50 $(us "$(work_of "$S64" L | median)"))" \
	"$(verdict "$(ms "$p99")" 1)"
# Page faults on ring pages the shell maps on first touch: how many a live
# frame takes (the frame's tail was once blamed on them; it was the reader
# chasing a live ring head, board_events_newest).
flt_of() { awk -v k="$2" '$2 == k && NF >= 7 { print $7 }' "$1"; }
row "  minor faults per live frame, 64 workers" "info" "p50 $(flt_of "$S64" L | median), p99 $(flt_of "$S64" L | pct 99), max $(flt_of "$S64" L | pct 100)" ""
# A frozen demo whose screen no longer changes (see above): what a frame
# costs beside the tick's /proc reads.  Stats times are CLOCK_MONOTONIC; the
# "first" line gives the wall clock of the first frame, to map the window.
draw_of() { awk -v k="$2" '$2 == k { print $3 - $4 }' "$1"; }
unchanged_of() { # STATS FROM_NS TO_NS (wall clock): draw ns of frozen frames in the window
	awk -v a="$2" -v b="$3" '/^first / { first = $2; next }
	     !off { off = first - $1 }
	     $2 == "F" && $1 + off > a && $1 + off < b { print $3 - $4 }' "$1"
}
if [ -n "$stable_to" ]; then
	unch=$(unchanged_of "$S64" "$stable_from" "$stable_to")
	n=$(echo "$unch" | grep -c .)
	drawn=$(awk -v a="$stable_from" -v b="$stable_to" '/^first / { first = $2; next }
	     !off { off = first - $1 }
	     $2 == "F" && $1 + off > a && $1 + off < b && $6 == "d"' "$S64" | grep -c .)
	p99f=$(echo "$unch" | pct 99)
	v=$(verdict "$(us "$p99f")" 10)
	row "unchanged frame (frozen demo), draw p99" "<= 10 us" "$(us "$p99f") us (p50 $(us "$(echo "$unch" | median)"); $n frames, $drawn drawn)" "$v"
else
	row "unchanged frame (frozen demo), draw p99" "<= 10 us" "the frozen screen never stopped changing" "FAIL"
fi
row "  every frozen frame (screen still changing)" "info" "p99 $(us "$(draw_of "$S64" F | pct 99)") us" ""
# Frames per second and the longest gap between live frames, with 64
# busy threads on $NCPU cores: every core saturated by the demo.
fps_gap() {
	awk '$2 == "L" { if (n++) { g = $1 - prev; if (g > max) max = g } else first = $1; prev = $1 }
	     END { printf "%.1f %.0f", (n - 1) / ((prev - first) / 1e9), max / 1e6 }' "$1"
}
set -- $(fps_gap "$S64")
row "fps, every core saturated (64 busy workers)" ">= 28 fps" "$1 fps" "$(verdict "$1" 28 hi)"
row "longest gap between frames, saturated" "<= 100 ms" "$2 ms" "$(verdict "$2" 100)"
# The board's event rings are shared memory the lesson writes (a whole
# run's events, 1.5 MiB a worker); the shell reading the newest events of
# each maps their pages too, and VmRSS counts them (RssShmem).  The
# budget is the shell's own memory: VmRSS less those shared pages.
row "shell RSS, own (VmRSS - RssShmem), 64 workers" "<= 16 MiB" "$(((rss - shm) / 1024)) MiB (idle $((rss_idle / 1024)))" \
	"$(verdict "$((rss - shm))" 16384)"
row "  VmRSS / VmHWM, the board's pages included" "info" "$((rss / 1024)) / $((hwm / 1024)) MiB (RssShmem $((shm / 1024)))" ""

# ---- the peer: htop watching the same 64 workers -------------------------------
# racelab at 30 frames a second beside htop -d 1 (10 refreshes a second),
# each in a tmux pane of the same size, both watching the 64 process workers
# of one demo (htop -p with their PIDs); CPU time of each from /proc/PID/stat
# (utime + stime) over the same window.  racelab's refreshes are its frames
# in the window (from its stats); htop's are nominal (10 a second: if it
# falls behind, its cost per refresh is underestimated, not ours).
clk_tck=$(getconf CLK_TCK)
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
frames_in() { # STATS FROM TO (wall clock ns): live frames in the window
	awk -v a="$2" -v b="$3" '/^first / { first = $2; next }
	     !off { off = first - $1 }
	     $2 == "L" && $1 + off > a && $1 + off <= b' "$1" | grep -c .
}
if command -v htop >/dev/null; then
	WIN=${HTOP_WINDOW:-20}
	run_shell "--run 'race --mode process --workers 64 --iters 1000000000 --runs 1'" ""
	wait_for "running pid"
	leader=$(demo_pid)
	all_up() { [ "$(group_pids "$leader" | grep -c .)" -ge 65 ]; }
	wait_until all_up
	pids=$(group_pids "$leader" | sort -n | tr '\n' ',' | sed 's/,$//')
	npids=$(echo "$pids" | tr ',' '\n' | grep -c .)
	T new-window -d -t rl -n htop "exec env HOME=$RL_TMP/home TERM=xterm-256color htop -d 1 -p $pids"
	htop_up() { HTPID=$(T list-panes -a -F '#{window_name} #{pane_pid}' | awk '$1 == "htop" { print $2 }'); [ -n "$HTPID" ] && [ "$(cat "/proc/$HTPID/comm" 2>/dev/null)" = htop ]; }
	wait_until htop_up
	sleep 2 # both past their start-up
	r0=$(cpu_ticks "$SHPID") h0=$(cpu_ticks "$HTPID") w0=$(now_ns)
	sleep "$WIN"
	r1=$(cpu_ticks "$SHPID") h1=$(cpu_ticks "$HTPID") w1=$(now_ns)
	T kill-window -t rl:htop 2>/dev/null
	end_shell
	nf=$(frames_in "$STATS" "$w0" "$w1")
	set -- $(awk -v r=$((r1 - r0)) -v h=$((h1 - h0)) -v t="$clk_tck" -v nf="$nf" \
	             -v secs="$(awk -v a="$w0" -v b="$w1" 'BEGIN { print (b - a) / 1e9 }')" 'BEGIN {
		rms = r * 1000 / t; hms = h * 1000 / t; nh = 10 * secs
		printf "%.3f %.3f %.1f %d %.2f %.2f", rms / nf, hms / nh, secs, nh, rms, hms }')
	ratio=$(awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
	v=ok
	awk -v x="$ratio" 'BEGIN { exit !(x < 1) }' || v="racelab costs MORE per refresh"
	row "CPU per refresh, racelab / htop ($npids tasks)" "ratio < 1" \
		"$1 / $2 ms = $ratio" "$v"
	row "  over ${3} s: racelab $nf frames, htop $4 refreshes" "info" "CPU $5 ms / $6 ms" ""
else
	row "CPU per refresh, racelab / htop" "ratio < 1" "htop not installed" "SKIPPED"
fi

# ---- 1024 workers ------------------------------------------------------------------
# (The /proc sample of 512 tasks is measured directly by bench/procfs.c; the
# shell reads a slice of the tasks per frame, so its cost shows here.)
run_shell "--run 'race --mode thread --workers 1023 --iters 1000000000 --runs 1'" ""
wait_for "running pid" 20
sleep 3 # a measurement window: ~90 frames
end_shell
p99=$(work_of "$STATS" L | pct 99)
row "frame work p99, 1024 workers" "<= 5 ms" "$(us "$p99") us (p50 $(us "$(work_of "$STATS" L | median)"))" \
	"$(verdict "$(ms "$p99")" 5)"
set -- $(fps_gap "$STATS")
v=$(verdict "$1" 28 hi)
[ "$v" = ok ] && v=$(verdict "$2" 100)
row "fps / longest gap, 1024 busy workers" ">= 28, 100ms" "$1 fps / $2 ms" "$v"

# ---- 256 process workers: shown without a stall ---------------------------------
run_shell "--run 'race --mode process --workers 256 --iters 1000000000 --runs 1'" ""
wait_for "running pid" 20
sleep 3
end_shell
p99=$(work_of "$STATS" L | pct 99)
set -- $(fps_gap "$STATS")
v=$(verdict "$1" 28 hi)
[ "$v" = ok ] && v=$(verdict "$2" 100)
row "256 process workers: fps / longest gap" ">= 28, 100ms" "$1 fps / $2 ms (p99 $(us "$p99") us)" "$v"

# ---- observer effect ------------------------------------------------------------
# The CPU-bound lesson, standalone and watched live, alternated so that a
# burst of load hits both; compare the medians of its own timings.  The
# shell runs demos at nice +10 (so that it keeps drawing when the demo
# fills every core); the standalone run gets the same nice, so that other
# load on a shared machine treats both alike: what is left is the cost of
# being watched.
args="--mode thread --workers $NCPU --n 1000000000 --json"
job="cpu-bound $args"
: > "$RL_TMP/alone" ; : > "$RL_TMP/watched"
for i in $(seq 1 "$REPS"); do
	nice -n 10 "$RL_ROOT/bin/racelab-cpu-bound" $args | grep '^{' >> "$RL_TMP/alone"
	log="$RL_TMP/demo.$i"
	run_shell "--run '$job'" "RACELAB_DEMO_LOG=$log"
	got() { grep -q '^{' "$log" 2>/dev/null; }
	wait_until got
	end_shell
	grep '^{' "$log" >> "$RL_TMP/watched"
done
field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" "$2"; }
# Best of the runs: load from elsewhere only ever slows a run down, so the
# fastest run of each kind is the one least disturbed (medians in brackets).
cmp_row() { # NAME KEY
	a=$(field "$2" "$RL_TMP/alone" | pct 0) w=$(field "$2" "$RL_TMP/watched" | pct 0)
	am=$(field "$2" "$RL_TMP/alone" | median) wm=$(field "$2" "$RL_TMP/watched" | median)
	r=$(awk -v a="$a" -v w="$w" 'BEGIN { printf "%.3f", w / a }')
	d=$(awk -v r="$r" 'BEGIN { d = (r - 1) * 100; printf "%.1f", d < 0 ? -d : d }')
	v=$(verdict "$d" 2)
	[ "$v" = ok ] || v="OFF by $d%"
	row "$1" "within 2%" "$r ($w/$a; med $wm/$am)" "$v"
}
cmp_row "observer: watched/alone, parallel time" threads_ms
cmp_row "observer: watched/alone, serial (1 core)" serial_ms
sa=$(field measured_speedup "$RL_TMP/alone" | median) sw=$(field measured_speedup "$RL_TMP/watched" | median)
sd=$(awk -v a="$sa" -v w="$sw" 'BEGIN { d = (w - a) * 100 / a; printf "%.1f", d < 0 ? -d : d }')
v=$(verdict "$sd" 2)
[ "$v" = ok ] || v="OFF by $sd%"
row "observer: speedup watched / alone (medians)" "within 2%" "${sw}x / ${sa}x" "$v"
