"""Lesson 06 in Python: multiprocessing.Queue and Pipe between processes.

queue: a child process puts "Processed Data" on a Queue, the parent gets
it (before joining the child: a child whose data is still in the pipe
underneath cannot exit).  duplex: over a two-way Pipe the parent asks N
numbers and the child answers each doubled.  transfer: --messages
numbered messages of --size bytes go one way through a Pipe; the parent
checks each arrives once, in order, intact.  Everything travels pickled.
Standard library only.
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


def producer(q):
    q.put(("Processed Data", os.getpid()))


def doubler(conn):
    while (x := conn.recv()) is not None:
        conn.send(2 * x)


def sender(conn, n, size):
    for i in range(n):
        conn.send((i, bytes([i % 256]) * size))
    conn.send(None)
    conn.close()


def one_run(args):
    rec = {"ncpu": len(os.sched_getaffinity(0)), "lesson_pid": os.getpid()}
    q = multiprocessing.Queue()
    p = multiprocessing.Process(target=producer, args=(q,))
    p.start()
    got, pid = q.get()  # get, then join
    p.join()
    rec.update(queue_got=got, queue_got_len=len(got), queue_worker_pid=pid)

    parent, child = multiprocessing.Pipe()  # duplex by default
    p = multiprocessing.Process(target=doubler, args=(child,))
    p.start()
    t0 = time.perf_counter()
    ok = 0
    for x in range(args.round_trips):
        parent.send(x)
        ok += parent.recv() == 2 * x
    us = (time.perf_counter() - t0) * 1e6 / max(args.round_trips, 1)
    parent.send(None)
    p.join()
    rec.update(duplex_asked=args.round_trips, duplex_answered_ok=ok,
               duplex_us_per_round_trip=us)

    recv_end, send_end = multiprocessing.Pipe(duplex=False)
    p = multiprocessing.Process(target=sender, args=(send_end, args.messages, args.size))
    t0 = time.perf_counter()
    p.start()
    send_end.close()  # ours: only the child writes
    received = in_order = corrupt = 0
    while (m := recv_end.recv()) is not None:
        i, data = m
        in_order += i == received
        corrupt += data != bytes([i % 256]) * args.size
        received += 1
    ms = (time.perf_counter() - t0) * 1000
    p.join()
    rec.update(messages=args.messages, size=args.size, pipe_sent=args.messages,
               pipe_received=received, pipe_corrupt=corrupt,
               pipe_exactly_once_in_order=in_order == received == args.messages,
               pipe_ms=ms, pipe_msgs_s=received / (ms / 1000),
               pipe_mb_s=received * args.size / (ms / 1000) / 1e6)
    return rec


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--round-trips", type=int, default=1000)
    p.add_argument("--messages", type=int, default=20000)
    p.add_argument("--size", type=int, default=1024, help="bytes per message")
    p.add_argument("--runs", type=int, default=1)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    if args.round_trips < 0 or args.messages < 1 or args.size < 1 or args.runs < 1:
        p.error("--messages, --size and --runs must be >= 1, --round-trips >= 0")
    for run in range(1, args.runs + 1):
        rec = one_run(args)
        rec["run"] = run
        if not args.json:
            print(f"run {run}: Python {platform.python_version()}")
            print(f"  queue:    got {rec['queue_got']!r} from process {rec['queue_worker_pid']}")
            print(f"  duplex:   {rec['duplex_answered_ok']} of {rec['duplex_asked']} answers "
                  f"right, {rec['duplex_us_per_round_trip']:.1f} us per round trip")
            print(f"  transfer: {rec['pipe_received']} of {rec['pipe_sent']} messages of "
                  f"{args.size} bytes, {'each once, in order' if rec['pipe_exactly_once_in_order'] else 'NOT in order'}"
                  f"{', intact' if not rec['pipe_corrupt'] else ', %d DAMAGED' % rec['pipe_corrupt']}"
                  f", {rec['pipe_ms']:.0f} ms = {rec['pipe_msgs_s']:.0f} messages/s")
        emit(rec, args.json)


if __name__ == "__main__":
    main()
