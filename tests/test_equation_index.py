"""The index from equations to code (`tools/equation_index.py`, `book/equations.yml`, `book/equations.md`).

Every labelled equation of the book has an entry naming the genlib function that computes it and
the test that checks it (or, where genlib computes nothing, the chapter cell that derives or
checks it); genlib cites only labels that exist; the generated page is current. All of it is
read statically: no notebook runs, genlib is not imported.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("equation_index", ROOT / "tools" / "equation_index.py")
ei = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("equation_index", ei)
_spec.loader.exec_module(ei)

FIX = "edit book/equations.yml, then run python tools/equation_index.py"


@pytest.fixture(scope="module")
def index():
    return ei.book_equations(), ei.load_mapping(), ei.genlib_citations()


# --- the committed index -----------------------------------------------------------------------


def test_the_book_has_labelled_equations_in_every_part(index):
    equations, _, _ = index
    parts = {eq.doc.split("/")[0] for eq in equations.values()}
    assert len(equations) > 50 and {"01_overview", "02_ml", "03_dl", "04_analysis"} <= parts


def test_every_labelled_equation_has_an_entry(index):
    equations, mapping, _ = index
    missing = [f"{label} (book/{eq.doc})" for label, eq in equations.items() if label not in mapping]
    assert not missing, (f"labelled equations without an entry in book/equations.yml: {missing}; "
                         f"`python tools/equation_index.py --suggest` drafts them")


def test_every_entry_names_an_equation_of_the_book(index):
    equations, mapping, _ = index
    stale = [label for label in mapping if label not in equations]
    assert not stale, f"book/equations.yml has entries for labels no chapter has (renamed?): {stale}"


def test_every_function_and_test_of_the_index_exists(index):
    equations, mapping, citations = index
    found = [p for p in ei.problems(equations, mapping, citations)
             if p.startswith("book/equations.yml") and "no equation of the book" not in p]
    assert not found, "\n".join(found) + f"\n({FIX})"


def test_genlib_cites_only_equations_of_the_book(index):
    equations, _, citations = index
    wrong = sorted({f"{c.path}:{c.line} ({c.qualname or 'module'}): eq. ({c.label})"
                    for c in citations if c.label not in equations})
    assert not wrong, ("genlib cites equation labels that no chapter has - cite the chapter's label "
                       "(book/equations.md lists them), or label the equation in its chapter:\n" + "\n".join(wrong))


def test_derivation_entries_are_few():
    """Most equations are computed by genlib; a `derivation` entry is the exception, with its reason."""
    mapping = ei.load_mapping()
    derivations = [k for k, v in mapping.items() if isinstance(v, dict) and "derivation" in v]
    assert len(derivations) <= len(mapping) // 4, derivations


def test_the_page_is_current():
    assert (ROOT / "book" / "equations.md").read_text() == ei.render(), \
        "book/equations.md is out of date: run python tools/equation_index.py"


def test_the_page_is_in_the_table_of_contents():
    assert "- file: book/equations\n" in (ROOT / "_toc.yml").read_text()


# --- the readers ---------------------------------------------------------------------------------


def test_labels_are_read_in_all_three_syntaxes_and_only_for_equations():
    text = "\n".join([
        "$$",
        "a = b",
        "$$ (eq-dollar)",
        "",
        "```{math}",
        ":label: eq-fence",
        "c = d",
        "```",
        "",
        ":::{math}",
        ":label: eq-colon",
        "e = f",
        ":::",
        "",
        "(eq-target)=",
        "",
        "$$ g = h $$",
        "",
        "(a-section)=",
        "### A heading, not an equation",
        "",
        "```{exercise} (easy) Not an equation",
        ":label: ex-label",
        "```",
        "inline $x$ (not-a-label) and $$y$$ in prose",
    ])
    assert ei.labels_in_markdown(text) == ["eq-dollar", "eq-fence", "eq-colon", "eq-target"]


def test_citations_in_every_form_with_their_enclosing_function():
    source = '''"""Module docstring, eq. (mod-a)."""


def top(x):
    """Docstring, eq. (top-a) and eqs. (top-b), (top-c)."""
    y = x  # comment, eq. top-d
    return y  # eq. ``top-e``/``top-f`` or (top-g)


class Model:
    def method(self):
        """Wrapped: ... the update, eq.
        (meth-a) with probabilities."""

    @property
    def prop(self):
        return 1  # eq. (gan-g-minimax) or (gan-g-nonsat)


# end of file: Eq. (gmm-gaussian); an "eq." at the end of a sentence cites nothing.
'''
    got = [(c.label, c.qualname) for c in ei.citations_in_source(source, "genlib/x.py")]
    assert got == [("mod-a", None), ("top-a", "top"), ("top-b", "top"), ("top-c", "top"), ("top-d", "top"),
                   ("top-e", "top"), ("top-f", "top"), ("top-g", "top"), ("meth-a", "Model.method"),
                   ("gan-g-minimax", "Model.prop"), ("gan-g-nonsat", "Model.prop"), ("gmm-gaussian", None)]


def test_functions_and_tests_resolve_statically():
    assert ei.resolve_function("genlib.classic.gmm.estimate_parameters")[0] == ROOT / "genlib/classic/gmm.py"
    assert ei.resolve_function("genlib.classic.gmm.GaussianMixture.bic") is not None
    assert ei.resolve_function("genlib.classic.gmm.no_such_function") is None
    assert ei.resolve_function("genlib.classic.no_such_module.f") is None
    assert ei.resolve_function("numpy.mean") is None
    assert ei.resolve_test("tests/test_equation_index.py::test_functions_and_tests_resolve_statically")
    assert ei.resolve_test("tests/test_equation_index.py::test_the_page_is_current[param]")
    assert not ei.resolve_test("tests/test_equation_index.py::test_no_such_test")
    assert not ei.resolve_test("tests/test_no_such_file.py::test_x")
    assert not ei.resolve_test("tools/equation_index.py::render")


def test_problems_names_each_kind_of_break():
    equations = {"a-one": ei.Equation("a-one", "ch/a"), "a-two": ei.Equation("a-two", "ch/a"),
                 "a-three": ei.Equation("a-three", "ch/a")}
    mapping = {
        "a-one": {"function": "genlib.classic.gmm.not_there",
                  "test": "tests/test_equation_index.py::test_not_there"},
        "a-three": {"derivation": "derived in the prose"},
        "gone": {"function": "genlib.classic.gmm.estimate_parameters",
                 "test": "tests/test_equation_index.py::test_the_page_is_current"},
    }
    citations = [ei.Citation("a-three", "genlib/x.py", 3, "f"), ei.Citation("missing", "genlib/x.py", 9, None)]
    found = "\n".join(ei.problems(equations, mapping, citations))
    for expected in ["a-two (book/ch/a): labelled in the book but has no entry",
                     "gone: no equation of the book has this label",
                     "function genlib.classic.gmm.not_there does not resolve",
                     "test tests/test_equation_index.py::test_not_there is not a test function",
                     "a-three: marked 'derivation' but genlib computes it (genlib/x.py:3)",
                     "genlib/x.py:9 (module): cites eq. (missing), which no chapter labels"]:
        assert expected in found, found
    assert ei.problems({"a-one": equations["a-one"]},
                       {"a-one": {"function": "genlib.classic.gmm.estimate_parameters",
                                  "test": "tests/test_equation_index.py::test_the_page_is_current"}},
                       [ei.Citation("a-one", "genlib/x.py", 1, "f")]) == []
