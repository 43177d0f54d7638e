"""The students' Colab notebooks (`student/`): current, complete, and without solutions.

`tools/student_notebooks.py` writes `student/<chapter>.ipynb` for every notebook chapter of
`_toc.yml`; the student edition's Colab button opens these copies. The checks below read the
solutions with their own regular expression (not the tool's MyST parser), so a tool that
stopped removing them fails here; they check that the copies hold no MyST that Colab would
show raw (directives become quoted blocks, roles text); and they compute the Colab link with the installed
Jupyter Book and sphinx-book-theme code, so a theme that built the link differently fails too.
"""

import json
import re
import sys
from pathlib import Path
from types import SimpleNamespace

import nbformat
import numpy as np
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import edition  # noqa: E402
import student_notebooks as sn  # noqa: E402
from test_book import _toc_files  # noqa: E402  (reads _toc.yml independently of the tools)

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())



# every notebook in the table of contents, however nested (the tool's own reader is not used)
CHAPTERS = [f for f in _toc_files(yaml.safe_load((ROOT / "_toc.yml").read_text()))
            if (ROOT / f"{f}.ipynb").exists()]
# a solution directive, ``` or :::, closed by a fence of the same length (as MyST closes it)
SOLUTION = re.compile(r"^(`{3,}|:{3,})\{solution\}[^\n]*\n(.*?)^\1[ \t]*$", re.M | re.S)


def _source(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _is_solution_cell(cell):
    return "solution" in cell.get("metadata", {}).get("tags", [])


def test_solution_cells_are_on_no_page():
    """Code cells that check what the solutions state are tagged solution (dropped from the
    student copies) and remove-cell (rendered in neither edition): they hold the answers."""
    for chapter in CHAPTERS:
        for cell in _cells(ROOT / f"{chapter}.ipynb"):
            if cell["cell_type"] == "code" and _is_solution_cell(cell):
                assert "remove-cell" in cell["metadata"]["tags"], f"{chapter}: a solution cell shown on the page"
            elif cell["cell_type"] == "code":
                assert not re.search(r"^#.*exercise solutions", _source(cell), flags=re.M | re.I), \
                    f"{chapter}: a cell checking the solutions is not tagged solution:\n{_source(cell)[:200]}"


def _cells(path):
    return json.loads(path.read_text())["cells"]


def test_student_folder_is_current():
    problems = sn.check()
    assert not problems, "\n".join(problems)


def test_every_toc_chapter_has_its_copy():
    assert CHAPTERS, "no notebook chapter in _toc.yml"
    missing = [c for c in CHAPTERS if not (ROOT / "student" / f"{c}.ipynb").exists()]
    assert not missing, f"no student copy of {missing}: run python tools/student_notebooks.py"
    extra = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "student").rglob("*.ipynb")
                   if str(p.relative_to(ROOT / "student").with_suffix("")) not in CHAPTERS)
    assert not extra, f"student copies of no chapter: {extra}"


def _bare(line):
    return re.sub(r"^[\s>]*", "", line).strip()  # the copies quote exercises as "> ..."


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_copy_has_no_solution_and_everything_else(chapter):
    original, copy = _cells(ROOT / f"{chapter}.ipynb"), _cells(ROOT / "student" / f"{chapter}.ipynb")
    text = "\n".join(_source(c) for c in copy)
    assert "{solution" not in text
    # no line of a solution's text (unless the line also appears outside the solutions)
    markdown = "\n".join(_source(c) for c in original if c["cell_type"] == "markdown")
    bodies = [m.group(2) for m in SOLUTION.finditer(markdown)]
    assert len(bodies) == markdown.count("{solution}"), "a solution this test's pattern does not delimit"
    outside = SOLUTION.sub("", "\n".join(_source(c) for c in original))
    outside_lines = {_bare(line) for line in outside.splitlines()}
    copy_lines = {_bare(line) for line in text.splitlines()}
    leaked = [_bare(line) for body in bodies for line in body.splitlines()
              if len(_bare(line)) >= 25 and _bare(line) not in outside_lines and _bare(line) in copy_lines]
    assert not leaked, f"solution text in the student copy: {leaked[:3]}"
    # every exercise stays, as a quoted block Colab renders, and so does every code cell
    # (the self-checking stubs included), with outputs cleared for the student to run
    titles = re.findall(r"```\{exercise\}[ \t]*(.*)", markdown)
    assert [f"> **Exercise: {t.strip()}**" if t.strip() else "> **Exercise**" for t in titles] == \
        re.findall(r"^> \*\*Exercise.*\*\*$", text, flags=re.M)
    code = [_source(c) for c in original if c["cell_type"] == "code" and not _is_solution_cell(c)]
    assert code == [_source(c) for c in copy if c["cell_type"] == "code"]
    assert not any(_is_solution_cell(c) for c in copy), "a code cell tagged solution reached the student copy"
    for cell in copy:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None
    nbformat.validate(nbformat.read(ROOT / "student" / f"{chapter}.ipynb", as_version=4))


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_copy_has_no_myst_that_colab_shows_raw(chapter):
    for cell in _cells(ROOT / "student" / f"{chapter}.ipynb"):
        if cell["cell_type"] != "markdown":
            continue
        text = _source(cell)
        directive = re.search(r"^[> ]*(`{3,}|:{3,})\{.*", text, flags=re.M)
        assert not directive, f"a MyST directive Colab would show as code: {directive.group(0)!r}"
        role = re.search(r"\{[a-z:]+\}`[^`]*`", text)
        assert not role, f"a MyST role Colab would show raw: {role.group(0)!r}"
        fences = re.findall(r"^[> ]*(`{3,}|~{3,})", text, flags=re.M)
        assert len(fences) % 2 == 0, "an unclosed code fence (a solution closed by its inner fence?)"


def _nb(*cells):
    return nbformat.v4.new_notebook(cells=list(cells))


def test_generator_removes_every_form_of_solution():
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    nb = _nb(
        md("```{exercise} Easy\n:label: ex-a\nCompute $x$.\n```\n\n````{solution} ex-a\n"
           ":class: dropdown\nThe answer is SECRET-A.\n```python\nprint('SECRET-B')\n```\n````\n\nAfter."),
        # a solution fence closed by its inner code fence, last in its cell (as in the chapters):
        # the empty fence after it, its author's closing line, goes too
        md("Before the misnested one.\n\n```{solution} ex-a\n```python\nSECRET-G = 1\n```\n```"),
        md(":::{solution} ex-b\nSECRET-C\n:::"),  # a colon fence; the whole cell goes
        code("stub = 1  # the student's starting point stays"),
        md("Before.\n\n```{solution-start} ex-c\n```\nSECRET-D"),
        code("print('SECRET-E')  # inside a gated solution: removed"),
        md("SECRET-F\n```{solution-end}\n```\nKept after the gated solution."),
    )
    out, removed = sn.split_solutions(nb)
    text = "\n".join(c.source for c in out.cells)
    assert "SECRET" not in text and "{solution" not in text
    assert all(s in "".join(removed) for s in ("SECRET-A", "SECRET-B", "SECRET-C", "SECRET-D", "SECRET-E", "SECRET-F",
                                                "SECRET-G"))
    assert out.cells[1].source == "Before the misnested one."
    assert "Compute $x$." in text and "After." in text and "Before." in text
    assert "Kept after the gated solution." in text and "stub = 1" in text
    assert [c.cell_type for c in out.cells] == ["markdown", "markdown", "code", "markdown", "markdown"]
    # Colab's rendering of what is left: the exercise quoted, math as $$, roles as text
    colab = sn.colab_markdown("```{exercise} (easy) Title\n:label: ex-a\nSee {eq}`e1` and {cite}`k1,k2`.\n```\n\n"
                              "```{math}\n:label: e1\nx = 1\n```\n\n```python\ny = '{eq}`kept`'\n```")
    assert colab == ("> **Exercise: (easy) Title**\n>\n> See (e1) and (k1; k2).\n\n$$\nx = 1\n$$ (e1)\n\n"
                     "```python\ny = '{eq}`kept`'\n```")


def _launch_urls(config: dict, chapter: str) -> dict[str, str]:
    """The launch buttons that Jupyter Book + sphinx-book-theme put on ``chapter``'s page."""
    from jupyter_book.config import get_final_config
    from sphinx_book_theme.header_buttons import update_context_with_repository_info
    from sphinx_book_theme.header_buttons.launch import add_launch_buttons

    sphinx_config, _ = get_final_config(user_yaml=config, cli_config={"latex_individualpages": False},
                                        validate=False)

    class Config(SimpleNamespace):
        def __getitem__(self, key):
            return getattr(self, key)

    app = SimpleNamespace(
        builder=None,
        config=Config(html_theme_options=sphinx_config["html_theme_options"], html_context={}),
        env=SimpleNamespace(doc2path=lambda name: str(ROOT / f"{name}.ipynb"),
                            metadata={chapter: {"kernelspec": {"name": "python3"}}}),
    )
    update_context_with_repository_info(app)
    context = {**app.config.html_context, "pagename": chapter, "sourcename": f"{chapter}.ipynb",
               "header_buttons": []}
    add_launch_buttons(app, chapter, "page.html", context, None)
    return {b["text"]: b["url"] for group in context["header_buttons"] for b in group["buttons"]}


@pytest.mark.parametrize("chapter", CHAPTERS[:1] + CHAPTERS[-1:])
def test_colab_button_opens_the_student_copy(chapter):
    org_repo = CONFIG["repository"]["url"].removeprefix("https://github.com/")
    branch = CONFIG["repository"]["branch"]
    colab = CONFIG["launch_buttons"]["colab_url"]

    student = _launch_urls(edition.student_config(CONFIG), chapter)
    assert set(student) == {"Colab"}, f"the student edition offers {set(student)}; Binder would clone the solutions"
    assert student["Colab"] == f"{colab}/github/{org_repo}/blob/{branch}/student/{chapter}.ipynb"
    assert (ROOT / "student" / f"{chapter}.ipynb").exists()

    instructor = _launch_urls(CONFIG, chapter)
    assert instructor["Colab"] == f"{colab}/github/{org_repo}/blob/{branch}/{chapter}.ipynb"


def test_sphinx_does_not_build_the_student_copies():
    assert "student" in CONFIG["exclude_patterns"], "add student to _config.yml's exclude_patterns"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_self_checks_fail_on_the_students_stub(chapter):
    """Every self-checking exercise reaches the student unsolved: the cell that calls a
    ``genlib.exercises.check_*`` defines the function as a stub, and the check fails on it."""

    cells = [_source(c) for c in _cells(ROOT / "student" / f"{chapter}.ipynb") if c["cell_type"] == "code"]
    calls = [src for src in cells if re.search(r"\bcheck_\w+\(\s*\w+\s*\)", src) and "genlib.exercises" in src]
    assert calls, f"{chapter} has no self-checking exercise"
    for src in calls:
        assert "raise NotImplementedError" in src, f"a self-check ships solved in the student copy:\n{src[:400]}"
        namespace = {"np": np}
        exec(compile(src, f"student/{chapter}.ipynb", "exec"), namespace)  # defines the stub, runs the check
        results = [v for k, v in namespace.items() if k == "passed" or k.startswith("passed")]
        assert results and not any(results), f"the check passes on the student's stub:\n{src[:400]}"


def test_colab_copies_cite_by_author_and_year_and_number_equations_per_chapter():
    """Colab shows no raw citation key or equation label: {cite} becomes the book's author-year
    text, {eq} the equation's number in the chapter (the book numbers per chapter: _config.yml)."""
    assert sn.citations()["goodfellow2014"] == "Goodfellow et al., 2014"
    assert sn.citations()["ng2002"] == "Ng and Jordan, 2002"
    nb = nbformat.read(ROOT / "book" / "03_dl" / "07_gan.ipynb", as_version=4)
    numbers = sn.equation_numbers("\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown"))
    assert list(numbers.values()) == list(range(1, len(numbers) + 1)) and numbers["gan-value"] == 1
    student = _cells(ROOT / "student" / "book" / "03_dl" / "07_gan.ipynb")
    text = "\n".join(_source(c) for c in student if c["cell_type"] == "markdown")
    assert "(gan-value)" not in text and "(goodfellow2014)" not in text
    assert "(Goodfellow et al., 2014)" in text
    assert CONFIG["sphinx"]["config"]["math_numfig"] is False
