"""genlib.claims (claim, glue) and the GENLIB_SEED override of seed_everything."""

import sys
from pathlib import Path

import numpy as np
import pytest

import genlib
from genlib.claims import GLUE_PREFIX, ClaimError, claim, glue

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))


def test_claim_that_holds_prints_its_text_and_values(capsys):
    assert claim("the ELBO never exceeds log p(x)", np.float64(-90.2) <= -88.7, elbo=np.float32(-90.2),
                 logp=-88.7, n=np.int64(3)) is None
    assert capsys.readouterr().out == "claim holds: the ELBO never exceeds log p(x) [elbo=-90.2, logp=-88.7, n=3]\n"


def test_claim_that_fails_quotes_the_claim_and_the_measurements(capsys):
    with pytest.raises(ClaimError, match=r"'BIC picks three components'.*k=4") as info:
        claim("BIC picks three components", 4 == 3, k=4)
    assert isinstance(info.value, AssertionError)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("text, condition, exc, match", [
    ("", True, TypeError, "non-empty sentence"),
    (3, True, TypeError, "non-empty sentence"),
    ("x", np.array([True, False]), ValueError, r"shape \(2,\).*\.all\(\)"),
    ("x", "yes", TypeError, "truth value"),
    ("x", 0.5, TypeError, "truth value"),
])
def test_claim_refuses_what_is_not_a_sentence_and_a_truth_value(text, condition, exc, match):
    with pytest.raises(exc, match=match):
        claim(text, condition)


def test_claim_accepts_torch_booleans():
    torch = pytest.importorskip("torch")
    claim("a torch comparison", torch.tensor(1.0) < 2, x=torch.tensor(1.0))
    with pytest.raises(ClaimError):
        claim("a torch comparison", torch.tensor(3.0) < 2)


def _glued(value, name="x"):
    """What a notebook records for glue(name, value): run it in IPython's display machinery."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    captured = []
    publisher = shell.display_pub.publish
    shell.display_pub.publish = lambda data, metadata=None, **kw: captured.append((data, metadata))
    try:
        glue(name, value)
    finally:
        shell.display_pub.publish = publisher
    return captured


@pytest.mark.parametrize("value, text", [(np.float64(0.25), "0.25"), (np.float32(0.5), "0.5"),
                                         (np.int64(7), "7"), (3, "3"), ("three", "'three'")])
def test_glue_writes_what_myst_nb_reads(value, text):
    from student_notebooks import format_glued

    [(data, metadata)] = _glued(value)
    assert data == {GLUE_PREFIX + "text/plain": text}
    assert metadata == {"scrapbook": {"name": "x", "mime_prefix": GLUE_PREFIX}}
    if not isinstance(value, str):
        assert format_glued(text, ".2f") == f"{float(value):.2f}"


def test_glue_is_read_back_as_myst_nb_reads_it():
    """The same output as myst_nb.glue(name, value, display=False), read by MyST-NB's own reader."""
    myst_glue = pytest.importorskip("myst_nb.ext.glue")
    [(data, metadata)] = _glued(np.float64(1.5), "fd_dcgan")
    cell = {"cell_type": "code", "outputs": [{"output_type": "display_data", "data": data, "metadata": metadata}]}
    import nbformat

    [(key, output)] = list(myst_glue.extract_glue_data_cell(nbformat.from_dict(cell)))
    assert key == "fd_dcgan" and output["data"]["text/plain"] == "1.5"


@pytest.mark.parametrize("name, value, exc", [("1x", 1.0, ValueError), ("a b", 1.0, ValueError),
                                              ("x", [1.0], TypeError), ("x", True, TypeError),
                                              ("x", np.ones(2), TypeError)])
def test_glue_refuses_bad_names_and_values(name, value, exc):
    with pytest.raises(exc):
        glue(name, value)


def test_genlib_seed_overrides_the_notebook_seed(monkeypatch):
    monkeypatch.delenv("GENLIB_SEED", raising=False)
    assert genlib.seed_everything(0) == 0
    a = np.random.rand()
    monkeypatch.setenv("GENLIB_SEED", "1")
    assert genlib.seed_everything(0) == 1
    b = np.random.rand()
    assert genlib.seed_everything(5) == 1 and np.random.rand() == b != a


@pytest.mark.parametrize("bad", ["x", "-1", "1.5", str(2**32)])
def test_genlib_seed_refuses_what_is_not_a_seed(monkeypatch, bad):
    monkeypatch.setenv("GENLIB_SEED", bad)
    state = np.random.get_state()[1].copy()
    with pytest.raises(ValueError, match="GENLIB_SEED"):
        genlib.seed_everything(0)
    assert (np.random.get_state()[1] == state).all(), "a refused call changed the global generator"
