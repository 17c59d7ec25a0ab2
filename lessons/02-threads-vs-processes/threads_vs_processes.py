"""Lesson 02 in Python: the same CPU-bound loop in threads and in processes.

Every worker counts down from --count.  Threads share one interpreter and,
under the GIL, take turns running bytecode (one at a time, whatever the
number of cores); processes are interpreters of their own, one GIL each,
and run at the same time on different cores.  The record names each
worker's PID and TID, as threads_vs_processes.c does: the threads share the
program's PID, each process has its own.  Standard library only.
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
    # sys._is_gil_enabled() exists from 3.13 (the optional free-threaded
    # build of PEP 703); before 3.13 the GIL is always on.
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


def count_down(n, ids):
    """The CPU-bound work; ids (a list, or a Queue from a process) gets
    (pid, tid, ppid) of whoever ran it."""
    while n > 0:
        n -= 1
    me = (os.getpid(), threading.get_native_id(), os.getppid())
    ids.append(me) if isinstance(ids, list) else ids.put(me)


def timed(start_all):
    t0 = time.perf_counter()
    start_all()
    return (time.perf_counter() - t0) * 1000


def cpu_s():
    """CPU seconds so far of this process (all its threads) and of its
    children that have been waited for."""
    t = os.times()
    return t.user + t.system, t.children_user + t.children_system


def run_threads(workers, count):
    ids = []
    ts = [threading.Thread(target=count_down, args=(count, ids)) for _ in range(workers)]
    ms = timed(lambda: ([t.start() for t in ts], [t.join() for t in ts]))
    return ms, ids


def run_processes(workers, count):
    ids = []
    q = multiprocessing.Queue()  # the children's ids come back through it
    ps = [multiprocessing.Process(target=count_down, args=(count, q))
          for _ in range(workers)]
    # Get before join: a child exits only once what it put has been read.
    ms = timed(lambda: ([p.start() for p in ps], ids.extend(q.get() for _ in ps),
                        [p.join() for p in ps]))
    return ms, ids


def one_run(args):
    serial_ms = timed(lambda: [count_down(args.count, []) for _ in range(args.workers)])
    # Parallelism: CPU seconds spent per second of wall time.  Under the
    # GIL the threads together use about one CPU, however many there are.
    own0, kids0 = cpu_s()
    threads_ms, tids = run_threads(args.workers, args.count)
    own1, kids1 = cpu_s()
    processes_ms, pids = run_processes(args.workers, args.count)
    own2, kids2 = cpu_s()
    return {"workers": args.workers, "count": args.count,
            "cpus": len(os.sched_getaffinity(0)), "parent_pid": os.getpid(),
            "serial_ms": serial_ms, "threads_ms": threads_ms, "processes_ms": processes_ms,
            "threads_speedup": serial_ms / threads_ms,
            "threads_parallelism": (own1 - own0) * 1000 / threads_ms,
            "processes_parallelism": (kids2 - kids1) * 1000 / processes_ms,
            "processes_speedup": serial_ms / processes_ms,
            "thread_pids": [i[0] for i in tids], "thread_tids": [i[1] for i in tids],
            "process_pids": [i[0] for i in pids], "process_ppids": [i[2] for i in pids]}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--count", type=int, default=3000000, help="each worker counts down from N")
    p.add_argument("--runs", type=int, default=1)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    if args.workers < 1 or args.count < 0 or args.runs < 1:
        p.error("--workers and --runs must be >= 1, --count >= 0")
    for run in range(1, args.runs + 1):
        rec = one_run(args)
        rec["run"] = run
        if not args.json:
            print(f"run {run}: {args.workers} workers count down from {args.count} "
                  f"(Python {platform.python_version()}, GIL {'on' if gil_enabled() else 'off'}, "
                  f"{rec['cpus']} CPUs)")
            print(f"  one after another {rec['serial_ms']:8.1f} ms")
            print(f"  threads           {rec['threads_ms']:8.1f} ms  speedup "
                  f"{rec['threads_speedup']:.2f}  CPUs busy {rec['threads_parallelism']:.2f}  PIDs {sorted(set(rec['thread_pids']))}")
            print(f"  processes         {rec['processes_ms']:8.1f} ms  speedup "
                  f"{rec['processes_speedup']:.2f}  CPUs busy {rec['processes_parallelism']:.2f}  PIDs {sorted(set(rec['process_pids']))}")
        emit(rec, args.json)


if __name__ == "__main__":
    main()
