"""A device's badge text in the language spoken now (plain Python, no torch).

Run records keep the English badge that :func:`tui_dl.core.device.describe_device` wrote ("CPU (2 cores,
2 threads)"), so a run folder reads the same everywhere; what shows it (the ``--batch`` header, the app's status
bar and log, the runs table) passes it through :func:`device_text`. A GPU's name is a product name and is kept.
"""

from __future__ import annotations

import re

from tui_dl.core.i18n import N_, _, ngettext

_CPU = re.compile(r"^CPU \((\d+) cores?, (\d+) threads?\)$")
_NAMES = {"CUDA GPU": N_("CUDA GPU"), "Apple GPU (MPS)": N_("Apple GPU (MPS)"),
          "Intel GPU (XPU)": N_("Intel GPU (XPU)")}


def device_text(name: str | None) -> str:
    """``name`` (an English badge from a record or the probe) as the current language says it."""
    if not name:
        return name or ""
    m = _CPU.match(name)
    if m:
        cores, threads = int(m.group(1)), int(m.group(2))
        return _("CPU ({cores}, {threads})").format(
            cores=ngettext("{n} core", "{n} cores", cores).format(n=cores),
            threads=ngettext("{n} thread", "{n} threads", threads).format(n=threads))
    return _(_NAMES[name]) if name in _NAMES else name
