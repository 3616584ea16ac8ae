"""Experiment files as YAML text: a reader that records where every value was written (line and column) and
has safety limits, the problem records it reports, and the writer that lays an experiment out for people.

Plain Python (PyYAML, no torch). :mod:`tui_dl.core.config.experiment` checks what the reader returns against
the schema; this module knows nothing of experiments beyond their layout.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tui_dl.core.i18n import _

MAX_ALIASES = 64
MAX_DEPTH = 40
MAX_BYTES = 2_000_000


@dataclass
class Problem:
    path: str
    message: str
    line: int | None = None  # 1-based
    col: int | None = None

    def render(self, source: str) -> str:
        where = source
        if self.line is not None:
            where += f":{self.line}"
            if self.col is not None:
                where += f":{self.col}"
        return f"{where}: {self.path + ': ' if self.path else ''}{self.message}"


class ConfigError(Exception):
    """One or more problems in an experiment file, each with its location."""

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = problems
        super().__init__("\n".join(p.render(source) for p in problems))


# ----------------------------------------------------------------------------- located YAML


class LDict(dict):
    """A mapping that remembers where each key's value sits in the file (1-based line, column)."""

    mark: tuple[int, int] | None = None
    marks: dict


class LList(list):
    mark: tuple[int, int] | None = None
    marks: list


class _LocatedError(yaml.YAMLError):
    """A refusal of ours (YAML bomb, deep nesting, odd key) that knows its line."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line


class _Loader(yaml.SafeLoader):
    def __init__(self, stream):
        super().__init__(stream)
        self.alias_count = 0
        self.depth = 0
        self.dup_warnings: list[tuple[int, str]] = []

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self.alias_count += 1
            if self.alias_count > MAX_ALIASES:
                ev = self.peek_event()
                raise _LocatedError(ev.start_mark.line + 1, _("more than {n} aliases (*name): this looks like a YAML bomb; write the values out instead").format(n=MAX_ALIASES))
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                ev = self.peek_event()
                raise _LocatedError(ev.start_mark.line + 1, _("nested more than {n} levels deep").format(n=MAX_DEPTH))
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _construct_int(loader: _Loader, node):
    """YAML ints as usual, except digit strings too long for Python's int() (over 4,300 digits), which stay text
    so the field's check refuses them with its name instead of a ValueError from deep inside the reader."""
    text = loader.construct_scalar(node)
    if len(text) > 100:
        return text
    return yaml.SafeLoader.construct_yaml_int(loader, node)


def _mark(node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _construct_mapping(loader: _Loader, node, deep=False):
    loader.flatten_mapping(node)
    out = LDict()
    out.mark = _mark(node)
    out.marks = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) or key is None:
            raise _LocatedError(_mark(key_node)[0], _("a key must be plain text"))
        value = loader.construct_object(value_node, deep=True)
        if key in out:
            loader.dup_warnings.append((_mark(key_node)[0], _("key {key} appears more than once in this mapping; the last value ({value}) is used").format(key=repr(key), value=repr(value))))
        out[key] = value
        out.marks[key] = _mark(value_node)
    return out


def _construct_sequence(loader: _Loader, node, deep=False):
    out = LList(loader.construct_object(child, deep=True) for child in node.value)
    out.mark = _mark(node)
    out.marks = [_mark(child) for child in node.value]
    return out


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def read_yaml(text: str, source: str) -> tuple[Any, list[str]]:
    """Parse YAML text with locations. Raises :class:`ConfigError` with a line for syntax problems."""
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as e:
        line = text[: e.position].count("\n") + 1
        raise ConfigError(source, [Problem("", _("the file holds a control character (#x{code:04x}) that YAML does not allow; remove it").format(code=e.character), line)]) from None
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        msg = (e.problem or str(e)).strip()
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        hint = ""
        if "\t" in msg or "'\\t'" in msg:
            hint = " " + _("YAML indents with spaces, not tabs: replace the tab with spaces.")
        elif "found undefined alias" in msg:
            hint = " " + _("An alias (*name) must refer to an anchor (&name) defined earlier.")
        elif "could not determine a constructor" in msg:
            hint = " " + _("Tags such as !!python/... are not allowed: experiment files hold plain values only.")
        raise ConfigError(source, [Problem("", _("YAML syntax error: {message}.").format(message=msg) + hint, line, col)]) from None
    except yaml.reader.ReaderError as e:
        line = text[: e.position].count("\n") + 1
        raise ConfigError(source, [Problem("", _("the file holds a character (#x{code:04x}) that YAML does not allow; remove it").format(code=e.character), line)]) from None
    except _LocatedError as e:
        raise ConfigError(source, [Problem("", str(e), e.line)]) from None
    except yaml.YAMLError as e:
        raise ConfigError(source, [Problem("", f"{e}")]) from None
    except RecursionError:
        raise ConfigError(source, [Problem("", _("the file is nested too deeply to read"))]) from None
    finally:
        loader.dispose()
    warnings = [f"{source}:{line}: {msg}" for line, msg in loader.dup_warnings]
    return data, warnings


def read_text(path: str | os.PathLike) -> str:
    p = Path(path)
    source = str(path)
    try:
        if p.is_dir():
            raise ConfigError(source, [Problem("", _("this is a folder; give the path of a .yaml file"))])
        with open(p, "rb") as f:  # at most one byte past the limit: /dev/zero or a huge file is never read whole
            raw = f.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(source, [Problem("", _("no such file. Check the path (presets live in presets/)."))]) \
            from None
    except PermissionError:
        raise ConfigError(source, [Problem("", _("permission denied: the file cannot be read"))]) from None
    except OSError as e:
        raise ConfigError(source, [Problem("", _("cannot read the file: {reason}").format(reason=e.strerror or e))]) from None
    if len(raw) > MAX_BYTES:
        try:
            size = _("{n:,} bytes").format(n=p.stat().st_size) if p.is_file() else _("endless (not a regular file)")
        except OSError:
            size = _("over {n:,} bytes").format(n=MAX_BYTES)
        raise ConfigError(source, [Problem("", _("the file is {size}; experiment files are small (limit {limit:,} bytes). Is this the right file?").format(size=size, limit=MAX_BYTES))])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise ConfigError(source, [Problem("", _("the file is not UTF-8 text (byte 0x{byte:02x}); save it as UTF-8").format(byte=raw[e.start]), line)]) from None


# ----------------------------------------------------------------------------- writing


def _flow(value) -> str:
    return yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10_000, allow_unicode=True).strip()


def _scalar(value) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10_000, allow_unicode=True).strip()
    return text[:-4].strip() if text.endswith("\n...") else text.replace("\n...", "").strip()


def _dump_layers(layers: list[dict], indent: int) -> list[str]:
    pad = " " * indent
    lines = []
    for layer in layers:
        if "layers" in layer:
            head = {k: v for k, v in layer.items() if k != "layers"}
            lines.append(f"{pad}- type: {head.pop('type')}")
            for k, v in head.items():
                lines.append(f"{pad}  {k}: {_scalar(v)}")
            lines.append(f"{pad}  layers:")
            lines.extend(_dump_layers(layer["layers"], indent + 4))
        else:
            lines.append(f"{pad}- {_flow(layer)}")
    return lines


def dump_yaml(d: dict[str, Any]) -> str:
    """The experiment as readable YAML in the same shape as the presets (layers one per line)."""
    lines = [f"name: {_scalar(d['name'])}"]
    if d.get("description"):
        lines.append(f"description: {_scalar(d['description'])}")
    lines.append(f"input: {_flow(list(d['input']))}")
    lines.append("layers:")
    lines.extend(_dump_layers(d["layers"], 2))
    for section in ("data", "train"):
        if section in d:
            lines.append(f"{section}:")
            for k, v in d[section].items():
                lines.append(f"  {k}: {_flow(v) if isinstance(v, (dict, list)) else _scalar(v)}")
    return "\n".join(lines) + "\n"
