"""The reference: the training loop a course writes, with torchvision's dataset and a DataLoader.

    ds = torchvision.datasets.FashionMNIST(root, train=True,
                                           transform=Compose([ToTensor(), Normalize((0.5,), (0.5,))]))
    loader = DataLoader(ds, batch_size=64, shuffle=True)
    opt = Adam(model.parameters(), lr=1e-3); crit = CrossEntropyLoss()
    for x, y in loader:
        opt.zero_grad(); loss = crit(model(x), y); loss.backward(); opt.step()

torchvision wants ``root/FashionMNIST/raw/`` with the uncompressed IDX files: :func:`torchvision_root` builds
that layout in a temporary folder from the Debian package's ``.gz`` files (or plain files) in any IDX folder.
Without an IDX folder the reference runs on synthetic digits wrapped in :class:`PILTensorDataset`, which
does per sample what torchvision's MNIST does (``Image.fromarray(..., mode="L")`` then the transform).
"""

from __future__ import annotations

import gzip
import os
import shutil
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

IDX_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
             "t10k-labels-idx1-ubyte")


def find_idx(folder: str | os.PathLike) -> dict[str, Path] | None:
    """The four IDX files (plain or .gz) in ``folder``, or None when any is missing."""
    folder = Path(folder)
    out = {}
    for name in IDX_FILES:
        for cand in (folder / name, folder / f"{name}.gz"):
            if cand.is_file():
                out[name] = cand
                break
        else:
            return None
    return out


def torchvision_root(idx_folder: str | os.PathLike) -> str:
    """A temporary root holding ``FashionMNIST/raw/<uncompressed IDX files>`` (caller removes it)."""
    files = find_idx(idx_folder)
    if files is None:
        raise FileNotFoundError(f"no IDX files in {idx_folder}")
    root = tempfile.mkdtemp(prefix="tui-dl-bench-tv-")
    raw = Path(root) / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for name, src in files.items():
        if src.suffix == ".gz":
            with gzip.open(src, "rb") as f_in, open(raw / name, "wb") as f_out:
                shutil.copyfileobj(f_in, f_out, 1 << 20)
        else:
            os.symlink(src.resolve(), raw / name)
    return root


class PILTensorDataset(torch.utils.data.Dataset):
    """uint8 (N, 1, H, W) tensors served like torchvision's MNIST: a PIL image per sample, then the transform."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, transform):
        self.data = x[:, 0].contiguous()
        self.targets = y
        self.transform = transform

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, index):
        from PIL import Image

        img = Image.fromarray(self.data[index].numpy(), mode="L")
        return self.transform(img), int(self.targets[index])


def course_transform():
    from torchvision import transforms

    return transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])


def course_datasets(tv_root: str | None, synthetic=None):
    """(train, test) datasets as the course builds them (``synthetic``: a LoadedData used instead)."""
    tf = course_transform()
    if tv_root is not None:
        from torchvision.datasets import FashionMNIST

        return (FashionMNIST(tv_root, train=True, transform=tf, download=False),
                FashionMNIST(tv_root, train=False, transform=tf, download=False))
    return (PILTensorDataset(synthetic.train.x, synthetic.train.y, tf),
            PILTensorDataset(synthetic.test.x, synthetic.test.y, tf))


class ReferenceTrainer:
    """Model + Adam(lr 1e-3) + CrossEntropyLoss + DataLoader(batch_size=64, shuffle=True): the course loop."""

    def __init__(self, model: nn.Module, train_ds, batch_size: int = 64, lr: float = 1e-3):
        self.model = model
        self.loader = torch.utils.data.DataLoader(train_ds, batch_size=batch_size, shuffle=True)
        self.opt = torch.optim.Adam(model.parameters(), lr=lr)
        self.crit = nn.CrossEntropyLoss()
        self._it = None

    def _next(self):
        if self._it is None:
            self._it = iter(self.loader)
        try:
            return next(self._it)
        except StopIteration:
            self._it = iter(self.loader)
            return next(self._it)

    def timed_steps(self, warmup: int, steps: int) -> tuple[float, int]:
        """Run ``warmup`` steps, then time ``steps`` more: (seconds, images) of the timed part.

        The loop body is the course's, written out with the iterator so the timer can sit after the warm-up.
        """
        model, opt, crit = self.model, self.opt, self.crit
        model.train()
        for _ in range(warmup):
            x, y = self._next()
            opt.zero_grad()
            loss = crit(model(x), y)
            loss.backward()
            opt.step()
        images = 0
        t0 = time.perf_counter()
        for _ in range(steps):
            x, y = self._next()
            opt.zero_grad()
            loss = crit(model(x), y)
            loss.backward()
            opt.step()
            images += len(y)
        return time.perf_counter() - t0, images

    def train_epoch(self) -> tuple[float, int]:
        """One full epoch exactly as the course writes it: (seconds, images)."""
        model, opt, crit = self.model, self.opt, self.crit
        model.train()
        images = 0
        t0 = time.perf_counter()
        for x, y in self.loader:
            opt.zero_grad()
            loss = crit(model(x), y)
            loss.backward()
            opt.step()
            images += len(y)
        return time.perf_counter() - t0, images


def evaluate(model: nn.Module, test_ds, batch_size: int = 1000) -> float:
    """Test accuracy in percent, course style (DataLoader, no_grad, argmax)."""
    loader = torch.utils.data.DataLoader(test_ds, batch_size=batch_size)
    model.eval()
    correct = n = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x).argmax(1) == y).sum().item()
            n += len(y)
    return 100.0 * correct / n
