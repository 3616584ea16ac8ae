"""Checkpoints: plain dicts of tensors, numbers, strings and lists, written atomically.

Every file loads with ``torch.load(path, weights_only=True)`` (no pickled objects, so opening a
checkpoint someone sent you cannot run code). Every tensor in it is saved on the CPU (weights, optimizer
and scheduler state, running sums), so a checkpoint written on a GPU server opens on a laptop without CUDA;
loading maps it to ``map_location`` (the CPU by default). A checkpoint holds everything needed to resume a run
bit-for-bit: model, optimizer and scheduler state, the RNG states, the position in the epoch, the
early-stopping state, and the network spec + full experiment so the model can be rebuilt without the
YAML file.
"""

from __future__ import annotations

import errno
import os
import pickle
import random
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tui_dl import __version__
from tui_dl.core.i18n import _
from tui_dl.core.paths import PathProblem, expand_user
from tui_dl.core.runs.atomic import atomic_write
from tui_dl.core.runs.checkpoint_check import CheckpointError, check_checkpoint, damaged

FORMAT = "tui-dl-checkpoint"
FORMAT_VERSION = 1




# ----------------------------------------------------------------------------- RNG states as plain data


def rng_state() -> dict[str, Any]:
    """torch (CPU + CUDA), numpy and Python RNG states as tensors and plain lists/ints."""
    py_version, py_internal, py_gauss = random.getstate()
    np_name, np_keys, np_pos, np_has_gauss, np_gauss = np.random.get_state()
    out: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "python": [int(py_version), [int(v) for v in py_internal], py_gauss],
        "numpy": [str(np_name), [int(v) for v in np_keys], int(np_pos), int(np_has_gauss), float(np_gauss)],
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        out["cuda"] = torch.cuda.get_rng_state_all()
    return out


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"].cpu())
    v, internal, gauss = state["python"]
    random.setstate((int(v), tuple(int(x) for x in internal), gauss))
    name, keys, pos, has_gauss, g = state["numpy"]
    np.random.set_state((name, np.array(keys, dtype=np.uint32), int(pos), int(has_gauss), float(g)))
    if "cuda" in state and torch.cuda.is_available():
        cuda_states = [s.cpu() for s in state["cuda"]]
        if len(cuda_states) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(cuda_states)


# ----------------------------------------------------------------------------- files


def on_cpu(obj: Any) -> Any:
    """``obj`` with every tensor in it (inside dicts, lists and tuples, at any depth) on the CPU. CPU tensors are
    kept as they are (no copy); a tensor on any other device is copied to the CPU, detached."""
    if isinstance(obj, torch.Tensor):
        return obj if obj.device.type == "cpu" else obj.detach().to("cpu")
    if isinstance(obj, dict):
        return {k: on_cpu(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [on_cpu(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(on_cpu(v) for v in obj)
    return obj


def atomic_save(obj: dict[str, Any], path: str | os.PathLike) -> Path:
    """``torch.save`` through :func:`~tui_dl.core.runs.atomic.atomic_write`: a crash or a full disk never leaves a
    half-written checkpoint, and the previous file stays intact until the new one is whole. Every tensor is
    saved on the CPU (:func:`on_cpu`): the optimizer's state of a GPU run too."""
    cpu = on_cpu(obj)
    try:
        return atomic_write(path, lambda f: torch.save(cpu, f), binary=True)
    except RuntimeError as e:
        if not is_torch_write_failure(e):
            raise
        raise write_failure_oserror(Path(path), e) from None


#: What torch's zip writer says when a write under it fails (a full disk shows as "unexpected pos").
_TORCH_WRITE_FAILURES = ("inline_container", "unexpected pos", "PytorchStreamWriter", "file write failed")
#: Below this much free space, a failed torch write is taken for a full disk.
_NEARLY_FULL = 64 * 2**20


def is_torch_write_failure(e: BaseException) -> bool:
    """Whether ``e`` is torch's zip writer failing to write (it hides the OSError behind a RuntimeError)."""
    return isinstance(e, RuntimeError) and any(s in str(e) for s in _TORCH_WRITE_FAILURES)


def write_failure_oserror(path: Path, e: BaseException) -> OSError:
    """The OSError that torch's write failure stands for: ENOSPC when the disk is (nearly) full, else EIO."""
    try:
        st = os.statvfs(path.parent)
        free = st.f_bavail * st.f_frsize
    except (OSError, AttributeError):
        free = None
    if free is not None and free < _NEARLY_FULL:
        return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
    first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return OSError(errno.EIO, _("torch could not write the file ({reason})").format(reason=first), str(path))


def make_checkpoint(**fields: Any) -> dict[str, Any]:
    """A checkpoint dict with the format marker and version stamp (fields as given)."""
    return {"format": FORMAT, "format_version": FORMAT_VERSION, "tui_dl_version": __version__,
            "torch_version": str(torch.__version__), **fields}


def save_checkpoint(path: str | os.PathLike, **fields: Any) -> Path:
    return atomic_save(make_checkpoint(**fields), path)


def runs_inside(folder: Path) -> list[Path]:
    """The run or sweep folders directly inside ``folder`` (sorted; a runs/ folder given for one of its runs)."""
    try:
        return sorted(d for d in folder.iterdir() if d.is_dir() and ((d / "last.pt").is_file()
                                                                     or (d / "sweep.json").is_file()))
    except OSError:
        return []


def resolve_checkpoint_path(where: str | os.PathLike, prefer: tuple[str, ...] = ("last.pt",)) -> Path:
    """A run folder → the first of ``prefer`` it holds (``last.pt``: the weights summary.json's test accuracy is
    for; export and predict prefer ``best.pt``); a file → itself. Raises :class:`CheckpointError` when missing.
    The one place a run folder or checkpoint argument is resolved (resume, attack, export, predict, the app)."""
    try:
        p = expand_user(where)
    except PathProblem as e:
        raise CheckpointError(str(e)) from None
    if p.is_dir():
        for name in prefer:
            if (p / name).is_file():
                return p / name
        names = " or ".join(prefer)
        if (p / "config.yaml").is_file() and (p / "metrics.jsonl").is_file():
            raise CheckpointError(_("{folder} has no {names}: its run stopped before the first checkpoint was "
                                    "written, so nothing was trained. Start it again: tui-dl --batch {config} --out "
                                    "{folder} --overwrite").format(folder=p, names=names, config=p / "config.yaml"))
        inside = runs_inside(p)
        if not inside:
            raise CheckpointError(_("{folder} has no {names}: it is not a tui-dl run folder, or the run stopped "
                                    "before its first checkpoint was written.").format(folder=p, names=names))
        if (inside[0] / "sweep.json").is_file():
            text = _("{folder} has no {names}: it is not a tui-dl run folder, or the run stopped before its first "
                     "checkpoint was written. It holds sweeps: give one, e.g. {example}")
        else:
            text = _("{folder} has no {names}: it is not a tui-dl run folder, or the run stopped before its first "
                     "checkpoint was written. It holds run folders: give one, e.g. {example}")
        raise CheckpointError(text.format(folder=p, names=names, example=inside[-1]))
    if not p.exists():
        raise CheckpointError(_("{path}: no such run folder or checkpoint (give a run folder such as "
                                "runs/lenet-5-20250101-120000, or a .pt file in one)").format(path=p))
    return p


def _check_crc(path: Path) -> None:
    """torch.save stores a CRC-32 for every entry of its zip archive, but torch.load does not check them:
    a flipped byte would load as silently wrong weights, or fail deep inside the unpickler. Read every entry
    once with zipfile, which raises BadZipFile on a mismatch. (Entries saved without a checksum are skipped.)"""
    if not zipfile.is_zipfile(path):
        return  # not a zip archive: torch.load says what it is
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            if info.CRC == 0 and info.file_size:
                continue
            with z.open(info) as f:
                while f.read(1 << 22):
                    pass


def _head_if_not_zip(path: Path) -> bytes | None:
    """The first bytes of a file that is plainly no zip archive; None for a zip (or a damaged one: zipfile itself
    raises on some, and torch.load then says what is wrong)."""
    try:
        if zipfile.is_zipfile(path):
            return None
        with open(path, "rb") as f:
            return f.read(2)
    except (zipfile.BadZipFile, OSError, ValueError):
        return None


def _looks_like_yaml(path: Path) -> bool:
    """A .yaml/.yml file, or one whose first KB is text with a ``key:`` line (an experiment file given as a
    checkpoint)."""
    if path.suffix.lower() in (".yaml", ".yml"):
        return True
    try:
        with open(path, "rb") as f:
            text = f.read(1024).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return any(line.split(":")[0].strip().isidentifier() and ":" in line for line in text.splitlines()[:20])


def load_checkpoint(where: str | os.PathLike, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a tui-dl checkpoint safely (``weights_only=True``). Raises :class:`CheckpointError`."""
    path = resolve_checkpoint_path(where)
    head = _head_if_not_zip(path)
    if head is not None and head[:1] != b"\x80":  # neither torch's zip archive nor its older pickle format
        if _looks_like_yaml(path):
            raise CheckpointError(_("{path} is a YAML experiment file, not a checkpoint. To train it: tui-dl --batch "
                                    "{path}. Where a checkpoint is asked for (--resume, predict, export, attack), give "
                                    "a run folder (runs/NAME-DATE) or the last.pt or best.pt inside it.").format(
                path=path))
        if path.name in ("summary.json", "metrics.jsonl", "metrics.csv", "sweep.json", "attack.json") or (
                path.suffix.lower() in (".json", ".jsonl", ".csv", ".md") and (path.parent / "last.pt").is_file()):
            raise CheckpointError(_("{path} is one of the run's text files, not a checkpoint: give the run folder "
                                    "({folder}) or its last.pt or best.pt").format(path=path, folder=path.parent))
        raise CheckpointError(_("{path} could not be read as a checkpoint: it is damaged or not a torch file (it "
                                "starts with {head}; a checkpoint is a zip archive)").format(path=path, head=repr(head)))
    try:
        _check_crc(path)
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        first = str(e).strip().splitlines()[-1] if str(e).strip() else ""
        text = _("{path} is not a tui-dl checkpoint, or it is unsafe: it holds pickled Python objects, which could "
                 "run code when loaded, so it was refused (torch.load with weights_only=True). tui-dl checkpoints "
                 "contain only tensors, numbers, strings and lists.").format(path=path)
        raise CheckpointError(text + (f" ({first})" if first else "")) from None
    except Exception as e:  # noqa: BLE001 - a damaged file makes torch.load fail in many ways (KeyError, ...)
        raise CheckpointError(_("{path} could not be read as a checkpoint: it is damaged or not a torch file "
                                "({error})").format(
            path=path, error=f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")) from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise CheckpointError(_("{path} is a torch file but not a tui-dl checkpoint (no 'format: {format}' entry); "
                                "tui-dl can only resume or load its own checkpoints.").format(path=path, format=FORMAT))
    version = ckpt.get("format_version", 0)
    if not isinstance(version, int) or isinstance(version, bool):
        raise CheckpointError(damaged(path, "format_version", _("is {value}, not a version number").format(
            value=repr(version))))
    if version > FORMAT_VERSION:
        raise CheckpointError(_("{path} was written by a newer tui-dl ({version}); upgrade tui-dl to load "
                                "it.").format(path=path, version=ckpt.get("tui_dl_version")))
    for key in ("model", "spec", "experiment"):
        if key not in ckpt:
            raise CheckpointError(_("{path} is incomplete: it has no {key} entry.").format(path=path, key=repr(key)))
    check_checkpoint(ckpt, path)  # every field of the kind tui-dl writes: "this checkpoint is damaged: FIELD ..."
    return ckpt


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return f"{type(e).__name__}: {text.splitlines()[0]}" if text else type(e).__name__


def experiment_from_checkpoint(ckpt: dict[str, Any], source: str = "<checkpoint>"):
    """The :class:`~tui_dl.core.config.experiment.Experiment` stored in a checkpoint (validated again)."""
    from tui_dl.core.config.experiment import ConfigError, experiment_from_data

    try:
        return experiment_from_data(ckpt["experiment"], source)
    except ConfigError as e:
        raise CheckpointError(_("{source}: the experiment stored in the checkpoint is not valid for this version "
                                "of tui-dl:\n{problems}").format(source=source, problems=e)) from None


def model_from_checkpoint(where_or_ckpt, map_location: str | torch.device = "cpu", *, source: str | None = None):
    """Rebuild the network from the checkpoint's spec and load its weights; returns ``(model, ckpt)``.

    The model is in eval mode, on ``map_location``. Use it for inference or to inspect a trained run.
    """
    from tui_dl.core.model.build import build_model
    from tui_dl.core.model.spec import NetworkSpec

    from tui_dl.core.model.build import SpecError

    if isinstance(where_or_ckpt, dict):
        ckpt, source = where_or_ckpt, source or _("the checkpoint")
    else:
        ckpt, source = load_checkpoint(where_or_ckpt, map_location), str(resolve_checkpoint_path(where_or_ckpt))
    try:
        model = build_model(NetworkSpec.from_dict(ckpt["spec"]))
    except (SpecError, KeyError, TypeError, ValueError, AttributeError, IndexError) as e:
        raise CheckpointError(damaged(source, "spec", _("is not a network tui-dl can build ({error})").format(
            error=_first_line(e)))) from None
    try:
        model.load_state_dict(ckpt["model"])
    except (RuntimeError, TypeError, ValueError, AttributeError) as e:
        raise CheckpointError(damaged(source, "model", _("does not fit the network stored with it ({error})").format(
            error=_first_line(e)))) from None
    model.to(map_location)
    model.eval()
    return model, ckpt
