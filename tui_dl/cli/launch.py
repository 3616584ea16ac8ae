"""``tui-dl --batch FILE --nproc N``: the same run as ``torchrun --nproc-per-node N -m tui_dl --batch FILE``.

:func:`launch` starts ``torch.distributed.run`` in this process, standalone on this machine, with its rendezvous
on a free port that it prints (two runs at once never clash), and N copies of ``python -m tui_dl --batch FILE
...`` (the command line without ``--nproc``) as its ranks. The ranks do the rest (see
:mod:`tui_dl.core.training.distributed`). Ctrl+C or SIGTERM to this process reaches every rank, which agree on
the step to stop at; rank 0 writes one checkpoint. A rank that dies is named here, from torchrun's report.

Several machines: run ``torchrun`` itself on each (the README, "Many GPUs and machines").
"""

from __future__ import annotations

import os
import signal
import socket
import sys

from tui_dl.cli.exit_codes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from tui_dl.core.i18n import _, ngettext

__all__ = ["launch", "strip_nproc", "free_port", "worker_argv"]

#: Seconds torchrun gives the ranks to stop (save their checkpoint) after a signal before it kills them.
SHUTDOWN_GRACE = 30


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def strip_nproc(argv: list[str]) -> list[str]:
    """``argv`` without ``--nproc N`` / ``--nproc=N`` (what each rank runs)."""
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
            continue
        if a == "--nproc":
            skip = True
            continue
        if a.startswith("--nproc="):
            continue
        out.append(a)
    return out


def worker_argv(nproc: int, port: int, argv: list[str]) -> list[str]:
    """torchrun's arguments: standalone on this machine, ``nproc`` ranks of ``python -m tui_dl ARGV``."""
    return ["--nnodes", "1", "--nproc-per-node", str(nproc), "--rdzv-backend", "c10d",
            "--rdzv-endpoint", f"127.0.0.1:{port}", "--rdzv-id", f"tui-dl-{os.getpid()}-{port}",
            "--max-restarts", "0", "--monitor-interval", "0.2", "--redirects", "0",
            "-m", "tui_dl", *strip_nproc(argv)]


def _how(f, rank: int, pid=None) -> str:
    """"rank R (pid P) was killed by SIGKILL" (without the pid when ``pid`` is None), "rank R exited with code 1"."""
    code = getattr(f, "exitcode", None)
    who = (_("rank {rank} (pid {pid})").format(rank=rank, pid=pid) if pid is not None
           else _("rank {rank}").format(rank=rank))
    if code is not None and code < 0:
        try:
            return _("{rank} was killed by {signal}").format(rank=who, signal=signal.Signals(-code).name)
        except ValueError:
            return _("{rank} was killed by signal {number}").format(rank=who, number=-code)
    return _("{rank} exited with code {code}").format(rank=who, code=code)


def _failures_text(err) -> str:
    """Which rank failed first (named, with how), then the ranks stopped after it, from ChildFailedError."""
    failures = getattr(err, "failures", {}) or {}
    if not failures:
        return _("tui-dl: a rank failed")
    def order(r):  # killed by a signal other than SIGTERM (torchrun stops the others with it), failed, stopped
        code = getattr(failures[r], "exitcode", None)
        kind = 2 if code == -signal.SIGTERM else (0 if code is not None and code < 0 else 1)
        return kind, getattr(failures[r], "timestamp", 0), r

    first = min(failures, key=order)
    f = failures[first]
    lines = ["tui-dl: " + _how(f, first, getattr(f, "pid", "?"))]
    others = [r for r in sorted(failures) if r != first]
    if others:
        # TRANSLATORS: {ranks} lists the ranks that stopped after the first failure, e.g. "rank 1 exited with code 1"
        lines.append(_("tui-dl: then {ranks}").format(ranks=", ".join(_how(failures[r], r) for r in others)))
    return "\n".join(lines)


def launch(args) -> int:
    """Run ``args`` (``tui-dl --batch ... --nproc N``) on N ranks of this machine; returns the exit code."""
    n = int(args.nproc)
    if n < 1:
        print(_("tui-dl: --nproc needs a number of processes ≥ 1"), file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        from torch.distributed.elastic.multiprocessing.api import SignalException
        from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
        from torch.distributed.run import parse_args, run
    except ImportError as e:
        print(_("tui-dl: --nproc needs torch.distributed ({why})").format(why=e), file=sys.stderr)
        return EXIT_BAD_INPUT
    port = free_port()
    print(ngettext("tui-dl: launching {n} rank on this machine (torch.distributed.run, rendezvous "
                   "127.0.0.1:{port}); rank 0 prints, the others log into RUN/ranks/",
                   "tui-dl: launching {n} ranks on this machine (torch.distributed.run, rendezvous "
                   "127.0.0.1:{port}); rank 0 prints, the others log into RUN/ranks/", n).format(n=n, port=port),
          file=sys.stderr, flush=True)
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # the ranks choose their threads (cores / ranks)
    import logging

    for name in list(logging.Logger.manager.loggerDict):  # torchrun's own lines: the ranks' messages say it
        if name.startswith("torch.distributed.elastic") and name != "torch.distributed.elastic.multiprocessing.api":
            logging.getLogger(name).setLevel(logging.ERROR)
    try:
        run(parse_args(worker_argv(n, port, list(getattr(args, "argv", sys.argv[1:])))))
    except SignalException as e:
        print(_("tui-dl: {signal}: every rank was asked to stop (rank 0 saves a checkpoint)").format(
            signal=signal.Signals(e.sigval).name), file=sys.stderr, flush=True)
        return EXIT_INTERRUPTED
    except ChildFailedError as e:
        codes = {getattr(f, "exitcode", None) for f in e.failures.values()}
        if codes <= {EXIT_INTERRUPTED}:
            return EXIT_INTERRUPTED
        if codes <= {EXIT_BAD_INPUT}:
            return EXIT_BAD_INPUT
        print(_failures_text(e) + "\n" + _("tui-dl: the distributed run failed; the other ranks were stopped"),
              file=sys.stderr, flush=True)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    return EXIT_OK
