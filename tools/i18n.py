"""tui-dl's translation catalogs, with Babel (a development dependency: ``pip install -e '.[test]'``).

    python tools/i18n.py extract      # tui_dl/**.py -> tui_dl/locale/tui_dl.pot (sorted, without line numbers)
    python tools/i18n.py update       # the .pot -> each language's .po (new messages empty, gone ones dropped)
    python tools/i18n.py compile      # each .po -> its .mo, the file the program reads (shipped in the wheel)
    python tools/i18n.py check        # what is untranslated, fuzzy, or has other {placeholders}: exit 1 if any
    python tools/i18n.py all          # extract, update, compile, check
    python tools/i18n.py todo [PATH]  # the messages of PATH (default tui_dl/) with no translation yet, as .po
    python tools/i18n.py lint FILE    # one .po file's empty, fuzzy or placeholder-changed entries

The messages are the strings inside ``_()``, ``N_()``, ``ngettext()`` (1, 2) and ``pgettext()`` (context, 1).
"""

from __future__ import annotations

import io
import string
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tui_dl"
LOCALE = PACKAGE / "locale"
DOMAIN = "tui_dl"
POT = LOCALE / f"{DOMAIN}.pot"
LANGUAGES = ("zh_CN",)
KEYWORDS = {"_": None, "gettext": None, "N_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}
METHOD_MAP = [("**.py", "python")]


def po_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def fragments(lang: str) -> list[Path]:
    """Translations written beside the catalog while it is being filled (merged into it by ``update``)."""
    return sorted((LOCALE / lang / "fragments").glob("*.po"))


def extract(paths: list[Path] | None = None) -> Catalog:
    """The messages marked in ``paths`` (default: all of tui_dl/)."""
    catalog = Catalog(project="tui-dl", domain=DOMAIN, charset="utf-8", fuzzy=False)
    files: list[Path] = []
    for p in paths or [PACKAGE]:
        files += sorted(p.rglob("*.py")) if p.is_dir() else [p]
    if paths is None:
        _add_presets(catalog)
    for f in files:
        for lineno, message, comments, context in extract_from_file(
                "python", str(f), keywords=KEYWORDS, comment_tags=("TRANSLATORS:",), strip_comment_tags=True):
            catalog.add(message, None, [(f.relative_to(ROOT).as_posix(), lineno)],
                        auto_comments=comments, context=context)
    return catalog


def _add_presets(catalog: Catalog) -> None:
    """The shipped presets' ``name:`` and ``description:`` (shown, translated, by ``tui-dl presets``, the Open
    dialog and the Setup view; the YAML files themselves stay English)."""
    import yaml

    for f in sorted((ROOT / "presets").glob("*.yaml")):
        data = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
        for key in ("name", "description"):
            text = data.get(key)
            if isinstance(text, str) and text.strip():
                catalog.add(text, None, [(f.relative_to(ROOT).as_posix(), 0)],
                            auto_comments=[f"the {key} of the preset {f.stem} (a YAML file)"])


def read(path: Path) -> Catalog:
    with open(path, "rb") as f:
        return read_po(f)


def write(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    write_po(buf, catalog, omit_header=False, sort_output=True, no_location=True, width=116,
             ignore_obsolete=True)
    path.write_bytes(buf.getvalue())


def _known(lang: str) -> dict:
    """Every translation written for ``lang``: the catalog's, overridden by the fragments' (a fragment may
    correct an entry of the catalog)."""
    known: dict = {}
    for path in [po_path(lang), *fragments(lang)]:
        if not path.exists():
            continue
        for m in read(path):
            if m.id and m.string and (not isinstance(m.string, tuple) or all(m.string)) and "fuzzy" not in m.flags:
                known[(m.id, m.context)] = m.string
    return known


def update() -> None:
    """Each language's .po: exactly the .pot's messages, keeping every translation already written (in the .po
    or a fragment); fragments are merged in and removed."""
    template = read(POT)
    for lang in LANGUAGES:
        known = _known(lang)
        catalog = Catalog(locale=lang, project="tui-dl", domain=DOMAIN, charset="utf-8", fuzzy=False)
        for m in template:
            if m.id:
                catalog.add(m.id, known.get((m.id, m.context)), context=m.context, auto_comments=m.auto_comments)
        write(catalog, po_path(lang))
        for f in fragments(lang):
            f.unlink()
        if (LOCALE / lang / "fragments").exists() and not any((LOCALE / lang / "fragments").iterdir()):
            (LOCALE / lang / "fragments").rmdir()


def compile_catalogs() -> None:
    for lang in LANGUAGES:
        catalog = read(po_path(lang))
        known = _known(lang)  # fragments count too while they exist, so a view can be seen before `update`
        for m in catalog:
            if m.id and (m.id, m.context) in known:  # a plural's empty ('',) is not a translation either
                m.string = known[(m.id, m.context)]
        for key, text in known.items():
            if key not in catalog:
                catalog.add(key[0], text, context=key[1])
        buf = io.BytesIO()
        write_mo(buf, catalog, use_fuzzy=False)
        po_path(lang).with_suffix(".mo").write_bytes(buf.getvalue())


def fields(text: str) -> list[str]:
    """The ``{placeholders}`` of ``text`` (name and format spec), sorted; ``{{`` and ``}}`` are not fields."""
    out = []
    try:
        for _lit, name, spec, conv in string.Formatter().parse(text):
            if name is not None:
                out.append(f"{name}!{conv}:{spec}" if conv else f"{name}:{spec}")
    except ValueError as e:
        return [f"<unparseable: {e}>"]
    return sorted(out)


def problems(lang: str) -> list[str]:
    """Untranslated, fuzzy and placeholder-changed messages of ``lang``'s catalog, and messages of the source
    the catalog lacks (``extract`` and ``update`` not run since)."""
    out = []
    catalog = read(po_path(lang))
    source = extract()
    for m in source:
        key = m.id[0] if isinstance(m.id, tuple) else m.id
        if key and key not in catalog._messages and (key, m.context) not in catalog._messages:
            out.append(f"{lang}: not in the catalog (run tools/i18n.py all): {m.id!r}")
    for m in catalog:
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        if "fuzzy" in m.flags:
            out.append(f"{lang}: fuzzy: {ids[0]!r}")
        if not all(strings):
            out.append(f"{lang}: untranslated: {ids[0]!r}")
            continue
        for s in strings:
            if fields(s) != fields(ids[0]) and (len(ids) < 2 or fields(s) != fields(ids[1])):
                out.append(f"{lang}: placeholders {fields(s)} differ from the source's {fields(ids[0])}: "
                           f"{ids[0]!r}")
    return out


def lint(path: Path) -> list[str]:
    """Empty, fuzzy and placeholder-changed entries of one .po file (a fragment)."""
    out = []
    for m in read(path):
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        if "fuzzy" in m.flags or not all(strings):
            out.append(f"{path.name}: untranslated or fuzzy: {ids[0]!r}")
        elif any(fields(s) != fields(ids[0]) and (len(ids) < 2 or fields(s) != fields(ids[1])) for s in strings):
            out.append(f"{path.name}: placeholders differ: {ids[0]!r}")
    return out


def todo(paths: list[Path]) -> str:
    """A .po text of ``paths``' messages that no catalog or fragment translates yet."""
    known = _known(LANGUAGES[0])
    catalog = Catalog(locale=LANGUAGES[0], domain=DOMAIN, charset="utf-8", fuzzy=False)
    for m in extract(paths):
        if m.id and (m.id, m.context) not in known:
            catalog.add(m.id, None, context=m.context)
    buf = io.BytesIO()
    write_po(buf, catalog, omit_header=True, sort_output=True, no_location=True, width=116)
    return buf.getvalue().decode("utf-8")


def main(argv: list[str]) -> int:
    what = argv[0] if argv else "all"
    if what in ("extract", "all"):
        catalog = extract()
        write(catalog, POT)
        print(f"{POT.relative_to(ROOT)}: {len(catalog)} messages")
    if what in ("update", "all"):
        update()
    if what in ("compile", "all"):
        compile_catalogs()
    if what in ("check", "all"):
        found = [p for lang in LANGUAGES for p in problems(lang)]
        for p in found:
            print(p)
        print(f"{len(found)} problems")
        return 1 if found else 0
    if what == "lint":
        found = [p for a in argv[1:] for p in lint(Path(a))]
        print("\n".join(found + [f"{len(found)} problems"]))
        return 1 if found else 0
    if what == "todo":
        sys.stdout.write(todo([Path(a).resolve() for a in argv[1:]] or [PACKAGE]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
