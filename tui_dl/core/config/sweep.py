"""Comparison sweeps: one experiment run once per value (or combination of values) of a few settings.

``--sweep train.optimizer.name=sgd,momentum,adam`` is an axis: a key and its values. Several axes give their
cartesian product. Each combination is the base experiment with the values set, checked by the same rules as
the YAML loader (so a bad value names the key, the value and what is allowed). Plain Python, no torch.

Keys: ``data.<field>``, ``train.<field>`` (``train.lr`` included), ``train.optimizer.name`` and any optimizer
field (``train.optimizer.momentum``), ``train.loss.name``, ``train.scheduler.name``, ``train.early_stopping.<field>``,
``train.adversarial.<field>``, and ``activation`` (every hidden activation layer of the network becomes that kind;
Softmax and LogSoftmax stay). The
leading ``train.`` may be left out (``optimizer.name=sgd,adam``, ``lr=0.1,0.01``).

When an axis changes the optimizer (or loss, scheduler) the base file's arguments that the new one lacks are
dropped, and the ones it has are kept (``optimizer: {name: adam, lr: 0.002}`` swept to ``sgd`` keeps lr 0.002
and drops nothing; to ``adagrad`` too): :meth:`Combination.apply` returns those notes.
"""

from __future__ import annotations

import copy
import difflib
import itertools
import re
from dataclasses import dataclass
from typing import Any

from tui_dl.core.config import schema as C
from tui_dl.core.config.experiment import ConfigError, Experiment, experiment_from_data
from tui_dl.core.config.fields import suggest
from tui_dl.core.config.yamlio import read_yaml
from tui_dl.core.i18n import _, is_chinese

__all__ = ["SweepError", "Axis", "Combination", "parse_axis", "expand", "sweep_keys", "build_combinations",
           "short_key", "MAX_COMBINATIONS"]

#: A sweep of more runs than this is refused (a typo in a list of values should not start 1,000 runs).
MAX_COMBINATIONS = 64
_SLUG_BAD = re.compile(r"[^A-Za-z0-9._=+-]+")


class SweepError(ValueError):
    """A ``--sweep`` that cannot run; ``str(e)`` names the key or value at fault and what to do."""


@dataclass(frozen=True)
class Axis:
    key: str                       # canonical: "train.optimizer.name", "activation", "data.val_split"
    values: tuple[str, ...]        # as typed (each read like YAML when applied)

    @property
    def text(self) -> str:
        return f"{self.key}={','.join(self.values)}"


def _named_fields(table: dict) -> set[str]:
    return {f.name for fields in table.values() for f in fields}


def sweep_keys() -> list[str]:
    """Every key a sweep accepts (for messages and completion)."""
    keys = [f"data.{f.name}" for f in C.DATA_FIELDS]
    keys += [f"train.{f.name}" for f in C.TRAIN_FIELDS] + ["train.lr"]
    for section, table in (("optimizer", C.OPTIMIZERS), ("loss", C.LOSSES), ("scheduler", C.SCHEDULERS)):
        keys += [f"train.{section}.name"] + sorted(f"train.{section}.{n}" for n in _named_fields(table))
    keys += [f"train.early_stopping.{f.name}" for f in C.EARLY_STOPPING_FIELDS]
    keys += [f"train.adversarial.{f.name}" for f in C.ADVERSARIAL_FIELDS]
    return keys + ["activation"]


#: Sweep keys that name the same setting as another (``train.lr`` is the optimizer's ``lr``).
_SAME_SETTING = {"train.lr": "train.optimizer.lr"}


def _canonical(key: str) -> str:
    key = key.strip()
    if key in ("activation", "activations", "network.activation"):
        return "activation"
    if not key.startswith(("train.", "data.")):
        key = "train." + key
    return key


def short_key(key: str) -> str:
    """The key as a label says it: ``train.optimizer.name`` → ``optimizer``, ``train.lr`` → ``lr``,
    ``data.val_split`` → ``val_split``."""
    parts = key.split(".")
    if parts[-1] == "name" and len(parts) > 1:
        return parts[-2]
    return parts[-1]


def parse_axis(text: str) -> Axis:
    """``key=v1,v2,...`` → :class:`Axis`; :class:`SweepError` names what is wrong."""
    if "=" not in text:
        raise SweepError(_("--sweep {text}: expected KEY=VALUE1,VALUE2,... e.g. --sweep train.optimizer.name=sgd,adam").format(
            text=text))
    raw_key, _sep, raw_values = text.partition("=")
    key = _canonical(raw_key)
    known = sweep_keys()
    if key not in known:
        bare = {k.removeprefix("train."): k for k in known}  # "train." alike in every key would make all look close
        close = difflib.get_close_matches(key.removeprefix("train."), list(bare), n=1, cutoff=0.75)
        hint = bare[close[0]] if close else None
        if hint:
            raise SweepError(_("--sweep {key}: not a setting a sweep can change; did you mean {hint}?").format(
                key=raw_key.strip(), hint=hint))
        raise SweepError(_("--sweep {key}: not a setting a sweep can change; e.g. train.optimizer.name, train.lr, "
                           "train.batch_size, activation").format(key=raw_key.strip()))
    values = tuple(v.strip() for v in raw_values.split(","))
    if not raw_values.strip() or any(v == "" for v in values):
        raise SweepError(_("--sweep {key}: give the values separated by commas, none empty, e.g. {key}=a,b").format(key=key))
    dup = next((v for v in values if values.count(v) > 1), None)
    if dup is not None:
        raise SweepError(_("--sweep {key}: {value} is listed twice").format(key=key, value=repr(dup)))
    return Axis(key, values)


@dataclass(frozen=True)
class Combination:
    """One run of a sweep: a value for each axis."""

    settings: tuple[tuple[str, str], ...]   # (key, value) per axis

    @property
    def slug(self) -> str:
        """The run's folder name: ``optimizer.name=adam`` (axes joined with ``+``)."""
        parts = [f"{k.removeprefix('train.')}={v}" for k, v in self.settings]
        return _SLUG_BAD.sub("_", "+".join(parts))[:120] or "run"

    @property
    def label(self) -> str:
        """What an overlay's legend says: the swept values, named (``optimizer=adam``, ``lr=0.01, batch_size=32``)."""
        return ", ".join(f"{short_key(k)}={v}" for k, v in self.settings)

    def apply(self, data: Any) -> tuple[Any, list[str]]:
        """The experiment data (parsed YAML) with this combination's values set, and notes on what changed
        besides (arguments dropped because the new optimizer has no such field)."""
        out = copy.deepcopy(data) if data is not None else {}
        notes: list[str] = []
        for key, raw in self.settings:
            value, _w = read_yaml(raw, f"--sweep {key}")
            if key == "activation":
                notes += _set_activation(out, value)
                continue
            parts = key.split(".")
            node = out.setdefault(parts[0], {})
            if not isinstance(node, dict):
                node = out[parts[0]] = {"name": node} if parts[0] == "data" and isinstance(node, str) else {}
            if len(parts) == 2:
                node[parts[1]] = value
                continue
            section, field = parts[1], parts[2]
            sub = node.get(section)
            if isinstance(sub, str) or sub in (None, True, False):
                sub = {"name": sub} if isinstance(sub, str) else {}
            node[section] = sub
            sub[field] = value
            table = {"optimizer": C.OPTIMIZERS, "loss": C.LOSSES, "scheduler": C.SCHEDULERS}.get(section)
            if field == "name" and table is not None and str(value) in table:
                allowed = {f.name for f in table[str(value)]}
                dropped = [k for k in list(sub) if k != "name" and k not in allowed]
                for k in dropped:
                    sub.pop(k)
                if dropped:
                    notes.append(_("{section} {value} has no {fields}: dropped from this run").format(
                        section=section, value=value, fields=', '.join(dropped)))
        return out, notes


#: Activation kinds that turn scores into probabilities: an activation sweep leaves them where they are.
_OUTPUT_KINDS = ("Softmax", "LogSoftmax")


def _set_activation(data: Any, kind: Any) -> list[str]:
    from tui_dl.core.model.layers import REGISTRY

    name = str(kind)
    canon = {k.lower(): k for k, v in REGISTRY.items() if v.group == "activation" and k not in _OUTPUT_KINDS}
    target = canon.get(name.lower())
    if target is None:
        hint = suggest(name, list(canon.values()))
        kinds = ', '.join(canon.values())
        if hint:
            raise SweepError(_("--sweep activation={name}: not an activation layer; one of {kinds} (did you mean "
                               "{hint}?)").format(name=name, kinds=kinds, hint=hint))
        raise SweepError(_("--sweep activation={name}: not an activation layer; one of {kinds}").format(
            name=name, kinds=kinds))
    allowed = {f.name for f in REGISTRY[target].fields}
    changed = 0

    def walk(layers):
        nonlocal changed
        if not isinstance(layers, list):
            return
        for i, item in enumerate(layers):
            t = item if isinstance(item, str) else item.get("type") if isinstance(item, dict) else None
            if isinstance(t, str) and t in REGISTRY and REGISTRY[t].group == "activation" and t not in _OUTPUT_KINDS:
                params = {k: v for k, v in item.items() if k in allowed} if isinstance(item, dict) else {}
                layers[i] = {"type": target, **params}
                changed += 1
            elif isinstance(item, dict) and "layers" in item:
                walk(item["layers"])

    walk(data.get("layers") if isinstance(data, dict) else None)
    if not changed:
        raise SweepError(_("--sweep activation: the network has no activation layer to change"))
    return []


def expand(axes: list[Axis]) -> list[Combination]:
    """The cartesian product of the axes, first axis slowest."""
    if not axes:
        return []
    keys = [a.key for a in axes]
    dup = next((k for k in keys if keys.count(k) > 1), None)
    if dup is not None:
        raise SweepError(_("--sweep {key} is given twice: list all its values in one --sweep {key}=a,b,c").format(key=dup))
    same = [k for k in keys if _SAME_SETTING.get(k, k) != k or k in _SAME_SETTING.values()]
    if len({_SAME_SETTING.get(k, k) for k in same}) < len(same):  # train.lr is train.optimizer.lr
        raise SweepError(_("--sweep {keys} are the same setting: list all its values in one --sweep {key}=a,b,c").format(
            keys=("、" if is_chinese() else " and ").join(same), key=same[0]))
    combos = [Combination(tuple(zip(keys, vals))) for vals in itertools.product(*(a.values for a in axes))]
    if len(combos) > MAX_COMBINATIONS:
        raise SweepError(_("--sweep: {n} combinations is more than {limit}; sweep fewer values").format(
            n=len(combos), limit=MAX_COMBINATIONS))
    return combos


def build_combinations(data: Any, axes: list[Axis], source: str
                       ) -> list[tuple[Combination, Experiment, list[str]]]:
    """Every combination's checked experiment (and its notes). :class:`SweepError` names the first combination
    whose values the experiment checker refuses, with the checker's message."""
    out = []
    for combo in expand(axes):
        applied, notes = combo.apply(data)
        try:
            exp = experiment_from_data(applied, source)
        except ConfigError as e:
            why = "; ".join(f"{p.path}: {p.message}".rstrip(".") if p.path else p.message for p in e.problems)
            raise SweepError(_("--sweep {settings}: {why}").format(
                settings=', '.join(f'{k}={v}' for k, v in combo.settings), why=why)) from None
        out.append((combo, exp, notes))
    return out
