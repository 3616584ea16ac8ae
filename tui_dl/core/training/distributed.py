"""Distributed data parallel for ``--batch``: one process per device, started by ``torchrun`` (or
``tui-dl --batch FILE --nproc N``, :mod:`tui_dl.cli.launch`).

A process is a rank when ``torchrun`` has set ``WORLD_SIZE`` > 1 in its environment (:func:`from_env`). Then:

- :func:`init` joins the process group: NCCL on CUDA (each rank on ``cuda:LOCAL_RANK``), gloo on the CPU, with a
  short collective timeout (:data:`COLLECTIVE_TIMEOUT`) instead of torch's 10 minutes, and starts the
  :class:`Heartbeat` that notices a rank that died or hangs within :data:`HEARTBEAT_TIMEOUT` seconds.
- Every rank draws the same seeded permutation; a global batch of ``train.batch_size`` rows is cut into
  ``world`` contiguous shards (:func:`shard_bounds`, sizes differing by at most one), and each rank computes
  ``sum(loss of its rows) / global batch``, so the gradients summed over ranks (one ``all_reduce`` of one flat
  buffer per step, :class:`GradReducer`) are exactly the global batch's mean-loss gradient: N ranks give the
  single-process result up to the order of float additions.
- The same all-reduce carries the batch's loss, its correct count and each rank's stop flag, so every rank sees
  the same loss (divergence is agreed), the same metrics (early stopping is agreed) and the same stop request
  (Ctrl+C, SIGTERM): all ranks leave at the same step and none is left waiting in a collective.
- Evaluation is sharded without padding (:func:`eval_shard`) and its sums reduced exactly
  (:func:`reduce_sums`): each test example counts once, unlike the default ``DistributedSampler``.
- Rank 0 alone writes the run folder and the checkpoints; the other ranks get a :class:`NullWriter`.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import torch

from tui_dl.core.i18n import N_, _
from tui_dl.core.training.errors import TrainError
from tui_dl.core.training.events import english

__all__ = ["DistInfo", "from_env", "init", "shutdown", "shard_bounds", "eval_shard", "reduce_sums",
           "GradReducer", "Heartbeat", "NullWriter", "RankLost", "broadcast_object", "barrier",
           "COLLECTIVE_TIMEOUT", "HEARTBEAT_EVERY", "HEARTBEAT_TIMEOUT", "rank_log_path", "rank0_first",
           "DATA_WAIT", "shared_path", "stop_now", "evaluate_ranked", "describe"]

#: Seconds the other ranks wait for rank 0 to load (and maybe download) the dataset first.
DATA_WAIT = 4 * 3600

#: Seconds a collective may wait for the other ranks before it fails (torch's default is 10 minutes).
COLLECTIVE_TIMEOUT = float(os.environ.get("TUI_DL_DIST_TIMEOUT", "120"))
#: Seconds between heartbeats, and without one from a rank before it is declared gone.
HEARTBEAT_EVERY = 1.0
HEARTBEAT_TIMEOUT = float(os.environ.get("TUI_DL_HEARTBEAT_TIMEOUT", "10"))


class RankLost(TrainError):
    """A collective failed because another rank died or stopped answering (exit code 1)."""


@dataclasses.dataclass(frozen=True)
class DistInfo:
    """Where this process stands in a distributed run (``world == 1``: not distributed)."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0
    local_world: int = 1
    backend: str = ""

    @property
    def enabled(self) -> bool:
        return self.world > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def from_env(environ: dict[str, str] | None = None) -> DistInfo:
    """The rank, world size and local rank ``torchrun`` set (a plain process: rank 0 of 1)."""
    env = os.environ if environ is None else environ
    try:
        world = int(env.get("WORLD_SIZE", "1"))
        if world <= 1:
            return DistInfo()
        return DistInfo(rank=int(env.get("RANK", "0")), world=world, local_rank=int(env.get("LOCAL_RANK", "0")),
                        local_world=int(env.get("LOCAL_WORLD_SIZE", str(world))))
    except ValueError:
        return DistInfo()


def rank_log_path(run_dir: str | os.PathLike, rank: int) -> Path:
    """Where rank ``rank`` (> 0) writes its messages: ``RUN/ranks/rank-<r>.log``."""
    return Path(run_dir) / "ranks" / f"rank-{rank}.log"


def init(info: DistInfo, device: torch.device) -> tuple[DistInfo, torch.device]:
    """Join the process group (NCCL for CUDA, gloo otherwise) and start the heartbeat; returns the info with its
    backend and this rank's device (``cuda:LOCAL_RANK`` on CUDA)."""
    import torch.distributed as dist

    if device.type == "cuda":
        device = torch.device("cuda", info.local_rank % max(1, torch.cuda.device_count()))
        torch.cuda.set_device(device)
        backend = "nccl"
    else:
        backend = "gloo"
    if not dist.is_initialized():
        kwargs: dict[str, Any] = {"backend": backend, "timeout": datetime.timedelta(seconds=COLLECTIVE_TIMEOUT)}
        if backend == "nccl":
            kwargs["device_id"] = device
        dist.init_process_group(**kwargs)
    info = dataclasses.replace(info, backend=backend)
    global _HEARTBEAT
    if _HEARTBEAT is None:
        _HEARTBEAT = Heartbeat(info)
        _HEARTBEAT.start()
    return info, device


def shutdown() -> None:
    """Leave the process group (stops the heartbeat first)."""
    global _HEARTBEAT
    if _HEARTBEAT is not None:
        _HEARTBEAT.stop()
        _HEARTBEAT = None
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        try:
            dist.destroy_process_group()
        except Exception:  # noqa: BLE001 - leaving must not mask the run's own error
            pass


def barrier() -> None:
    import torch.distributed as dist

    try:
        dist.barrier()
    except Exception as e:  # noqa: BLE001
        raise lost(e, N_("a barrier")) from None


def broadcast_object(value: Any) -> Any:
    """Rank 0's ``value`` on every rank (the run folder's path, for example)."""
    import torch.distributed as dist

    box = [value]
    try:
        dist.broadcast_object_list(box, src=0)
    except Exception as e:  # noqa: BLE001
        raise lost(e, N_("sharing the run folder")) from None
    return box[0]


def rank0_first(info: DistInfo, fn):
    """``fn()`` on rank 0 first (a download happens once), then on the other ranks; rank 0's failure is
    raised there and the launcher stops the others."""
    if not info.enabled:
        return fn()
    from torch.distributed.distributed_c10d import _get_default_store

    store = _get_default_store()
    if info.is_main:
        try:
            return fn()
        finally:
            store.set("tui_dl/data_ready", "1")
    store.wait(["tui_dl/data_ready"], datetime.timedelta(seconds=DATA_WAIT))
    return fn()


def lost(e: BaseException, where: str) -> RankLost:
    """The error for a failed collective: the ranks the heartbeat misses, if it knows them."""
    gone = _HEARTBEAT.missing() if _HEARTBEAT is not None else []
    first = str(e).strip().splitlines()[0][:160] if str(e).strip() else type(e).__name__
    # TRANSLATORS: {where} is what the ranks were doing together ("a barrier", "evaluation"...); {first} the
    # system's reason (in English)
    if gone:
        text = _("the distributed run lost a rank during {where}: rank {ranks} stopped ({first}). This rank stops "
                 "too; the launcher's report names the rank that failed. Continue from the last checkpoint with "
                 "--resume RUN_DIR.")
    else:
        text = _("the distributed run lost a rank during {where}: another rank stopped ({first}). This rank stops "
                 "too; the launcher's report names the rank that failed. Continue from the last checkpoint with "
                 "--resume RUN_DIR.")
    return RankLost(text.format(where=_(where), ranks=", ".join(map(str, gone)), first=first))


# ----------------------------------------------------------------------------- the trainer's hooks


def describe(info: DistInfo, batch_size: int) -> str:
    """The run header's line: ranks, backend, the global batch and how it divides."""
    w = info.world
    lo, hi = batch_size // w, -(-batch_size // w)
    per = str(lo) if lo == hi else f"{lo}-{hi}"
    return english(N_("data parallel: {world} ranks ({backend}), global batch {batch} = {per} per rank; rank 0 "
                      "writes the run folder"), world=w, backend=info.backend, batch=batch_size, per=per)


def shared_path(info: DistInfo, make) -> Path:
    """``make()`` on rank 0 (a new run folder's path), the same path on every rank."""
    if not info.enabled:
        return make()
    if not info.is_main:
        return Path(broadcast_object(None))
    path = make()
    broadcast_object(str(path))
    return path


def stop_now(info: DistInfo, should_stop: threading.Event | None, step, *, due: bool = True) -> bool:
    """Whether to stop before the next step: ``should_stop`` in one process; across ranks, what the last
    step's all-reduce agreed (any rank's request stops every rank at the same step), read only on ``due``
    steps (the same on every rank: on a GPU each read waits for the device)."""
    asked = should_stop is not None and should_stop.is_set()
    if not info.enabled:
        return asked
    if asked:
        step.request_stop()
    return due and step.stop_agreed


def evaluate_ranked(info: DistInfo, evaluate, model, xy, objective, prep, batch_size: int, *, confusion: bool,
                    should_stop, precision):
    """``evaluate`` (:func:`tui_dl.core.training.steps.evaluate`) on the val or test tensors ``xy``, under the
    run's autocast; across ranks on this rank's shard with the sums reduced exactly (a stop request then waits
    for the next step, where the ranks agree on it)."""
    autocast = precision.autocast if precision is not None and precision.mixed else None
    if not info.enabled:
        return evaluate(model, *xy, objective, prep, batch_size, confusion=confusion, should_stop=should_stop,
                        autocast=autocast)
    return evaluate(model, *eval_shard(*xy, info), objective, prep, batch_size, confusion=confusion,
                    autocast=autocast, reduce=reduce_sums)


# ----------------------------------------------------------------------------- sharding


def shard_bounds(n: int, rank: int, world: int) -> tuple[int, int]:
    """Rows ``[lo, hi)`` of ``n`` that rank ``rank`` of ``world`` takes: contiguous, sizes differing by at most
    one, every row in exactly one shard (no padding, no duplicates)."""
    return n * rank // world, n * (rank + 1) // world


def eval_shard(x: torch.Tensor, y: torch.Tensor, info: DistInfo) -> tuple[torch.Tensor, torch.Tensor]:
    lo, hi = shard_bounds(int(y.shape[0]), info.rank, info.world)
    return x[lo:hi], y[lo:hi]


def reduce_sums(*tensors: torch.Tensor | None, n: int) -> int:
    """All-reduce (sum) evaluation sums in place; returns the total example count over ranks."""
    import torch.distributed as dist

    try:
        for t in tensors:
            if t is not None:
                dist.all_reduce(t)
        count = torch.tensor([n], dtype=torch.int64, device=next(t for t in tensors if t is not None).device)
        dist.all_reduce(count)
    except Exception as e:  # noqa: BLE001
        raise lost(e, N_("evaluation")) from None
    return int(count)


class GradReducer:
    """One ``all_reduce`` per step of every gradient, the batch's loss and correct count and the stop flags,
    packed into one flat fp32 buffer. ``stop_agreed`` says whether any rank asked to stop at that step."""

    def __init__(self, params: list[torch.nn.Parameter], device: torch.device):
        self.params = params
        self.numels = [p.numel() for p in params]
        self.total = sum(self.numels)
        self.buf = torch.zeros(self.total + 3, dtype=torch.float32, device=device)
        self._flag = torch.zeros((), dtype=torch.float32, device=device)
        self._stop = torch.zeros((), dtype=torch.float32, device=device)
        self.stop_requested = False     # set on this rank (a signal); sent with the next step

    def reduce(self, loss_part: torch.Tensor, correct: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Sum the gradients over ranks (written back into ``.grad``); returns the global loss and correct."""
        import torch.distributed as dist

        buf, off = self.buf, 0
        for p, k in zip(self.params, self.numels):
            if p.grad is None:
                buf[off:off + k].zero_()
            else:
                buf[off:off + k].copy_(p.grad.reshape(-1))
            off += k
        buf[off] = loss_part.float()
        buf[off + 1] = correct.float()
        buf[off + 2] = 1.0 if self.stop_requested else 0.0
        try:
            dist.all_reduce(buf)
        except Exception as e:  # noqa: BLE001
            raise lost(e, N_("the gradient all-reduce")) from None
        off = 0
        for p, k in zip(self.params, self.numels):
            g = buf[off:off + k].view_as(p)
            if p.grad is None:
                p.grad = g.clone()
            else:
                p.grad.copy_(g)
            off += k
        self._stop = buf[off + 2].clone()
        return buf[off].clone(), buf[off + 1].round().to(torch.int64)

    @property
    def stop_agreed(self) -> bool:
        return bool(self._stop > 0)


# ----------------------------------------------------------------------------- liveness


class Heartbeat(threading.Thread):
    """Each rank bumps its counter in the launcher's store every :data:`HEARTBEAT_EVERY` seconds and watches the
    others'; a rank whose counter stands still for :data:`HEARTBEAT_TIMEOUT` seconds (killed, hung, its machine
    gone) is named on stderr and this rank exits, instead of hanging in a collective. Counters, not clocks, so
    machines need not agree on the time."""

    def __init__(self, info: DistInfo):
        super().__init__(name="tui-dl-heartbeat", daemon=True)
        self.info = info
        self._halt = threading.Event()
        self._seen: dict[int, tuple[int, float]] = {}
        self._missing: list[int] = []
        self.store = None

    def _connect(self):
        import torch.distributed as dist

        host, port = os.environ.get("MASTER_ADDR"), os.environ.get("MASTER_PORT")
        if not host or not port:
            return None
        base = dist.TCPStore(host, int(port), is_master=False, timeout=datetime.timedelta(seconds=30),
                             wait_for_workers=False)
        return dist.PrefixStore(f"tui_dl_hb/{os.environ.get('TORCHELASTIC_RUN_ID', '')}/", base)

    def missing(self) -> list[int]:
        return list(self._missing)

    def stop(self) -> None:
        self._halt.set()

    def run(self) -> None:
        try:
            self.store = self._connect()
        except Exception:  # noqa: BLE001 - no store: the collective timeout is the fallback
            return
        if self.store is None:
            return
        me, beat = self.info.rank, 0
        while not self._halt.is_set():
            beat += 1
            try:
                self.store.set(f"r{me}", str(beat))
                now = time.monotonic()
                for r in range(self.info.world):
                    if r == me:
                        continue
                    key = f"r{r}"
                    v = int(self.store.get(key)) if self.store.check([key]) else 0
                    last_v, since = self._seen.get(r, (-1, now))
                    if v != last_v:
                        self._seen[r] = (v, now)
                    elif now - since > HEARTBEAT_TIMEOUT:
                        self._missing.append(r)
            except Exception:  # noqa: BLE001 - the launcher's store is gone: the launcher died
                if self._halt.is_set():
                    return
                self._die(_("the launcher (torchrun) is gone"))
                return
            if self._missing:
                self._die(_("rank {ranks} sent no heartbeat for {seconds:.0f} s (it died or hangs)").format(
                    ranks=", ".join(map(str, self._missing)), seconds=HEARTBEAT_TIMEOUT))
                return
            self._halt.wait(HEARTBEAT_EVERY)

    def _die(self, why: str) -> None:
        try:
            print(_("tui-dl: rank {rank}: {why}; stopping this rank. Continue from the last checkpoint with "
                    "--resume RUN_DIR.").format(rank=self.info.rank, why=why), file=sys.stderr, flush=True)
        finally:
            os._exit(1)


_HEARTBEAT: Heartbeat | None = None


# ----------------------------------------------------------------------------- the run folder


class NullWriter:
    """The run folder as ranks other than 0 see it: nothing is written (rank 0 writes the one run folder)."""

    def __init__(self, run_dir: str | os.PathLike):
        self.run_dir = Path(run_dir)
        self.jsonl_path = self.run_dir / "metrics.jsonl"

    def log(self, event, *, durable: bool = False, to_jsonl: bool = True, to_csv: bool = True) -> None:
        pass

    def write_config(self, yaml_text: str) -> None:
        pass

    def write_summary(self, summary: dict[str, Any]) -> Path:
        return self.run_dir / "summary.json"

    def epoch_rows(self) -> int:
        return 1  # "the folder already has its rows": rank 0 completes a new folder, not this rank

    def logged_epochs(self) -> tuple[set[int], set[int]]:
        return set(), set()

    def close(self) -> None:
        pass
