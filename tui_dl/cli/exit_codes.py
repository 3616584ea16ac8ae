"""The exit codes of every tui-dl command (the README's troubleshooting section lists what each one prints)."""

EXIT_OK = 0           # done: the run finished, the network is valid
EXIT_FAILED = 1       # training failed (diverged, out of memory...)
EXIT_BAD_INPUT = 2    # a bad experiment file, data folder, checkpoint or command line
EXIT_INTERRUPTED = 130  # Ctrl+C (or SIGTERM): stopped cleanly, resumable
