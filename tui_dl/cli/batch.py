"""``tui-dl --batch FILE``: train headless and print progress.

Output
    on a terminal   a header, one live progress line (rewritten with \\r), one line per epoch, the result
    piped           the header, one plain line per epoch (flushed), the result
    --jsonl         every event as one JSON object per line on stdout; the human text goes to stderr
    --quiet         only the final result line

Exit codes: 0 finished, 1 training failed (diverged, out of memory, disk full), 2 bad config/data/device,
130 interrupted (Ctrl+C or SIGTERM; a checkpoint is saved first, resume with --resume RUN_DIR).

torch is imported only after the experiment file has been validated, so config mistakes are reported
in a fraction of a second.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import sys
import textwrap
import threading
import time
from pathlib import Path

from tui_dl.cli.exit_codes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from tui_dl.core.device_names import device_text
from tui_dl.core.i18n import N_, _, ljust, ngettext, rjust, text_width, truncate
from tui_dl.core.paths import PathProblem, expand_user
from tui_dl.core.runs.lock import LOCK_NAME, RunFolderBusy, RunLock
from tui_dl.core.training.events import advice_text, notice_text
from tui_dl.core.training.rate import RateMeter

#: On a terminal the live progress line is rewritten at most this often (seconds): a fast GPU run logs hundreds of
#: steps a second, and writing each one to the terminal would cost more than the steps.
LIVE_EVERY = 0.1

_BOLD, _RED, _YELLOW, _GREEN, _DIM, _RESET = "\x1b[1m", "\x1b[31m", "\x1b[33m", "\x1b[32m", "\x1b[2m", "\x1b[0m"


def _fmt_time(s: float | None) -> str:
    if s is None or not math.isfinite(s):
        return "?"
    s = int(round(s))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def _fmt_secs(s: float) -> str:
    return f"{s:.1f}s" if s < 60 else _fmt_time(s)


def _pct(v: float | None) -> str:
    return "—" if v is None or not math.isfinite(v) else f"{100 * v:.2f}%"


def _num(v: float | None) -> str:
    return "—" if v is None else f"{v:.4f}"


def confusion_text(confusion: list[list[int]], classes: list[str], max_classes: int = 20) -> str:
    """A compact confusion matrix (rows = true class, columns = predicted) with per-class accuracy."""
    k = len(confusion)
    if k == 0:
        return ""
    acc = [row[i] / sum(row) if sum(row) else float("nan") for i, row in enumerate(confusion)]
    if k > max_classes:
        worst = sorted(range(k), key=lambda i: acc[i] if math.isfinite(acc[i]) else 2.0)[:5]
        return _("worst classes: {classes}").format(classes=", ".join(f"{classes[i]} {_pct(acc[i])}" for i in worst))
    plain = [str(c) for c in classes] == [str(i) for i in range(k)]
    names = [("" if plain else truncate(str(c), 12)) for c in classes]
    lw = max(text_width(n) for n in names) + len(str(k - 1)) + (0 if plain else 1)
    cw = max(4, max(len(str(v)) for row in confusion for v in row) + 1)
    # TRANSLATORS: the column of per-class accuracy in the confusion matrix (keep it short: 3-6 cells)
    head = " " * (lw + 2) + "".join(str(j).rjust(cw) for j in range(k)) + rjust(_("acc"), 9)
    lines = [_("confusion matrix (rows: true class, columns: predicted class)"), head]
    for i, row in enumerate(confusion):
        label = ljust(f"{i} {names[i]}" if names[i] else str(i), lw)
        cells = "".join(str(v).rjust(cw) for v in row)
        lines.append(f"  {label}{cells}  {_pct(acc[i]).rjust(7)}")
    return "\n".join(lines)


#: The levels of notices, as the warning lines show them.
_LEVELS = {"warning": N_("warning"), "error": N_("error")}


def _field(label: str, value: str) -> str:
    """A header line: the (translated) label padded to 12 cells, then the value."""
    return "  " + ljust(label, 11) + " " + value


def _wrap(text: str, width: int) -> list[str]:
    """``textwrap.wrap`` by cells: Chinese has no spaces and a character takes 2 cells."""
    if text.isascii():
        return textwrap.wrap(text, width)
    lines: list[str] = []
    for word_line in textwrap.wrap(text, width):
        while text_width(word_line) > width:
            cut = truncate(word_line, width, "")
            lines.append(cut)
            word_line = word_line[len(cut):]
        lines.append(word_line)
    return lines


class _Printer:
    """Formats events for people (the JSON stream, if any, is written separately)."""

    def __init__(self, stream, *, quiet: bool, color: bool):
        self.out = stream
        self.quiet = quiet
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.color = color and self.tty
        self.live = False  # a \r progress line is showing
        self.started = None
        self.diverged_ev = None
        self.rate = RateMeter()  # the progress line's img/s, smoothed as the app's log smooths it
        self._live_at = -1e9     # when the live line was last written (LIVE_EVERY)

    def c(self, text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if self.color else text

    def _clear_live(self):
        if self.live:
            self.out.write("\r\x1b[K")
            self.live = False

    def line(self, text: str = "", *, force: bool = False, stream=None) -> None:
        if self.quiet and not force:
            return
        s = stream or self.out
        if s is self.out:
            self._clear_live()
        print(text, file=s, flush=True)

    def warn(self, text: str) -> None:
        """Warnings always go to stderr (after clearing our live progress line)."""
        self._clear_live()
        self.out.flush()
        color = self.color and sys.stderr.isatty()
        print(f"{_YELLOW}{text}{_RESET}" if color else text, file=sys.stderr, flush=True)

    # -- events ------------------------------------------------------------------------------
    def started_run(self, ev) -> None:
        self.started = ev
        sizes = _("{train:,} train / {val:,} val / {test:,} test").format(
            train=ev.train_size, val=ev.val_size, test=ev.test_size)
        if ev.resumed_from:
            self.line(self.c(_("{name}: resuming from {path} at epoch {epoch}").format(
                name=ev.name, path=ev.resumed_from, epoch=ev.start_epoch), _BOLD))
        else:
            self.line(self.c(ev.name, _BOLD))
        self.line(_field(_("dataset"), f"{ev.dataset} ({sizes})"))
        self.line(_field(_("device"), device_text(ev.device_name) + (f"  [{ev.device}]" if ev.device != "cpu" else "")))
        self.line(_field(_("network"), ngettext("{n:,} parameter", "{n:,} parameters", ev.params).format(n=ev.params)))
        self.line(_field(_("schedule"), ngettext("{epochs} epoch × {steps:,} steps", "{epochs} epochs × {steps:,} steps",
                                                 ev.epochs).format(epochs=ev.epochs, steps=ev.steps_per_epoch)))
        self.line(_field(_("run folder"), str(ev.run_dir)))
        pv = ev.provenance or {}
        if pv:
            v = pv.get("versions", {})
            self.line(self.c(_field(_("provenance"), _(
                "{host}, config sha256 {sha}, tui-dl {tui_dl}, torch {torch}, Python {python}, started {started}"
            ).format(host=pv.get("hostname", "?"), sha=pv.get("config_sha256", "")[:12], tui_dl=v.get("tui_dl", "?"),
                     torch=v.get("torch", "?"), python=v.get("python", "?"), started=pv.get("started_at", "?"))),
                _DIM))
        if ev.fallback_reason:
            self.fallback_banner(ev)

    def fallback_banner(self, ev) -> None:
        width = max(60, min(100, shutil.get_terminal_size((100, 24)).columns))
        if self.quiet:
            first = ev.fallback_reason.split(". ")[0]
            self.warn(_("warning: training on the FALLBACK dataset {dataset}, not the one requested ({why}).").format(
                dataset=ev.dataset, why=first))
            return
        bar = "!" * width
        body = [_("USING THE FALLBACK DATASET: {dataset}").format(dataset=ev.dataset.upper()),
                _("The dataset named in the experiment could not be loaded, so these results are NOT results on it:")]
        wrapped = []
        for para in body[1:]:
            wrapped += _wrap(para, width - 4)
        wrapped.append("")
        wrapped += _wrap(ev.fallback_reason, width - 4)
        text = [bar, "!! " + body[0]] + ["!! " + w if w else "!!" for w in wrapped] + [bar]
        stream = sys.stderr
        self._clear_live()
        for t in text:
            print(self.c(t, _BOLD + _YELLOW) if (self.color and stream.isatty()) else t, file=stream, flush=True)

    def step(self, ev) -> None:
        rate = self.rate.add(ev)
        if self.quiet or not self.tty:
            return
        now = time.monotonic()
        if now - self._live_at < LIVE_EVERY:
            return
        self._live_at = now
        epochs = self.started.epochs if self.started else "?"
        rate = ev.images_per_second if rate is None else rate
        text = _("epoch {epoch}/{epochs}  step {step:,}/{steps:,}  loss {loss:.4f}  {rate:,.0f} img/s  ETA {eta}").format(
            epoch=ev.epoch, epochs=epochs, step=ev.batch, steps=ev.batches, loss=ev.loss, rate=rate,
            eta=_fmt_time(ev.eta))
        cols = shutil.get_terminal_size((100, 24)).columns
        self.out.write("\r" + truncate(text, cols - 1, "") + "\x1b[K")
        self.out.flush()
        self.live = True

    def epoch(self, ev) -> None:
        parts = [_("epoch {epoch}/{epochs}").format(epoch=ev.epoch, epochs=ev.epochs),
                 _("train_loss={loss:.4f} train_acc={acc}").format(loss=ev.train_loss, acc=_pct(ev.train_accuracy))]
        if ev.val_loss is not None:
            parts.append(_("val_loss={loss:.4f} val_acc={acc}").format(loss=ev.val_loss, acc=_pct(ev.val_accuracy)))
        parts.append(f"{_fmt_secs(ev.seconds)}  {ev.images_per_second:,.0f} img/s")
        text = "  ".join(parts) + ("  *" if ev.is_best else "")
        self.line(text)

    def notice(self, ev) -> None:
        if ev.level in ("warning", "error"):
            self.warn(_("{level}: {message}").format(level=_(_LEVELS.get(ev.level, ev.level)), message=notice_text(ev)))
        else:
            self.line(self.c(f"  {notice_text(ev)}", _DIM))

    def diagnosis(self, message: str) -> None:
        width = max(60, min(100, shutil.get_terminal_size((100, 24)).columns)) - 2
        wrapped = _wrap(message, width)
        self.line(self.c(f"⚑ {wrapped[0]}", _YELLOW))
        for w in wrapped[1:]:
            self.line(self.c(f"  {w}", _YELLOW))

    def checkpoint(self, ev) -> None:
        if ev.reason == "interrupted":
            self.line(_("saved checkpoint {path} (epoch {epoch}, step {step:,})").format(
                path=ev.path, epoch=ev.epoch, step=ev.step), force=True,
                      stream=sys.stderr)

    def early_stop(self, ev) -> None:
        self.line(ngettext("early stopping: {monitor} has not improved for {n} epoch (best {best:.4f} at epoch {at})",
                           "early stopping: {monitor} has not improved for {n} epochs (best {best:.4f} at epoch {at})",
                           ev.patience).format(monitor=ev.monitor, n=ev.patience, best=ev.best_value,
                                               at=ev.best_epoch))

    def diverged(self, ev) -> None:
        self._clear_live()
        self.diverged_ev = ev
        if ev.reason == "below_minimum":
            msg = _("LOSS BELOW ITS MINIMUM at epoch {epoch}, step {step:,}: {advice}")
        else:
            msg = _("DIVERGED at epoch {epoch}, step {step:,}: {advice}")
        msg = msg.format(epoch=ev.epoch, step=ev.step, advice=advice_text(ev))
        print(self.c(msg, _BOLD + _RED) if self.color and sys.stderr.isatty() else msg, file=sys.stderr, flush=True)

    def best_lines(self, ev) -> None:
        """The best epoch's val accuracy next to the highest one, and which epoch best.pt holds and why."""
        from tui_dl.core.training.best_epoch import best_checkpoint_line, best_epoch_line

        for text in (best_epoch_line(ev, _pct), best_checkpoint_line(ev)):
            if text:
                self.line(f"  {text}")

    def finished(self, ev) -> None:
        if self.quiet:
            bits = [ev.status]
            if ev.test_accuracy is not None:
                bits.append(f"test_acc={_pct(ev.test_accuracy)} test_loss={_num(ev.test_loss)}")
            bits.append(ev.run_dir)
            self.line("  ".join(bits), force=True)
            return
        self.line("")
        if ev.test_accuracy is not None:
            self.line(self.c(_("test accuracy {acc}").format(acc=_pct(ev.test_accuracy)), _BOLD + _GREEN) + "  "
                      + ngettext("(test loss {loss}; {n} epoch, {time}, {rate:,.0f} img/s)",
                                 "(test loss {loss}; {n} epochs, {time}, {rate:,.0f} img/s)", ev.epochs_run).format(
                          loss=_num(ev.test_loss), n=ev.epochs_run, time=_fmt_secs(ev.seconds),
                          rate=ev.train_images_per_second))
            self.best_lines(ev)
            if ev.confusion:
                self.line(confusion_text(ev.confusion, ev.classes))
        elif ev.status == "stopped":
            self.line(_("stopped after {steps:,} steps ({time})").format(steps=ev.steps, time=_fmt_secs(ev.seconds)))
        elif ev.status == "diverged":
            if self.diverged_ev is not None and self.diverged_ev.reason == "below_minimum":
                self.line(_("training stopped after {steps:,} steps: the loss fell below its minimum").format(
                    steps=ev.steps))
            else:
                self.line(_("training diverged after {steps:,} steps").format(steps=ev.steps))
        if ev.test_accuracy is None:
            self.best_lines(ev)
        self.line(_("run folder: {path}").format(path=ev.run_dir))
        if ev.status == "stopped":
            self.line(_("continue with: tui-dl --batch --resume {path}").format(path=ev.run_dir))


class DataProgress:
    """The dataset loader's progress (``progress(message, fraction)``): on a terminal one line rewritten in place
    (percent, MB, speed); in a pipe a plain line per download at 0 %, every 25 % and at the end."""

    def __init__(self, printer: "_Printer", stream=None):
        self.printer, self.out = printer, stream or printer.out
        self.tty = bool(getattr(self.out, "isatty", lambda: False)())
        self._last: tuple[str, int] | None = None

    def __call__(self, message: str, fraction: float | None) -> None:
        from tui_dl.core.data.download import is_download

        if self.printer.quiet or not is_download(message):
            return
        if self.tty:
            cols = shutil.get_terminal_size((100, 24)).columns
            self.out.write("\r" + message[: cols - 1] + "\x1b[K")
            self.out.flush()
            self.printer.live = True
            return
        label = message.split(":")[0]
        quarter = -1 if fraction is None else int(fraction * 4)
        if self._last is not None and self._last[0] == label and (quarter == self._last[1] or fraction is None):
            return
        self._last = (label, quarter)
        print(message, file=self.out, flush=True)


def rank_of_env() -> int:
    """This process's rank when torchrun started it as one of several, else 0."""
    try:
        return int(os.environ.get("RANK", "0")) if int(os.environ.get("WORLD_SIZE", "1")) > 1 else 0
    except ValueError:
        return 0


def to_rank_log(printer: "_Printer", run_dir: str, rank: int) -> Path:
    """From here on this rank's output (Python's and C's, stdout and stderr) goes to ``RUN/ranks/rank-R.log``:
    rank 0 alone prints to the terminal."""
    from tui_dl.core.training.distributed import rank_log_path

    path = rank_log_path(run_dir, rank)
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    printer.tty = printer.color = False
    return path


def _config_for_resume(resume: str) -> str | None:
    try:
        p = expand_user(resume)
    except PathProblem:
        return None  # resolve_checkpoint_path says what is wrong with it
    folder = p if p.is_dir() else p.parent
    cfg = folder / "config.yaml"
    return str(cfg) if cfg.exists() else None


# The files a run writes into its folder; --overwrite deletes exactly these (and nothing a user put there).
RUN_FILES = ("config.yaml", "metrics.jsonl", "metrics.csv", "summary.json", "last.pt", "best.pt")


def prepare_out_folder(out: Path, *, overwrite: bool) -> str | None:
    """Check ``--out`` for a new run: ``None`` when it is free (missing or empty), or after --overwrite removed the
    run in it; otherwise the message that says what to do. A new run never appends to an old one's metrics."""
    if out.exists() and not out.is_dir():
        return _("--out {out} is a file, not a folder: give a folder for the run").format(out=out)
    if not out.is_dir() or not any(p.name != LOCK_NAME for p in out.iterdir()):
        return None
    run_files = [f for f in RUN_FILES if (out / f).exists()]
    others = sorted(p.name for p in out.iterdir() if p.name not in RUN_FILES and not p.name.startswith("."))
    if not run_files:
        return _("--out {out} is not empty and holds no run ({files}): choose an empty or new folder").format(
            out=out, files=", ".join(others[:3]) + ("..." if len(others) > 3 else ""))
    if not overwrite:
        return _("--out {out} already holds a run ({files}): continue it with --resume {out}, "
                 "replace it with --overwrite, or choose another folder").format(out=out, files=", ".join(run_files))
    if others:
        return _("--out {out} holds files that are not part of a run ({files}): --overwrite replaces only a run "
                 "folder; move them first").format(out=out, files=", ".join(others[:3]) + ("..." if len(others) > 3 else ""))
    try:  # never delete the files of a run that another process is writing
        with RunLock(out):
            pass
    except RunFolderBusy as e:
        return str(e)
    for f in run_files:
        try:
            (out / f).unlink()
        except OSError as e:
            return _("--overwrite could not delete {path}: {why}").format(path=out / f, why=e.strerror or e)
    return None


def run_batch(args) -> int:
    """Run ``tui-dl --batch``; returns the exit code (never raises for user errors)."""
    try:
        return _run_batch(args)
    except KeyboardInterrupt:  # Ctrl+C before training started (e.g. while torch was being imported)
        print("\n" + _("interrupted before training started"), file=sys.stderr, flush=True)
        return EXIT_INTERRUPTED


def _run_batch(args) -> int:
    from tui_dl.core.config.experiment import ConfigError, load_experiment
    from tui_dl.core.model.shapes import summarize
    from tui_dl.cli.report import summary_table

    human = sys.stderr if args.jsonl else sys.stdout
    color = "NO_COLOR" not in os.environ
    file = args.file
    if not file and args.resume:
        file = _config_for_resume(args.resume)
        if file is None:
            p = Path(args.resume)
            if not p.exists():
                print(_("tui-dl: {path}: no such run folder or checkpoint").format(path=args.resume), file=sys.stderr)
                return EXIT_BAD_INPUT
    exp = None
    if file:
        try:
            exp = load_experiment(file, args.overrides)
        except ConfigError as e:
            print(f"tui-dl: {e}", file=sys.stderr)
            return EXIT_BAD_INPUT
        for w in exp.warnings:
            print(_("warning: {message}").format(message=w), file=sys.stderr)
        summary = summarize(exp.network)
        if not summary.ok:
            print(summary_table(summary, title=f"{exp.name}  ({file})", color=color and sys.stderr.isatty()),
                  file=sys.stderr)
            print(_("tui-dl: the network in {file} is not valid; fix the layer marked ✗ above "
                    "(tui-dl summary {file} shows the same table).").format(file=file), file=sys.stderr)
            return EXIT_BAD_INPUT

    if args.out and not args.resume:
        try:
            problem = prepare_out_folder(expand_user(args.out), overwrite=getattr(args, "overwrite", False))
        except PathProblem as e:
            problem = f"--out {e}"
        if problem:
            print(f"tui-dl: {problem}", file=sys.stderr)
            return EXIT_BAD_INPUT

    # the config is valid: now it is worth importing torch
    try:
        from tui_dl.core.runs.checkpoint import CheckpointError
        from tui_dl.core.data import DataError
        from tui_dl.core.training.loop import SetupError, TrainError, iter_training
    except (ImportError, OSError) as e:  # torch missing, a broken install, a memory limit too low to load it
        why = str(e).strip().splitlines()[0] if str(e).strip() else ""
        print(_("tui-dl: PyTorch could not be loaded ({error}: {why}). Training needs a working torch "
                "in this environment: check `{python} -c 'import torch'`, and reinstall it "
                "(pip install -e .) if that fails.").format(error=type(e).__name__, why=why, python=sys.executable),
              file=sys.stderr)
        return EXIT_BAD_INPUT
    from tui_dl.core.training.diagnosis import Diagnoser
    from tui_dl.core.training.events import (CheckpointSaved, Diverged, EarlyStopped, EpochDone, Finished, Notice,
                                    RunStarted, StepDone, event_to_dict)

    printer = _Printer(human, quiet=args.quiet, color=color)
    stop = threading.Event()

    def on_signal(signum, frame):
        if stop.is_set():
            try:
                print("\n" + _("interrupted again: quitting now (the last saved checkpoint is kept)"), file=sys.stderr,
                      flush=True)
            finally:
                os._exit(EXIT_INTERRUPTED)
        stop.set()
        try:
            printer._clear_live()
            print("\n" + _("{signal}: stopping after this step and saving a checkpoint "
                          "(press Ctrl+C again to quit at once)").format(signal=signal.Signals(signum).name),
                  file=sys.stderr, flush=True)
        except Exception:  # noqa: BLE001 - never fail inside a signal handler
            pass

    old = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            old[sig] = signal.signal(sig, on_signal)

    status = None
    rank = rank_of_env()  # issue 18: ranks other than 0 log into the run folder
    try:
        diagnoser = Diagnoser()
        origin = {"argv": ["tui-dl", *getattr(args, "argv", sys.argv[1:])], "overrides": list(args.overrides),
                  "source": file or ""}
        events = iter_training(exp, run_dir=args.out, runs_dir=args.runs_dir or "runs", resume=args.resume,
                               should_stop=stop, origin=origin, data_progress=DataProgress(printer))
        for ev in events:
            if rank and isinstance(ev, RunStarted):
                to_rank_log(printer, ev.run_dir, rank)
            if args.jsonl:
                print(json.dumps(_json_safe(event_to_dict(ev)), ensure_ascii=False), flush=True)
            if isinstance(ev, StepDone):
                printer.step(ev)
            elif isinstance(ev, EpochDone):
                printer.epoch(ev)
            elif isinstance(ev, RunStarted):
                printer.started_run(ev)
            elif isinstance(ev, Notice):
                printer.notice(ev)
            elif isinstance(ev, CheckpointSaved):
                printer.checkpoint(ev)
            elif isinstance(ev, EarlyStopped):
                printer.early_stop(ev)
            elif isinstance(ev, Diverged):
                printer.diverged(ev)
            elif isinstance(ev, Finished):
                printer.finished(ev)
                status = ev.status
            for _key, message in diagnoser.add(ev):
                printer.diagnosis(message)
    except (DataError, CheckpointError, SetupError) as e:
        printer._clear_live()
        print(f"tui-dl: {e}", file=sys.stderr, flush=True)
        return EXIT_BAD_INPUT
    except TrainError as e:  # a WriteError (disk full...) is exit 2, a failed run 1
        printer._clear_live()
        print(f"tui-dl: {e}", file=sys.stderr, flush=True)
        return EXIT_BAD_INPUT if getattr(e, "exit_code", EXIT_FAILED) == EXIT_BAD_INPUT else EXIT_FAILED
    except MemoryError:
        printer._clear_live()
        print(_("tui-dl: out of memory: use a smaller batch_size or a smaller network"), file=sys.stderr, flush=True)
        return EXIT_FAILED
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
    if status in ("completed", "early_stopped"):
        return EXIT_OK
    if status == "stopped" or stop.is_set():
        return EXIT_INTERRUPTED
    return EXIT_FAILED


def _json_safe(v):
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    if isinstance(v, dict):
        return {k: _json_safe(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_json_safe(x) for x in v]
    return v
