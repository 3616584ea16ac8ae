"""The Textual front end. ``make_app`` is the one factory used by the CLI and the tests.

Importing this package imports neither Textual nor torch; ``make_app`` imports Textual, and torch
is imported only when training starts (inside the worker thread).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable


def make_app(experiment=None, path: str | Path | None = None, *, runs_dir: str | Path = "runs",
             trainer: Callable | None = None, **options: Any):
    """Build the app.

    ``experiment``: an :class:`~tui_dl.core.config.experiment.Experiment` (default: the LeNet preset);
    ``path``: the file it came from (the default save target); ``trainer``: a callable with the
    signature of ``core.train.iter_training`` (tests inject scripted fakes). Extra options:
    ``load_error`` (a ConfigError to show inline), ``device_text`` and ``datasets`` (skip the
    background device probe, for deterministic tests and screenshots).
    """
    from tui_dl.app.app import TuiDL

    if experiment is None and path is not None and options.get("load_error") is None:
        # a path without an experiment: read it here, so a broken file is shown inline (and not
        # silently replaced by the default experiment that ctrl+s would then write over it)
        from tui_dl.core.config.experiment import ConfigError, load_experiment

        try:
            experiment = load_experiment(path)
        except ConfigError as e:
            options["load_error"] = e
    return TuiDL(experiment, path, runs_dir=runs_dir, trainer=trainer, **options)


def run_app(args) -> int:
    """Open the app for ``tui-dl [FILE] [--set ...]``. A bad file opens the app with the problems shown."""
    from tui_dl.core.config.experiment import ConfigError, load_experiment

    file = getattr(args, "file", None)
    overrides = list(getattr(args, "overrides", None) or [])
    runs_dir = getattr(args, "runs_dir", None) or "runs"
    experiment = None
    load_error = None
    path = None
    resume = getattr(args, "resume", None)
    if resume:
        # continue a stopped run: show its curves so far, then train on from its checkpoint
        folder = Path(resume)
        folder = folder.parent if folder.is_file() else folder

        def start(app) -> None:
            if (folder / "metrics.jsonl").is_file():
                app.files.open_run_folder(folder)
            app.training.resume_run(str(resume), None)

        app = make_app(runs_dir=runs_dir, on_ready=start)
        app.run()
        return app.return_code or 0
    if file:
        path = Path(file)
        if path.is_dir() and (path / "metrics.jsonl").is_file():
            app = make_app(runs_dir=runs_dir, on_ready=lambda a: a.files.open_run_folder(path))
            app.run()
            return app.return_code or 0
        try:
            experiment = load_experiment(path, overrides)
        except ConfigError as e:
            load_error = e
    elif overrides:
        from tui_dl.app.presets import default_experiment

        exp, default_path = default_experiment()
        if default_path is not None:
            try:
                experiment, path = load_experiment(default_path, overrides), default_path
            except ConfigError as e:
                load_error = e
    app = make_app(experiment, path if experiment is not None else None, runs_dir=runs_dir, load_error=load_error)
    app.run()
    return app.return_code or 0
