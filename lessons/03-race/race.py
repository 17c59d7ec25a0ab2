"""Lesson 03 in Python: the bank balance race, with multiprocessing.Value.

The balance starts at 100.  Odd workers withdraw 1, even workers deposit 1,
--iters times each.  --sync none does `balance.value += 1`: a Value made
with the default lock=True takes its lock for the read and again for the
write, never around both, so two workers can read the same balance and one
update is lost.  --sync lock holds `balance.get_lock()` around the whole
update.  --mode thread runs the workers as threads of one process, on a
plain int, under the GIL.  Standard library only.
"""
import argparse
import json
import multiprocessing
import os
import platform
import sys
import threading
import time

START = 100


def gil_enabled():
    # sys._is_gil_enabled() exists from 3.13 (the free-threaded build of
    # PEP 703 can run without the GIL); before 3.13 the GIL is always on.
    return getattr(sys, "_is_gil_enabled", lambda: True)()


def emit(rec, json_only):
    """One JSON record per run, as the C programs print with --json; the
    racelab shell asks for it beside the text (RACELAB_JSON_FD=1)."""
    rec["python"] = platform.python_version()
    rec["gil"] = gil_enabled()
    line = json.dumps(rec)
    if json_only:
        print(line, flush=True)
    if os.environ.get("RACELAB_JSON_FD") == "1":
        print("\x1e" + line, flush=True)


def update_value(balance, step, iters, sync):
    for _ in range(iters):
        if sync == "lock":
            with balance.get_lock():  # one lock around read and write
                balance.value += step
        else:
            balance.value += step  # read (locked), then write (locked)


class Box:
    value = START


def update_plain(box, step, iters, sync, lock):
    for _ in range(iters):
        if sync == "lock":
            with lock:
                box.value += step
        else:
            box.value += step


def one_run(args):
    t0 = time.perf_counter()
    steps = [-1 if w % 2 == 0 else 1 for w in range(args.workers)]
    if args.mode == "process":
        balance = multiprocessing.Value("q", START)  # lock=True by default
        workers = [multiprocessing.Process(target=update_value,
                                           args=(balance, s, args.iters, args.sync))
                   for s in steps]
    else:
        balance, lock = Box(), threading.Lock()
        workers = [threading.Thread(target=update_plain,
                                    args=(balance, s, args.iters, args.sync, lock))
                   for s in steps]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    final = balance.value
    expected = START + sum(steps) * args.iters
    return {"workers": args.workers, "iters": args.iters, "expected": expected,
            "final": final, "lost": abs(final - expected),
            "elapsed_ms": (time.perf_counter() - t0) * 1000, "sync": args.sync,
            "mode": args.mode, "cpus": len(os.sched_getaffinity(0)),
            # how often a waiting thread asks for the GIL (threads only)
            "switch_interval_ms": sys.getswitchinterval() * 1000}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--iters", type=int, default=20000)
    p.add_argument("--sync", choices=["none", "lock"], default="none")
    p.add_argument("--mode", choices=["process", "thread"], default="process")
    p.add_argument("--cpus", type=int, default=0, help="run on N CPUs only")
    p.add_argument("--runs", type=int, default=1)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    if args.workers < 1 or args.iters < 0 or args.runs < 1 or args.cpus < 0:
        p.error("--workers and --runs must be >= 1, --iters and --cpus >= 0")
    if args.cpus:
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:args.cpus])
    for run in range(1, args.runs + 1):
        rec = one_run(args)
        rec["run"] = run
        if not args.json:
            print(f"run {run}: {args.workers} {args.mode}{'es' if args.mode == 'process' else 's'}, {args.iters} updates each, "
                  f"sync {args.sync}: balance {rec['final']} (expected {rec['expected']}, "
                  f"lost {rec['lost']}) in {rec['elapsed_ms']:.0f} ms on {rec['cpus']} CPU(s)")
        emit(rec, args.json)


if __name__ == "__main__":
    main()
