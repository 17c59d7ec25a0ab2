"""Lesson 08 in Python: multiprocessing.Pool's map and starmap, and a pool
that loses to a plain loop on tiny tasks.

map(square, 1..6) sends each number to a worker process and brings the
squares back in order; starmap(pow, pairs) does the same with argument
tuples.  Every argument and result travels pickled through a pipe, so for
a task as small as x * x the travel costs more than the work: the plain
loop wins.  Standard library only.
"""
import argparse
import json
import multiprocessing
import os
import platform
import sys
import time


def gil_enabled():
    # sys._is_gil_enabled() exists from 3.13; before it the GIL is always on.
    return getattr(sys, "_is_gil_enabled", lambda: True)()


def emit(rec, json_only):
    """One JSON record per run (as the C programs' --json); the racelab
    shell asks for it beside the text (RACELAB_JSON_FD=1)."""
    rec["python"] = platform.python_version()
    rec["gil"] = gil_enabled()
    line = json.dumps(rec)
    if json_only:
        print(line, flush=True)
    if os.environ.get("RACELAB_JSON_FD") == "1":
        print("\x1e" + line, flush=True)


def square(x):
    return x * x


def worker_pid(_):
    time.sleep(0.02)  # long enough that an idle worker takes the next task
    return os.getpid()


def ms_since(t0):
    return (time.perf_counter() - t0) * 1000


def one_run(args):
    nums = list(range(1, 7))
    pairs = [(x, 3) for x in nums]
    tiny = list(range(args.tasks))
    with multiprocessing.Pool(args.pool) as pool:
        squares = pool.map(square, nums)
        cubes = pool.starmap(pow, pairs)
        pids = pool.map(worker_pid, range(4 * args.pool), chunksize=1)
        t0 = time.perf_counter()
        pooled = pool.map(square, tiny, chunksize=args.chunksize)
        tiny_pool_ms = ms_since(t0)
    # The loop takes a fraction of a millisecond: timed once, one
    # preemption on a busy machine makes it ten times as long.  Best of 5.
    tiny_serial_ms = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        looped = [square(x) for x in tiny]
        tiny_serial_ms = min(tiny_serial_ms, ms_since(t0))
    return {"pool": args.pool, "ncpu": len(os.sched_getaffinity(0)), "squares": squares,
            "squares_equal_serial": squares == [square(x) for x in nums],
            "starmap": cubes, "starmap_equal_serial": cubes == [pow(x, y) for x, y in pairs],
            "workers_used": len(set(pids)), "tasks": args.tasks, "chunksize": args.chunksize,
            "tiny_equal": pooled == looped, "tiny_pool_ms": tiny_pool_ms,
            "tiny_serial_ms": tiny_serial_ms, "tiny_pool_vs_loop": tiny_pool_ms / tiny_serial_ms}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pool", type=int, default=2, help="worker processes")
    p.add_argument("--tasks", type=int, default=5000, help="tiny tasks (x * x) for the race")
    p.add_argument("--chunksize", type=int, default=1, help="tasks per trip to a worker")
    p.add_argument("--runs", type=int, default=1)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    if args.pool < 1 or args.tasks < 1 or args.chunksize < 1 or args.runs < 1:
        p.error("--pool, --tasks, --chunksize and --runs must be >= 1")
    for run in range(1, args.runs + 1):
        rec = one_run(args)
        rec["run"] = run
        if not args.json:
            print(f"run {run}: Pool({args.pool}), Python {platform.python_version()}")
            print(f"  map(square, 1..6)        -> {rec['squares']}")
            print(f"  starmap(pow, (x, 3)...)  -> {rec['starmap']}")
            print(f"  {rec['workers_used']} worker processes answered")
            print(f"  {args.tasks} tiny tasks: pool {rec['tiny_pool_ms']:.1f} ms "
                  f"(chunksize {args.chunksize}), plain loop {rec['tiny_serial_ms']:.1f} ms: "
                  f"the pool takes {rec['tiny_pool_vs_loop']:.0f}x as long")
        emit(rec, args.json)


if __name__ == "__main__":
    main()
