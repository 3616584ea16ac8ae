"""``python -m benchmarks.rss_launcher OUTFILE CMD...``: run CMD (same stdin/stdout/stderr), then write its peak
RSS in KiB (ru_maxrss of that child) to OUTFILE, and exit with its exit status.

Why a launcher: on Linux a process's ru_maxrss also counts the memory of the process it was exec'ed from
(the kernel keeps the old mm's high-water mark at exec). A child started directly from the benchmark process
(a gigabyte of torch, data and Textual) would report the benchmark's size. This launcher is a fresh, small
interpreter; its child's peak is its own.
"""

import resource
import subprocess
import sys

out, cmd = sys.argv[1], sys.argv[2:]
rc = subprocess.call(cmd)
with open(out, "w") as f:
    f.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(rc if rc >= 0 else 128 - rc)
