#!/usr/bin/env python3
"""Runs one command (stdout and stderr to /dev/null) and prints
`wall_ms cpu_ms exit_status`: wall time around the child only, and the
child's own user+system CPU time (wait4), so the Python start-up is not in
either number. Used by the benchmarks/ scripts."""
import os
import subprocess
import sys
import time

start = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
wall = (time.perf_counter() - start) * 1000
cpu = (usage.ru_utime + usage.ru_stime) * 1000
print(f"{wall:.1f} {cpu:.1f} {os.waitstatus_to_exitcode(status)}")
