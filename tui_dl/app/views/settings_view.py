"""Setup view: the experiment's data and training settings, one form per section, all built from the
core's field schemas (so the app refuses exactly what the YAML loader refuses)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Checkbox, Input, Select, Static

from tui_dl.app.editing import set_setting
from tui_dl.app.messages import EditRequested, ViewMounted
from tui_dl.app.widgets.field_form import FieldForm
from tui_dl.core.config import schema as C
from tui_dl.core.config.experiment import Experiment
from tui_dl.core.config.fields import Field
from tui_dl.core.device_names import device_text
from tui_dl.core.i18n import N_, _

TRAIN_MAIN = ("epochs", "batch_size", "seed", "device", "limit_batches", "log_every", "grad_clip", "threads",
              "split_batch", "channels_last", "checkpoints")
DATA_SHOWN = ("name", "val_split", "num_samples", "fallback", "root", "download")


#: Seconds after the view is mounted (just after the app's first frame) when the app has its forms built in the
#: background.
PREBUILD_AFTER_S = 1.5


def _train_field(name: str) -> Field:
    return next(f for f in C.TRAIN_FIELDS if f.name == name)


def _device_field(current: str) -> Field:
    choices = ["auto", "cpu", "cuda", "mps"]
    if current not in choices:
        choices.append(current)
    return Field("device", "choice", "auto", _("auto (CUDA → MPS → CPU), cpu, cuda or mps"), choices=tuple(choices))


class SettingsView(VerticalScroll):
    """Sections: Data · Loss · Optimizer · Training · Schedule · Early stopping."""

    SECTIONS = (("data", N_("Data")), ("loss", N_("Loss")), ("optimizer", N_("Optimizer")),
                ("training", N_("Training")), ("scheduler", N_("Learning-rate schedule")),
                ("early", N_("Early stopping")))

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.experiment: Experiment | None = None
        self.datasets: dict[str, str] = {}
        self.device_text = N_("detecting…")
        #: The forms are built when the app calls activate(): PREBUILD_AFTER_S after start-up unless a run has
        #: begun, or the first time the view is shown if that comes sooner (building them costs ~0.5 s of the UI
        #: thread: not before the first frame, not beside a run, and not in front of the student on the first
        #: visit).
        self.activated = False
        self._last_editor: Input | Select | Checkbox | None = None  # where focus returns (focus_editor)

    def compose(self) -> ComposeResult:
        with Vertical(id="settings-grid"):
            for key, title in self.SECTIONS:
                with Vertical(id=f"section-{key}", classes="panel settings-section") as box:
                    box.border_title = _(title)
                    yield FieldForm(id=f"form-{key}", show_hint=True)
                    if key == "data":
                        yield Static("", id="dataset-info", classes="section-note")
                    if key == "training":
                        yield Static("", id="device-info", classes="section-note")
                    if key == "optimizer":
                        yield Static("", id="optimizer-info", classes="section-note")

    def relabel(self) -> None:
        """Re-translate the section titles and show the forms and notes again (after a language switch)."""
        for key, title in self.SECTIONS:
            self.query_one(f"#section-{key}").border_title = _(title)
        if self.experiment is not None and self.activated:
            self.show(self.experiment)
            for form in self.query(FieldForm):  # their rows, from the fields just handed them
                relabel = getattr(form, "relabel", None)
                if callable(relabel):
                    relabel()

    # ------------------------------------------------------------------ showing
    ready = False
    """True once mounted: the app talks to the view only then."""

    def on_unmount(self) -> None:
        self.ready = False

    def on_mount(self) -> None:
        self.ready = True
        self.post_message(ViewMounted("setup"))  # the app hands the view its experiment and the probe's findings

    @property
    def building(self) -> bool:
        """True while the forms are built but not all of their widgets are mounted yet."""
        return self.activated and not all(w.is_mounted for w in self.walk_children())

    def activate(self) -> None:
        if not self.activated:
            self.activated = True
            if self.experiment is not None:
                self.show(self.experiment)

    def show(self, exp: Experiment, *, refused: bool = False) -> None:
        """Show ``exp`` (the document's experiment). ``refused``: the app refused the last edit, and the inputs
        that show the refused value go back to ``exp``'s."""
        self.experiment = exp
        if not self.activated:
            return
        d, t = exp.data, exp.train
        data_fields = [f for f in C.DATA_FIELDS if f.name in DATA_SHOWN]
        self._form("data").load(data_fields, {f.name: getattr(d, f.name) for f in data_fields}, key=("data",),
                                page=("data",), refused=refused)
        loss_field = Field("loss", "choice", "cross_entropy", _("what the training minimises"), choices=tuple(C.LOSSES))
        self._form("loss").load([loss_field, *C.LOSSES[t.loss.name]], {"loss": t.loss.name, **t.loss.params},
                                key=("loss", t.loss.name), page=("loss", t.loss.name), refused=refused)
        opt_field = Field("optimizer", "choice", "adam", _("how the weights are updated from the gradients"),
                          choices=tuple(C.OPTIMIZERS))
        wd = _train_field("weight_decay")
        self._form("optimizer").load([opt_field, *C.OPTIMIZERS[t.optimizer.name], wd],
                                     {"optimizer": t.optimizer.name, **t.optimizer.params,
                                      "weight_decay": t.weight_decay},
                                     key=("optimizer", t.optimizer.name), page=("optimizer", t.optimizer.name),
                                     refused=refused)
        fields = [_device_field(t.device) if n == "device" else _train_field(n) for n in TRAIN_MAIN]
        self._form("training").load(fields, {n: getattr(t, n) for n in TRAIN_MAIN}, key=("training", t.device),
                                    page=("training", t.device),
                                    placeholders={"channels_last": _("auto (on for CPU convs)"),
                                                  "split_batch": _("auto (2–4 CPU threads)")}, refused=refused)
        sched_name = t.scheduler.name if t.scheduler else None
        sched_field = Field("scheduler", "choice", None, _("how the learning rate changes between epochs"),
                            choices=tuple(C.SCHEDULERS), nullable=True)
        self._form("scheduler").load([sched_field, *(C.SCHEDULERS[sched_name] if sched_name else ())],
                                     {"scheduler": sched_name, **(t.scheduler.params if t.scheduler else {})},
                                     key=("scheduler", sched_name), page=("scheduler", sched_name),
                                     placeholders={"scheduler": _("none (constant)")}, refused=refused)
        es = t.early_stopping
        on_field = Field("enabled", "bool", False, _("stop when the monitored metric stops improving"))
        es_fields = [on_field, *(C.EARLY_STOPPING_FIELDS if es else ())]
        es_values = {"enabled": es is not None}
        if es:
            es_values.update({f.name: getattr(es, f.name) for f in C.EARLY_STOPPING_FIELDS})
        self._form("early").load(es_fields, es_values, key=("early", es is not None),
                                 page=("early", es is not None), refused=refused)
        self._show_notes()

    def set_probe(self, device_text: str, datasets: dict[str, str]) -> None:
        self.device_text = device_text
        self.datasets = dict(datasets)
        self._show_notes()

    def _show_notes(self) -> None:
        exp = self.experiment
        if exp is None or not self.is_mounted:
            return
        desc = self.datasets.get(exp.data.name, "")
        if exp.data.name in C.TOY_DATASETS and not desc:
            desc = _("a small generated 2-D toy set (no download)")
        self.query_one("#dataset-info", Static).update(_(desc) if desc else "")
        self.query_one("#device-info", Static).update(_("detected: {device}").format(device=device_text(_(self.device_text))))
        opt = exp.train.optimizer
        lr = opt.resolved(C.OPTIMIZERS).get("lr")
        self.query_one("#optimizer-info", Static).update(
            _("{optimizer}, lr {lr:g}").format(optimizer=opt.name, lr=lr) if "lr" in opt.params
            else _("{optimizer}, lr {lr:g} (default)").format(optimizer=opt.name, lr=lr))

    # ------------------------------------------------------------------ focus
    def on_descendant_focus(self, event) -> None:
        if isinstance(event.widget, (Input, Select, Checkbox)):
            self._last_editor = event.widget

    def focus_editor(self) -> bool:
        """Focus the field the student was in when they left the view (the first field on the first visit);
        False while the forms have no fields yet."""
        chain = [w for w in self.screen.focus_chain if isinstance(w, (Input, Select, Checkbox)) and self in w.ancestors]
        if not chain:
            return False
        last = self._last_editor
        (last if last in chain else chain[0]).focus(scroll_visible=False)  # not a field of a page now hidden
        return True

    def _form(self, key: str) -> FieldForm:
        return self.query_one(f"#form-{key}", FieldForm)

    # ------------------------------------------------------------------ editing
    @on(FieldForm.Changed)
    def _changed(self, event: FieldForm.Changed) -> None:
        event.stop()
        exp = self.experiment
        if exp is None or event.form.id is None:
            return
        section = event.form.id.removeprefix("form-")
        new = set_setting(exp, section, event.name, event.value)
        if new is exp:
            return
        # The next change may come before the app has shown this one back (a busy UI): it builds on this one.
        # A value the app refuses is undone there: it shows the document's experiment again.
        self.experiment = new
        self.post_message(EditRequested(new, key=("setting", section, event.name)))
