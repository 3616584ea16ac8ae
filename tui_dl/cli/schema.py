"""``tui-dl schema``: a JSON Schema (draft-07) of the experiment file, generated from the same
:class:`~tui_dl.core.config.fields.Field` schema the YAML checker uses (the layer registry's fields, ``data:``,
``train:`` and its loss, optimizer, scheduler and early-stopping sections), for completion and hover help in
editors (the README shows how to hook it into VS Code's YAML extension). No torch.

The YAML checker stays the judge: it also accepts a few spellings the schema does not list (choice names in any
case, ``1e-3`` written as text), and it checks what a schema cannot (the shapes flowing through the layers).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from tui_dl import __version__
from tui_dl.cli.exit_codes import EXIT_BAD_INPUT, EXIT_OK
from tui_dl.cli.parsing import Parser
from tui_dl.core.i18n import _

SCHEMA_URI = "http://json-schema.org/draft-07/schema#"

_INT_PAIR = {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2}


def field_schema(f) -> dict[str, Any]:
    """The JSON Schema of one :class:`Field` (its type, limits, choices, default and help)."""
    k = f.kind
    s: dict[str, Any]
    if k in ("int", "float"):
        s = {"type": "integer" if k == "int" else "number"}
        if f.min is not None:
            s["exclusiveMinimum" if f.min_exclusive else "minimum"] = f.min
        if f.max is not None:
            s["maximum"] = f.max
    elif k == "bool":
        s = {"type": "boolean"}
    elif k == "str":
        s = {"type": "string"}
    elif k == "choice":
        s = {"type": "string", "enum": list(f.choices)}
    elif k == "choices":
        s = {"type": "array", "items": {"type": "string", "enum": list(f.choices)}, "uniqueItems": True}
    elif k == "int2":
        s = {"anyOf": [{"type": "integer"}, _INT_PAIR]}
    elif k == "padding":
        s = {"anyOf": [{"type": "integer"}, _INT_PAIR, {"type": "string", "enum": ["same", "valid"]}]}
    elif k == "floats":
        s = {"type": "array", "items": {"type": "number"}}
        if f.length is not None:
            s["minItems"] = s["maxItems"] = f.length
    elif k == "shape":
        s = {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 1, "maxItems": 3}
    else:  # pragma: no cover - a new Field kind needs its schema here (tests/test_schema.py checks every field)
        raise ValueError(f"no JSON Schema for field kind {k!r}")
    if f.nullable or (f.default is None and not f.required):
        s = {"anyOf": [s, {"type": "null"}]} if "anyOf" not in s else {"anyOf": [*s["anyOf"], {"type": "null"}]}
    desc = f.help + (f" (default: {f.default_text})" if f.default_text else "")
    if desc:
        s["description"] = desc
    if f.default is not None:
        s["default"] = f.default
    return s


def _object(fields, *, extra: dict[str, Any] | None = None, required=()) -> dict[str, Any]:
    props = {f.name: field_schema(f) for f in fields}
    props.update(extra or {})
    out: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
    req = [f.name for f in fields if f.required] + list(required)
    if req:
        out["required"] = req
    return out


def _named(table: dict, what: str) -> dict[str, Any]:
    """``adam`` or ``{name: adam, lr: 0.01}``: a name, or a mapping checked against that name's fields."""
    forms = []
    for name, fields in table.items():
        obj = _object(fields, extra={"name": {"const": name}}, required=("name",))
        forms.append(obj)
    return {"description": f"the {what}: a name ({', '.join(table)}) or a mapping with name: and its fields",
            "anyOf": [{"type": "string", "enum": list(table)}, *forms]}


def _layers_schema() -> dict[str, Any]:
    from tui_dl.core.model.layers import REGISTRY

    forms: list[dict[str, Any]] = [{"type": "string", "enum": list(REGISTRY), "description": "a layer without "
                                    "arguments, e.g. ReLU"}]
    for name, kind in REGISTRY.items():
        extra: dict[str, Any] = {"type": {"const": name, "description": kind.summary}}
        if kind.container:
            extra["layers"] = {"$ref": "#/definitions/layers"}
        forms.append({**_object(kind.fields, extra=extra, required=("type",)), "description": kind.summary})
    return {"type": "array", "description": "the network, first layer first",
            "items": {"anyOf": forms}}


def experiment_schema() -> dict[str, Any]:
    """The JSON Schema of a tui-dl experiment file."""
    from tui_dl.core.config import schema as C

    data_section = _object(C.DATA_FIELDS)
    early = _object(C.EARLY_STOPPING_FIELDS)
    train_extra = {
        "loss": _named(C.LOSSES, "loss"),
        "optimizer": _named(C.OPTIMIZERS, "optimizer"),
        "scheduler": {"anyOf": [_named(C.SCHEDULERS, "learning-rate schedule"), {"type": "null"},
                                {"const": "none"}, {"const": False}]},
        "early_stopping": {"description": "stop when the monitored metric stops improving (true: the defaults)",
                           "anyOf": [early, {"type": "boolean"}, {"type": "null"}]},
        "lr": {"type": "number", "exclusiveMinimum": 0, "description": "shorthand for the optimizer's lr"},
        "adversarial": {"description": "train on a mix of clean and adversarial (FGSM or PGD) examples "
                                       "(true: the defaults)",
                        "anyOf": [_object(C.ADVERSARIAL_FIELDS), {"type": "boolean"}, {"type": "null"}]},
    }
    return {
        "$schema": SCHEMA_URI,
        "title": "tui-dl experiment",
        "description": f"An experiment file for tui-dl {__version__} (generated by `tui-dl schema`).",
        "type": "object",
        "additionalProperties": False,
        "required": ["input", "layers"],
        "properties": {
            "name": {"type": ["string", "number"], "description": "the experiment's name (run folders use it)"},
            "description": {"type": "string", "description": "one line about it (tui-dl presets shows it)"},
            "input": {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 1, "maxItems": 3,
                      "description": "the shape of one sample: [channels, height, width] or [features]"},
            "layers": {"$ref": "#/definitions/layers"},
            "data": {"description": "the dataset: a name, or a mapping with name: and its settings",
                     "anyOf": [{"type": "string", "enum": list(C.DATASETS)}, data_section]},
            "train": _object(C.TRAIN_FIELDS, extra=train_extra),
        },
        "definitions": {"layers": _layers_schema()},
    }


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="tui-dl schema",
               description=_("Print the JSON Schema of the experiment file (draft-07), for completion and checks "
                             "in editors; see the README (Editor support)."))
    p.add_argument("-o", "--output", metavar="FILE", help=_("write it to FILE instead of printing it"))
    return p


def schema_main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    text = json.dumps(experiment_schema(), indent=2, ensure_ascii=False) + "\n"
    if not args.output:
        sys.stdout.write(text)
        return EXIT_OK
    from tui_dl.core.paths import PathProblem, expand_user
    from tui_dl.core.runs.atomic import atomic_write

    try:
        atomic_write(expand_user(args.output), lambda f: f.write(text))
    except (OSError, PathProblem) as e:
        print(_("tui-dl schema: could not write {file}: {why}").format(
            file=args.output, why=getattr(e, "strerror", None) or e), file=sys.stderr)
        return EXIT_BAD_INPUT
    print(_("wrote {file}").format(file=args.output), file=sys.stderr)
    return EXIT_OK
