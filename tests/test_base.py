"""genlib's package root and base module: cheap import, seeding, protocols, registry."""

import subprocess
import sys

import numpy as np
import pytest

import genlib
from genlib import base


def test_version():
    assert isinstance(genlib.__version__, str) and genlib.__version__.count(".") == 2


def test_import_does_not_load_torch_or_matplotlib():
    code = (
        "import sys, genlib, genlib.base, genlib.datasets, genlib.classic, genlib.energy, genlib.neural;"
        "print(sorted(m for m in ('torch', 'matplotlib', 'sklearn') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_seed_everything_reproduces_numpy_random_and_torch():
    import random

    torch = pytest.importorskip("torch")
    genlib.seed_everything(5)
    a = (np.random.rand(3), random.random(), torch.rand(3))
    genlib.seed_everything(5)
    b = (np.random.rand(3), random.random(), torch.rand(3))
    np.testing.assert_array_equal(a[0], b[0])
    assert a[1] == b[1]
    assert torch.equal(a[2], b[2])


@pytest.mark.parametrize("bad, exc", [(-1, ValueError), (2**32, ValueError), (1.5, TypeError), ("0", TypeError),
                                      (True, TypeError)])
def test_seed_everything_refuses(bad, exc):
    with pytest.raises(exc, match="seed"):
        genlib.seed_everything(bad)


def test_registry_entries_are_consistent():
    assert list(base.REGISTRY)[:2] == ["class_gaussian", "gmm"]
    for key, info in base.REGISTRY.items():
        assert info.key == key
        assert info.target.startswith("genlib.")
        # implicit models have no likelihood; "exact" needs a tractable explicit density
        if info.density == "implicit":
            assert info.likelihood == "none"
        if info.likelihood == "exact":
            assert info.density == "explicit"
    families = {info.family for info in base.REGISTRY.values()}
    assert families == {"ML", "DL"}


def test_registry_rejects_bad_metadata():
    with pytest.raises(ValueError, match="density"):
        base.ModelInfo("x", "X", "ML", "sometimes", "tractable", "exact", "c", "ch", "genlib.x:X", 2000, "ref")
    with pytest.raises(ValueError, match="module:Class"):
        base.ModelInfo("x", "X", "ML", "explicit", "tractable", "exact", "c", "ch", "genlib.x.X", 2000, "ref")


def test_get_info_and_unknown_key():
    assert base.get_info("gmm").name == "Gaussian mixture model"
    with pytest.raises(ValueError, match="valid keys"):
        base.get_info("no-such-model")


def test_is_available_hides_no_import_error(monkeypatch, tmp_path):
    # every registered model has landed: a module that fails to import is a bug and is raised, not hidden
    assert all(base.is_available(key) for key in base.REGISTRY)
    other = base.ModelInfo("fake2", "Fake", "ML", "explicit", "tractable", "exact", "c", "ch",
                           "genlib.datasets:NoSuchClass", 2000, "ref")
    monkeypatch.setitem(base.REGISTRY, "fake2", other)
    assert base.is_available("fake2") is False  # the module imports but lacks the class
    with pytest.raises(ImportError, match="NoSuchClass"):
        base.load_model_class("fake2")
    (tmp_path / "broken_model_pkg.py").write_text("import a_dependency_that_is_not_installed\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    broken = base.ModelInfo("fake3", "Fake", "ML", "explicit", "tractable", "exact", "c", "ch",
                            "broken_model_pkg:X", 2000, "ref")
    monkeypatch.setitem(base.REGISTRY, "fake3", broken)
    with pytest.raises(ModuleNotFoundError, match="a_dependency_that_is_not_installed"):
        base.is_available("fake3")


def test_protocols_are_runtime_checkable():
    class Density:
        def sample(self, n, *, random_state=None):
            return np.zeros((n, 1))

        def log_prob(self, X):
            return np.zeros(len(X))

        def score(self, X):
            return 0.0

    assert isinstance(Density(), base.DensityModel)
    assert isinstance(Density(), base.Sampler)
    assert not isinstance(Density(), base.EnergyModel)


def test_not_fitted_error_is_caught_as_scikit_learns():
    from sklearn.exceptions import NotFittedError as SkNotFittedError

    from genlib.classic import GaussianMixture

    with pytest.raises(SkNotFittedError):
        GaussianMixture(2).sample(3)
    assert issubclass(base.NotFittedError, (ValueError, AttributeError))


def test_registry_lookups_refuse_clearly():
    with pytest.raises(ValueError, match="valid keys"):
        base.get_info("no-such-model")
    with pytest.raises(TypeError, match="key must be a registry key"):
        base.get_info(["gmm"])
