"""Write `book/equations.md`, "Equations and where they live", from the chapters, genlib and
`book/equations.yml`.

    python tools/equation_index.py            # regenerate the committed page
    python tools/equation_index.py --check    # exit 1 if the page is stale or the index is broken
    python tools/equation_index.py --suggest  # print draft entries of equations.yml for new labels

Three sources meet here:

* the **book**: every labelled equation of a chapter listed in `_toc.yml`. MyST offers three
  ways to label one and all are read: a ```` ```{math} ```` (or ``:::{math}``) block with a
  ``:label:`` option, ``$$ ... $$ (label)``, and a ``(label)=`` target right before a ``$$`` block
  (the same target before a heading is a section label, not an equation);
* **genlib**, whose docstrings and comments cite the equations they implement:
  ``eq. (gmm-resp)``, ``eq. hmm-scaling``, ``eq. ``hmm-forward``/``hmm-backward````,
  ``eqs. (vaegan-losses) and (vaegan-objectives)``, ``eq. (gan-g-minimax) or (gan-g-nonsat)``;
* the **mapping** `book/equations.yml`, written by hand (``--suggest`` drafts it): for each label
  either ``function:`` (the dotted path of the genlib function or method that computes it) and
  ``test:`` (the pytest node id of a test that checks it), or ``derivation:`` (one line: why
  genlib has no function for it, and which cell of the chapter derives or checks it).

`tests/test_equation_index.py` fails when the three disagree (see :func:`problems`) or the
committed page is stale. Everything is read statically (``json``, ``ast``, ``yaml``): no
notebook is executed and genlib is not imported, so the check takes well under a second.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from instructor_page import _toc_chapters  # noqa: E402  (the one reader of _toc.yml's chapters)

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "book" / "equations.md"
MAPPING = ROOT / "book" / "equations.yml"
GENLIB = ROOT / "genlib"
TESTS = ROOT / "tests"

# ---------------------------------------------------------------------------------------------
# The book's labelled equations
# ---------------------------------------------------------------------------------------------

_MATH_FENCE = re.compile(r"^[ \t]*(`{3,}|:{3,})[ \t]*\{math\}[^\n]*\n((?:[ \t]*:[\w-]+:[^\n]*\n)*)", re.M)
_DOLLAR_LABEL = re.compile(r"\$\$[ \t]*\(([^()\s]+)\)[ \t]*$", re.M)
_TARGET_BEFORE_MATH = re.compile(r"^\(([^()\s]+)\)=[ \t]*\n(?:[ \t]*\n)*[ \t]*(?:\$\$|`{3,}[ \t]*\{math\}|:{3,}[ \t]*\{math\})", re.M)


@dataclass(frozen=True)
class Equation:
    label: str
    doc: str  # chapter path below book/, without suffix: "02_ml/01_gmm"


def _source(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _markdown(path: Path) -> list[str]:
    if path.suffix == ".ipynb":
        nb = json.loads(path.read_text())
        return [_source(c) for c in nb["cells"] if c["cell_type"] == "markdown"]
    return [path.read_text()]


def labels_in_markdown(text: str) -> list[str]:
    """The equation labels of one markdown text, in the order they appear."""
    found = []
    for m in _MATH_FENCE.finditer(text):
        option = re.search(r"^[ \t]*:label:[ \t]*(\S+)", m.group(2), re.M)
        if option:
            found.append((m.start(), option.group(1)))
    found += [(m.start(), m.group(1)) for m in _DOLLAR_LABEL.finditer(text)]
    found += [(m.start(), m.group(1)) for m in _TARGET_BEFORE_MATH.finditer(text)]
    return [label for _, label in sorted(found)]


def chapters() -> list[tuple[str, Path, str]]:
    """(doc below book/, file, title) of every page of `_toc.yml`, in the book's order."""
    out = []
    for entry in _toc_chapters():
        if not entry.startswith("book/"):
            continue
        for suffix in (".ipynb", ".md"):
            path = ROOT / f"{entry}{suffix}"
            if path.exists():
                break
        cells = _markdown(path)
        title = next((m.group(1).strip() for c in cells for m in [re.search(r"^# (.+)$", c, re.M)] if m), entry)
        out.append((entry[len("book/"):], path, title))
    return out


def book_equations() -> dict[str, Equation]:
    """Every labelled equation of the book, label -> Equation, in the book's order."""
    equations: dict[str, Equation] = {}
    for doc, path, _ in chapters():
        if path.resolve() == PAGE.resolve():
            continue
        for text in _markdown(path):
            for label in labels_in_markdown(text):
                equations.setdefault(label, Equation(label, doc))
    return equations


# ---------------------------------------------------------------------------------------------
# genlib's citations of equations
# ---------------------------------------------------------------------------------------------

# "eq." or "eqs.", then one or more labels: (label), ``label``, or a bare hyphenated label,
# joined by ",", "and", "or", "/"; a line break (and a comment's "#") may come between.
_LABEL_TOKEN = r"(?:\(\s*`{0,2}([a-z][\w-]*)`{0,2}\s*\)|``([a-z][\w-]*)``|([a-z][a-z0-9]*(?:-[a-z0-9]+)+)\b)"
_CITE = re.compile(r"\b[Ee]qs?\.(?:[ \t]|\n[ \t]*#?[ \t]*)+((?:" + _LABEL_TOKEN + r")(?:\s*(?:,|/|and|or)\s*(?:" + _LABEL_TOKEN + r"))*)")


@dataclass(frozen=True)
class Citation:
    label: str
    path: str  # "genlib/classic/gmm.py"
    line: int
    qualname: str | None  # innermost enclosing function or class, "GaussianMixture._e_step"; None at module level


def _scopes(tree: ast.AST) -> list[tuple[int, int, str]]:
    """(first line, last line, qualified name) of every function and class, outer before inner."""
    out = []

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                first = min([child.lineno] + [d.lineno for d in child.decorator_list])
                out.append((first, child.end_lineno, name))
                visit(child, f"{name}.")
            else:
                visit(child, prefix)

    visit(tree, "")
    return out


def citations_in_source(text: str, path: str) -> list[Citation]:
    tree = ast.parse(text)
    scopes = _scopes(tree)
    out = []
    for m in _CITE.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        inside = [s for s in scopes if s[0] <= line <= s[1]]
        qualname = max(inside, key=lambda s: s[0])[2] if inside else None
        for groups in re.finditer(_LABEL_TOKEN, m.group(1)):
            label = next(g for g in groups.groups() if g)
            out.append(Citation(label, path, line, qualname))
    return out


def genlib_citations() -> list[Citation]:
    out = []
    for path in sorted(GENLIB.rglob("*.py")):
        out += citations_in_source(path.read_text(), path.relative_to(ROOT).as_posix())
    return out


# ---------------------------------------------------------------------------------------------
# Resolving functions and tests without importing them
# ---------------------------------------------------------------------------------------------


def _module_file(parts: list[str]) -> Path | None:
    base = ROOT.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _find_def(tree: ast.AST, names: list[str]):
    node = tree
    for name in names:
        body = getattr(node, "body", [])
        matches = [n for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                   and n.name == name]
        if not matches:
            return None
        node = matches[-1]
    return node


def resolve_function(dotted: str) -> tuple[Path, int] | None:
    """(file, line) of the def of ``genlib.module.function`` or ``genlib.module.Class.method``.

    The path must name the module that defines the function (not one that re-exports it).
    """
    parts = dotted.split(".")
    if parts[0] != "genlib":
        return None
    for cut in range(len(parts) - 1, 0, -1):
        path = _module_file(parts[:cut])
        if path is not None:
            node = _find_def(ast.parse(path.read_text()), parts[cut:])
            return (path, node.lineno) if node is not None else None
    return None


def resolve_test(node_id: str) -> bool:
    """Whether a pytest node id ``tests/test_x.py::test_y`` (or ``::TestC::test_y``) names a test."""
    file, _, rest = node_id.partition("::")
    path = ROOT / file
    if not rest or not path.is_file() or not path.is_relative_to(TESTS):
        return False
    names = re.sub(r"\[.*\]$", "", rest).split("::")
    node = _find_def(ast.parse(path.read_text()), names)
    return node is not None and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))


# ---------------------------------------------------------------------------------------------
# The mapping and its checks
# ---------------------------------------------------------------------------------------------


def load_mapping(path: Path = MAPPING) -> dict[str, dict]:
    data = yaml.safe_load(path.read_text()) if path.exists() else None
    return data or {}


def problems(equations=None, mapping=None, citations=None) -> list[str]:
    """Every way the book, genlib and `book/equations.yml` disagree; empty when they agree."""
    equations = book_equations() if equations is None else equations
    mapping = load_mapping() if mapping is None else mapping
    citations = genlib_citations() if citations is None else citations
    out = []
    for label, eq in equations.items():
        if label not in mapping:
            out.append(f"{label} (book/{eq.doc}): labelled in the book but has no entry in book/equations.yml "
                       f"(python tools/equation_index.py --suggest drafts one)")
    cited = {c.label for c in citations}
    for label, entry in mapping.items():
        where = f"book/equations.yml: {label}"
        if label not in equations:
            out.append(f"{where}: no equation of the book has this label (renamed or removed?)")
        if not isinstance(entry, dict):
            out.append(f"{where}: expected 'function' and 'test', or 'derivation'")
            continue
        keys = set(entry)
        if keys == {"derivation"}:
            if not str(entry["derivation"]).strip():
                out.append(f"{where}: 'derivation' needs its reason")
            if label in cited:
                sites = ", ".join(sorted({f"{c.path}:{c.line}" for c in citations if c.label == label}))
                out.append(f"{where}: marked 'derivation' but genlib computes it ({sites}): name the function")
            continue
        if keys != {"function", "test"}:
            out.append(f"{where}: expected exactly 'function' and 'test', or 'derivation', got {sorted(keys)}")
            continue
        if resolve_function(str(entry["function"])) is None:
            out.append(f"{where}: function {entry['function']} does not resolve (a def in the genlib module "
                       f"that defines it)")
        if not resolve_test(str(entry["test"])):
            out.append(f"{where}: test {entry['test']} is not a test function of tests/")
    for c in citations:
        if c.label not in equations:
            out.append(f"{c.path}:{c.line} ({c.qualname or 'module'}): cites eq. ({c.label}), "
                       f"which no chapter labels")
    return out


# ---------------------------------------------------------------------------------------------
# Drafting entries (--suggest)
# ---------------------------------------------------------------------------------------------


def _module_of(path: str) -> str:
    return path[: -len(".py")].replace("/", ".").removesuffix(".__init__")


def _test_calls() -> dict[str, set[str]]:
    """node id -> names each test function calls (plain names and attributes)."""
    out = {}
    for path in sorted(TESTS.glob("test_*.py")):
        tree = ast.parse(path.read_text())
        rel = path.relative_to(ROOT).as_posix()
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                called = set()
                for sub in ast.walk(node):
                    if isinstance(sub, ast.Call):
                        f = sub.func
                        called.add(f.id if isinstance(f, ast.Name) else getattr(f, "attr", ""))
                    elif isinstance(sub, ast.Attribute):
                        called.add(sub.attr)
                out[f"{rel}::{node.name}"] = called
    return out


def suggest(label: str, citations: list[Citation], calls: dict[str, set[str]]) -> dict:
    """A draft entry: the first function that cites the label, and a test that calls it."""
    sites = [c for c in citations if c.label == label and c.qualname]
    if not sites:
        return {"derivation": "TODO: genlib cites no function for it; which chapter cell derives or checks it?"}
    # prefer a function (not a class), then the one citing it most often
    counts: dict[tuple[str, str], int] = {}
    for c in sites:
        counts[(c.path, c.qualname)] = counts.get((c.path, c.qualname), 0) + 1
    path, qualname = max(counts, key=lambda k: (counts[k], "." in k[1] or k[1][0].islower()))
    name = qualname.split(".")[-1]
    words = [w for w in re.split(r"[-_]", label)[1:] + name.strip("_").split("_") if len(w) > 2]
    candidates = [t for t, called in calls.items() if name in called]
    candidates.sort(key=lambda t: (-sum(w in t.split("::")[1] for w in words), t))
    return {"function": f"{_module_of(path)}.{qualname}",
            "test": candidates[0] if candidates else "TODO: no test calls " + name}


# ---------------------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------------------


def render(equations=None, mapping=None) -> str:
    equations = book_equations() if equations is None else equations
    mapping = load_mapping() if mapping is None else mapping
    titles = {doc: title for doc, _, title in chapters()}
    n_fn = sum("function" in mapping.get(k, {}) for k in equations)
    lines = [
        "# Equations and where they live",
        "",
        "Every labelled equation of the book, the genlib function that computes it, and the test",
        "that checks that function. Click an equation's number to read it in its chapter; run a test",
        "with `pytest -n 0 tests/test_gmm.py::test_name`. An equation that genlib does not compute - a",
        "derivation, or a bound that the prose states - says instead where its chapter derives or",
        "checks it.",
        "",
        f"Of the book's {len(equations)} labelled equations, {n_fn} are computed by genlib.",
        "In the code, docstrings and comments cite the equation they implement, as in",
        "`eq. (gmm-resp)`.",
        "",
        "This page is generated by `tools/equation_index.py` from the chapters, genlib and",
        "`book/equations.yml`; do not edit it by hand. `tests/test_equation_index.py` fails when a",
        "labelled equation has no entry, an entry names a function or test that does not exist, genlib",
        "cites a label that no chapter has, or this page is out of date.",
    ]
    by_doc: dict[str, list[Equation]] = {}
    for eq in equations.values():
        by_doc.setdefault(eq.doc, []).append(eq)
    for doc, eqs in by_doc.items():
        lines += ["", f"## {titles.get(doc, doc)}", "", f"Chapter: {{doc}}`{titles.get(doc, doc)} <{doc}>`.", ""]
        lines += ["| equation | where it lives |", "|---|---|"]
        for eq in eqs:
            entry = mapping.get(eq.label) or {}
            head = f"{{eq}}`{eq.label}` `{eq.label}`"
            if "function" in entry:
                fn, test = str(entry["function"]), str(entry["test"])
                resolved = resolve_function(fn)
                file = resolved[0].relative_to(ROOT).as_posix() if resolved else "?"
                test_file, _, test_name = test.partition("::")
                # two short code spans, not one node id: a table cell cannot wrap inside a word
                lines.append(f"| {head} | `{fn}` in {file}, checked by `{test_name}` in {test_file} |")
            elif "derivation" in entry:
                reason = " ".join(str(entry["derivation"]).split()).replace("|", "\\|")
                lines.append(f"| {head} | not in genlib: {reason} |")
            else:
                lines.append(f"| {head} | ? |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="exit 1 if the index is broken or the page stale")
    parser.add_argument("--suggest", action="store_true",
                        help="print draft entries of book/equations.yml for labels without one")
    args = parser.parse_args()
    if args.suggest:
        equations, mapping, citations = book_equations(), load_mapping(), genlib_citations()
        calls = _test_calls()
        draft = {label: suggest(label, citations, calls) for label in equations if label not in mapping}
        print(yaml.safe_dump(draft, sort_keys=False, width=100) if draft else "# every label has an entry")
        return 0
    text = render()
    if args.check:
        found = problems()
        for p in found:
            print(p, file=sys.stderr)
        if PAGE.read_text() != text if PAGE.exists() else True:
            print(f"{PAGE.relative_to(ROOT)} is out of date: run python tools/equation_index.py", file=sys.stderr)
            return 1
        return 1 if found else 0
    PAGE.write_text(text)
    print(f"wrote {PAGE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
