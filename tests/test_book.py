"""The book's structure: every chapter in the table of contents, set up as DESIGN.md says.

These checks read the committed notebooks (nbval re-executes them separately): the Colab
cell installs from the repository named in `_config.yml`, everything is seeded, a parameters
cell sets the scale, cells were executed top to bottom in one kernel with outputs
committed, and the chapter ends with at least three exercises, each with a solution.
"""

import json
import re
import sys
from pathlib import Path

import pytest
import yaml

import genlib

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())


def _toc_files(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("file", "root") and isinstance(value, str):
                yield value
            else:
                yield from _toc_files(value)
    elif isinstance(node, list):
        for item in node:
            yield from _toc_files(item)


TOC_FILES = list(_toc_files(TOC))
# The distribution's name on the package index (the import name is genlib; "genlib" there is
# an unrelated project).
DISTRIBUTION = re.search(r'^name = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M).group(1)
# Numbers typed in a chapter's prose that are definitions, not results (tests/prose_constants.yml).
PROSE_CONSTANTS = yaml.safe_load((ROOT / "tests" / "prose_constants.yml").read_text())
NOTEBOOKS = sorted(p for p in (ROOT / "book").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def _source(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def test_toc_entries_exist_and_every_page_is_listed():
    for entry in TOC_FILES:
        matches = [ROOT / f"{entry}{suffix}" for suffix in (".md", ".ipynb")]
        assert any(m.exists() for m in matches), f"_toc.yml lists {entry}, which does not exist"
    listed = {str(Path(f)) for f in TOC_FILES}
    for page in [*NOTEBOOKS, *(ROOT / "book").rglob("*.md")]:
        rel = str(page.relative_to(ROOT).with_suffix(""))
        assert rel in listed, f"{rel} is not in _toc.yml (only_build_toc_files would silently skip it)"


def test_repository_url_is_configured_once():
    assert CONFIG["repository"]["url"].startswith("https://github.com/")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT / "book")))
def test_chapter_structure(path):
    nb = json.loads(path.read_text())
    cells = nb["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert cells[0]["cell_type"] == "markdown" and _source(cells[0]).lstrip().startswith("# "), \
        "a chapter opens with its title"
    # the Colab cell: first code cell, installs the distribution from the configured repository,
    # imports the claim and glue helpers, then seeds and keeps the seed every other seed derives from
    first = _source(code[0])
    assert "except ImportError" in first and "%pip install" in first
    release = f'"{DISTRIBUTION} @ git+{CONFIG["repository"]["url"]}@v{genlib.__version__}"'
    assert release in first, \
        f"the Colab cell must install {DISTRIBUTION!r} from _config.yml's repository url at the book's release: {release}"
    assert "from genlib.claims import claim, glue" in first
    assert "SEED = genlib.seed_everything(0)" in first
    # every seed comes from SEED, so GENLIB_SEED re-runs the whole chapter on other random numbers
    literal = re.compile(r"\b(?:random_state|seed)=\d|\b(?:default_rng|manual_seed|random\.seed)\(\d")
    for c in code[1:]:
        assert not literal.search(_source(c)), \
            f"a literal seed in {_source(c)[:200]!r}: derive it from SEED (random_state=SEED + 1)"
    # a parameters cell sets the scale
    assert any("parameters" in c.get("metadata", {}).get("tags", []) for c in code), "no cell tagged 'parameters'"
    # executed top to bottom in one fresh kernel, outputs committed
    counts = [c.get("execution_count") for c in code]
    assert counts == list(range(1, len(code) + 1)), f"execution counts {counts}: re-run top to bottom"
    assert any(c.get("outputs") for c in code), "outputs must be committed"
    for c in code:
        for out in c.get("outputs", []):
            assert out.get("output_type") != "error", "a committed cell raised an error"
    # exercises: at least three, each with a solution
    text = "\n".join(_source(c) for c in cells if c["cell_type"] == "markdown")
    exercises = re.findall(r"```\{exercise\}.*?\n:label: (\S+)", text)
    solutions = re.findall(r"```\{solution\} (\S+)", text)
    assert len(exercises) >= 3, f"{len(exercises)} exercise(s); each chapter needs at least three"
    assert set(exercises) <= set(solutions), f"exercises without a solution: {set(exercises) - set(solutions)}"


def test_exercise_labels_are_unique_across_the_book():
    labels = []
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text())
        for c in nb["cells"]:
            if c["cell_type"] == "markdown":
                labels += re.findall(r"```\{exercise\}.*?\n:label: (\S+)", _source(c))
    duplicates = {label for label in labels if labels.count(label) > 1}
    assert not duplicates, f"exercise labels used twice: {duplicates}"


def test_instructor_page_is_current():
    import subprocess
    import sys

    run = subprocess.run([sys.executable, str(ROOT / "tools" / "instructor_page.py"), "--check"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def test_glossary_terms_are_linked_at_first_use():
    """Every chapter links each glossary entry it uses, at its first use (tools/glossary_links.py)."""
    import subprocess
    import sys

    result = subprocess.run([sys.executable, str(ROOT / "tools" / "glossary_links.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


# A decimal number or a percentage, in prose stripped of code, math, roles and directive options.
NUMBER = re.compile(r"(?<![\w.])\d+\.\d+(?!\w|\.\d)|(?<![\w.])\d+(?:\.\d+)?\s?%")
_NOT_PROSE = [
    re.compile(r"\$\$.*?\$\$", re.S),                                     # display math
    re.compile(r"(?<!\\)\$[^$\n]+\$"),                                     # inline math
    re.compile(r"(\{[\w:-]+\})?(`+)[^`\n]+?\2"),                          # inline code and roles
    re.compile(r"^:[\w-]+:.*$", re.M),                                     # directive options
    re.compile(r"\]\([^)]*\)"),                                           # link targets
    re.compile(r"<[^>]+>"),                                                 # HTML tags
]
_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,}|:{3,})[ \t]*(\{[^}]*\})?(.*)$")
_NOT_PROSE_DIRECTIVES = ("{math}", "{code-cell}", "{code-block}", "{code}")


def _without_code(markdown: str) -> str:
    """The markdown without its code blocks and {math} directives, and without the fence lines
    of other directives (whose bodies, exercises and solutions, are prose), and without indented
    code blocks (4 spaces after a blank line or a directive's options). Fences nest as MyST
    reads them: a bare fence closes the innermost open block of the same character if it is at
    least as long; any other fence opens a block."""
    out, stack = [], []  # (fence, is code) of each open block
    indented = False  # inside an indented code block: 4+ spaces after a blank line
    for line in markdown.split("\n"):
        indented = bool(line.strip()) and line.startswith(("    ", "\t")) and (
            indented or not out or not out[-1].strip() or re.match(r"^:[\w-]+:", out[-1]) is not None)
        if indented:
            continue
        match = _FENCE.match(line)
        in_code = any(code for _, code in stack)
        if match:
            fence, directive, info = match.group(1), match.group(2), match.group(3).strip()
            top = stack[-1][0] if stack else None
            if top and fence[0] == top[0] and len(fence) >= len(top) and not directive and not info:
                stack.pop()
                continue
            if not in_code:
                stack.append((fence, directive in _NOT_PROSE_DIRECTIVES or (directive is None and fence[0] != ":")))
                continue
        if not in_code:
            out.append(line)
    return "\n".join(out)


def prose_numbers(markdown: str) -> list[str]:
    """The decimal numbers and percentages a markdown cell's prose states."""
    markdown = _without_code(markdown)
    for pattern in _NOT_PROSE:
        markdown = pattern.sub(" ", markdown)
    return [m.group(0).replace(" ", "") for m in NUMBER.finditer(markdown)]


def test_prose_numbers_detector():
    text = ("BIC picks 3, the ELBO is -88.7 nats and 45 % agree; $x = 0.5$ and `lr=0.01` and "
            "{glue:text}`fd:.1f` and {cite}`radford2016` are not prose.\n```python\nx = 2.5\n```\n"
            "```{exercise} (easy) T\n:label: a-1.2\nBy 0.25.\n```\n\n"
            "````{solution} a-1.2\n:class: dropdown\n```python\ny = 3.5\n```\nAbout 0.02.\n````\n"
            "```{math}\n:label: m\nx = 1.5\n```\nThen 0.75.\n\n    z = 4.5\n    w = 5.5\nand 0.5.")
    assert prose_numbers(text) == ["88.7", "45%", "0.25", "0.02", "0.75", "0.5"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT / "book")))
def test_numbers_in_prose_come_from_the_code(path):
    """A computed number in a sentence is glued ({glue:text}), so the rendered sentence shows what
    the committed output computed; only definitional constants (tests/prose_constants.yml) are typed."""
    import student_notebooks

    nb = json.loads(path.read_text())
    key = str(path.relative_to(ROOT / "book"))
    allowed = {str(k) for k in (PROSE_CONSTANTS.get(key) or {})}
    typed = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            typed += [n for n in prose_numbers(_source(cell)) if n not in allowed]
    assert not typed, (f"{key}: numbers typed in prose: {typed}. Glue each computed one "
                       f"(glue('name', value) in code, {{glue:text}}`name:.2f` in prose); list a "
                       f"definitional constant in tests/prose_constants.yml with its reason.")
    glued = student_notebooks.glued_values(nb)
    used = {m.split(":")[0] for c in nb["cells"] if c["cell_type"] == "markdown"
            for m in re.findall(r"\{glue(?::text)?\}`([^`]*)`", _source(c))}
    assert used <= set(glued), f"{key}: the prose quotes {sorted(used - set(glued))}, which no output glues"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT / "book")))
def test_every_chapter_checks_its_claims(path):
    """Each chapter backs the results its prose states with at least three claims (genlib.claims)."""
    import conftest

    (count,) = conftest.claims_per_chapter([path]).values()
    assert count >= 3, f"{path.name} checks {count} claim(s); every chapter states at least three results"
