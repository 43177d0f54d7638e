"""The book's structure: every chapter in the table of contents, set up as DESIGN.md says.

These checks read the committed notebooks (nbval re-executes them separately): the Colab
cell installs from the repository named in `_config.yml`, everything is seeded, a parameters
cell sets the scale, cells were executed top to bottom in one kernel with outputs
committed, and the chapter ends with at least three exercises, each with a solution.
"""

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
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
    # the Colab cell: first code cell, installs from the configured repository, then seeds
    first = _source(code[0])
    assert "except ImportError" in first and "%pip install" in first
    assert CONFIG["repository"]["url"] in first, "the Colab cell must install from _config.yml's repository url"
    assert "genlib.seed_everything(0)" in first
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
