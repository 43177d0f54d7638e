"""The conformance suite every model of the registry passes once it lands.

Each model contributes one case module ``tests/cases/case_<key>.py`` that defines

- ``KEY``: its registry key (``genlib.base.REGISTRY``);
- ``make_model(random_state)``: a small, fast configuration of the model;
- ``make_data()``: a dict with ``train`` and ``test`` data (and optional ``fit_kwargs``,
  ``score_kwargs`` passed to ``fit`` and to ``log_prob``/``score``);
- optionally ``bad_inputs(train)``: a list of ``(bad_X, words)``, inputs ``fit`` must refuse
  with a ``ValueError``/``TypeError`` whose message contains every string in ``words``.
  Default: ``train`` with a NaN, and ``train`` with an extra leading axis.

The protocol (DESIGN.md): ``fit`` returns ``self``; ``sample(n, random_state=None)`` returns
``n`` draws (the first axis), new ones on each call; the same ``random_state`` gives the same
fit and the same draws; ``log_prob``/``score`` exist exactly where the registry says the
likelihood is exact; every model raises ``NotFittedError`` from ``sample`` and ``held_out_likelihood`` before ``fit``;
a fitted model survives a save/load round trip (pickle, or ``state_dict`` with
``torch.load(weights_only=True)`` for ``torch.nn.Module`` models).
"""

from __future__ import annotations

import importlib.util
import io
import pickle
import sys
from pathlib import Path

import numpy as np
import pytest

from genlib.base import REGISTRY, NotFittedError, available_models, load_model_class

CASES_DIR = Path(__file__).parent / "cases"


def _load_cases():
    # case modules may import shared helpers that live beside them (e.g. _binary.py)
    if str(CASES_DIR) not in sys.path:
        sys.path.insert(0, str(CASES_DIR))
    cases = {}
    for path in sorted(CASES_DIR.glob("case_*.py")):
        spec = importlib.util.spec_from_file_location(f"_genlib_case_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        cases[module.KEY] = module
    return cases


CASES = _load_cases()


def _np(x):
    """Samples as a NumPy array (torch tensors, sparse matrices and tuples allowed)."""
    if isinstance(x, tuple):  # (X, latent) when return_latent=True; the protocol returns X
        raise AssertionError("sample(n) must return the draws alone, not a tuple; use return_latent=True for (X, z).")
    if hasattr(x, "detach"):
        return x.detach().cpu().numpy()
    if hasattr(x, "toarray"):
        return x.toarray()
    return np.asarray(x)


def _is_module(model) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(model, torch.nn.Module)


def _fitted(key, seed=0):
    case = CASES[key]
    data = case.make_data()
    model = case.make_model(seed)
    out = model.fit(data["train"], **data.get("fit_kwargs", {}))
    return model, out, data


def test_every_available_model_has_a_case():
    missing = [k for k in available_models() if k not in CASES]
    assert not missing, f"models {missing} landed without tests/cases/case_<key>.py"


def test_every_case_names_a_registered_available_model():
    for key in CASES:
        assert key in REGISTRY, f"case {key!r} is not in genlib.base.REGISTRY"
        load_model_class(key)  # raises if the implementation does not import


@pytest.fixture(params=sorted(CASES))
def key(request):
    return request.param


def test_fit_returns_self_and_sample_has_n_rows(key):
    model, out, _ = _fitted(key)
    assert out is model
    draws = _np(model.sample(7))
    assert draws.shape[0] == 7
    assert np.all(np.isfinite(draws.astype(float)))


def test_registry_class_matches(key):
    model = CASES[key].make_model(0)
    assert isinstance(model, load_model_class(key))


def test_same_seed_same_result(key):
    a, _, data = _fitted(key, seed=3)
    b, _, _ = _fitted(key, seed=3)
    np.testing.assert_array_equal(_np(a.sample(5, random_state=11)), _np(b.sample(5, random_state=11)))
    if REGISTRY[key].likelihood == "exact":
        kw = data.get("score_kwargs", {})
        np.testing.assert_array_equal(_np(a.log_prob(data["test"], **kw)), _np(b.log_prob(data["test"], **kw)))


def test_repeated_sample_gives_new_draws(key):
    model, _, _ = _fitted(key)
    first, second = _np(model.sample(20)), _np(model.sample(20))
    assert not np.array_equal(first, second), "two sample() calls returned identical draws"


def test_log_prob_where_declared(key):
    model, _, data = _fitted(key)
    has = hasattr(model, "log_prob")
    if REGISTRY[key].likelihood != "exact":
        assert not has, (
            f"{key} exposes log_prob but the registry says its likelihood is {REGISTRY[key].likelihood!r}"
        )
        return
    assert has, f"{key} declares an exact likelihood but has no log_prob"
    kw = data.get("score_kwargs", {})
    lp = _np(model.log_prob(data["test"], **kw))
    assert lp.ndim == 1 and np.all(np.isfinite(lp))
    assert np.isclose(float(model.score(data["test"], **kw)), lp.mean(), rtol=1e-10, atol=1e-10)


def _default_bad_inputs(train):
    X = np.array(train, dtype=float, copy=True)
    X.flat[0] = np.nan
    return [(X, ["X"]), (np.asarray(train)[None, ...], ["X"])]


def test_bad_input_is_refused_clearly(key):
    case = CASES[key]
    data = case.make_data()
    bad = case.bad_inputs(data["train"]) if hasattr(case, "bad_inputs") else _default_bad_inputs(data["train"])
    for X, words in bad:
        with pytest.raises((ValueError, TypeError)) as info:
            case.make_model(0).fit(X, **data.get("fit_kwargs", {}))
        for w in words:
            assert w in str(info.value), f"error {info.value!r} does not mention {w!r}"


def test_history_is_a_dict_of_lists(key):
    """One shape for every model's training record: a name to a list with one entry per iteration,
    epoch or step."""
    model, _, _ = _fitted(key)
    history = getattr(model, "history_", None)
    if history is None:
        pytest.skip(f"{key} keeps no training history (closed-form fit)")
    assert isinstance(history, dict) and history, f"{key}: history_ is {type(history).__name__}"
    bad = {name: type(v).__name__ for name, v in history.items() if not isinstance(v, list)}
    assert not bad, f"{key}: history_ entries that are not lists: {bad}"


#: Energy models sample and score whatever weights they hold: the weights define the distribution
#: exactly, and the chapters build machines by hand to study them (see genlib._torch.Resumable.fitted_).
DEFINED_BY_WEIGHTS = {"boltzmann", "rbm", "dbn", "dbm"}


def test_not_fitted_error(key):
    """Every model refuses to sample or report a likelihood before it has trained: the neural
    models too (their networks stay usable from initialisation, where the chapters study them)."""
    model = CASES[key].make_model(0)
    test = CASES[key].make_data()["test"]
    if key in DEFINED_BY_WEIGHTS:
        assert _is_module(model) and model.sample(3).shape[0] == 3
        return
    with pytest.raises(NotFittedError, match="not fitted"):
        model.sample(3)
    if hasattr(model, "held_out_likelihood"):  # implicit models and the autoencoder have none
        with pytest.raises(NotFittedError, match="not fitted"):
            model.held_out_likelihood(test)
    if hasattr(model, "log_prob") and not _is_module(model):
        with pytest.raises(NotFittedError):
            model.log_prob(test)


def test_save_load_round_trip(key):
    model, _, data = _fitted(key)
    if _is_module(model):
        import torch

        buffer = io.BytesIO()
        torch.save(model.state_dict(), buffer)
        buffer.seek(0)
        clone = CASES[key].make_model(0)
        clone.load_state_dict(torch.load(buffer, weights_only=True))
    else:
        clone = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(_np(clone.sample(5, random_state=1)), _np(model.sample(5, random_state=1)))
    if REGISTRY[key].likelihood == "exact":
        kw = data.get("score_kwargs", {})
        np.testing.assert_allclose(_np(clone.log_prob(data["test"], **kw)), _np(model.log_prob(data["test"], **kw)))


def _state_of(model):
    """What a fit leaves behind, comparable across instances: tensors of the state dict, or fitted arrays."""
    if _is_module(model):
        return {k: v.detach().cpu().numpy() for k, v in model.state_dict().items() if hasattr(v, "detach")}
    return {k: np.asarray(v) for k, v in vars(model).items()
            if k.endswith("_") and not k.startswith("_") and isinstance(v, (np.ndarray, float, int))}


def _save_and_load(key, model):
    """A fresh instance (built with another seed) holding what ``model`` saved."""
    if not _is_module(model):
        return pickle.loads(pickle.dumps(model))
    import torch

    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    clone = CASES[key].make_model(12345)
    clone.load_state_dict(torch.load(buffer, weights_only=True))
    return clone


def test_load_then_fit_equals_fitting_on(key):
    # fit, save, load into a fresh instance, fit again == fit, fit: what fit continues from (counters, momentum,
    # persistent chains, pre-training done, the random stream) travels with the saved model.
    continuous, _, data = _fitted(key)
    saved, _, _ = _fitted(key)
    resumed = _save_and_load(key, saved)
    fit_kwargs = data.get("fit_kwargs", {})
    continuous.fit(data["train"], **fit_kwargs)
    resumed.fit(data["train"], **fit_kwargs)
    a, b = _state_of(continuous), _state_of(resumed)
    assert a.keys() == b.keys() and a
    for name in a:
        np.testing.assert_allclose(b[name], a[name], rtol=1e-6, atol=1e-7, err_msg=f"{key}: {name}")


def test_seed_everything_makes_random_state_none_reproducible(key):
    # The package's seed policy: random_state=None follows the global generators that seed_everything seeds.
    import genlib

    draws = []
    for _ in range(2):
        genlib.seed_everything(0)
        case = CASES[key]
        data = case.make_data()
        model = case.make_model(None).fit(data["train"], **data.get("fit_kwargs", {}))
        draws.append(_np(model.sample(4)))
    np.testing.assert_array_equal(draws[0], draws[1])


def test_held_out_likelihood_is_the_one_method_evaluate_asks(key):
    # Every model with a likelihood (registry: exact, estimate or bound) reports it through held_out_likelihood,
    # of the kind the registry says; models without one do not define it.
    model, _, data = _fitted(key)
    kind = REGISTRY[key].likelihood
    assert hasattr(model, "held_out_likelihood") == (kind != "none")
    if kind == "none":
        return
    X_test = data["test"]
    if key == "vaegan":  # its case trains a Bernoulli decoder on grey digits: the bound is defined on binary ones
        X_test = (X_test > 0.5).astype(X_test.dtype)
    report = model.held_out_likelihood(X_test, X_train=data["train"], iwae_k=5, ais_temperatures=50,
                                       ais_chains=8, random_state=0, **data.get("score_kwargs", {}))
    if key == "lda":  # LDA's held-out measure is the perplexity (its likelihood is estimated, not reported)
        assert report["likelihood_kind"] == "perplexity" and report["perplexity"] > 1
    else:
        assert report["likelihood_kind"] == kind
        assert np.isfinite(report["log_likelihood"]) and report["std_err"] >= 0
