"""Write the students' copies of the chapter notebooks, without solutions, to `student/`.

    python tools/student_notebooks.py           # (re)write student/ from the chapters
    python tools/student_notebooks.py --check   # exit 1 if student/ is stale or shows a solution

The student edition's Colab button opens these copies (`tools/edition.py` points the
launch URLs at `student/`), so a student who runs a chapter in Colab gets the exercises
but not their answers. For every notebook chapter in `_toc.yml`, `student/<path>.ipynb`
mirrors `<path>.ipynb` with:

- every solution removed, with its whole content. In the chapters a solution is a MyST
  directive in a markdown cell (a ```` ```{solution} ```` or ``:::{solution}`` fence, whatever
  the fence length); the code cells that follow an exercise are the student's starting point
  (e.g. the self-checking stubs that raise NotImplementedError) and stay. A solution that
  spans cells, sphinx-exercise's gated ``{solution-start}`` ... ``{solution-end}``, is removed
  with every cell in between, code cells included. A code cell tagged ``solution`` (a check of
  what the solutions state, tagged ``remove-cell`` too so that no page shows it) is removed as
  well. The markdown is parsed with MyST's own
  parser and the extensions of `_config.yml`, so the fences are found as the book finds them.
  A solution closed by its own inner code fence (an outer fence no longer than the inner one)
  also loses the empty fence after it, and the command warns that the chapter needs a longer
  outer fence. A markdown cell left empty is dropped;
- the MyST that Colab cannot render rewritten as plain Markdown, since Colab shows a MyST
  directive as a code block (an exercise would be monospace text with raw LaTeX and long
  lines scrolling sideways): an ``{exercise}`` or admonition becomes a block quote with a bold
  title, ``{math}`` becomes ``$$ ... $$ (label)`` (how the book's labelled ``$$`` equations
  read), the roles ``{eq}`x``` -> the equation's number in the chapter, ``(3)``, ``{cite}`a,b```
  -> ``(Author et al., year; ...)`` from ``book/references.bib``, ``{ref}``/``{doc}``/
  ``{term}`` -> their text, ``{glue:text}`name:fmt``` -> the committed value it quotes,
  formatted as the book renders it, and ``(label)=`` targets are dropped. Code blocks are untouched;
- outputs and execution counts cleared (students run the cells), and the per-cell execution
  timestamps dropped; everything else (code, tags such as ``parameters``, cell ids, kernel
  metadata) is kept, so the copy runs exactly as the chapter does, minus its answers.

``--check`` rebuilds every copy in memory and fails if a file differs, is missing, or is in
`student/` without a chapter, and if any copy still carries a solution directive or a line of
a solution's text. `tests/test_student_notebooks.py` runs it.
"""

from __future__ import annotations

import argparse
import ast
import copy
import re
import sys
from pathlib import Path

import nbformat
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from instructor_page import _toc_chapters  # noqa: E402  (the one reader of _toc.yml's chapters)

ROOT = Path(__file__).resolve().parent.parent
STUDENT_DIR = ROOT / "student"
README = """\
# Student notebooks (generated, do not edit)

These are the chapters of the book without the exercise solutions and without outputs, with
the book's MyST markup rewritten as the Markdown that Colab renders: the notebooks that the
student edition's Colab button opens. They are written by
`python tools/student_notebooks.py` from the notebooks under `book/`: edit the chapter there
and rerun the command (`python tools/student_notebooks.py --check` and
`tests/test_student_notebooks.py` fail while this folder is stale).
"""

#: Directive names (``{name}`` in a fence's info string) that hold or delimit a solution.
SOLUTION = "solution"
GATED_START, GATED_END = "solution-start", "solution-end"
#: Strings that no student notebook may contain.
SOLUTION_MARKERS = ("{solution}", "{solution-start}", "{solution-end}", "{solution ")
#: A removed solution line at least this long, and absent from the rest of the chapter,
#: must not reappear in the student copy (shorter lines, e.g. ``return p``, are too common).
TRACE_MIN_CHARS = 25


def _source(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _markdown_parser():
    from markdown_it.renderer import RendererHTML
    from myst_parser.config.main import MdParserConfig
    from myst_parser.parsers.mdit import create_md_parser

    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    extensions = set(config.get("parse", {}).get("myst_enable_extensions", [])) | {"colon_fence"}
    return create_md_parser(MdParserConfig(enable_extensions=extensions), RendererHTML)


_MD = None


def _tokens(text: str) -> list:
    """The top-level block tokens of a markdown text, with their line ranges."""
    global _MD
    if _MD is None:
        _MD = _markdown_parser()
    return [t for t in _MD.parse(text) if t.level == 0 and t.map]


def _directives(text: str) -> list[tuple[int, int, str]]:
    """(first line, end line, name) of each top-level ``{name}`` fence of a markdown text.

    A solution whose fence is closed by its own inner code fence (see `misnested_solutions`)
    is extended over the empty fence that its author meant as its closing line.
    """
    found = []
    tokens = _tokens(text)
    for index, token in enumerate(tokens):
        if token.type in ("fence", "colon_fence"):
            match = re.match(r"\{([^}]+)\}", token.info.strip())
            if match:
                end = token.map[1]
                after = tokens[index + 1] if index + 1 < len(tokens) else None
                if match.group(1) == SOLUTION and _closes(token, after):
                    end = after.map[1]
                found.append((token.map[0], end, match.group(1)))
    return found


def _closes(solution, after) -> bool:
    """Whether ``after`` is an empty fence right after ``solution``: its intended closing line."""
    return (after is not None and solution.type == after.type == "fence" and not after.info.strip()
            and not after.content.strip() and after.map[0] == solution.map[1])


def _drop_lines(text: str, remove: list[bool]) -> str:
    kept = "".join(line for line, gone in zip(text.splitlines(keepends=True), remove) if not gone)
    kept = re.sub(r"\n{3,}", "\n\n", kept)  # a removed block leaves one blank line, not three
    return kept.strip("\n")


def split_solutions(nb) -> tuple[nbformat.NotebookNode, list[str]]:
    """Return (the notebook without its solutions, the text that was removed)."""
    out = copy.deepcopy(nb)
    cells, removed = [], []
    gated = False  # inside a {solution-start} ... {solution-end} that spans cells
    for cell in out.cells:
        text = _source(cell)
        if cell.cell_type != "markdown":
            if gated or SOLUTION in cell.get("metadata", {}).get("tags", []):
                removed.append(text)
            else:
                cells.append(cell)
            continue
        lines = text.splitlines(keepends=True)
        remove = [gated] * len(lines)
        for start, end, name in _directives(text):
            if name == SOLUTION and not gated:
                remove[start:end] = [True] * (end - start)
            elif name == GATED_START and not gated:
                gated = True
                remove[start:] = [True] * (len(lines) - start)
            elif name == GATED_END and gated:
                gated = False
                remove[end:] = [False] * (len(lines) - end)
        removed += [line for line, gone in zip(lines, remove) if gone]
        if any(remove):
            text = _drop_lines(text, remove)
            if not text.strip():
                continue
            cell.source = text
        cells.append(cell)
    out.cells = cells
    return out, removed


def misnested_solutions(nb) -> list[int]:
    """Indices of markdown cells where a solution fence is closed by its own inner code fence.

    ```` ```{solution} ```` with a ```` ```python ```` block inside ends at the code's closing
    fence; the solution's last fence then opens an empty code block on the page. The outer fence
    must be longer (````` ```` `````). Reported as a warning, since the chapter needs the fix; the
    student copy drops that empty fence with the solution.
    """
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        tokens = _tokens(_source(cell))
        for before, after in zip(tokens, tokens[1:]):
            if before.info.strip().startswith("{" + SOLUTION + "}") and _closes(before, after):
                found.append(index)
    return found


#: Directives shown as a quoted block with a bold title in Colab (the exercise, admonitions).
QUOTED = {"exercise": "Exercise", "admonition": "", "note": "Note", "tip": "Tip", "hint": "Hint",
          "important": "Important", "warning": "Warning", "caution": "Caution", "attention": "Attention",
          "danger": "Danger", "error": "Error", "seealso": "See also"}
ROLE = re.compile(r"\{(eq|cite(?::[pt])?|ref|doc|numref|term)\}`([^`]*)`")
TARGET = re.compile(r"^\([^)\s]+\)=\s*$")
GLUE = re.compile(r"\{glue(?::text)?\}`([^`]*)`")
GLUE_PREFIX = "application/papermill.record/"


def glued_values(nb) -> dict[str, str]:
    """The values a notebook's committed outputs glue (``genlib.claims.glue`` or MyST-NB's
    ``glue``): name -> the ``text/plain`` MyST-NB's ``{glue:text}`` role formats."""
    values = {}
    for cell in nb.cells if hasattr(nb, "cells") else nb["cells"]:
        for out in cell.get("outputs", []) if cell["cell_type"] == "code" else []:
            scrap = out.get("metadata", {}).get("scrapbook")
            if scrap and "name" in scrap:
                data = out.get("data", {})
                text = data.get(scrap.get("mime_prefix", "") + "text/plain", data.get("text/plain"))
                if text is not None:
                    values[scrap["name"]] = "".join(text) if isinstance(text, list) else text
    return values


def format_glued(text: str, spec: str) -> str:
    """``{glue:text}`name:spec``` as MyST-NB renders it (myst_nb.core.variables.format_plain_text)."""
    try:
        value = ast.literal_eval(text)
    except (SyntaxError, ValueError):
        value = text
    if not spec:
        return str(value)
    kind = spec[-1]
    if kind == "s":
        value = str(value)
    elif kind in "bcdoxX":
        value = int(value)
    elif kind in "eEfFgGn%":
        value = float(value)
    return format(value, spec)


def _glue_text(match: re.Match, glued: dict[str, str]) -> str:
    name, _, spec = match.group(1).partition(":")
    if name not in glued:
        raise KeyError(f"the prose quotes {{glue:text}}`{match.group(1)}`, but no output glues {name!r}; "
                       f"re-execute the chapter.")
    return format_glued(glued[name], spec)
OPTION = re.compile(r"^:[\w-]+:")


def _bib_field(entry: str, field: str) -> str:
    match = re.search(rf"\b{field}\s*=\s*\{{(.*?)\}}\s*,?\s*$", entry, flags=re.M | re.S)
    return re.sub(r"[{}]", "", match.group(1)).strip() if match else ""


def _author_year(entry: str) -> str:
    """"Fisher, 1936", "Ng and Jordan, 2002", "Radford et al., 2016": the book's author_year style."""
    authors = [a.strip() for a in re.split(r"\s+and\s+", _bib_field(entry, "author")) if a.strip()]
    last = [a.split(",")[0].strip() if "," in a else a.split()[-1] for a in authors]
    names = (last[0] if len(last) == 1 else f"{last[0]} and {last[1]}" if len(last) == 2
             else f"{last[0]} et al." if last else "")
    return ", ".join(part for part in (names, _bib_field(entry, "year")) if part)


def citations(bib: Path = ROOT / "book" / "references.bib") -> dict[str, str]:
    """Citation key -> "Author et al., year", read from the book's BibTeX file."""
    entries = re.split(r"^@", bib.read_text(encoding="utf-8"), flags=re.M)
    keys = (re.match(r"\w+\s*\{\s*([^,\s]+)\s*,", e) for e in entries)
    return {k.group(1): _author_year(e) for k, e in zip(keys, entries) if k}


def equation_numbers(markdown: str) -> dict[str, int]:
    """Label -> number of the chapter's labelled equations, in reading order, as the book
    numbers them (per chapter): ``$$ ... $$ (label)`` and ``{math}`` with ``:label:``."""
    labels = re.findall(r"\$\$[ \t]*\(([^)\s]+)\)|^:label:[ \t]*(\S+)(?=(?:\n:[\w-]+:.*)*\n(?!:))",
                        markdown, flags=re.M)
    math_labels = set(re.findall(r"^(?:`{3,}|:{3,})\{math\}[^\n]*\n(?::[\w-]+:.*\n)*?:label:[ \t]*(\S+)",
                                 markdown, flags=re.M))
    ordered = [a or b for a, b in labels if a or b in math_labels]
    return {label: k for k, label in enumerate(dict.fromkeys(ordered), start=1)}


_CONTEXT = {"bib": None, "equations": {}}
EQ_LABEL = re.compile(r"\$\$[ \t]*\(([^)\s]+)\)")  # the label after a labelled $$ equation


def _eq_label(match: re.Match) -> str:
    return f"$$ ({_CONTEXT['equations'].get(match.group(1), match.group(1))})"


def _role_text(match: re.Match) -> str:
    kind, target = match.groups()
    if kind == "eq":
        number = _CONTEXT["equations"].get(target)
        return f"({number})" if number else f"({target})"
    if kind.startswith("cite"):
        if _CONTEXT["bib"] is None:
            _CONTEXT["bib"] = citations()
        refs = [_CONTEXT["bib"].get(key.strip(), key.strip()) for key in target.split(",")]
        return "(" + "; ".join(refs) + ")"
    text = re.match(r"^(.*?)\s*<[^>]*>$", target, flags=re.S)  # "text <target>" -> text
    return text.group(1) if text else target


def colab_markdown(text: str, glued: dict[str, str] | None = None) -> str:
    """MyST markdown rewritten as the CommonMark + ``$`` math that Colab renders (see above);
    ``{glue:text}`` roles become the committed values in ``glued``."""
    lines = text.split("\n")
    glued = glued or {}

    def prose(chunk: list[str]) -> list[str]:
        return [EQ_LABEL.sub(_eq_label, GLUE.sub(lambda m: _glue_text(m, glued), ROLE.sub(_role_text, line)))
                for line in chunk if not TARGET.match(line)]

    out, pos = [], 0
    for token in _tokens(text):
        if token.type not in ("fence", "colon_fence"):
            continue
        start, end = token.map
        out += prose(lines[pos:start])
        pos = end
        match = re.match(r"\{([^}]+)\}\s*(.*)", token.info.strip())
        name = match.group(1) if match else None
        if name not in QUOTED and name != "math":  # a code block, or a directive left as it is
            out += lines[start:end]
            continue
        body = token.content.split("\n")
        options = {}
        while body and OPTION.match(body[0]):
            key, _, value = body.pop(0)[1:].partition(":")
            options[key] = value.strip()
        body = colab_markdown("\n".join(body), glued).strip("\n").split("\n")
        if name == "math":
            number = _CONTEXT["equations"].get(options.get("label"), options.get("label"))
            label = f" ({number})" if "label" in options else ""
            out += ["$$", *body, "$$" + label]
            continue
        given = ROLE.sub(_role_text, match.group(2))
        title = ": ".join(t for t in (QUOTED[name], given) if t) or name.capitalize()
        quoted = [f"**{title}**", "", *body]
        out += [f"> {line}" if line.strip() else ">" for line in quoted]
    out += prose(lines[pos:])
    return "\n".join(out)


def student_notebook(path: Path) -> str:
    """The student copy of the chapter at ``path``, as the text of an .ipynb file."""
    nb = nbformat.read(path, as_version=4)
    glued = glued_values(nb)
    _CONTEXT["equations"] = equation_numbers("\n\n".join(_source(c) for c in nb.cells if c.cell_type == "markdown"))
    out, _ = split_solutions(nb)
    for cell in out.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        elif cell.cell_type == "markdown":
            cell.source = colab_markdown(_source(cell), glued)
        cell.metadata.pop("execution", None)
    nbformat.validate(out)
    return nbformat.writes(out) + "\n"


def chapters() -> list[str]:
    """The notebook chapters of `_toc.yml`, as paths without suffix relative to the root."""
    return _toc_chapters()


def expected_files() -> dict[Path, str]:
    files = {STUDENT_DIR / "README.md": README}
    for chapter in chapters():
        files[STUDENT_DIR / f"{chapter}.ipynb"] = student_notebook(ROOT / f"{chapter}.ipynb")
    return files


def _bare(line: str) -> str:
    """A line without its indentation and block-quote marks, as compared for traces."""
    return re.sub(r"^[\s>]*", "", line).strip()


def solution_traces(chapter: str, student_text: str) -> list[str]:
    """Solution markers, or lines of the chapter's solutions, found in a student copy."""
    nb = nbformat.read(ROOT / f"{chapter}.ipynb", as_version=4)
    kept, removed = split_solutions(nb)
    problems = [f"student/{chapter}.ipynb: contains {m!r}" for m in SOLUTION_MARKERS if m in student_text]
    kept_lines = {_bare(line) for cell in kept.cells for line in _source(cell).splitlines()}
    student_nb = nbformat.reads(student_text, as_version=4)
    student_lines = {_bare(line) for cell in student_nb.cells for line in _source(cell).splitlines()}
    for line in {_bare(line) for text in removed for line in text.splitlines()}:
        if len(line) >= TRACE_MIN_CHARS and line not in kept_lines and line in student_lines:
            problems.append(f"student/{chapter}.ipynb: shows a line of a solution: {line[:80]!r}")
    return problems


def check() -> list[str]:
    """Every reason why `student/` is not the current, solution-free copy of the chapters."""
    expected = expected_files()
    problems = []
    for path, text in expected.items():
        rel = path.relative_to(ROOT)
        if not path.exists():
            problems.append(f"{rel}: missing")
        elif path.read_text() != text:
            problems.append(f"{rel}: stale (its chapter changed)")
    if STUDENT_DIR.exists():
        for path in sorted(p for p in STUDENT_DIR.rglob("*") if p.is_file()):
            if path not in expected and ".ipynb_checkpoints" not in path.parts and "__pycache__" not in path.parts:
                problems.append(f"{path.relative_to(ROOT)}: not the copy of a chapter in _toc.yml")
    for chapter in chapters():
        path = STUDENT_DIR / f"{chapter}.ipynb"
        if path.exists():
            problems += solution_traces(chapter, path.read_text())
    if problems:
        problems.append("run `python tools/student_notebooks.py` to rewrite student/")
    return problems


def write() -> list[Path]:
    expected = expected_files()
    if STUDENT_DIR.exists():  # copies of chapters that left the table of contents
        for path in sorted(p for p in STUDENT_DIR.rglob("*.ipynb") if p.is_file()):
            if path not in expected:
                path.unlink()
    written = []
    for path, text in expected.items():
        if not path.exists() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            written.append(path)
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="fail if student/ is stale or shows a solution")
    args = parser.parse_args()
    if args.check:
        problems = check()
        for problem in problems:
            print("PROBLEM", problem, file=sys.stderr)
        if not problems:
            print(f"student/: {len(chapters())} chapter(s), current and without solutions")
        return 1 if problems else 0
    written = write()
    for chapter in chapters():
        for index in misnested_solutions(nbformat.read(ROOT / f"{chapter}.ipynb", as_version=4)):
            print(f"warning: {chapter}.ipynb cell {index}: a solution fence is closed by its inner code "
                  "fence (an empty code block follows it on the page); make the outer fence longer (````)",
                  file=sys.stderr)
    for path in written:
        print("wrote", path.relative_to(ROOT))
    problems = check()
    for problem in problems:
        print("PROBLEM", problem, file=sys.stderr)
    print(f"student/: {len(chapters())} chapter(s), {len(written)} file(s) rewritten")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
