"""Mutations of a real checkpoint, field by field: every path into its dicts and lists (the first items of long
lists) deleted, given the wrong kind of value (a list where a mapping belongs, text for a number, a number for
text, null), tensors given the wrong shape or dtype, lists emptied. Shared by
``tests/reliability/test_checkpoint_fields.py`` and ``python -m benchmarks.faults``.

What each mutated checkpoint must give, for --resume, predict, export and attack alike: the command works
(the mutation touched nothing it reads), or exit 2 with one message naming the file: ``this checkpoint is
damaged: FIELD``, or one of :data:`OTHER_REFUSALS` for the few fields with a message of their own.
"""

from __future__ import annotations

import copy
import random
from typing import Any, Iterator

import torch

#: Messages other than "this checkpoint is damaged: FIELD" that are right for some fields.
OTHER_REFUSALS = {
    "format": "is a torch file but not a tui-dl checkpoint",
    "format_version": "was written by a newer tui-dl",
    "experiment": "the experiment stored in the checkpoint is not valid",
    "inference": "does not say what input the network expects",
    "incomplete": "is incomplete: it has no",
}

_MISSING = object()


def paths(obj: Any, prefix: tuple = (), *, long_list: int = 3) -> Iterator[tuple]:
    """Every path into ``obj`` (dict keys and list indices; of a list longer than ``long_list`` only the first
    and the last item), the root excluded."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield prefix + (k,)
            yield from paths(v, prefix + (k,), long_list=long_list)
    elif isinstance(obj, (list, tuple)):
        idx = range(len(obj)) if len(obj) <= long_list else (0, len(obj) - 1)
        for i in idx:
            yield prefix + (i,)
            yield from paths(obj[i], prefix + (i,), long_list=long_list)


def field_name(path: tuple) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) and out and not out.endswith("state") else (f".{p}" if out else str(p))
    return out


def _get(obj, path):
    for p in path:
        obj = obj[p]
    return obj


def _wrong_values(v: Any) -> list[tuple[str, Any]]:
    if isinstance(v, torch.Tensor):
        shape = [s + 1 for s in v.shape] or [2]
        out = [("tensor of the wrong shape", torch.zeros(shape, dtype=v.dtype)),
               ("a list where a tensor belongs", v.flatten()[:3].tolist())]
        if v.dim() > 0:
            out.append(("tensor of one dimension more", v.unsqueeze(0)))
        out.append(("tensor of another dtype", v.to(torch.float64 if not v.is_floating_point() else torch.int64)))
        return out
    if isinstance(v, dict):
        return [("a list where a mapping belongs", list(v.values())[:2]), ("text where a mapping belongs", "{}")]
    if isinstance(v, (list, tuple)):
        out = [("a mapping where a list belongs", {"0": 0}), ("text where a list belongs", "[1, 2]")]
        if v:
            out.append(("an empty list", []))
        return out
    if isinstance(v, bool):
        return [("text where true/false belongs", "yes")]
    if isinstance(v, int):
        return [("text where an integer belongs", str(v)), ("a negative integer", -7), ("a float", v + 0.5)]
    if isinstance(v, float):
        return [("text where a number belongs", "nan"), ("a list where a number belongs", [v])]
    if isinstance(v, str):
        return [("a number where text belongs", 7), ("a list where text belongs", [v])]
    if v is None:
        return [("a mapping where null belongs", {"x": 1}), ("text where null belongs", "none")]
    return []


def mutations(ck: dict, *, skip_deletes_under: tuple[str, ...] = ("experiment", "spec")) -> list[tuple[str, str, dict]]:
    """``(field, what was done, mutated checkpoint)`` for every path of ``ck``: a deletion (not inside
    ``skip_deletes_under``, where a deleted key takes its default and trains another experiment) and each wrong
    value of :func:`_wrong_values`."""
    out = []
    for path in paths(ck):
        v = _get(ck, path)
        parent = _get(ck, path[:-1])
        name = field_name(path)
        todo = [] if (path[0] in skip_deletes_under and len(path) > 1) or not isinstance(parent, dict) \
            else [("deleted", _MISSING)]
        todo += _wrong_values(v)
        for what, new in todo:
            m = copy.copy(ck)
            # copy the containers along the path only (tensors are shared, never changed in place)
            node, src = m, ck
            for p in path[:-1]:
                child = copy.copy(src[p])
                node[p] = child
                node, src = child, src[p]
            if isinstance(node, tuple):  # (tuples do not appear in a loaded checkpoint; lists do)
                continue
            if new is _MISSING:
                del node[path[-1]]
            else:
                node[path[-1]] = new
            out.append((name, what, m))
    return out


def sample(items: list, n: int | None, seed: int = 0) -> list:
    if n is None or n >= len(items):
        return items
    return random.Random(seed).sample(items, n)


def judge(rc: int, err: str, field: str, ckpt_path) -> str:
    """"ok" (worked), "refused" (exit 2 with a right message), or what went wrong."""
    if "Traceback" in err:
        return "traceback"
    if rc == 0:
        return "ok"
    if rc != 2:
        return f"exit {rc}"
    if str(ckpt_path) not in err and str(getattr(ckpt_path, "parent", "")) not in err:
        return "message without the file"
    if "this checkpoint is damaged: " in err:
        return "refused"
    top = field.split(".")[0].split("[")[0]
    if OTHER_REFUSALS.get(top, "\0") in err or OTHER_REFUSALS["incomplete"] in err:
        return "refused"
    return "refused without 'damaged: FIELD'"


# ----------------------------------------------------------------------------- the run they mutate

BASE_YAML = """\
name: fuzzbase
input: [1, 28, 28]
layers:
  - {type: Flatten}
  - {type: Linear, out_features: 10}
data: {name: synthetic-digits, num_samples: 200, val_split: 0.1}
train: {threads: 1, batch_size: 32, epochs: 2, log_every: 1, optimizer: {name: adam, lr: 0.01},
        scheduler: {name: step, step_size: 1}, early_stopping: {patience: 3, restore_best: true}}
"""


def make_base_run(folder) -> dict:
    """A run stopped in the middle of its second epoch (so its last.pt has every field: the epoch's running sums,
    the best weights, the scheduler), an image to predict, and the paths: ``{"run", "image", "exp"}``."""
    import threading
    from pathlib import Path

    import numpy as np
    from PIL import Image

    from tui_dl.core.config.experiment import load_experiment
    from tui_dl.core.training.loop import iter_training

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    exp_path = folder / "fuzzbase.yaml"
    exp_path.write_text(BASE_YAML, encoding="utf-8")
    stop, steps = threading.Event(), 0
    for ev in iter_training(load_experiment(exp_path), run_dir=folder / "run", should_stop=stop):
        if ev.kind == "step" and ev.epoch == 2:
            steps += 1
            if steps == 2:
                stop.set()
    (folder / "run" / "config.yaml").unlink()  # --resume then reads the checkpoint's own experiment
    image = folder / "digit.png"
    Image.fromarray((np.random.default_rng(0).random((28, 28)) * 255).astype(np.uint8)).save(image)
    return {"run": folder / "run", "image": image, "exp": exp_path}


COMMANDS = ("resume", "predict", "export", "attack")


def command_args(command: str, folder, ckpt, image, out) -> list:
    """The tui-dl arguments that make ``command`` read the checkpoint ``ckpt`` (in run folder ``folder``)."""
    if command == "resume":
        return ["--batch", "--resume", folder, "--quiet"]
    if command == "predict":
        return ["predict", ckpt, image]
    if command == "export":
        return ["export", ckpt, "--format", "state_dict", "-o", out / "model.pt"]
    return ["attack", ckpt, "--eps", "0,0.1", "--limit", "10"]
