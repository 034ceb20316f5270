#!/usr/bin/env python3
"""CPU used by each process of a running cluster over a window, from /proc.

Usage: cpu-share.py SECONDS DIR
Reads DIR/*.pid (the files `dtm cluster start` writes), samples user+system time of each process
and of the whole machine at the start and the end of the window, and prints one JSON object:
  {"seconds": S, "cpuPercent": {"n1": 59.3, ...}, "machineBusyPercent": 191.2}
cpuPercent is in % of one core (200 = two cores busy); machineBusyPercent is everything but idle
and iowait, kernel included. A process that exits during the window is left out.
"""
import glob
import json
import os
import sys
import time


def process_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        # Fields after the command name, which may contain spaces and parentheses.
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def machine_ticks():
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values[:8]) - idle


def main(seconds, directory):
    pids = {}
    for path in sorted(glob.glob(os.path.join(directory, "*.pid"))):
        with open(path) as f:
            pids[os.path.basename(path)[:-len(".pid")]] = int(f.read().strip())
    start = {}
    for name, pid in pids.items():
        try:
            start[name] = process_ticks(pid)
        except OSError:
            pass
    busy_start = machine_ticks()
    began = time.monotonic()
    time.sleep(seconds)
    elapsed = time.monotonic() - began
    hz = os.sysconf("SC_CLK_TCK")
    cpu = {}
    for name, ticks in start.items():
        try:
            cpu[name] = round((process_ticks(pids[name]) - ticks) * 100 / hz / elapsed, 1)
        except OSError:
            pass
    busy = round((machine_ticks() - busy_start) * 100 / hz / elapsed, 1)
    print(json.dumps({"seconds": round(elapsed, 1), "cpuPercent": cpu, "machineBusyPercent": busy}))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(float(sys.argv[1]), sys.argv[2])
