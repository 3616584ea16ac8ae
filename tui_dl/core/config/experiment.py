"""Experiment files: load a YAML (network + data + train), validate it with file/line/field locations,
apply ``--set`` overrides, and write it back. Reading and writing the YAML text itself (locations, safety
limits, the layout) is :mod:`tui_dl.core.config.yamlio`; this module is the schema check.

Only ``yaml.SafeLoader`` is used. PyYAML pitfalls are handled: ``1e-3`` read as text is coerced for
number fields, ``on``/``no`` booleans are explained, duplicate keys are reported as warnings, alias bombs
and absurd nesting are refused, and non-UTF-8 or tab-indented files get a plain message.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


from tui_dl.core.config import schema as C
from tui_dl.core.runs.atomic import atomic_write
from tui_dl.core.config.fields import Field, FieldError, suggest
from tui_dl.core.i18n import _
from tui_dl.core.model.layers import REGISTRY
from tui_dl.core.model.shapes import validate_layer
from tui_dl.core.model.spec import LayerSpec, NetworkSpec
from tui_dl.core.config.yamlio import (ConfigError, LDict, LList, Problem, dump_yaml, read_text,  # noqa: F401
                                       read_yaml)

TOP_KEYS = ("name", "description", "input", "layers", "data", "train")


@dataclass
class Experiment:
    name: str
    network: NetworkSpec
    data: C.DataConfig = field(default_factory=C.DataConfig)
    train: C.TrainConfig = field(default_factory=C.TrainConfig)
    description: str = ""
    source: str | None = None
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name}
        if self.description:
            d["description"] = self.description
        d.update(self.network.to_dict())
        d["data"] = self.data.to_dict()
        d["train"] = self.train.to_dict()
        return d

    def to_yaml(self) -> str:
        return dump_yaml(self.to_dict())


# ----------------------------------------------------------------------------- validation


class _Checker:
    def __init__(self, source: str):
        self.source = source
        self.problems: list[Problem] = []

    def add(self, path: str, message: str, at: tuple[int, int] | None):
        line, col = at if at else (None, None)
        self.problems.append(Problem(path, message, line, col))

    @staticmethod
    def at(container, key) -> tuple[int, int] | None:
        marks = getattr(container, "marks", None)
        if isinstance(container, LDict) and marks is not None and key in marks:
            return marks[key]
        if isinstance(container, LList) and marks is not None and isinstance(key, int) and key < len(marks):
            return marks[key]
        return getattr(container, "mark", None)

    def fields(self, mapping, fields: tuple[Field, ...], path: str, skip=()) -> dict[str, Any]:
        """Validate a mapping against fields; return the given (coerced) values only."""
        by_name = {f.name: f for f in fields}
        # the skipped keys are checked by the caller, but they are fields too: hints and the list name them
        names = [*by_name, *(k for k in skip if k not in by_name)]
        out = {}
        for key, value in mapping.items():
            if key in skip:
                continue
            f = by_name.get(key)
            if f is None:
                hint = suggest(str(key), names)
                known = ", ".join(names) or _("none")
                self.add(f"{path}.{key}" if path else str(key),
                         _("unknown field. Did you mean {hint}?").format(hint=repr(hint)) if hint else
                         _("unknown field. Known fields: {known}.").format(known=known),
                         self.at(mapping, key))
                continue
            try:
                out[key] = f.coerce(value)
            except FieldError as e:
                self.add(f"{path}.{key}" if path else str(key), f"{e}.", self.at(mapping, key))
        return out

    def mapping(self, value, path, at) -> bool:
        if not isinstance(value, dict):
            self.add(path, _("expected a mapping (key: value lines), got {kind}").format(kind=_kind(value)), at)
            return False
        return True


def _kind(v) -> str:
    if v is None:
        return _("nothing (the value is empty)")
    if isinstance(v, bool):
        return f"{str(v).lower()}"
    if isinstance(v, (list, tuple)):
        return _("a list")
    if isinstance(v, dict):
        return _("a mapping")
    return repr(v)


def _check_layers(ck: _Checker, items, path: str, at) -> tuple[LayerSpec, ...]:
    if not isinstance(items, list):
        ck.add(path, _("expected a list of layers (lines starting with '- '), got {kind}").format(kind=_kind(items)), at)
        return ()
    out = []
    for i, item in enumerate(items):
        ipath = f"{path}[{i}]"
        iat = ck.at(items, i)
        if isinstance(item, str) and item in REGISTRY:
            item = {"type": item}
        if not isinstance(item, dict):
            ck.add(ipath, _("expected a layer such as {{type: ReLU}}, got {kind}").format(kind=_kind(item)), iat)
            continue
        ltype = item.get("type")
        if ltype is None:
            ck.add(ipath, _("the layer has no 'type' (e.g. type: Conv2d)"), getattr(item, "mark", iat))
            continue
        given = {k: v for k, v in item.items() if k not in ("type", "layers")}
        # The layer rules (known type, known and valid arguments, required ones, inner layers) are the
        # summarizer's: validate_layer decides, this adds the file's paths and line numbers.
        args, problems = validate_layer(LayerSpec(str(ltype), given), (i,), holds_layers="layers" in item)
        for p in problems:
            if p.field in ("type", "layers") or p.field in given:
                ck.add(f"{ipath}.{p.field}", p.short, ck.at(item, p.field))
            else:  # a missing required argument: the layer's own line
                ck.add(ipath, p.short, getattr(item, "mark", iat))
        kind = REGISTRY.get(str(ltype))
        if kind is None:
            continue
        params = {k: args[k] for k in given} if args is not None else {}  # with problems, nothing is built
        children: tuple[LayerSpec, ...] = ()
        if "layers" in item and kind.container:
            children = _check_layers(ck, item["layers"], f"{ipath}.layers", ck.at(item, "layers"))
        out.append(LayerSpec(kind.name, params, children))
    return tuple(out)


def _named(ck: _Checker, value, table: dict, path: str, at, default_name: str | None):
    """``adam`` or ``{name: adam, lr: 0.01}`` → Named, checked against the named entry's fields."""
    if value is None:
        return None if default_name is None else C.Named(default_name)
    if isinstance(value, str):
        value = {"name": value}
    if not isinstance(value, dict):
        ck.add(path, _("expected a name ({names}) or a mapping with name:, got {kind}").format(
            names=', '.join(table), kind=_kind(value)), at)
        return None
    name = value.get("name", default_name)
    if name is None:
        ck.add(path, _("needs name: one of {names}").format(names=', '.join(table)), at)
        return None
    canon = {k.lower().replace("-", "_"): k for k in table}
    key = canon.get(str(name).lower().replace("-", "_"))
    if key is None:
        hint = suggest(str(name), table)
        ck.add(f"{path}.name" if "name" in value else path,
               (_("{value} is not one of {choices} (did you mean {hint}?)") if hint else
                _("{value} is not one of {choices}")).format(value=repr(name), choices=', '.join(table),
                                                             hint=repr(hint)),
               ck.at(value, "name") if "name" in value else at)
        return None
    params = ck.fields(value, table[key], f"{path}", skip=("name",))
    return C.Named(key, params)


def _check_train(ck: _Checker, train, path="train") -> C.TrainConfig:
    cfg = C.TrainConfig()
    if train is None:
        return cfg
    if not ck.mapping(train, path, getattr(train, "mark", None)):
        return cfg
    special = ("loss", "optimizer", "scheduler", "early_stopping", "lr", "adversarial")
    plain = ck.fields(train, C.TRAIN_FIELDS, path, skip=special)
    if "device" in plain and not C.DEVICE_RE.match(plain["device"].strip().lower()):
        ck.add(f"{path}.device", _("{value} is not a device: use auto, cpu, cuda, cuda:N or mps").format(
            value=repr(plain['device'])),
               ck.at(train, "device"))
        plain.pop("device")
    elif "device" in plain:
        plain["device"] = plain["device"].strip().lower()
    loss = _named(ck, train.get("loss"), C.LOSSES, f"{path}.loss", ck.at(train, "loss"), C.DEFAULT_LOSS)
    opt = _named(ck, train.get("optimizer"), C.OPTIMIZERS, f"{path}.optimizer", ck.at(train, "optimizer"),
                 C.DEFAULT_OPTIMIZER)
    if "lr" in train:  # a common shorthand: train.lr sets the optimizer's learning rate
        try:
            lr_field = next(f for f in C.OPTIMIZERS[opt.name if opt is not None else C.DEFAULT_OPTIMIZER]
                            if f.name == "lr")
            lr = lr_field.coerce(train["lr"])
            if opt is not None:
                opt = C.Named(opt.name, {**opt.params, "lr": lr})
        except FieldError as e:
            ck.add(f"{path}.lr", f"{e}.", ck.at(train, "lr"))
    sched = None
    if train.get("scheduler") not in (None, False, "none"):
        sched = _named(ck, train.get("scheduler"), C.SCHEDULERS, f"{path}.scheduler", ck.at(train, "scheduler"),
                       None)
    es = None
    es_raw = train.get("early_stopping")
    if es_raw not in (None, False):
        if es_raw is True:
            es_raw = {}
        if ck.mapping(es_raw, f"{path}.early_stopping", ck.at(train, "early_stopping")):
            es = C.EarlyStopping(**ck.fields(es_raw, C.EARLY_STOPPING_FIELDS, f"{path}.early_stopping"))
    adv = _check_adversarial(ck, train.get("adversarial"), f"{path}.adversarial", ck.at(train, "adversarial")) \
        if "adversarial" in train else None
    if opt is not None and opt.name == "sgd" and opt.params.get("nesterov") and not opt.params.get("momentum"):
        ck.add(f"{path}.optimizer.nesterov", _("Nesterov needs momentum > 0 (set momentum: 0.9)"),
               ck.at(train["optimizer"], "nesterov") if isinstance(train.get("optimizer"), dict) else None)
    return C.TrainConfig(**plain, loss=loss or cfg.loss, optimizer=opt or cfg.optimizer, scheduler=sched,
                         early_stopping=es, adversarial=adv)


def _check_adversarial(ck: _Checker, raw, path: str, at) -> C.Adversarial | None:
    """``adversarial: {eps: 0.1, fraction: 0.5, method: fgsm}`` (``true``: the defaults; null/false: off)."""
    if raw in (None, False):
        return None
    if raw is True:
        raw = {}
    if not ck.mapping(raw, path, at):
        return None
    values = ck.fields(raw, C.ADVERSARIAL_FIELDS, path)
    if "steps" in values and values.get("method", C.Adversarial.method) != "pgd":
        ck.add(f"{path}.steps", _("steps applies to method: pgd only (FGSM is one step); add method: pgd or remove steps"), ck.at(raw, "steps"))
        values.pop("steps")
    return C.Adversarial(**values)


def _check_data(ck: _Checker, data, path="data") -> C.DataConfig:
    if data is None:
        return C.DataConfig()
    if isinstance(data, str):
        data = {"name": data}
    if not ck.mapping(data, path, getattr(data, "mark", None)):
        return C.DataConfig()
    values = ck.fields(data, C.DATA_FIELDS, path)
    return C.DataConfig(**values)


def experiment_from_data(data: Any, source: str, warnings: list[str] | None = None) -> Experiment:
    """Validate parsed YAML (plain or located) into an :class:`Experiment`; raise :class:`ConfigError`."""
    ck = _Checker(source)
    if data is None:
        raise ConfigError(source, [Problem("", _("the file is empty. An experiment needs at least `input:` and `layers:` (see presets/ for examples)."), 1)])
    if not isinstance(data, dict):
        raise ConfigError(source, [Problem("", _("the file should be a mapping with input:, layers:, data:, train:; it holds {kind}").format(kind=_kind(data)), 1)])
    for key in data:
        if key not in TOP_KEYS:
            hint = suggest(str(key), TOP_KEYS)
            ck.add(str(key), _("unknown section. Did you mean {hint}?").format(hint=repr(hint)) if hint else
                   _("unknown section. Sections: {sections}.").format(sections=', '.join(TOP_KEYS)), ck.at(data, key))
    name = data.get("name") or Path(source).stem
    if not isinstance(name, (str, int, float)) or isinstance(name, bool):
        ck.add("name", _("expected text, got {value}").format(value=_kind(name)), ck.at(data, "name"))
        name = Path(source).stem
    description = data.get("description") or ""
    if not isinstance(description, str):
        ck.add("description", _("expected text, got {value}").format(value=_kind(description)), ck.at(data, "description"))
        description = ""
    input_shape: tuple[int, ...] = ()
    if "input" not in data:
        ck.add("input", _("missing: give the shape of one sample, e.g. input: [1, 28, 28] or input: [2]"),
               getattr(data, "mark", None))
    else:
        try:
            input_shape = tuple(Field("input", "shape", required=True).coerce(data["input"]))
        except FieldError as e:
            ck.add("input", f"{e}.", ck.at(data, "input"))
    layers: tuple[LayerSpec, ...] = ()
    if "layers" not in data or data.get("layers") in (None, []):
        ck.add("layers", _("the network has no layers: add a list such as\n  layers:\n    - {{type: Flatten}}\n"
                           "    - {{type: Linear, out_features: 10}}").format(), ck.at(data, "layers") if "layers" in data else
               getattr(data, "mark", None))
    else:
        layers = _check_layers(ck, data["layers"], "layers", ck.at(data, "layers"))
    dcfg = _check_data(ck, data.get("data"))
    tcfg = _check_train(ck, data.get("train"))
    if tcfg.adversarial is not None and dcfg.name in C.TOY_DATASETS:
        train = data.get("train")
        ck.add("train.adversarial", _("adversarial training perturbs images (ε in pixel units, images in [0, 1]); data.name {name} is a 2-D toy set of points. Use an image dataset or remove train.adversarial").format(name=repr(dcfg.name)), ck.at(train, "adversarial"))
    if ck.problems:
        raise ConfigError(source, ck.problems)
    return Experiment(name=str(name), description=description.strip(), network=NetworkSpec(input_shape, layers),
                      data=dcfg, train=tcfg, source=source, warnings=list(warnings or []))


def validate_experiment(exp: Experiment, source: str = "<edit>") -> Experiment:
    """Check an :class:`Experiment` value against the same rules as the YAML loader, without writing or
    reading YAML text: the checked experiment, or :class:`ConfigError` with the loader's problems (paths and
    messages as for a file; no line numbers, since there is no file)."""
    checked = experiment_from_data(exp.to_dict(), source, exp.warnings)
    return Experiment(name=exp.name, description=exp.description, network=checked.network, data=checked.data,
                      train=checked.train, source=exp.source, warnings=list(exp.warnings))


def parse_experiment(text: str, source: str = "<text>", overrides: list[str] | None = None) -> Experiment:
    data, warnings = read_yaml(text, source)
    if overrides:
        data = apply_overrides(data, overrides)
    return experiment_from_data(data, source, warnings)


def load_experiment(path: str | os.PathLike, overrides: list[str] | None = None) -> Experiment:
    """Read, override and validate an experiment file. Raises :class:`ConfigError` (never a traceback)."""
    return parse_experiment(read_text(path), str(path), overrides)


# ----------------------------------------------------------------------------- --set overrides


def _parse_key_path(key: str) -> list[str | int]:
    parts: list[str | int] = []
    for piece in key.replace("[", ".").replace("]", "").split("."):
        if piece == "":
            raise ValueError(_("empty part in the key"))
        parts.append(int(piece) if piece.isdigit() else piece)
    return parts


def _unmark(value: Any) -> None:
    """Forget where a --set value's nested entries were (their marks point into the --set text, so a problem in
    them would be reported at a wrong line of the file)."""
    if isinstance(value, LDict):
        value.mark = None
        value.marks = {k: None for k in value}
        for v in value.values():
            _unmark(v)
    elif isinstance(value, LList):
        value.mark = None
        value.marks = [None] * len(value)
        for v in value:
            _unmark(v)


def apply_overrides(data: Any, overrides: list[str]) -> Any:
    """Apply ``key.path=value`` settings (values typed like YAML) to parsed data; returns the new data."""
    if data is None:
        data = LDict()
    for item in overrides:
        src = f"--set {item}"
        if "=" not in item:
            raise ConfigError(src, [Problem("", _("expected key.path=value, e.g. --set train.epochs=3"))])
        key, _sep, raw = item.partition("=")
        try:
            path = _parse_key_path(key.strip())
        except ValueError:
            raise ConfigError(src, [Problem("", _("{key} is not a key path such as train.optimizer.lr").format(key=repr(key)))]) \
                from None
        value, _w = read_yaml(raw, src) if raw.strip() else (None, [])
        _unmark(value)  # {eps: 2}'s lines and columns are the --set text's, not the file's
        if not isinstance(data, dict):
            raise ConfigError(src, [Problem("", _("the file is not a mapping, so nothing can be set in it"))])
        node: Any = data
        for depth, part in enumerate(path[:-1]):
            nxt = path[depth + 1]
            if isinstance(node, dict):
                child = node.get(part)
                if isinstance(child, str) and part in ("optimizer", "loss", "scheduler", "data"):
                    child = {"name": child}  # optimizer: adam + --set train.optimizer.lr=...
                    node[part] = child
                if child is None:
                    child = [] if isinstance(nxt, int) else {}
                    node[part] = child
                node = child
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                node = node[part]
            else:
                raise ConfigError(src, [Problem(".".join(map(str, path[: depth + 1])),
                                                _("no such entry to set a value in"))])
        last = path[-1]
        if isinstance(node, dict):
            node[last] = value
            if isinstance(node, LDict):
                node.marks[last] = None  # the value is not in the file: report it without a (wrong) line
        elif isinstance(node, list) and isinstance(last, int) and last < len(node):
            node[last] = value
        else:
            raise ConfigError(src, [Problem(key, _("no such entry to set a value in"))])
    return data


def save_experiment(exp: Experiment, path: str | os.PathLike) -> None:
    """Write atomically (:func:`~tui_dl.core.runs.atomic.atomic_write`), so a crash never leaves half a file."""
    text = exp.to_yaml()
    atomic_write(path, lambda f: f.write(text))
