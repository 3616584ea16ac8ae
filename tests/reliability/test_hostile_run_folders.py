"""Run folders the app opens that were damaged or edited: summary.json a list or cut short, metrics.jsonl lines
with extreme numbers, wrong kinds, wrong shapes, or not objects at all. The app replays what it can, says what
it could not read (a warning and the log), and keeps running; the plots and the result panel draw."""

from __future__ import annotations

import json

import pytest

from tests.reliability.helpers import fault
from tests.ui.conftest import new_app, run, wait_until
from tests.ui.fakes import scripted_training
from tui_dl.app.session import load_run_folder
from tui_dl.app.widgets.plots import CurvePlot
from tui_dl.core.config.experiment import load_experiment
from tui_dl.core.training.events import event_from_dict, event_to_dict

HOSTILE_LINES = [
    '[1, 2, 3]', '"step"', '42', 'null', '{}', '{"event": "nope"}',
    '{"event": "step", "epoch": "one", "step": 1, "batch": 1, "batches": 20, "loss": 1, "lr": 0.1, '
    '"images_per_second": 1, "elapsed": 1, "eta": 1}',
    '{"event": "step", "epoch": 1, "step": 1, "batch": 1, "batches": 20, "loss": [1, 2], "lr": 0.1, '
    '"images_per_second": 1, "elapsed": 1, "eta": 1}',
    '{"event": "step", "epoch": 1, "step": 1e400, "batch": 1, "batches": 20, "loss": 1, "lr": 0.1, '
    '"images_per_second": 1, "elapsed": 1, "eta": 1}',
    '{"event": "epoch", "epoch": 99999999999, "epochs": 2, "step": 1, "train_loss": 1, "train_accuracy": 0.5, '
    '"val_loss": 1, "val_accuracy": 0.5, "lr": 0.1, "seconds": 1, "images_per_second": 1}',
    '{"event": "epoch", "epoch": -3, "epochs": 2, "step": 1, "train_loss": 1, "train_accuracy": 0.5, '
    '"val_loss": 1, "val_accuracy": 0.5, "lr": 0.1, "seconds": 1, "images_per_second": 1}',
    '{"event": "finished", "status": "completed", "run_dir": "r", "epochs_run": 2, "steps": 40, "seconds": 1, '
    '"train_images_per_second": 1, "confusion": [[1, "x"], [0, 1]]}',
    '{"event": "notice", "level": "info", "message": {"not": "text"}}',
    '[' * 5000 + ']' * 5000,
]
# lines that are odd but readable: extreme values a real run can write (a diverged loss, a huge number)
EXTREME_LINES = [
    '{"event": "step", "epoch": 1, "step": 3, "batch": 3, "batches": 20, "loss": 1e308, "lr": 0.1, '
    '"images_per_second": 1e300, "elapsed": 1, "eta": 1e300}',
    '{"event": "step", "epoch": 1, "step": 4, "batch": 4, "batches": 20, "loss": "inf", "lr": 0.1, '
    '"images_per_second": 1, "elapsed": 1, "eta": 1}',
    '{"event": "step", "epoch": 1, "step": 5, "batch": 5, "batches": 20, "loss": "nan", "lr": -1e308, '
    '"images_per_second": 1, "elapsed": 1, "eta": 1}',
]


def folder_with(tmp_path, extra_lines, summary: str | None):
    folder = tmp_path / "lenet-20260101-120000"
    folder.mkdir()
    exp = load_experiment("tests/ui/data/lenet5.yaml")
    events = list(scripted_training(epochs=2, batches=20, log_every=5)(exp, run_dir=str(folder)))
    lines = [json.dumps(event_to_dict(e)) for e in events]
    lines[3:3] = extra_lines
    (folder / "metrics.jsonl").write_text("\n".join(lines) + "\n")
    if summary is not None:
        (folder / "summary.json").write_text(summary)
    (folder / "config.yaml").write_text(exp.to_yaml())
    return folder


@pytest.mark.parametrize("line", HOSTILE_LINES, ids=range(len(HOSTILE_LINES)))
def test_a_hostile_metrics_line_is_refused_as_a_value_error(line):
    with pytest.raises((ValueError, KeyError, TypeError, RecursionError)):
        event_from_dict(json.loads(line))


def test_extreme_but_real_values_replay_as_floats():
    ev = event_from_dict(json.loads(EXTREME_LINES[1]))
    assert ev.loss == float("inf")
    assert event_from_dict(json.loads(EXTREME_LINES[0])).loss == 1e308


@pytest.mark.parametrize("summary, says", [
    ('[1, 2]', "summary.json holds list, not a JSON object"),
    ('{"status": "comp', "summary.json is not valid JSON"),
    ('"text"', "summary.json holds str"),
])
def test_a_damaged_summary_is_said_and_the_metrics_still_replay(summary, says, tmp_path):
    rec = load_run_folder(folder_with(tmp_path, [], summary), 1)
    assert rec.summary == {} and len(rec.epochs) == 2
    assert any(says in line for line in rec.log), list(rec.log)


def test_the_app_opens_a_hostile_run_folder_shows_what_it_can_and_says_what_it_could_not(tmp_path):
    runs_dir = tmp_path / "runs"
    folder = folder_with(tmp_path, HOSTILE_LINES + EXTREME_LINES, "[1, 2]")
    fault("app: hostile run folder opened", len(HOSTILE_LINES) + len(EXTREME_LINES) + 1)
    notes = []

    async def body():
        app = new_app(runs_dir=runs_dir)
        real_notify = app.notify
        app.notify = lambda message, **kw: (notes.append((message, kw)), real_notify(message, **kw))[-1]
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            app.open_path(str(folder))
            await wait_until(pilot, lambda: app.current_view == "train" and app.query("#loss-plot"))
            await pilot.pause(0.5)
            rec = app.session_runs[0]
            assert len(rec.epochs) == 2 and rec.status == "completed"
            assert any(f"{len(HOSTILE_LINES)} unreadable lines in metrics.jsonl" in line for line in rec.log)
            assert app.query_one("#loss-plot", CurvePlot).point_count > 0
            for view in ("runs", "train"):
                app.action_show_view(view)
                await pilot.pause(0.3)
            assert app.is_running
    run(body())
    opened = [(m, kw) for m, kw in notes if kw.get("title", "").startswith("Opened run")]
    assert opened and opened[0][1]["severity"] == "warning", notes
    assert "unreadable lines in metrics.jsonl" in opened[0][0] and "summary.json holds list" in opened[0][0]
