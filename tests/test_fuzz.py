"""The fuzz suite: every public entry point of genlib under bad input.

A careless user passes NaN, empty or ragged data, strings, huge values, data of the wrong width
at predict time, junk settings. Every public callable must answer in one of two ways:

- refuse with a ``ValueError`` or ``TypeError`` (genlib's ``NotFittedError`` and
  ``LikelihoodUnavailable`` are subclasses) whose message names the argument; or
- return a finite, usable answer.

Never a crash from inside numpy, torch or scikit-learn (any other exception type), never a
silent acceptance of input that cannot be right (NaN, the wrong shape), and never a model
changed by a refused call.

The callables come from the package's exports (every module's ``__all__``), so a new public
name fails :func:`test_every_public_callable_is_fuzzed` until it is covered: the models of the
registry are covered through their conformance cases (``tests/cases``), functions through
``_function_cases()`` below, and the few names that are not entry points are listed in ``NOT_ENTRY_POINTS``
with the reason. Bad arrays are drawn by ``hypothesis`` (special values at random places), the
structural junk is a fixed list.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import genlib

sys.path.insert(0, str(Path(__file__).parent))
from test_api import CASES as _REGISTRY_CASES, _state_of  # noqa: E402  (the conformance cases)


class _GaussianRBMCase:
    """A model outside the registry's keys (the RBM entry is the binary one): real-valued data."""

    @staticmethod
    def make_model(random_state):
        from genlib.energy import GaussianBernoulliRBM

        return GaussianBernoulliRBM(4, 3, n_epochs=2, batch_size=10, random_state=random_state, device="cpu")

    @staticmethod
    def make_data():
        X = np.random.default_rng(0).normal(size=(60, 4))
        return {"train": X[:40], "test": X[40:]}


class _CharModelCase:
    """The character transformer of the autoregressive chapter: not in the registry (it models text windows)."""

    @staticmethod
    def make_model(random_state):
        from genlib.neural import CharModel

        return CharModel(27, context=16, d_model=8, n_heads=2, random_state=random_state)

    @staticmethod
    def make_data():
        from genlib.datasets import load_stdlib_characters
        from genlib.neural.charmodel import char_windows

        X = char_windows(load_stdlib_characters(1600)[0], 16)  # (100, 16) int64 codes
        return {"train": X[:80], "test": X[80:], "fit_kwargs": {"n_epochs": 1, "batch_size": 20}}


CASES = {**_REGISTRY_CASES, "gaussian_rbm": _GaussianRBMCase, "charmodel": _CharModelCase}

ALLOWED = (ValueError, TypeError, FileNotFoundError)  # FileNotFoundError: load_mnist's missing data file


# --------------------------------------------------------------------------- the exports
def public_callables() -> dict[str, object]:
    """Every callable named in the ``__all__`` of a genlib module, by its qualified name (each object once)."""
    seen, out = set(), {}
    modules = ["genlib"] + [m.name for m in pkgutil.walk_packages(genlib.__path__, "genlib.")]
    for name in sorted(modules):
        if name.split(".")[-1].startswith("_"):
            continue
        module = importlib.import_module(name)
        for attr in getattr(module, "__all__", []):
            obj = getattr(module, attr)
            if callable(obj) and id(obj) not in seen:
                seen.add(id(obj))
                out[f"{getattr(obj, '__module__', name)}.{getattr(obj, '__qualname__', attr)}"] = obj
    return out


# --------------------------------------------------------------------------- the verdict
class Outcome:
    refused = "refused"
    accepted = "accepted"


def _finite(result) -> bool:
    """Whether every number in ``result`` is finite (tensors, arrays, tuples, dicts, dataclasses)."""
    if result is None or isinstance(result, (str, bool)):
        return True
    if hasattr(result, "detach"):
        result = result.detach().cpu().numpy()
    if isinstance(result, dict):
        return all(_finite(v) for v in result.values())
    if isinstance(result, (tuple, list)) and result and not np.isscalar(result[0]):
        return all(_finite(v) for v in result)
    try:
        arr = np.asarray(result, dtype=np.float64)
    except (TypeError, ValueError):
        return True  # not numeric (a model, a figure)
    return bool(np.all(np.isfinite(arr)))


class Problems(list):
    """Collects every failed verdict of a test, so that one run lists them all."""

    def check(self, label: str, *args, **kwargs):
        try:
            return verdict(*args, **kwargs)
        except (AssertionError, pytest.fail.Exception) as problem:
            self.append(f"{label}: {str(problem).splitlines()[0][:220]}")

    def assert_none(self):
        assert not self, f"{len(self)} problem(s):\n" + "\n".join(self)


TALLY = {Outcome.refused: 0, Outcome.accepted: 0}


def verdict(call, names: tuple[str, ...], *, must_refuse: bool, allow_nonfinite: bool = False):
    """Run ``call()``: a clear refusal naming one of ``names``, or (unless ``must_refuse``) a finite answer."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = call()
    except ALLOWED as err:
        message = str(err)
        assert any(n in message for n in names), f"unclear message (names none of {names}): {type(err).__name__}: {err}"
        TALLY[Outcome.refused] += 1
        return Outcome.refused
    except Exception as err:  # noqa: BLE001 - the point: any other type is a crash
        pytest.fail(f"crash: {type(err).__name__}: {err}")
    assert not must_refuse, f"silently accepted bad input, returned {type(result).__name__}"
    assert allow_nonfinite or _finite(result), f"non-finite answer for finite input: {result!r}"[:300]
    TALLY[Outcome.accepted] += 1
    return Outcome.accepted


# --------------------------------------------------------------------------- bad data
def bad_matrices(train) -> list[tuple[str, object]]:
    """Structural junk for a data argument, built from valid training data ``train``."""
    X = np.asarray(train.detach().cpu() if hasattr(train, "detach") else train)
    if X.dtype == object or X.ndim == 0:
        return []
    n = X.shape[0]
    flat = X.reshape(n, -1)
    out = [
        ("None", None),
        ("a string", "data.csv"),
        ("a dict", {"X": 1}),
        ("an empty array", flat[:0]),
        ("no features", np.empty((3, 0))),
        ("a 1-D array", flat[0]),
        ("an extra axis", flat[None]),
        ("a ragged list", [list(flat[0]), list(flat[1][:-1])]),
        ("strings in the array", np.full(flat[:3].shape, "a")),
        ("complex values", flat[:5].astype(np.complex128)),
    ]
    if np.issubdtype(X.dtype, np.floating):
        nan = flat[:10].astype(np.float64).copy()
        nan[0, 0] = np.nan
        inf = flat[:10].astype(np.float64).copy()
        inf[-1, -1] = np.inf
        out += [("NaN", nan.reshape((-1,) + X.shape[1:])), ("inf", inf.reshape((-1,) + X.shape[1:]))]
    return out


def wrong_width(train):
    """Valid-looking data one feature too wide (for predict-time calls after fit)."""
    X = np.asarray(train.detach().cpu() if hasattr(train, "detach") else train)
    if X.ndim != 2 or X.dtype == object:
        return None
    return np.hstack([X[:5], X[:5, :1]])


# --------------------------------------------------------------------------- models
MODEL_METHODS = ("fit", "log_prob", "score", "transform", "predict", "predict_proba", "reconstruct", "encode",
                 "free_energy", "held_out_likelihood")


def _fitted(key, seed=0):
    case = CASES[key]
    data = case.make_data()
    model = case.make_model(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(data["train"], **data.get("fit_kwargs", {}))
    return model, data


def _methods(model):
    return [m for m in MODEL_METHODS if callable(getattr(model, m, None))]


#: Bad-looking data that a model documents as valid: (key, label).
MODEL_VALID_JUNK = {
    ("hmm", "a 1-D array"),  # CategoricalHMM takes one sequence of symbols as a 1-D array, as hmmlearn does
}


@pytest.mark.parametrize("key", sorted(CASES))
def test_models_refuse_bad_data_and_stay_unchanged(key):
    model, data = _fitted(key)
    before = _state_of(model)
    extra = {k: v for k, v in data.get("fit_kwargs", {}).items() if k != "lengths"}
    problems, tried = Problems(), 0
    for method in _methods(model):
        wider = [] if method == "fit" else [("one feature too many", wrong_width(data["train"]))]  # refit: any width
        for label, bad in bad_matrices(data["train"]) + wider:
            if (bad is None and label != "None") or (key, label) in MODEL_VALID_JUNK:
                continue
            kwargs = extra if method == "fit" else {}
            problems.check(f"{method}({label})", lambda: getattr(model, method)(bad, **kwargs),
                           ("X", "v", "x", "data", "y", "lengths"), must_refuse=True)
            tried += 1
            after = _state_of(model)
            if not (after.keys() == before.keys()
                    and all(np.array_equal(after[k], before[k], equal_nan=True) for k in before)):
                problems.append(f"{method}({label}): changed the model")
                model, _ = _fitted(key)
    assert tried > 0
    problems.assert_none()


@pytest.mark.parametrize("key", sorted(CASES))
def test_sample_refuses_a_bad_count(key):
    model, _ = _fitted(key)
    problems = Problems()
    for n in (-1, 1.5, "3", None, True, float("nan"), [2]):
        problems.check(f"n={n!r}", lambda: model.sample(n), ("n",), must_refuse=True)
    for seed in (-1, "seed", 1.5, object()):
        problems.check(f"random_state={seed!r}", lambda: model.sample(2, random_state=seed), ("random_state",),
                       must_refuse=True)
    problems.check("random_state=2**64", lambda: model.sample(2, random_state=2**64), ("random_state",),
                   must_refuse=False)  # NumPy takes any non-negative int; so must every model
    problems.assert_none()


JUNK_SETTINGS = [("a junk string", "junk-value"), ("NaN", float("nan")), ("an object", object())]


def _settings(cls):
    sig = inspect.signature(cls.__init__)
    return [p for p in list(sig.parameters.values())[1:]
            if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is not inspect.Parameter.empty]


@pytest.mark.parametrize("key", sorted(CASES))
def test_constructor_refuses_junk_settings(key):
    cls = type(CASES[key].make_model(0))
    problems, tried = Problems(), 0
    required = _positional(CASES[key].make_model(0), cls)  # the case's sizes; then one junk setting
    data = CASES[key].make_data()
    sklearn_style = hasattr(cls, "get_params")  # scikit-learn's convention: __init__ stores, fit validates

    def build_and_fit(param, junk):
        model = cls(**{**required, param: junk})
        return model.fit(data["train"], **data.get("fit_kwargs", {})) if sklearn_style else model

    for param in _settings(cls):
        for label, junk in JUNK_SETTINGS:
            problems.check(f"{param.name}={label}", lambda: build_and_fit(param.name, junk), (param.name,),
                           must_refuse=True)
            tried += 1
    assert tried > 0
    problems.assert_none()


def _positional(model, cls) -> dict:
    """The required arguments of ``cls`` taken from a built ``model`` (attributes of the same name)."""
    sig = inspect.signature(cls.__init__)
    out = {}
    for p in list(sig.parameters.values())[1:]:
        if p.default is inspect.Parameter.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            out[p.name] = getattr(model, p.name)
    return out


@pytest.mark.parametrize("key", sorted(CASES))
def test_huge_finite_data_is_refused_or_handled(key):
    # finite data far beyond the model's float range or scale: a clear refusal naming the cause, or a finite fit
    case = CASES[key]
    d = case.make_data()
    X = np.asarray(d["train"].detach().cpu() if hasattr(d["train"], "detach") else d["train"])
    if not np.issubdtype(X.dtype, np.floating):
        return
    problems = Problems()
    for scale in (1e30, 1e300):
        model = case.make_model(0)
        outcome = problems.check(f"X * {scale:g}", lambda: model.fit(X * scale + scale, **d.get("fit_kwargs", {})),
                                 ("X", "data", "standardise", "rescale"), must_refuse=False)
        if outcome == Outcome.accepted and not all(np.all(np.isfinite(v)) for v in _state_of(model).values()):
            problems.append(f"X * {scale:g}: fit accepted the data and left non-finite parameters")
    problems.assert_none()


@pytest.mark.parametrize("key", sorted(CASES))
def test_an_unavailable_device_is_refused(key):
    import torch

    cls = type(CASES[key].make_model(0))
    if "device" not in inspect.signature(cls.__init__).parameters or torch.cuda.is_available():
        pytest.skip("no device argument, or CUDA is available here")
    required = _positional(CASES[key].make_model(0), cls)
    verdict(lambda: cls(**required, device="cuda"), ("device", "cuda"), must_refuse=True)


# --------------------------------------------------------------------------- hypothesis: special values anywhere
special = st.sampled_from([np.nan, np.inf, -np.inf])


@pytest.mark.parametrize("key", sorted(CASES))
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_a_special_value_anywhere_is_refused(key, data):
    case = CASES[key]
    d = case.make_data()
    X = np.asarray(d["train"].detach().cpu() if hasattr(d["train"], "detach") else d["train"])
    if not np.issubdtype(X.dtype, np.floating):
        return
    X = X.astype(np.float64).copy()
    index = tuple(data.draw(st.integers(0, s - 1)) for s in X.shape)
    X[index] = data.draw(special)
    model = case.make_model(0)
    verdict(lambda: model.fit(X, **d.get("fit_kwargs", {})), ("X", "data"), must_refuse=True)


# --------------------------------------------------------------------------- functions
def _digits():
    from genlib.datasets import load_digits

    X, y = load_digits()
    return X[:200], y[:200]


def _function_cases():
    """Each public function with valid arguments; the fuzz replaces one argument at a time."""
    X, y = _digits()
    F = np.random.default_rng(0).normal(size=(100, 4))
    return {
        "genlib.metrics.frechet.frechet_distance": dict(features_a=F, features_b=F + 1),
        "genlib.metrics.frechet.gaussian_frechet_distance": dict(mu_a=np.zeros(2), cov_a=np.eye(2), mu_b=np.ones(2),
                                                                 cov_b=np.eye(2)),
        "genlib.metrics.manifold.precision_recall": dict(real_features=F, fake_features=F + 0.1),
        "genlib.metrics.classifier.digit_frechet_distance": dict(images_a=X, images_b=X[::-1]),
        "genlib.metrics.classifier.digit_features": dict(images=X),
        "genlib.metrics.classifier.digit_precision_recall": dict(real_images=X, fake_images=X[::-1]),
        "genlib.metrics.classifier.label_accuracy": dict(images=X, labels=y),
        "genlib.metrics.classifier.intra_class_frechet_distance": dict(real_images=X, real_labels=y, fake_images=X,
                                                                      fake_labels=y),
        "genlib.metrics.classifier.within_class_spread": dict(real_images=X, real_labels=y, fake_images=X,
                                                             fake_labels=y),
        "genlib.metrics.evaluation.parzen_log_likelihood": dict(samples=F, X_test=F[:20], bandwidth=0.5),
        "genlib.metrics.evaluation.nearest_neighbour_ratio": dict(samples=F[:20], X_train=F[20:60], X_test=F[60:]),
        "genlib.metrics.modes.mode_coverage": dict(samples=np.random.default_rng(0).normal(size=(50, 2)),
                                                   centers=np.zeros((3, 2)), std=0.5),
        "genlib.metrics.modes.ring_centers": dict(n_modes=8, radius=4.0),
        "genlib.datasets.toy.make_blobs": dict(n_samples=50),
        "genlib.datasets.toy.make_rings": dict(n_samples=50),
        "genlib.datasets.toy.make_moons": dict(n_samples=50),
        "genlib.datasets.toy.make_spirals": dict(n_samples=50),
        "genlib.datasets.images.binarize": dict(X=X),
        "genlib.datasets.images.load_digits": dict(binary=False),
        "genlib.datasets.text.make_bars": dict(n_docs=20),
        "genlib.datasets.text.bars_topics": dict(side=5),
        "genlib.datasets.text.load_stdlib_characters": dict(n_chars=1000),
        "genlib.datasets.text.load_stdlib_corpus": dict(min_words=20),
        "genlib.datasets.mnist.load_mnist": dict(data_home=str(Path(__file__).resolve().parents[2] / "shared" / "data"),
                                                 download=False),
        "genlib.base.get_info": dict(key="gmm"),
        "genlib.base.load_model_class": dict(key="gmm"),
        "genlib.base.is_available": dict(key="gmm"),
        "genlib.base.likelihood_summary": dict(kind="exact", values=np.array([-1.0, -2.0])),
        "genlib.metrics.classifier.digit_classifier": dict(image_size=8),
        "genlib.metrics.manifold.knn_radii": dict(X=F, k=3),
        "genlib.metrics.results.load_benchmark_results": dict(topic="gmm"),
        "genlib.seed_everything": dict(seed=0),
        "genlib.energy.ais.temperature_schedule": dict(n_temperatures=10),
        "genlib.energy.ais.base_rate_bias": dict(X=(X > 0.5).astype(float)),
        "genlib.neural.gan.optimal_discriminator": dict(p_data=np.array([0.2, 0.8]), p_model=np.array([0.5, 0.5])),
        "genlib.neural.vaegan.image_sharpness": dict(images=X),
        "genlib.neural.dcgan.prepare_images": dict(X=X, image_size=8),
        "genlib.neural.pixelcnn.causal_mask": dict(kernel_size=5, mask_type="A"),
        "genlib.neural.charmodel.char_windows": dict(symbols=np.arange(100) % 27, context=10),
        "genlib.plotting.image_grid": dict(images=X[:20]),
        "genlib.plotting.scatter_classes": dict(X=F[:, :2], y=(F[:, 0] > 0).astype(int)),
        "genlib.plotting.training_curves": dict(history={"loss": [3.0, 2.0, 1.0]}),
        "genlib.plotting.table": dict(rows=[["a", 1.0]], columns=["name", "value"]),
        # the HMM inference functions (the chapter calls them on arrays it builds)
        **_hmm_cases(),
        # the Gaussian toolbox
        "genlib.classic.gmm.precision_cholesky": dict(covariances=np.stack([np.eye(2)] * 3), covariance_type="full"),
        "genlib.classic.gmm.n_parameters": dict(n_components=3, n_features=2, covariance_type="full"),
        "genlib.classic.gmm.kmeans": dict(X=F, centers=F[:3]),
        "genlib.classic.gmm.kmeans_limit": dict(X=F, means_init=F[:3], variance=1.0),
        "genlib.classic.gmm.log_responsibilities": dict(weighted_log_prob=np.log(np.full((5, 3), 1 / 3))),
        "genlib.classic.gmm.estimate_parameters": dict(X=F, resp=np.full((100, 2), 0.5), reg_covar=1e-6,
                                                       covariance_type="full"),
        # the Boltzmann-machine helpers
        "genlib.energy.gibbs.all_binary_states": dict(n=3),
        "genlib.neural.training.train_classifier": dict(model=_tiny_net(), X=F, y=(F[:, 0] > 0).astype(int),
                                                         n_epochs=1),
        # the losses and densities of the neural chapters
        **_loss_cases(),
        "genlib.metrics.evaluation.evaluate": dict(model=_fitted_gmm(F), X_test=F[:30], n_samples=0),
        **_energy_cases(),
        "genlib.neural.training.train": dict(model=_tiny_loss_model(), data=F, n_epochs=1),
    }


def _energy_cases():
    import torch

    from genlib.energy import BernoulliRBM

    rbm = BernoulliRBM(4, 3, init_std=0.5, random_state=0, device="cpu")
    V = torch.tensor([[0.0, 1.0, 1.0, 0.0], [1.0, 1.0, 0.0, 0.0]])
    return {
        "genlib.energy.ais.log_partition": dict(model=rbm, n_temperatures=20, n_chains=5, random_state=0),
        "genlib.energy.ais.exact_log_partition": dict(model=rbm),
        "genlib.energy.ais.estimate_log_likelihood": dict(model=rbm, X=V, log_z=1.0),
        "genlib.energy.gibbs.states_to_index": dict(S=V),
        "genlib.energy.gibbs.total_variation": dict(samples=V[:, :2], probs=torch.full((4,), 0.25, dtype=torch.float64)),
    }


def _fitted_gmm(F):
    from genlib.classic import GaussianMixture

    return GaussianMixture(2, random_state=0).fit(F)


def _tiny_loss_model():
    import torch

    class Mean(torch.nn.Module):  # the minimiser of E||x - theta||^2
        def __init__(self):
            super().__init__()
            self.theta = torch.nn.Parameter(torch.zeros(4))

        def loss(self, x):
            return ((x - self.theta) ** 2).sum(dim=1).mean()

    return Mean()


def _loss_cases():
    import torch

    t = torch.linspace(-2, 2, 6).reshape(2, 3)
    return {
        "genlib.neural.gan.value_function": dict(real_logits=t, fake_logits=-t),
        "genlib.neural.gan.discriminator_loss": dict(real_logits=t, fake_logits=-t),
        "genlib.neural.gan.generator_loss": dict(fake_logits=t),
        "genlib.neural.vae.gaussian_kl": dict(mu=t, logvar=t),
        "genlib._torch.log_bernoulli": dict(x=(t > 0).float(), logits=t),
        "genlib.neural.vae.log_normal": dict(x=t, mu=t, logvar=t),
        "genlib.neural.vae.log_standard_normal": dict(z=t),
        "genlib.neural.vaegan.vaegan_discriminator_loss": dict(real_logits=t, recon_logits=t, prior_logits=t),
        "genlib.neural.vaegan.feature_reconstruction_loss": dict(real_features=t, recon_features=t),
    }


def _hmm_cases():
    pi, A = np.array([0.6, 0.4]), np.array([[0.9, 0.1], [0.2, 0.8]])
    log_b = np.log(np.random.default_rng(0).dirichlet([1, 1], size=20))
    return {
        "genlib.classic.hmm_inference.forward_log": dict(log_pi=np.log(pi), log_A=np.log(A), log_b=log_b),
        "genlib.classic.hmm_inference.backward_log": dict(log_A=np.log(A), log_b=log_b),
        "genlib.classic.hmm_inference.viterbi": dict(log_pi=np.log(pi), log_A=np.log(A), log_b=log_b),
        "genlib.classic.hmm_inference.log_likelihood": dict(pi=pi, A=A, log_b=log_b),
        "genlib.classic.hmm_inference.forward_backward": dict(pi=pi, A=A, log_b=log_b),
        "genlib.classic.hmm_inference.sample_states": dict(pi=pi, A=A, n_steps=10),
    }


def _tiny_net():
    import torch

    return torch.nn.Linear(4, 2)


JUNK_ARGUMENTS = [("None", None), ("a junk string", "junk-value"), ("NaN", float("nan")), ("an object", object()),
                  ("an empty array", np.empty((0, 2))), ("a 3-D array", np.zeros((2, 2, 2, 2)))]


def _function(name):
    module_name, _, attr = name.rpartition(".")
    return getattr(importlib.import_module(module_name), attr)


#: Junk that is in fact valid for these arguments: (function, argument) -> labels.
VALID_JUNK = {
    ("genlib.datasets.images.binarize", "X"): {"a 3-D array"},  # grey images of any layout, (n, 1, h, w) included
    ("genlib.plotting.table", "rows"): {"an empty array"},  # a table with no rows
}


@pytest.mark.parametrize("name", sorted(_function_cases()))
def test_functions_refuse_junk_arguments(name):
    fn = _function(name)
    valid = _function_cases()[name]
    problems = Problems()
    problems.check("valid call", lambda: fn(**valid), tuple(valid), must_refuse=False)  # the valid call answers
    for arg in valid:
        for label, junk in JUNK_ARGUMENTS:
            if junk is None and inspect.signature(fn).parameters[arg].default is None:
                continue  # None is this argument's documented default
            if label in VALID_JUNK.get((name, arg), ()):
                continue
            problems.check(f"{arg}={label}", lambda: fn(**{**valid, arg: junk}), (arg,), must_refuse=True)
    problems.assert_none()


# --------------------------------------------------------------------------- coverage of the exports
#: Building blocks on arrays and tensors that the models (and the chapters' derivations) call with
#: arrays they built themselves: they check shapes where it is cheap, and the model entry points
#: above validate what users pass. Each is checked against its reference in its own test file.
KERNELS = {
    "genlib.classic.gmm": "the Gaussian toolbox: tests/test_gmm.py, tests/test_gda.py",
    "genlib.classic.lda": "the Gibbs sweeps and counts: tests/test_lda.py",
    "genlib.classic.hmm_inference": "validated and fuzzed in tests/test_hmm_inference.py",
    "genlib.energy.ais": "AIS paths and partition functions: tests/test_ais.py",
    "genlib.energy.boltzmann": "the energy: tests/test_boltzmann.py",
    "genlib.energy.dbm": "mean field, energy, pre-training: tests/test_dbm.py",
    "genlib.energy.gibbs": "enumeration and Gibbs kernels: tests/test_boltzmann.py, tests/test_rbm.py",
    "genlib._torch": "genlib's torch plumbing, re-exported for the chapters: tests/test_training.py",
    "genlib.neural.gan": "the losses and networks: tests/test_gan.py",
    "genlib.neural.cgan": "the networks: tests/test_gan.py",
    "genlib.neural.dcgan": "the networks: tests/test_gan.py",
    "genlib.neural.vae": "the densities: tests/test_vae.py",
    "genlib.neural.vaegan": "the losses: tests/test_vaegan.py",
    "genlib.neural.pixelcnn": "the masked convolution: tests/test_pixelcnn.py",
    "genlib.neural.base": "the base class of the autoencoder and the VAE, fuzzed through them",
    "genlib.neural.training": "the training loops: tests/test_training.py",
    "genlib.exercises": "each takes a student's function: tests/test_exercises.py feeds it wrong ones",
    "genlib.metrics.evaluation": "evaluate and its result records: tests/test_evaluation.py",
    "genlib.metrics.classifier": "DigitClassifier: tests/test_metrics.py",
    "genlib.metrics.manifold": "PrecisionRecall is a result record",
    "genlib.metrics.modes": "ModeCoverage is a result record",
    "genlib.metrics.results": "PublishedResult is a record; available_benchmark_results takes no argument",
    "genlib.plotting": "Table is a result record; density_contour and animate take callables: tests/test_plotting.py",
    "genlib.claims": "claim and glue: tests/test_claims.py",
    "genlib.base": "available_models takes no argument",
}

NOT_ENTRY_POINTS = {
    # exceptions, protocols, result records: types, not entry points
    "genlib.base.NotFittedError": "an exception type",
    "genlib.base.LikelihoodUnavailable": "an exception type",
    "genlib.base.ConvergenceWarning": "a warning type",
    "genlib.base.Sampler": "a typing protocol",
    "genlib.base.DensityModel": "a typing protocol",
    "genlib.base.EnergyModel": "a typing protocol",
    "genlib.base.ModelInfo": "a registry record, built by genlib itself",
    "genlib.claims.ClaimError": "an exception type",
    "genlib.datasets.text.stdlib_docstrings": "takes no argument",
    "genlib.base.available_models": "takes no argument",
    "genlib.metrics.results.available_benchmark_results": "takes no argument",
    "genlib.base.TrainingDiverged": "an exception type",
    "genlib.energy.ais.AnnealingPath": "a typing protocol",
    "genlib.metrics.evaluation.Evaluation": "a result record, built by evaluate",
    "genlib.metrics.evaluation.NearestNeighbourRatio": "a result record",
    "genlib.metrics.evaluation.ParzenEstimate": "a result record",
    "genlib.metrics.manifold.PrecisionRecall": "a result record",
    "genlib.metrics.modes.ModeCoverage": "a result record",
    "genlib.metrics.results.PublishedResult": "a record of a published number",
    "genlib.plotting.Table": "a result record, built by table",
    "genlib.neural.base.NeuralModel": "an abstract base class, fuzzed through the autoencoder, VAE and VAE-GAN",
    "genlib._torch.SeededModel": "a mixin class of the energy models, fuzzed through them",
    "genlib.claims.claim": "states the book's sentences: any text and any values are valid",
    "genlib.claims.glue": "records any value for the book's prose",
    **{f"genlib.exercises.{name}": "takes a student's function; tests/test_exercises.py feeds it wrong ones"
       for name in ("check_bayes_posterior", "check_bits_per_symbol", "check_boltzmann_log_partition",
                    "check_conditional_inputs", "check_conv_output_size", "check_dbm_mean_field",
                    "check_dbn_log_joint", "check_gan_losses", "check_gaussian_kl", "check_gaussian_log_density",
                    "check_hmm_forward", "check_lda_conditional", "check_log_mean_exp",
                    "check_milestones_per_decade", "check_nearest_neighbour_ratio", "check_parzen_log_density",
                    "check_rbm_free_energy", "check_reconstruction_bce", "check_responsibilities",
                    "check_roc_auc", "check_taxonomy_position", "check_causal_mask")},
}


def test_every_public_callable_is_fuzzed():
    models = {f"{type(CASES[k].make_model(0)).__module__}.{type(CASES[k].make_model(0)).__qualname__}" for k in CASES}
    exported = public_callables()
    fuzzed = (models | set(_function_cases())) & set(exported)
    kernels = {name for name in exported if name.rsplit(".", 1)[0] in KERNELS} - fuzzed - set(NOT_ENTRY_POINTS)
    missing = sorted(set(exported) - fuzzed - kernels - set(NOT_ENTRY_POINTS))
    print(f"\nfuzz coverage: {len(exported)} public callables; {len(fuzzed)} fuzzed here, {len(kernels)} building "
          f"blocks tested in their own files, {len(set(NOT_ENTRY_POINTS) & set(exported))} not entry points (types, "
          f"records, no-argument functions, the exercises' checkers, claim and glue)")
    assert not missing, f"public callables no fuzz test covers ({len(missing)}): {missing}"


def test_zz_summary():
    """Last in the file (one worker runs the whole file): how many calls the suite judged in this run."""
    print(f"\nfuzz calls judged: {sum(TALLY.values())} ({TALLY[Outcome.refused]} clear refusals, "
          f"{TALLY[Outcome.accepted]} finite answers)")
