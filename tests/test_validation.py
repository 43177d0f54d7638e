"""genlib._validation: every check accepts good input and refuses bad input with a useful message."""

import numpy as np
import pytest
import scipy.sparse as sp

from genlib import _validation as v
from genlib.base import NotFittedError


# --- check_array ---------------------------------------------------------------------

def test_check_array_returns_float64_copy_free():
    X = np.arange(6, dtype=np.float64).reshape(3, 2)
    out = v.check_array(X)
    assert out.dtype == np.float64 and out.shape == (3, 2)
    assert np.shares_memory(out, X)  # no needless copy
    assert v.check_array([[1, 2]]).dtype == np.float64


@pytest.mark.parametrize(
    "bad, exc, words",
    [
        ([[1.0, np.nan]], ValueError, ["X", "NaN", "impute"]),
        ([[1.0, np.inf]], ValueError, ["X", "infinite"]),
        ([1.0, 2.0], ValueError, ["X", "2-D", "reshape"]),
        (np.zeros((2, 2, 2)), ValueError, ["X", "2-D", "3-D"]),
        (np.zeros((0, 3)), ValueError, ["X", "non-empty"]),
        (np.zeros((3, 0)), ValueError, ["X", "non-empty"]),
        ([["a", "b"]], TypeError, ["X", "text"]),
        (np.array([[1 + 2j]]), TypeError, ["X", "complex"]),
        (np.array([[1, None]], dtype=object), TypeError, ["X", "object"]),
        (sp.csr_matrix(np.eye(2)), TypeError, ["X", "sparse", "toarray"]),
    ],
)
def test_check_array_refuses(bad, exc, words):
    with pytest.raises(exc) as info:
        v.check_array(bad)
    for w in words:
        assert w in str(info.value), (w, str(info.value))


def test_check_array_names_the_argument():
    with pytest.raises(ValueError, match="X_test"):
        v.check_array([1.0], "X_test")


def test_check_array_min_samples_and_nonfinite_opt_in():
    with pytest.raises(ValueError, match="at least 3"):
        v.check_array(np.zeros((2, 2)), min_samples=3)
    out = v.check_array([[np.nan]], allow_nonfinite=True)
    assert np.isnan(out[0, 0])


def test_check_array_accepts_torch_tensor():
    torch = pytest.importorskip("torch")
    out = v.check_array(torch.ones(2, 3))
    assert isinstance(out, np.ndarray) and out.shape == (2, 3)


def test_check_n_features():
    v.check_n_features(np.zeros((2, 3)), 3)
    with pytest.raises(ValueError, match="fitted on 4"):
        v.check_n_features(np.zeros((2, 3)), 4)


# --- binary and counts ---------------------------------------------------------------

def test_check_binary():
    out = v.check_binary([[0, 1], [1, 1]])
    assert out.dtype == np.float64
    with pytest.raises(ValueError, match=r"binary \(0/1\).*binarise"):
        v.check_binary([[0, 0.5]])
    with pytest.raises(ValueError, match="NaN"):
        v.check_binary([[0, np.nan]])


def test_check_counts_dense_and_sparse_agree():
    X = np.array([[1, 0, 2], [0, 3, 0]])
    dense = v.check_counts(X)
    sparse = v.check_counts(sp.coo_matrix(X))
    assert sp.isspmatrix_csr(dense) and dense.dtype == np.int64
    np.testing.assert_array_equal(dense.toarray(), sparse.toarray())
    np.testing.assert_array_equal(v.check_counts(X.astype(float)).toarray(), X)


@pytest.mark.parametrize(
    "bad, exc, words",
    [
        (np.array([[1, -1]]), ValueError, ["negative"]),
        (np.array([[1.5, 1]]), ValueError, ["non-integer", "CountVectorizer"]),
        (np.array([[1, 0], [0, 0]]), ValueError, ["empty document", "row 1"]),
        (np.zeros((2, 0)), ValueError, ["empty vocabulary"]),
        (np.zeros((0, 2)), ValueError, ["no documents"]),
        (np.array([[np.nan, 1]]), ValueError, ["NaN"]),
        (np.array([1, 2]), ValueError, ["2-D"]),
        (sp.csr_matrix(np.array([[1.0, -2.0]])), ValueError, ["negative"]),
    ],
)
def test_check_counts_refuses(bad, exc, words):
    with pytest.raises(exc) as info:
        v.check_counts(bad)
    for w in words:
        assert w in str(info.value)


def test_check_counts_allows_empty_rows_when_asked():
    out = v.check_counts(np.array([[0, 0], [1, 0]]), allow_empty_rows=True)
    assert out.shape == (2, 2)


# --- sequences and lengths -----------------------------------------------------------

def test_check_sequences_column_and_flat():
    X, lengths = v.check_sequences(np.array([[0], [2], [1]]))
    np.testing.assert_array_equal(X, [0, 2, 1])
    np.testing.assert_array_equal(lengths, [3])
    X2, lengths2 = v.check_sequences([0.0, 1.0, 1.0, 0.0], lengths=[1, 3])
    assert X2.dtype == np.int64
    np.testing.assert_array_equal(lengths2, [1, 3])


@pytest.mark.parametrize(
    "X, lengths, n_symbols, words",
    [
        ([0, -1], None, None, ["negative"]),
        ([0, 1.5], None, None, ["non-integer"]),
        ([0, 5], None, 3, ["outside the vocabulary", "3 symbol"]),
        ([0, np.nan], None, None, ["NaN"]),
        (np.zeros((2, 2)), None, None, ["one symbol per row"]),
        ([0, 1, 1], [1, 1], None, ["sums to 2", "3 rows"]),
        ([0, 1], [2, 0], None, ["positive"]),
        ([0, 1], [[2]], None, ["1-D"]),
        ([], None, None, ["empty"]),
    ],
)
def test_check_sequences_refuses(X, lengths, n_symbols, words):
    with pytest.raises(ValueError) as info:
        v.check_sequences(X, lengths, n_symbols=n_symbols)
    for w in words:
        assert w in str(info.value)


# --- fitted state, random state, scalars ----------------------------------------------

class _Model:
    weights_ = None


def test_check_is_fitted():
    m = _Model()
    with pytest.raises(NotFittedError, match=r"_Model.*not fitted.*fit\(X\)"):
        v.check_is_fitted(m, "weights_")
    m.weights_ = np.ones(2)
    v.check_is_fitted(m, ["weights_"])
    assert issubclass(NotFittedError, ValueError) and issubclass(NotFittedError, AttributeError)


def test_check_random_state():
    a = v.check_random_state(3).random(4)
    b = v.check_random_state(3).random(4)
    np.testing.assert_array_equal(a, b)
    g = np.random.default_rng(0)
    assert v.check_random_state(g) is g
    assert isinstance(v.check_random_state(None), np.random.Generator)
    with pytest.raises(TypeError, match="random_state"):
        v.check_random_state(np.random.RandomState(0))
    with pytest.raises(TypeError):
        v.check_random_state(1.5)
    with pytest.raises(ValueError):
        v.check_random_state(-1)


def test_scalar_checks():
    assert v.check_int(3, "n") == 3
    assert v.check_int(np.int64(3), "n") == 3
    with pytest.raises(TypeError, match="n must be an int"):
        v.check_int(3.0, "n")
    with pytest.raises(TypeError):
        v.check_int(True, "n")
    with pytest.raises(ValueError, match="n_components must be >= 1, got 0"):
        v.check_int(0, "n_components", minimum=1)
    assert v.check_float(1, "tol") == 1.0
    with pytest.raises(ValueError, match="tol must be > 0"):
        v.check_float(0.0, "tol", minimum=0.0, strict=True)
    with pytest.raises(ValueError, match="finite"):
        v.check_float(np.nan, "tol")
    assert v.check_option("full", "covariance_type", ["full", "diag"]) == "full"
    with pytest.raises(ValueError, match=r"covariance_type must be one of \['full', 'diag'\], got 'ful'"):
        v.check_option("ful", "covariance_type", ["full", "diag"])


def test_check_stochastic():
    P = v.check_stochastic([[0.5, 0.5], [0.1, 0.9]], "transmat")
    assert P.shape == (2, 2)
    v.check_stochastic([0.2, 0.8], "startprob", ndim=1)
    with pytest.raises(ValueError, match=r"transmat must sum to 1 along each row.*row 1"):
        v.check_stochastic([[0.5, 0.5], [0.2, 0.9]], "transmat")
    with pytest.raises(ValueError, match="negative"):
        v.check_stochastic([[1.5, -0.5]], "transmat")


# ---- one vocabulary: the names renamed in this release warn for one release ---------------------------------

@pytest.mark.parametrize("build, old, new", [
    (lambda **kw: __import__("genlib.energy", fromlist=["x"]).BernoulliRBM(n_hidden=3, **kw), "n_visible", "n_features"),
    (lambda **kw: __import__("genlib.neural", fromlist=["x"]).VAE(**kw), "n_input", "n_features"),
    (lambda **kw: __import__("genlib.neural", fromlist=["x"]).Autoencoder(4, **kw), "n_latent", "latent_dim"),
    (lambda **kw: __import__("genlib.energy", fromlist=["x"]).DeepBoltzmannMachine([4, 3], **kw), "pretrain",
     "use_pretraining"),
])
def test_renamed_arguments_warn_and_still_work(build, old, new):
    value = False if old == "pretrain" else 4
    with pytest.warns(DeprecationWarning, match=f"{old}= is renamed {new}="):
        model = build(**{old: value})
    attribute = "use_pretraining" if old == "pretrain" else new
    assert getattr(model, attribute) == value
    with pytest.raises(TypeError, match=f"both {old}= and {new}="):
        build(**{old: value, new: value})


def test_renamed_fit_and_sample_arguments_warn():
    from genlib.datasets import load_digits
    from genlib.energy import BernoulliRBM
    from genlib.neural import Autoencoder

    X, _ = load_digits(binary=True)
    with pytest.warns(DeprecationWarning, match="epochs= is renamed n_epochs="):
        ae = Autoencoder(64, 2, hidden=(8,), random_state=0).fit(X[:50], epochs=1)
    assert len(ae.history_["loss"]) == 1
    rbm = BernoulliRBM(64, 4, n_epochs=1, random_state=0, device="cpu").fit(X[:50])
    with pytest.warns(DeprecationWarning, match="return_mean= is renamed mean="):
        rbm.sample(2, n_steps=1, return_mean=True)
    with pytest.warns(DeprecationWarning, match="n_visible is renamed n_features"):
        assert rbm.n_visible == 64
