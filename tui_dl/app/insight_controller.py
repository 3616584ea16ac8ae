"""``InsightController`` (``app.insight``): the app's side of "inside the model": the sample gallery, what the
network sees, and the FGSM screen.

It opens the screens on a finished run (the one shown in the Train view, a run folder or a checkpoint), and does
their work on worker threads: loading the trained model (:func:`tui_dl.core.insight.model_io.load_trained`, kept
for the next request), predicting the test set, the feature maps, the attacks. A worker turns the core's
tensors into the plain records of :mod:`tui_dl.app.insight_records` and hands them to the screen's callback on
the UI thread (``call_from_thread``); only the UI thread touches widgets. The sweep over ε reports its progress
per batch and stops when the screen sets its ``threading.Event``.

torch is imported inside the workers only: opening the app loads none of it.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from textual.worker import get_current_worker

from tui_dl.core.i18n import N_, _
from tui_dl.app.insight_records import (AttackRecord, AttackSettings, CurveExample, CurveRecord, FeatureRecord,
                                        FilterSpec, GalleryEntry, GalleryPage, MapGroup)

if TYPE_CHECKING:
    from tui_dl.app.app import TuiDL

WORKER_GROUP = "insight"
#: Maps drawn per layer (a wide layer shows its first ones and says so).
MAX_MAPS = 32
Reply = Callable[[object, str], None]


class _Loaded:
    """The last trained model opened and its predictions, shared by the app's controllers (a second app in the
    same process, the tests, opens the same run without reading it again). Keyed by the checkpoint's path and
    modification time, so a retrained run is read again."""

    lock = threading.Lock()
    trained = None   # (key, TrainedModel)
    preds = None     # (key, Predictions)

    @staticmethod
    def key(path: Path) -> tuple:
        try:
            return (str(path.resolve()), path.stat().st_mtime_ns)
        except OSError:
            return (str(path), 0)

    @classmethod
    def put(cls, trained, preds=None) -> None:
        """Keep a model already opened elsewhere (the tests' own copy of the run)."""
        with cls.lock:
            key = cls.key(Path(trained.path))
            cls.trained = (key, trained)
            cls.preds = (key, preds) if preds is not None else None


class InsightController:
    def __init__(self, app: "TuiDL") -> None:
        self.app = app
        #: The checkpoint opened for a run folder (ctrl+o on RUN/best.pt): looked inside instead of its last.pt.
        self.checkpoints: dict[str, Path] = {}

    # ------------------------------------------------------------------ which run
    def shown_source(self) -> Path | None:
        """The checkpoint folder of the run shown in the Train view, or None (and the student is told why)."""
        app = self.app
        rec = app.training.run_by_id(app.training.shown_run_id)
        if rec is None:
            app.notify(_("No run yet: train one (ctrl+r) or open a run folder (ctrl+o) first."), timeout=5)
            return None
        if rec.running:
            app.notify(_("This run is still training: the gallery, the feature maps and the attack open once "
                         "it ends."), timeout=5)
            return None
        chosen = self.checkpoints.get(str(Path(rec.run_dir).resolve())) if rec.run_dir else None
        if chosen is not None and chosen.is_file():
            return chosen
        if not rec.run_dir or not (Path(rec.run_dir) / "last.pt").is_file():
            app.notify(_("{run} has no checkpoint (last.pt) to look inside.").format(run=rec.label),
                       severity="warning", timeout=5)
            return None
        return Path(rec.run_dir)

    def open(self, what: str, source: str | Path | None = None, *, flt: FilterSpec | None = None,
             index: int = 0, order: list[int] | None = None) -> None:
        """Push the screen ``what`` ("gallery", "features", "attack") on ``source`` (default: the shown run)."""
        src = Path(source) if source is not None else self.shown_source()
        if src is None:
            return
        if what == "gallery":
            from tui_dl.app.screens.gallery_screen import GalleryScreen

            self.app.push_screen(GalleryScreen(self, src, flt or FilterSpec()))
        elif what == "features":
            from tui_dl.app.screens.features_screen import FeaturesScreen

            self.app.push_screen(FeaturesScreen(self, src, index, order))
        elif what == "attack":
            from tui_dl.app.screens.attack_screen import AttackScreen

            self.app.push_screen(AttackScreen(self, src, index, order))

    def open_cell(self, true: int, predicted: int) -> None:
        """The gallery on one confusion-matrix cell of the shown run (true = row, predicted = column)."""
        self.open("gallery", flt=FilterSpec("cell", int(true), int(predicted)))

    # ------------------------------------------------------------------ the model (worker threads)
    def _model(self, source: Path, with_predictions: bool = False):
        from tui_dl.core.insight.gallery import predictions
        from tui_dl.core.insight.model_io import load_trained
        from tui_dl.core.runs.checkpoint import resolve_checkpoint_path

        path = resolve_checkpoint_path(source)
        key = _Loaded.key(path)
        with _Loaded.lock:
            if _Loaded.trained is None or _Loaded.trained[0] != key:
                _Loaded.trained = (key, load_trained(path))
                _Loaded.preds = None
            trained = _Loaded.trained[1]
            if with_predictions and (_Loaded.preds is None or _Loaded.preds[0] != key):
                _Loaded.preds = (key, predictions(trained))
            preds = _Loaded.preds[1] if with_predictions else None
        return trained, preds

    def _run(self, name: str, fn: Callable[[], object], reply: Reply) -> None:
        app = self.app

        def work() -> None:
            try:
                result, error = fn(), ""
            except Exception as e:  # shown on the screen, never a crash of the app
                known = type(e).__name__ in ("CheckpointError", "DataError", "ValueError", "OSError")
                result, error = None, (str(e) if known else f"{type(e).__name__}: {e}")
            if get_current_worker().is_cancelled or app.closing_down:
                return
            try:
                app.call_from_thread(reply, result, error)
            except RuntimeError:
                pass  # the app closed meanwhile

        app.run_worker(work, thread=True, group=WORKER_GROUP, name=name, exit_on_error=False)

    # ------------------------------------------------------------------ what the screens ask for
    def gallery_page(self, source: Path, flt: FilterSpec, offset: int, limit: int, reply: Reply) -> None:
        def fn() -> GalleryPage:
            from tui_dl.app.widgets.picture import fit_width
            from tui_dl.core.insight.gallery import GalleryFilter, image_rows, select
            from tui_dl.core.pictures import half_blocks

            trained, preds = self._model(source, with_predictions=True)
            order = select(preds, GalleryFilter(flt.kind, flt.true_class, flt.predicted_class))
            start = max(0, min(offset, max(0, len(order) - 1)))
            entries = []
            for i in order[start:start + limit]:
                it = preds.item(i)
                pixels = image_rows(trained.test.x[i])
                native = len(pixels[0]) if pixels else 0
                cells = {w: half_blocks(pixels, w) for w in {fit_width(native, True), fit_width(native, False)}}
                entries.append(GalleryEntry(i, it.true, it.predicted, it.confidence, it.true_name,
                                            it.predicted_name, pixels, cells))
            about = dict(name=trained.experiment.name, epoch=trained.epoch,
                         epochs=trained.experiment.train.epochs, file=trained.path.name, n_test=trained.n_test,
                         data=trained.data.name)
            return GalleryPage(trained.describe(), flt, entries, start, len(order), preds.n, preds.accuracy,
                               trained.classes, order, about)

        self._run("gallery page", fn, reply)

    def features(self, source: Path, index: int, shared_range: bool, reply: Reply) -> None:
        def fn() -> FeatureRecord:
            return self._features(source, index, shared_range)

        self._run("feature maps", fn, reply)

    def _features(self, source: Path, index: int, shared_range: bool) -> FeatureRecord:
        from tui_dl.core.insight.features import feature_maps, map_rows
        from tui_dl.core.insight.gallery import image_rows

        trained, _preds = self._model(source)
        view = feature_maps(trained, index)
        layers = []
        for lm in view.layers:
            maps = lm.maps[:MAX_MAPS]
            lo, hi = (float(lm.maps.min()), float(lm.maps.max())) if shared_range else (None, None)
            note = N_("the first {shown} of {n} maps") if lm.maps.shape[0] > MAX_MAPS else ""
            layers.append(MapGroup(N_("layer {index} {label}: {shape}"), [map_rows(m, lo, hi) for m in maps], note,
                                   dict(index=lm.index_text, label=lm.label, shape="×".join(map(str, lm.shape))),
                                   dict(shown=MAX_MAPS, n=int(lm.maps.shape[0]))))
        filters = None
        if view.filters is not None:
            w = view.filters[:MAX_MAPS].float()
            top = float(w.abs().max()) or 1.0
            if w.shape[1] == 3:
                chans = [[map_rows(f[c], -top, top) for c in range(3)] for f in w]
                maps = [[list(zip(*rows)) for rows in zip(*ch)] for ch in chans]
                title = N_("layer {index} filters: {n} × {kh}×{kw} (red, green and blue weights; mid-grey 0, "
                           "white positive, black negative)")
            else:
                maps = [map_rows(f.mean(0), -top, top) for f in w]
                title = (N_("layer {index} filters: {n} × {kh}×{kw} (weights; mid-grey 0, white positive, black "
                            "negative)") if w.shape[1] == 1 else
                         N_("layer {index} filters: {n} × {kh}×{kw} (mean over the {channels} input channels; "
                            "mid-grey 0, white positive, black negative)"))
            filters = MapGroup(title, maps, args=dict(
                index=view.filters_layer, n=int(view.filters.shape[0]), kh=int(view.filters.shape[2]),
                kw=int(view.filters.shape[3]), channels=int(w.shape[1])))
        ranked = view.ranked()
        p = view.probabilities[view.predicted] if view.predicted < len(view.probabilities) else 0.0
        return FeatureRecord(index, trained.class_name(view.true), trained.class_name(view.predicted), p,
                             image_rows(view.image), ranked, view.true, view.predicted, filters, layers,
                             list(view.notes))

    def attack_one(self, source: Path, index: int, settings: AttackSettings, reply: Reply) -> None:
        def fn() -> AttackRecord:
            return self._attack_one(source, index, settings)

        self._run("attack one", fn, reply)

    def _attack_one(self, source: Path, index: int, s: AttackSettings) -> AttackRecord:
        from tui_dl.core.insight.attacks import example, smallest_eps
        from tui_dl.core.insight.gallery import image_rows
        from tui_dl.core.pictures import signs_rgb

        trained, _preds = self._model(source)
        ex = example(trained, index, s.eps, method=s.method, target=s.target, steps=s.steps, step_size=s.step_size)
        sign = ex.sign.sum(0).sign().tolist()
        cut = ex.cut.any(0).tolist()
        found = smallest_eps(trained, [index], method=s.method, steps=s.steps)
        true = ex.true
        return AttackRecord(s, index, trained.class_name(true), image_rows(ex.original),
                            signs_rgb(sign, cut if s.eps > 0 else None), image_rows(ex.adversarial), cut,
                            trained.class_name(ex.before),
                            ex.before_confidence, trained.class_name(ex.after), ex.after_confidence, ex.fooled,
                            ex.before == true, ex.after == true, ex.cut_pixels, int(ex.cut.numel()),
                            ex.eps_over_std, found[0] if found else None, found is not None, trained.classes,
                            trained.std)

    def attack_curve(self, source: Path, settings: AttackSettings, eps: list[float], stop: threading.Event,
                     progress: Callable[[int, int], None], reply: Reply, examples: int = 4) -> None:
        app = self.app

        def report(done: int, total: int) -> None:
            if not stop.is_set() and not app.closing_down:
                try:
                    app.call_from_thread(progress, done, total)
                except RuntimeError:
                    pass

        def fn() -> CurveRecord | None:
            from tui_dl.core.insight.attacks import accuracy_vs_eps, example
            from tui_dl.core.insight.gallery import image_rows

            trained, _preds = self._model(source)
            s = settings
            curve = accuracy_vs_eps(trained, eps, method=s.method, steps=s.steps, step_size=s.step_size,
                                    target=s.target, examples=examples, progress=report, should_stop=stop)
            if curve is None:
                return None
            shown = []
            for k, e in enumerate(curve.eps):
                row = []
                for i in curve.flipped[k][:examples]:
                    if stop.is_set():
                        return None
                    ex = example(trained, i, e, method=s.method, target=s.target, steps=s.steps,
                                 step_size=s.step_size)
                    row.append(CurveExample(i, image_rows(ex.adversarial), trained.class_name(ex.true),
                                            trained.class_name(ex.after), ex.after_confidence))
                shown.append(row)
            return CurveRecord(s, list(curve.eps), list(curve.accuracy), curve.n, curve.seconds,
                               curve.target_rate, shown)

        self._run("accuracy vs eps", fn, reply)
