"""Lesson 09 in Python: the sum of the squares of 1..N, serial, in threads
and in processes (multiprocessing.Pool), timed, as cpu_bound.c does in C.

Each worker sums its own slice of 1..N; the parts are added at the end.
Under the GIL (CPython before 3.13, and 3.13+ unless it is the
free-threaded build, PEP 703) only one thread runs Python bytecode at a
time, so threads do not speed this up; processes each have their own
interpreter and GIL.  Standard library only.
"""
import argparse
import json
import multiprocessing
import os
import platform
import sys
import threading
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


def squares(lo, hi):
    """The sum of i * i for lo <= i < hi."""
    return sum(i * i for i in range(lo, hi))


def timed_squares(lo, hi, clock):
    """squares(lo, hi) and the CPU seconds it took on clock (the thread's
    or the process's own)."""
    c0 = clock()
    total = squares(lo, hi)
    return total, clock() - c0


def slices(n, k):
    """1..n cut into k slices of nearly equal length, as (lo, hi) pairs."""
    return [(1 + n * w // k, 1 + n * (w + 1) // k) for w in range(k)]


def timed(f):
    t0 = time.perf_counter()
    total = f()
    return total, (time.perf_counter() - t0) * 1000


def in_threads(parts):
    out = [None] * len(parts)

    def work(i, lo, hi):
        out[i] = timed_squares(lo, hi, time.thread_time)
    ts = [threading.Thread(target=work, args=(i, lo, hi)) for i, (lo, hi) in enumerate(parts)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return out


def in_processes(parts):
    with multiprocessing.Pool(len(parts)) as pool:
        return pool.starmap(timed_squares, [(lo, hi, time.process_time) for lo, hi in parts])


def one_run(args):
    n, parts = args.n, slices(args.n, args.workers)
    expected = n * (n + 1) * (2 * n + 1) // 6
    serial, serial_ms = timed(lambda: squares(1, n + 1))
    rec = {"n": n, "workers": args.workers, "ncpu": len(os.sched_getaffinity(0)),
           "expected": str(expected), "serial_ms": serial_ms, "serial_sum": str(serial)}
    sums = [serial]
    # parallelism: the workers' CPU seconds per second of wall time, the
    # number of cores they kept busy (under the GIL threads keep one).
    for kind, run in (("threads", in_threads), ("processes", in_processes)):
        if args.parallel not in (kind, "both"):
            continue
        out, ms = timed(lambda: run(parts))
        total = sum(part for part, _ in out)
        rec.update({kind + "_ms": ms, kind + "_speedup": serial_ms / ms,
                    kind + "_sum": str(total),
                    kind + "_parallelism": sum(cpu for _, cpu in out) * 1000 / ms})
        sums.append(total)
    rec["correct"] = all(s == expected for s in sums)
    return rec


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=3000000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--parallel", choices=["threads", "processes", "both"], default="both")
    p.add_argument("--runs", type=int, default=1)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    if args.n < 1 or args.workers < 1 or args.runs < 1:
        p.error("--n, --workers and --runs must be >= 1")
    for run in range(1, args.runs + 1):
        rec = one_run(args)
        rec["run"] = run
        if not args.json:
            print(f"run {run}: sum of squares of 1..{args.n} = {rec['serial_sum']} "
                  f"({'correct' if rec['correct'] else 'WRONG'}), Python {platform.python_version()}, "
                  f"GIL {'on' if gil_enabled() else 'off'}")
            print(f"  serial     {rec['serial_ms']:9.1f} ms")
            for k in ("threads", "processes"):
                if k + "_ms" in rec:
                    print(f"  {k:<10} {rec[k + '_ms']:9.1f} ms  speedup {rec[k + '_speedup']:.2f}"
                          f"  cores busy {rec[k + '_parallelism']:.2f}  ({args.workers} {k})")
        emit(rec, args.json)


if __name__ == "__main__":
    main()
