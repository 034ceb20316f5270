#!/usr/bin/env python3
"""Splits async-profiler collapsed stacks (one file per process) into categories of CPU use.

Usage: profile-summary.py FILE.collapsed...

Each stack counts once, for the first category (in the order below) that one of its frames
matches; the categories are coarse on purpose: they say where the time goes, not which method.
"""
import collections
import os
import sys

CATEGORIES = [
    ("context switch", lambda fr: fr[-1].startswith("finish_task_switch")),
    ("fsync", lambda fr: any("fsync" in f or "FileDispatcherImpl.force" in f for f in fr)),
    ("JIT compiler", lambda fr: any("CompileBroker" in f for f in fr)),
    ("GC", lambda fr: any(("GC" in f and "::" in f) or "VM_Thread" in f or "VMThread" in f
                          or "DefNew" in f or "SerialHeap" in f for f in fr)),
    ("thread creation", lambda fr: any("ThreadPerTaskExecutor" in f or "Thread.start" in f for f in fr)),
    ("RocksDB", lambda fr: any("rocksdb" in f.lower() for f in fr)),
    ("socket I/O, epoll", lambda fr: any(x in f for f in fr for x in (
        "writev", "sendmsg", "recvfrom", "tcp_", "epoll", "Native.read", "FileDispatcherImpl.read",
        "FileDispatcherImpl.write", "IOUtil.read", "IOUtil.write", "eventfd"))),
    ("park/unpark (futex)", lambda fr: any("futex" in f or "Unsafe.park" in f or "Unsafe.unpark" in f for f in fr)),
    ("Ratis log", lambda fr: any("SegmentedRaftLog" in f for f in fr)),
    ("gRPC", lambda fr: any("grpc" in f for f in fr)),
    ("state machine apply", lambda fr: any("StateMachineUpdater" in f for f in fr)),
    ("Ratis, other", lambda fr: any("org/apache/ratis" in f for f in fr)),
    ("dtm engines", lambda fr: any("CoordinatorEngine" in f or "ParticipantEngine" in f for f in fr)),
    ("Netty", lambda fr: any("io/netty" in f for f in fr)),
]


def categorize(path):
    counts = collections.Counter()
    total = 0
    with open(path) as lines:
        for line in lines:
            stack, _, n = line.rstrip().rpartition(" ")
            if not stack:
                continue
            n = int(n)
            total += n
            frames = stack.split(";")
            for name, matches in CATEGORIES:
                if matches(frames):
                    counts[name] += n
                    break
            else:
                counts["other"] += n
    return total, counts


def main(paths):
    if not paths:
        print(__doc__.strip(), file=sys.stderr)
        return 64
    overall = collections.Counter()
    grand = 0
    for path in sorted(paths):
        total, counts = categorize(path)
        if total == 0:
            continue
        grand += total
        overall.update(counts)
        shares = ", ".join(f"{k} {v * 100 / total:.0f}%" for k, v in counts.most_common())
        print(f"{os.path.basename(path)} ({total} samples): {shares}")
    if grand:
        shares = ", ".join(f"{k} {v * 100 / grand:.1f}%" for k, v in overall.most_common())
        print(f"all processes ({grand} samples): {shares}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
