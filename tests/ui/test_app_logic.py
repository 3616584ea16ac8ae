"""The app's plain-Python parts: undo history, field text parsing, the worker's event pump (batching,
pause, stop), diagnoses, downsampling and run labels. No Textual app is started here."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from dataclasses import replace

import pytest

from tests.ui.fakes import scripted_training
from tui_dl.app.document import Document
from tui_dl.app.editing import apply_fix, new_layer, parse_text, to_text
from tui_dl.app.session import RunRecord, describe_difference, downsample
from tui_dl.app.training import TrainingControl, pump_events
from tui_dl.core.config import schema as C
from tui_dl.core.training.events import EpochDone, Finished, StepDone
from tui_dl.core.config.experiment import load_experiment
from tui_dl.core.config.fields import FieldError
from tui_dl.core.model.layers import REGISTRY
from tui_dl.core.model.shapes import summarize


@pytest.fixture(scope="module")
def lenet():
    return load_experiment("tests/ui/data/lenet5.yaml")


def test_document_undo_redo_and_coalescing(lenet):
    doc = Document(lenet, None)
    spec = lenet.network
    a = replace(lenet, network=spec.replace_layer((0,), spec.layers[0].with_params(out_channels=7)))
    b = replace(lenet, network=spec.replace_layer((0,), spec.layers[0].with_params(out_channels=77)))
    assert doc.edit(a, key=("field", (0,), "out_channels"))
    assert doc.edit(b, key=("field", (0,), "out_channels"))  # same key: one undo step
    assert not doc.edit(b, key=None)  # nothing changed: nothing recorded
    assert doc.undo() and doc.experiment is lenet
    assert not doc.undo()
    assert doc.redo() and doc.experiment.network.layers[0].params["out_channels"] == 77
    doc.end_coalescing()
    c = replace(lenet, network=spec.remove_layer((1,)))
    doc.edit(c)
    assert not doc.can_redo and doc.undo() and doc.experiment is b


def test_document_dirty_tracking(lenet, tmp_path):
    doc = Document(lenet, tmp_path / "x.yaml")
    assert not doc.modified
    doc.edit(replace(lenet, name="other"))
    assert doc.modified
    doc.mark_saved(tmp_path / "y.yaml")
    assert not doc.modified and doc.path.name == "y.yaml"


@pytest.mark.parametrize("kind, text, value", [
    ("int2", "5", 5), ("int2", "3, 5", [3, 5]), ("int2", "3x5", [3, 5]), ("int2", "[3, 5]", [3, 5]),
    ("padding", "same", "same"), ("padding", "2", 2), ("shape", "1, 28, 28", [1, 28, 28]),
    ("shape", "1×28×28", [1, 28, 28]), ("floats", "0.9, 0.999", [0.9, 0.999]),
])
def test_parse_text_accepts_what_people_type(kind, text, value):
    from tui_dl.core.config.fields import Field

    field = Field("f", kind, None, "", min=0 if kind != "shape" else None, length=2 if kind == "floats" else None)
    assert parse_text(field, text) == value
    assert parse_text(field, to_text(field, value)) == value


def test_parse_text_refuses_with_the_cores_message():
    ks = REGISTRY["Conv2d"].field("kernel_size")
    with pytest.raises(FieldError, match="at least 1"):
        parse_text(ks, "0")
    with pytest.raises(FieldError, match="needs a value"):
        parse_text(ks, "")
    assert parse_text(REGISTRY["Conv2d"].field("stride"), "") is None  # empty → default
    lr = C.OPTIMIZERS["adam"][0]
    assert parse_text(lr, "1e-3") == 0.001
    with pytest.raises(FieldError, match="greater than 0"):
        parse_text(lr, "0")


def test_new_layers_fit_the_incoming_shape(lenet):
    spec = lenet.network
    for kind in REGISTRY:
        in_shape = (6, 14, 14) if REGISTRY[kind].group in ("convolution", "pooling", "normalization") \
            or kind in ("Dropout2d", "Residual") else (120,)
        layer = new_layer(kind, in_shape)
        assert layer.type == kind
    fixed = apply_fix(spec.remove_layer((6,)), (6,), summarize(spec.remove_layer((6,))).rows[6].fix)
    assert summarize(fixed).ok


def _steps(n, epoch=1, batches=100):
    return [StepDone(epoch=epoch, step=i, batch=i, batches=batches, loss=1.0 / i, lr=0.1, images_per_second=1.0,
                     elapsed=0.0, eta=0.0) for i in range(1, n + 1)]


def test_pump_batches_steps_and_flushes_other_events_at_once():
    clock = iter(i * 0.01 for i in range(10_000))  # 10 ms per event
    batches, progress = [], []
    epoch = EpochDone(epoch=1, epochs=1, step=100, train_loss=0.1, train_accuracy=None, val_loss=None,
                      val_accuracy=None, lr=0.1, seconds=1.0, images_per_second=1.0)
    events = _steps(100) + [epoch] + _steps(5)
    n = pump_events(events, batches.append, progress.append, TrainingControl(), flush_every=0.2,
                    progress_every=0.05, clock=lambda: next(clock))
    assert n == 106
    assert [e for b in batches for e in b] == events  # nothing lost, order kept
    assert 5 <= len(batches) <= 8  # ~every 20 steps, plus the epoch flush and the tail
    assert any(b[-1] is epoch for b in batches)
    assert 15 <= len(progress) <= 25


def test_pump_pause_stops_pulling_and_stop_ends_the_run():
    trainer = scripted_training(epochs=1, batches=10_000, log_every=1, delay=0.0005)
    control = TrainingControl()
    got = []
    done = threading.Event()

    def work():
        pump_events(trainer(_Exp(), should_stop=control.stop), got.extend, lambda s: None,
                    control, flush_every=0.01)
        done.set()

    t = threading.Thread(target=work)
    t.start()
    while trainer.calls == [] or trainer.calls[0]["steps"] < 20:
        threading.Event().wait(0.005)
    control.pause()
    threading.Event().wait(0.1)
    held = trainer.calls[0]["steps"]
    threading.Event().wait(0.2)
    assert trainer.calls[0]["steps"] - held <= 1
    control.request_stop()  # also releases the pause
    assert done.wait(10)
    t.join()
    assert isinstance(got[-1], Finished) and got[-1].status == "stopped"
    assert trainer.calls[0]["closed"]


class _Exp:
    name = "x"

    class data:
        name = "xor"


def test_pump_closes_a_trainer_that_ignores_stop():
    closed = []

    def stubborn():
        try:
            while True:
                yield _steps(1)[0]
        finally:
            closed.append(True)

    control = TrainingControl()
    control.request_stop()
    ticks = iter(range(1000))
    got = []
    pump_events(stubborn(), got.extend, lambda s: None, control, close_after=3, clock=lambda: next(ticks))
    assert closed and len(got) <= 5


def test_run_record_reports_each_finding_once():
    rec = RunRecord(1, "x")
    lines = []
    for i, (tl, vl) in enumerate([(1.0, 1.0), (0.8, 1.1), (0.6, 1.2), (0.5, 1.3)], start=1):
        lines += rec.add(EpochDone(epoch=i, epochs=4, step=i, train_loss=tl, train_accuracy=0.5, val_loss=vl,
                                   val_accuracy=0.5, lr=0.1, seconds=1, images_per_second=1))
    assert sum(line.startswith("⚑ overfitting") for line in lines) == 1


def test_downsample_keeps_the_shape_and_drops_nan():
    xs = list(range(10_000))
    ys = [float(x) for x in xs]
    ys[5] = float("nan")
    dx, dy = downsample(xs, ys, 400)
    assert len(dx) == 400 and dy[0] < 30 and dy[-1] > 9_900
    assert all(y == y for y in dy)


def test_run_labels_say_what_changed(lenet):
    sgd = replace(lenet, train=replace(lenet.train, optimizer=C.Named("sgd", {"lr": 0.01})))
    assert describe_difference(lenet, None) == "adam lr=0.001 batch 64"
    assert describe_difference(sgd, lenet) == "sgd lr=0.01"
    net = lenet.network
    for i, layer in enumerate(net.layers):
        if layer.type == "ReLU":
            net = net.replace_layer((i,), replace(layer, type="Sigmoid"))
    assert describe_difference(replace(lenet, network=net), lenet) == "sigmoid"


def test_the_app_package_starts_without_torch():
    code = ("import sys, json\nfrom tui_dl.app import make_app\napp = make_app(device_text='x')\n"
            "import tui_dl.app.app, tui_dl.app.views.train_view\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'torchvision'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_run_record_logs_a_step_line_at_most_once_a_second():
    rec = RunRecord(id=1, name="t", experiment=None)
    logged = []
    # 100 steps a second for 3.5 s, 200 steps per epoch
    for i in range(1, 351):
        b = (i - 1) % 200 + 1
        ev = StepDone(epoch=(i - 1) // 200 + 1, step=i, batch=b, batches=200, loss=1.0, lr=0.1,
                      images_per_second=1.0, elapsed=i / 100, eta=1.0)
        if rec.add(ev):
            logged.append((i, b))
    assert len(rec.step_x) == 350  # every step still reaches the plots
    assert logged[0] == (1, 1)
    assert (200, 200) in logged  # each epoch's last step
    gaps = [b[0] - a[0] for a, b in zip(logged, logged[1:])]
    assert all(g <= 100 for g in gaps) and len(logged) <= 6


def test_the_run_header_names_the_device_once():
    from tui_dl.app.logfmt import format_event
    from tui_dl.core.training.events import RunStarted

    def device_line(device, name):
        ev = RunStarted(name="n", run_dir="r", device=device, device_name=name, dataset="d", train_size=1,
                        val_size=0, test_size=1, epochs=1, steps_per_epoch=1, params=1, threads=2)
        return next(line for line in format_event(ev) if line.lstrip().startswith("device"))

    assert device_line("cpu", "CPU (2 cores, 2 threads)") == "  device CPU (2 cores, 2 threads)"
    assert device_line("cuda:0", "NVIDIA H200 (139.8 GiB)") == "  device NVIDIA H200 (139.8 GiB) [cuda:0]"
