"""The classic estimators as scikit-learn estimators, and fits that fail cleanly.

1. A refused (re)fit leaves a fitted estimator exactly as it was: every fitted attribute
   (name ending in ``_``) and ``score`` on valid data are unchanged, for the five classic
   estimators and for input refused at the door (NaN, bad lengths, wrong symbols) as well as
   for fits that fail half-way (data impossible under the initial parameters).
2. scikit-learn's own estimator checks (``parametrize_with_checks``) on GaussianMixture,
   ClassConditionalGaussian and LatentDirichletAllocation.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from genlib.classic import (CategoricalHMM, ClassConditionalGaussian, GaussianHMM, GaussianMixture,
                            LatentDirichletAllocation)


def _same(a, b):
    """Deep equality of fitted attributes (arrays bit for bit, NaN equal to NaN)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))
    if hasattr(a, "toarray") and hasattr(b, "toarray"):
        return _same(a.toarray(), b.toarray())
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b):
        return True
    return type(a) is type(b) and a == b


def _fitted(model):
    """Every fitted attribute: instance attributes and properties whose name ends in ``_``."""
    names = {n for n in vars(model) if n.endswith("_") and not n.startswith("_")}
    names |= {n for n in dir(type(model)) if n.endswith("_") and not n.startswith("_")
              and isinstance(getattr(type(model), n), property)}
    out = {}
    for n in sorted(names):
        try:
            out[n] = getattr(model, n)
        except Exception as exc:  # a property that needs something the model lacks
            out[n] = repr(exc)
    return out


def _gaussian_X(seed, n=120, d=2):
    rng = np.random.default_rng(seed)
    return np.vstack([rng.normal(-2, 1, (n // 2, d)), rng.normal(2, 1, (n - n // 2, d))])


def _symbols(seed, n=300, m=3):
    return np.random.default_rng(seed).integers(0, m, size=(n, 1))


def _counts(seed, n=30, v=8):
    return np.random.default_rng(seed).poisson(2.0, size=(n, v)) + np.eye(n, v, dtype=int)


X_NAN = _gaussian_X(1)
X_NAN[3, 1] = np.nan

# name -> (make model, fit args, valid data for score, [refused fit args, ...], score function)
CASES = {
    "GaussianMixture": (
        lambda: GaussianMixture(2, random_state=0), (_gaussian_X(0),), _gaussian_X(5),
        [(X_NAN,), (np.ones((1, 2)),), ([["a", "b"]],), (_gaussian_X(1)[:, 0],)],
        lambda m, X: m.score(X)),
    "CategoricalHMM": (
        lambda: CategoricalHMM(2, random_state=0, max_iter=20), (_symbols(0),), _symbols(5),
        # the reported bug: more symbols and bad lengths changed n_features_, then score raised
        [(_symbols(1, m=5), [10, 10]), (_symbols(1), [150, 149]), (_symbols(1), [150.5, 149.5]),
         (np.array([[0], [1], [-1]]),), (np.array([[0.5], [1]]),)],
        lambda m, X: m.score(X)),
    "GaussianHMM": (
        lambda: GaussianHMM(2, random_state=0, max_iter=20), (_gaussian_X(0),), _gaussian_X(5),
        [(_gaussian_X(1, d=3), [60, 61]), (_gaussian_X(1, d=3), [7]), (X_NAN,), (_gaussian_X(1), [-1, 121])],
        lambda m, X: m.score(X)),
    "ClassConditionalGaussian": (
        lambda: ClassConditionalGaussian(random_state=0), (_gaussian_X(0), np.repeat([0, 1], 60)), _gaussian_X(5),
        [(_gaussian_X(1, d=3), np.repeat([0, 1], 61)), (X_NAN, np.repeat([0, 1], 60)),
         (_gaussian_X(1), np.repeat([0, 1], 61)), (_gaussian_X(1), np.r_[np.zeros(119), 1])],
        lambda m, X: m.score(X)),
    "LatentDirichletAllocation": (
        lambda: LatentDirichletAllocation(3, n_iter=10, random_state=0), (_counts(0),), _counts(5),
        [(-_counts(1),), (_counts(1, v=9).astype(float) + 0.5,), (np.zeros((3, 8)),),
         (_counts(1),), ],  # the last one is refused through X_valid (below)
        lambda m, X: m.perplexity(X)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_refused_refit_leaves_the_model_as_it_was(name):
    make, fit_args, valid, refused, score = CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = make().fit(*fit_args)
    before, score_before = _fitted(model), score(model, valid)
    for args in refused:
        kwargs = {}
        if name == "LatentDirichletAllocation" and args[0].shape == (30, 8) and args[0].min() >= 0:
            kwargs = {"X_valid": _counts(2, v=9)}  # valid X, held-out documents of another vocabulary
        with pytest.raises((ValueError, TypeError)), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(*args, **kwargs)
        after = _fitted(model)
        assert after.keys() == before.keys(), (args, after.keys() ^ before.keys())
        changed = [k for k in before if not _same(before[k], after[k])]
        assert not changed, f"a refused fit changed {changed}"
        assert score(model, valid) == score_before


def test_a_fit_that_fails_half_way_leaves_the_model_as_it_was():
    # Refused only once EM starts: the data are impossible under the fixed initial emissions.
    model = CategoricalHMM(2, random_state=0, max_iter=5).fit(_symbols(0))
    before, score_before = _fitted(model), model.score(_symbols(5))
    model.set_params(emissionprob_init=[[0.5, 0.5, 0.0], [0.5, 0.5, 0.0]])
    with pytest.raises(ValueError, match="probability 0 under the initial parameters"):
        model.fit(_symbols(1))
    assert all(_same(before[k], v) for k, v in _fitted(model).items())
    assert model.score(_symbols(5)) == score_before
    # GaussianMixture: a singular covariance found at the first M-step (duplicated points, no reg_covar)
    gmm = GaussianMixture(2, random_state=0).fit(_gaussian_X(0))
    before, score_before = _fitted(gmm), gmm.score(_gaussian_X(5))
    gmm.set_params(reg_covar=0.0)
    with pytest.raises(ValueError, match="not positive definite"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gmm.fit(np.repeat([[0.0, 0.0], [1.0, 1.0]], 10, axis=0))
    assert all(_same(before[k], v) for k, v in _fitted(gmm).items())
    assert gmm.score(_gaussian_X(5)) == score_before


# ------------------------------------------------------------------ scikit-learn's estimator checks
#
# Run: GaussianMixture (41 checks) and ClassConditionalGaussian (55), none skipped by us
# (scikit-learn itself skips check_classifier_data_not_an_array when pandas is missing).
# Not run, each for one reason:
# - CategoricalHMM, GaussianHMM: fit(X, lengths) splits X into sequences; the checks call
#   fit(X, y) with y as labels, which an HMM would read as sequence lengths.
# - LatentDirichletAllocation: its Gibbs sampler needs integer word counts (it refuses
#   non-integer and negative X by design, as tokens are drawn from counts), while the checks
#   feed real-valued, often negative X; no scikit-learn tag states "integer counts only".

from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402


@parametrize_with_checks([GaussianMixture(random_state=0), ClassConditionalGaussian(random_state=0)])
def test_scikit_learn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence and collapse warnings on the checks' tiny data sets
        check(estimator)


def test_labels_and_data_as_pandas_gives_them():
    # object arrays: labels that are strings or ints, features that are floats
    X = _gaussian_X(0).astype(object)
    y = np.repeat(np.array(["a", "b"], dtype=object), 60)
    model = ClassConditionalGaussian().fit(X, y)
    assert model.classes_.tolist() == ["a", "b"] and model.predict(X[:1]).tolist() == ["a"]
    model = ClassConditionalGaussian().fit(X, np.repeat([3, 7], 60).astype(object))
    assert model.classes_.dtype.kind == "i" and model.classes_.tolist() == [3, 7]
    np.testing.assert_array_equal(GaussianMixture(2, random_state=0).fit(X).means_,
                                  GaussianMixture(2, random_state=0).fit(_gaussian_X(0)).means_)
    with pytest.raises(TypeError, match="one kind"):
        ClassConditionalGaussian().fit(_gaussian_X(0), np.array(["a", 1] * 60, dtype=object))
    X[0, 0] = {"foo": 1}
    with pytest.raises(TypeError, match="X must hold numbers"):
        GaussianMixture(2).fit(X)
