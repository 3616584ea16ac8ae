"""What the "inside the model" screens draw, as plain Python (no torch): the insight controller
(:mod:`tui_dl.app.insight_controller`) turns the results of :mod:`tui_dl.core.insight` into these records on its
worker thread, and the screens only draw them.

A picture is a list of pixel rows, each pixel a grey level (an int 0-255) or an ``(r, g, b)`` tuple, as
:mod:`tui_dl.core.pictures` takes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from tui_dl.core.i18n import N_, _

Pixels = list  # rows of grey levels or (r, g, b) tuples

#: The gallery's filters in the order ``f`` steps through them (``cell`` only when opened on a matrix cell).
FILTER_ORDER = ("all", "class", "wrong", "confident-wrong")
#: Their names on the gallery's filter line (English sources: shown with ``_()``).
FILTER_NAMES = {"all": N_("all"), "class": N_("by true class"), "wrong": N_("misclassified"),
                "confident-wrong": N_("most confident mistakes"), "cell": N_("confusion cell")}


@dataclass(frozen=True)
class FilterSpec:
    """Which test images the gallery shows (the plain twin of ``core.insight.gallery.GalleryFilter``)."""

    kind: str = "all"
    true_class: int | None = None
    predicted_class: int | None = None

    def label(self, classes: Sequence[str]) -> str:
        def name(k):
            return classes[k] if k is not None and 0 <= k < len(classes) else str(k)
        if self.kind == "class":
            return _("true class {name}").format(name=name(self.true_class))
        if self.kind == "cell":
            return _("true {true}, predicted {predicted}").format(true=name(self.true_class),
                                                                   predicted=name(self.predicted_class))
        return _({"all": N_("all test images"), "wrong": N_("misclassified"),
                  "confident-wrong": N_("most confident mistakes first")}[self.kind])


@dataclass
class GalleryEntry:
    """One test image with the model's answer."""

    index: int
    true: int
    predicted: int
    confidence: float
    true_name: str
    predicted_name: str
    pixels: Pixels
    #: The half-block cells at the widths the gallery draws (made on the worker thread), by width.
    cells: dict = field(default_factory=dict)

    @property
    def correct(self) -> bool:
        return self.true == self.predicted


@dataclass
class GalleryPage:
    """A page of the gallery: ``entries`` are the images ``offset`` to ``offset + len(entries)`` of the ``total``
    the filter selects."""

    source: str                 # the run and checkpoint, in words
    flt: FilterSpec
    entries: list[GalleryEntry]
    offset: int
    total: int
    n_test: int
    accuracy: float
    classes: list[str]
    order: list[int] = field(default_factory=list)  # every selected test index, in gallery order
    #: What ``source`` says, as values (name, epoch, epochs, file, n_test, data): drawn in the language spoken
    #: when it is shown (``source`` itself is the core's English line).
    about: dict = field(default_factory=dict)

    def described(self) -> str:
        """The run, its weights and its test set in one line, in the language spoken now."""
        a = self.about
        if not a:
            return self.source
        if a.get("epoch"):
            when = _("after epoch {epoch} of {epochs}").format(epoch=a["epoch"], epochs=a["epochs"])
        else:
            when = _("untrained (initial weights)")
        return _("{name}, {when} ({file}); test set: {n:,} images of {data}").format(
            name=a["name"], when=when, file=a["file"], n=a["n_test"], data=a["data"])


@dataclass
class MapGroup:
    """A few maps drawn side by side under one title (one conv layer's outputs, the first layer's filters)."""

    title: str                  # an English source with {placeholders}: shown as ``_(title).format(**args)``
    maps: list[Pixels]
    note: str = ""              # the same, with ``note_args``
    args: dict = field(default_factory=dict)
    note_args: dict = field(default_factory=dict)

    def title_text(self) -> str:
        """The title (and its note) in the language spoken now."""
        title = _(self.title).format(**self.args)
        if self.note:
            title = _("{title} ({note})").format(title=title, note=_(self.note).format(**self.note_args))
        return title


@dataclass
class FeatureRecord:
    """What the network sees for one test image."""

    index: int
    true_name: str
    predicted_name: str
    confidence: float
    pixels: Pixels
    ranked: list[tuple[str, float]]    # (class, probability), most probable first
    true: int
    predicted: int
    filters: MapGroup | None
    layers: list[MapGroup]
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AttackSettings:
    """The attack a student set up on the FGSM screen."""

    eps: float = 0.1
    method: str = "fgsm"
    target: int | None = None
    steps: int = 10
    step_size: float | None = None   # PGD; None: 2.5·ε/steps


@dataclass
class AttackRecord:
    """One image before and after the attack."""

    settings: AttackSettings
    index: int
    true_name: str
    original: Pixels
    sign: Pixels                 # (r, g, b): red pushed up, blue pushed down, dim where the clamp cut
    adversarial: Pixels
    cut: list[list[bool]]        # where the clamp to [0, 1] cut the step (any channel)
    before_name: str
    before_confidence: float
    after_name: str
    after_confidence: float
    fooled: bool
    before_correct: bool
    after_correct: bool
    cut_pixels: int
    pixel_count: int
    eps_over_std: tuple[float, ...]
    smallest_eps: float | None = None     # untargeted, this method; None: even ε = 1 does not flip it
    smallest_known: bool = False
    classes: list[str] = field(default_factory=list)
    std: tuple[float, ...] = ()          # the dataset's σ per channel (ε/σ is the step the network sees)


@dataclass
class CurveExample:
    index: int
    pixels: Pixels
    true_name: str
    after_name: str
    after_confidence: float


@dataclass
class CurveRecord:
    """Accuracy against ε over the test set, with a few flipped images per ε."""

    settings: AttackSettings
    eps: list[float]
    accuracy: list[float]
    n: int
    seconds: float
    target_rate: list[float] | None = None
    examples: list[list[CurveExample]] = field(default_factory=list)


def nearest(values: Sequence[float], x: float) -> int:
    """The position of the value closest to ``x`` (the first of equals); 0 for an empty list."""
    return min(range(len(values)), key=lambda k: (abs(values[k] - x), k)) if values else 0


def step_image(index: int, order: Sequence[int], step: int) -> int:
    """The test image ``step`` places on from ``index``: through ``order`` (the gallery's filtered images, going
    round at the ends) when ``index`` is one of them, else through the whole test set (never below 0)."""
    if order and index in order:
        return order[(list(order).index(index) + step) % len(order)]
    return max(0, index + step)
