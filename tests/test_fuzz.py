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
structural junk is a fixed list. The building blocks on tensors also get tensors with a NaN, one
column too many and lists one tensor short, and every building block a sweep of huge and tiny
finite values (x 1e30, 1e155, 1e300, 1e-300, 0): a finite answer, a clear refusal, or a limit its
docstring states (``DOCUMENTED_LIMITS``), never NaN.
"""

from __future__ import annotations

import functools
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


#: Every judged call by verdict: the two good ones, and the failures (each also fails its test).
TALLY = {Outcome.refused: 0, Outcome.accepted: 0, "crash": 0, "silent": 0, "unclear": 0, "non-finite": 0}


def verdict(call, names: tuple[str, ...], *, must_refuse: bool, allow_nonfinite: bool = False):
    """Run ``call()``: a clear refusal naming one of ``names``, or (unless ``must_refuse``) a finite answer."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = call()
    except ALLOWED as err:
        message = str(err)
        if not any(n in message for n in names):
            TALLY["unclear"] += 1
            pytest.fail(f"unclear message (names none of {names}): {type(err).__name__}: {err}")
        TALLY[Outcome.refused] += 1
        return Outcome.refused
    except Exception as err:  # noqa: BLE001 - the point: any other type is a crash
        TALLY["crash"] += 1
        pytest.fail(f"crash: {type(err).__name__}: {err}")
    if must_refuse:
        TALLY["silent"] += 1
        pytest.fail(f"silently accepted bad input, returned {type(result).__name__}")
    if not (allow_nonfinite or _finite(result)):
        TALLY["non-finite"] += 1
        pytest.fail(f"non-finite answer for finite input: {result!r}"[:300])
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
        **_caption_cases(X, y),
        "genlib.neural.ddpm.beta_schedule": dict(n_timesteps=100, kind="cosine"),
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
        # LDA's counts, joint, Minka updates, Gibbs sweeps and held-out evaluation
        **_lda_cases(),
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
        **_building_block_cases(F),
    }


def _building_block_cases(F):
    """The building blocks: the models' maths on arrays and tensors, and genlib's torch plumbing."""
    import torch

    from genlib.energy.ais import BernoulliRBMPath, temperature_schedule

    g = torch.Generator().manual_seed(0)
    t = lambda *rows: torch.tensor(rows, dtype=torch.float64)  # noqa: E731
    W, b, c = t([0.5, -1.0, 0.2, 0.0], [1.0, 0.3, -0.4, 0.8], [0.0, 0.1, 0.2, -0.3]), t(0.1, -0.2, 0.3, 0.0), \
        t(0.2, -0.1, 0.0)                                    # an RBM: 4 visible, 3 hidden units
    V = t([1.0, 0.0, 1.0, 1.0], [0.0, 1.0, 0.0, 1.0])        # (2, 4) binary
    W1, W2 = W, t([0.3, -0.5, 0.1], [-0.2, 0.4, 0.6])        # a DBM 4-3-2
    bs = [b, c, t(0.1, -0.1)]
    mus = [t([0.2, 0.7, 0.5], [0.9, 0.1, 0.4]), t([0.3, 0.6], [0.5, 0.5])]
    Wbm = t([0.0, 1.0, -0.5], [1.0, 0.0, 0.25], [-0.5, 0.25, 0.0])  # a Boltzmann machine: symmetric, zero diagonal
    rng = np.random.default_rng(0)
    return {
        # genlib._torch, re-exported by genlib.energy.gibbs and genlib.neural.training
        "genlib._torch.as_tensor": dict(X=F),
        "genlib._torch.bernoulli": dict(p=torch.full((3, 4), 0.5), generator=g),
        "genlib._torch.generator_for": dict(gen=g, device="cpu"),
        "genlib._torch.make_generator": dict(random_state=0, device="cpu"),
        "genlib._torch.on_model_device": dict(T=torch.zeros(2, 3), X=torch.zeros(2, 3), device=torch.device("cpu")),
        "genlib._torch.rand": {"*shape": (2, 3), "generator": g, "device": "cpu"},
        "genlib._torch.randn": {"*shape": (2, 3), "generator": g, "device": "cpu"},
        "genlib._torch.reset_parameters": dict(module=torch.nn.Linear(3, 2), generator=g),
        "genlib._torch.resolve_device": dict(device="auto", data=torch.zeros(2)),
        # the Gaussian toolbox
        "genlib.classic.gmm.check_covariances": dict(covariances=np.ones(3), name="covariances", n_components=3,
                                                     n_features=2, covariance_type="spherical"),
        "genlib.classic.gmm.component_log_prob": dict(X=F[:, :2], means=F[:3, :2], precisions_chol=np.ones(3),
                                                      covariance_type="spherical"),
        "genlib.classic.gmm.kmeans_plusplus": dict(X=F, n_clusters=3, rng=rng),
        "genlib.classic.gmm.sample_components": dict(means=F[:3, :2], covariances=np.ones(3),
                                                     covariance_type="spherical", z=np.array([0, 1, 2, 0]), rng=rng),
        # AIS, the energies, Gibbs sweeps and mean field
        "genlib.energy.ais.BernoulliRBMPath": dict(W=W, b=b, c=c),
        "genlib.energy.ais.GaussianRBMPath": dict(W=W, b=b, c=c, sigma=t(1.0, 0.5, 2.0, 1.0)),
        "genlib.energy.ais.annealed_importance_sampling": dict(path=BernoulliRBMPath(W, b, c),
                                                               betas=temperature_schedule(10), n_chains=5,
                                                               generator=g),
        "genlib.energy.ais.bernoulli_rbm_log_partition": dict(W=W, b=b, c=c),
        "genlib.energy.ais.gaussian_rbm_log_partition": dict(W=W, b=b, c=c, sigma=t(1.0, 0.5, 2.0, 1.0)),
        "genlib.energy.boltzmann.bm_energy": dict(S=V[:, :3], W=Wbm, b=b[:3]),
        "genlib.energy.dbm.DBMPath": dict(Ws=[W1, W2], bs=bs),
        "genlib.energy.dbm.dbm_energy": dict(states=[V, *mus], Ws=[W1, W2], bs=bs),
        "genlib.energy.dbm.mean_field": dict(V=V, Ws=[W1, W2], bs=bs, n_iter=3),
        "genlib.energy.dbm.mean_field_bound": dict(V=V, mus=mus, Ws=[W1, W2], bs=bs, log_z=1.0),
        "genlib.energy.dbm.pretrain_rbm": dict(V=V.repeat(5, 1), n_hidden=3, n_epochs=1, batch_size=5, generator=g),
        "genlib.energy.gibbs.cpu_threads_for": dict(macs=100, device=torch.device("cpu")),
        "genlib.energy.gibbs.learning_rate_factor": dict(schedule="linear", epoch=1, n_epochs=10),
        "genlib.energy.gibbs.sequential_gibbs_sweep": dict(S=V[:, :3].clone(), W=Wbm, b=b[:3], generator=g),
        "genlib.energy.gibbs.train_epochs": dict(model=_tiny_rbm(), V=V.float(), update=lambda batch, lr, gen: 0.0),
        # the metrics' classifier
        "genlib.metrics.classifier.DigitClassifier": dict(hidden=(8,), max_iter=5, alpha=1e-3, random_state=0),
        # the networks of the GAN chapters (built with junk sizes here; called with junk in test_networks_...)
        **{name: kwargs for name, (kwargs, _) in _network_cases().items()},
        # the diffusion maths (3 images of 4x4 in net space [-1, 1], one alpha_bar per image) and the U-Net's code
        **_diffusion_cases(),
        # plotting with callables
        "genlib.plotting.density_contour": dict(log_prob=lambda P: -0.5 * (P**2).sum(axis=1), X=F[:, :2]),
        "genlib.plotting.animate": dict(draw_frame=lambda ax, i: ax.plot([0, i]), n_frames=2),
    }


def _diffusion_cases():
    import torch

    g = torch.Generator().manual_seed(0)
    x0 = torch.rand(3, 1, 4, 4, generator=g) * 2 - 1
    eps = torch.randn(3, 1, 4, 4, generator=g)
    per_image = lambda *v: torch.tensor(v).view(-1, 1, 1, 1)  # noqa: E731
    ab_t, ab_s = per_image(0.5, 0.3, 0.1), per_image(0.6, 0.5, 0.2)
    levels = torch.randint(0, 17, (3, 1, 4, 4), generator=g) / 8.0 - 1.0  # 17 grey levels in [-1, 1]
    lv = torch.linspace(-2, 2, 6).reshape(2, 3)
    alpha_bar = torch.cumprod(torch.cat([torch.ones(1), 1 - torch.linspace(0.01, 0.2, 10)]), 0)  # (T + 1,), T = 10
    ddpm = "genlib.neural.ddpm."
    return {
        ddpm + "q_sample": dict(x0=x0, alpha_bar_t=ab_t, eps=eps),
        ddpm + "posterior_moments": dict(x0=x0, x_t=eps, alpha_bar_t=ab_t, alpha_bar_s=ab_s),
        ddpm + "ddim_sigma": dict(alpha_bar_t=ab_t.view(-1), alpha_bar_s=ab_s.view(-1), eta=0.5),
        ddpm + "ddim_step": dict(x0_hat=x0, eps_hat=eps, alpha_bar_s=ab_s, sigma=per_image(0.1, 0.2, 0.3),
                                 noise=torch.randn(3, 1, 4, 4, generator=g)),
        ddpm + "normal_kl": dict(mean1=lv, logvar1=lv, mean2=-lv, logvar2=lv.flip(1)),
        ddpm + "discretized_gaussian_log_likelihood": dict(x=levels, mean=x0, log_scale=per_image(-1.0, -2.0, 0.0),
                                                           n_levels=17),
        ddpm + "epsilon_loss": dict(eps_model=lambda x_t, t: 0.5 * x_t, x0=x0, t=torch.tensor([1, 5, 10]), eps=eps,
                                    alpha_bar=alpha_bar),
        ddpm + "timestep_sequence": dict(n_timesteps=10, steps=4),
        "genlib.neural.unet.timestep_embedding": dict(t=torch.tensor([0, 3, 10]), dim=6, max_period=100.0),
    }


def _tiny_rbm():
    from genlib.energy import BernoulliRBM

    return BernoulliRBM(4, 3, n_epochs=1, batch_size=2, random_state=0, device="cpu")


def _network_cases():
    """Each network: its constructor's valid arguments, and valid inputs of ``forward`` by name."""
    import torch

    z, x, y, img = torch.randn(5, 2), torch.rand(5, 3), torch.tensor([0, 1, 2, 3, 0]), torch.rand(5, 1, 8, 8)
    tokens = torch.tensor([[1, 4, 6, 8], [1, 5, 9, 0], [2, 3, 0, 0], [15, 1, 1, 1], [1, 0, 0, 0]])  # (5, 4) word ids
    phi = torch.randn(5, 3)
    return {
        "genlib.neural.gan.MLPGenerator": (dict(latent_dim=2, n_features=3, hidden=(8,), output="linear"),
                                           dict(z=z)),
        "genlib.neural.gan.MLPDiscriminator": (dict(n_features=3, hidden=(8,)), dict(x=x)),
        "genlib.neural.cgan.ConditionalGenerator": (dict(latent_dim=2, n_features=3, n_classes=4, hidden=(8,),
                                                         conditioning="onehot", embed_dim=2), dict(z=z, y=y)),
        "genlib.neural.cgan.ConditionalDiscriminator": (dict(n_features=3, n_classes=4, hidden=(8,),
                                                             conditioning="embedding", embed_dim=2), dict(x=x, y=y)),
        "genlib.neural.cgan.ProjectionDiscriminator": (dict(n_features=3, n_classes=4, hidden=(8,)), dict(x=x, y=y)),
        "genlib.neural.dcgan.DCGenerator": (dict(latent_dim=4, image_size=8, n_filters=4), dict(z=torch.randn(5, 4))),
        "genlib.neural.dcgan.DCDiscriminator": (dict(image_size=8, n_filters=4), dict(x=img)),
        "genlib.neural.fccgan.FCCGenerator": (dict(latent_dim=4, image_size=8, n_filters=4, fc_hidden=(8,)),
                                              dict(z=torch.randn(5, 4))),
        "genlib.neural.fccgan.FCCDiscriminator": (dict(image_size=8, n_filters=4, fc_hidden=(8,)), dict(x=img)),
        # StackGAN's networks: 16 words (id 0 pads), phi of width 3, c of width 2, 4x4 stage-I images
        "genlib.neural.stackgan.TextEncoder": (dict(n_words=16, embed_dim=3), dict(tokens=tokens)),
        "genlib.neural.stackgan.ConditioningAugmentation": (dict(embed_dim=3, cond_dim=2),
                                                            dict(phi=phi, eps=torch.randn(5, 2))),
        "genlib.neural.stackgan.StageIGenerator": (dict(cond_dim=2, latent_dim=4, low_size=4, first_side=2,
                                                        n_filters=4), dict(c=torch.randn(5, 2), z=torch.randn(5, 4))),
        "genlib.neural.stackgan.StageIIGenerator": (dict(cond_dim=2, low_size=4, image_size=8, n_filters=4,
                                                         n_residual=1),
                                                    dict(low=torch.rand(5, 1, 4, 4) * 2 - 1, c=torch.randn(5, 2))),
        "genlib.neural.stackgan.TextImageDiscriminator": (dict(side=8, embed_dim=3, text_dim=2, n_filters=4),
                                                          dict(x=img, phi=phi)),
        # the diffusion U-Net (4x4 images, steps 1..10, 4 classes) and its block; PixelCNN's masked convolution
        "genlib.neural.unet.UNet": (dict(image_size=4, channels=(4, 8), emb_dim=4, n_classes=4, n_timesteps=10),
                                    dict(x=torch.randn(5, 1, 4, 4), t=torch.tensor([1, 10, 3, 4, 5]), y=y)),
        "genlib.neural.unet.ResBlock": (dict(c_in=2, c_out=4, emb_dim=3),
                                        dict(x=torch.randn(5, 2, 4, 4), emb=torch.randn(5, 3))),
        "genlib.neural.pixelcnn.MaskedConv2d": (dict(in_channels=1, out_channels=2, kernel_size=3, mask_type="A"),
                                                dict(x=img)),
    }


#: Junk that is valid input of a network: (network, input) -> labels.
NETWORK_VALID_JUNK = {
    # convolutions take feature maps of any height and width (the U-Net, which fixes them, refuses a wider x)
    ("genlib.neural.unet.ResBlock", "x"): {"one column too wide"},
    ("genlib.neural.pixelcnn.MaskedConv2d", "x"): {"one column too wide"},
}


def _caption_cases(X, y):
    from genlib.datasets.captions import VOCABULARY, caption_thresholds, make_captions

    thresholds = caption_thresholds(X, y)
    captions = make_captions(X, y, thresholds=thresholds)
    return {
        "genlib.datasets.captions.measure_attributes": dict(images=X),
        "genlib.datasets.captions.caption_thresholds": dict(images=X, labels=y),
        "genlib.datasets.captions.make_captions": dict(images=X, labels=y, thresholds=thresholds),
        "genlib.datasets.captions.encode_captions": dict(captions=captions[:5], vocabulary=VOCABULARY, max_length=6),
        "genlib.datasets.captions.decode_captions": dict(tokens=[[1, 4, 6, 8]], vocabulary=VOCABULARY),
        "genlib.datasets.captions.parse_captions": dict(captions=captions),
        "genlib.datasets.captions.caption_agreement": dict(images=X, captions=captions, thresholds=thresholds),
        "genlib.datasets.captions.load_digit_captions": dict(dataset="digits", as_images=False),
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
        "genlib.neural.stackgan.matching_aware_loss": dict(real_logits=t, fake_logits=-t, wrong_logits=t),
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


def _lda_cases():
    from genlib.classic.lda import counts_to_tokens, topic_counts

    X = np.array([[2, 1, 0], [0, 1, 1]])  # 2 documents, 3 words, 5 tokens
    doc, word = counts_to_tokens(X)
    z = np.array([0, 1, 1, 0, 1])
    n_dk, n_kw = topic_counts(doc, word, z, 2, 3, 2)
    phi = np.array([[0.6, 0.3, 0.1], [0.1, 0.3, 0.6]])
    lda = "genlib.classic.lda."
    return {
        lda + "counts_to_tokens": dict(X=X),
        lda + "topic_counts": dict(doc=doc, word=word, z=z, n_docs=2, n_words=3, n_topics=2),
        lda + "collapsed_log_joint": dict(n_dk=n_dk, n_kw=n_kw, alpha=0.5, beta=0.1),
        lda + "dirichlet_multinomial_log_likelihood": dict(counts=n_dk, concentration=0.5),
        lda + "minka_alpha_update": dict(n_dk=n_dk, alpha=1.0),
        lda + "minka_beta_update": dict(n_kw=n_kw, beta=1.0),
        lda + "collapsed_conditional": dict(i=0, doc=doc, word=word, z=z, n_topics=2, n_words=3, alpha=0.5, beta=0.1),
        # updates its arrays in place, keeping them consistent: every later call sees valid counts
        lda + "collapsed_gibbs_sweep": dict(doc=doc, word=word, z=z.copy(), doc_topic=n_dk + 0.5,
                                            word_topic=n_kw.T + 0.1, topic_total=n_kw.sum(axis=1) + 0.3,
                                            u=np.linspace(0.0, 0.9, 5)),
        lda + "blocked_gibbs_sweep": dict(doc=doc, word=word, n_dk=n_dk, n_kw=n_kw, alpha=0.5, beta=0.1,
                                          rng=np.random.default_rng(0)),
        lda + "sample_dirichlet": dict(concentration=np.full((3, 2), 0.5), rng=np.random.default_rng(0)),
        lda + "sample_documents": dict(theta=np.array([[0.5, 0.5], [1.0, 0.0]]), phi=phi, lengths=[5, 5],
                                       rng=np.random.default_rng(0)),
        lda + "sample_theta_given_topics": dict(X=X, topic_word=phi, alpha=0.5, n_iter=4, random_state=0),
        lda + "document_completion_perplexity": dict(X=X, topic_word=phi, alpha=0.5, n_iter=4, random_state=0),
    }


def _tiny_net():
    import torch

    return torch.nn.Linear(4, 2)


JUNK_ARGUMENTS = [("None", None), ("a junk string", "junk-value"), ("NaN", float("nan")), ("an object", object()),
                  ("an empty array", np.empty((0, 2))), ("a 3-D array", np.zeros((2, 2, 2, 2)))]


def _tensor_junk(value) -> list[tuple[str, object]]:
    """Junk built from a valid tensor argument (or list of tensors): NaN in it, one column too many, one tensor short."""
    import torch

    if isinstance(value, torch.Tensor) and value.is_floating_point() and value.ndim >= 1 and value.numel():
        nan = value.clone()
        nan.view(-1)[0] = float("nan")
        return [("a tensor with a NaN", nan), ("a tensor one column too wide", torch.cat([value, value[..., :1]], -1))]
    if isinstance(value, list) and value and all(isinstance(v, torch.Tensor) for v in value):
        nan = [v.clone() for v in value]
        nan[0].view(-1)[0] = float("nan")
        return [("a list with a NaN tensor", nan), ("a list one tensor short", value[:-1])]
    return []


def _call(fn, kwargs):
    """``fn(**kwargs)``, a key ``"*name"`` passed as the positional ``*name`` (``rand(*shape, ...)``)."""
    star = [k for k in kwargs if k.startswith("*")]
    args = tuple(kwargs[star[0]]) if star else ()
    return fn(*args, **{k: v for k, v in kwargs.items() if not k.startswith("*")})


def _function(name):
    module_name, _, attr = name.rpartition(".")
    return getattr(importlib.import_module(module_name), attr)


#: Junk that is in fact valid for these arguments: (function, argument) -> labels.
VALID_JUNK = {
    ("genlib.datasets.images.binarize", "X"): {"a 3-D array"},  # grey images of any layout, (n, 1, h, w) included
    ("genlib.plotting.table", "rows"): {"an empty array"},  # a table with no rows
    # any shape is valid: probabilities of any shape, a tensor anywhere, data of any width
    ("genlib._torch.bernoulli", "p"): {"a tensor one column too wide"},
    ("genlib._torch.on_model_device", "T"): {"a tensor one column too wide", "a tensor with a NaN"},  # T is checked
    ("genlib._torch.on_model_device", "X"): {label for label, _ in JUNK_ARGUMENTS} | {  # only "is X a tensor?" counts
        "a tensor one column too wide", "a tensor with a NaN"},
    ("genlib._torch.resolve_device", "data"): {label for label, _ in JUNK_ARGUMENTS} | {  # only a tensor's device counts
        "a tensor one column too wide", "a tensor with a NaN"},
    ("genlib._torch.generator_for", "gen"): {"None"},  # None: a new generator seeded from seed_source
    ("genlib._torch.resolve_device", "device"): {"None"},  # None means "auto", as documented
    ("genlib.energy.dbm.pretrain_rbm", "V"): {"a tensor one column too wide"},  # an RBM for data of any width
    ("genlib.classic.gmm.check_covariances", "name"): {"a junk string"},  # any str names the argument in messages
}


def _arguments_and_junk(name, valid):
    """(argument, label, junk) for every argument of ``valid`` and every junk value not valid there."""
    fn = _function(name)
    params = inspect.signature(fn).parameters
    for arg, value in valid.items():
        for label, junk in JUNK_ARGUMENTS + (_tensor_junk(value) if name in _building_blocks() else []):
            if arg.startswith("*"):
                junk = (junk,)  # one junk element of the positional arguments
            elif junk is None and (params[arg].default is None or arg == "device"):
                continue  # None is this argument's documented default (a device None is "auto": resolve_device)
            if label in VALID_JUNK.get((name, arg), ()):
                continue
            yield arg.lstrip("*"), label, {**valid, arg: junk}


@pytest.mark.parametrize("name", sorted(_function_cases()))
def test_functions_refuse_junk_arguments(name):
    fn = _function(name)
    valid = _function_cases()[name]
    problems = Problems()
    names = tuple(a.lstrip("*") for a in valid)
    problems.check("valid call", lambda: _call(fn, valid), names, must_refuse=False)  # the valid call answers
    before = _snapshot(valid)  # after the valid call: a Gibbs sweep updates its states in place
    for arg, label, kwargs in _arguments_and_junk(name, valid):
        problems.check(f"{arg}={label}", lambda: _call(fn, kwargs), (arg,), must_refuse=True)
        if not _same(_snapshot(valid), before):
            problems.append(f"{arg}={label}: the refused call changed another argument")
            before = _snapshot(valid)
    problems.assert_none()


def _snapshot(kwargs):
    """Copies of the array and tensor arguments (lists of tensors too), to see that a refused call changed none."""
    import torch

    def copy(v):
        if isinstance(v, torch.Tensor):
            return v.detach().clone()
        if isinstance(v, np.ndarray):
            return v.copy()
        if isinstance(v, list) and all(isinstance(t, torch.Tensor) for t in v):
            return [copy(t) for t in v]
        return None

    return {k: copy(v) for k, v in kwargs.items()}


def _same(a, b) -> bool:
    import torch

    def eq(x, y):
        if isinstance(x, list):
            return len(x) == len(y) and all(eq(u, v) for u, v in zip(x, y))
        if isinstance(x, torch.Tensor):
            return torch.equal(x, y) or bool(torch.isnan(x).all() and torch.isnan(y).all())
        return x is None and y is None or np.array_equal(x, y, equal_nan=True)

    return a.keys() == b.keys() and all(eq(a[k], b[k]) for k in a)


@pytest.mark.parametrize("name", sorted(_network_cases()))
def test_networks_refuse_junk_inputs(name):
    """A network's forward refuses what is not a batch of its input shape (tensors of the wrong shape or type)."""
    import torch

    kwargs, inputs = _network_cases()[name]
    net = _function(name)(**kwargs)
    params = inspect.signature(net.forward).parameters
    problems = Problems()
    problems.check("valid input", lambda: net(**inputs), tuple(inputs), must_refuse=False)
    for arg, value in inputs.items():
        junk = [] if params[arg].default is None else [("None", None)]  # None: a documented default (CA's eps)
        junk += [("a NumPy array", value.numpy()), ("an empty batch", value[:0])]
        if value.ndim > 1:
            junk.append(("a 1-D tensor", value.reshape(-1)))
        if value.is_floating_point():
            junk += [("one column too wide", torch.cat([value, value[..., :1]], -1)),
                     ("integer values", value.long()), ("a batch of another length", value[:-1])]
        else:  # class labels
            junk += [("float labels", value.float()), ("a label out of range", value + 100),
                     ("a negative label", value - 100), ("a batch of another length", value[:-1])]
        for label, bad in junk:
            if label == "a batch of another length" and len(inputs) == 1:
                continue  # one input: any batch length is valid
            if label in NETWORK_VALID_JUNK.get((name, arg), ()):
                continue
            problems.check(f"{arg}={label}", lambda: net(**{**inputs, arg: bad}), (arg,), must_refuse=True)
    problems.assert_none()


#: Building blocks fuzzed in the sweep below (the entries of _building_block_cases).
@functools.lru_cache(maxsize=1)
def _building_blocks() -> tuple[str, ...]:
    return tuple(sorted(set(_building_block_cases(np.random.default_rng(0).normal(size=(100, 4))))
                        - set(_network_cases())))


#: Documented limits: (function, argument, scale) -> where the docstring states the non-finite (never NaN) answer.
DOCUMENTED_LIMITS: dict[tuple[str, str, float], str] = {
    **{("genlib.classic.gmm.component_log_prob", arg, scale): "-inf where the squared Mahalanobis distance exceeds "
       "the float64 range (its Returns section)" for arg in ("X", "means", "precisions_chol") for scale in (1e155, 1e300)},
    # float32 inputs scaled by 1e30: the answers leave float32's range (their Returns sections)
    **{("genlib.neural.ddpm.normal_kl", arg, 1e30): "+inf where the KL exceeds the dtype's range"
       for arg in ("mean1", "logvar1", "mean2", "logvar2")},
    **{("genlib.neural.ddpm.discretized_gaussian_log_likelihood", arg, 1e30): "-inf where a bin's mass is below "
       "the dtype's range" for arg in ("mean", "log_scale")},
    **{("genlib.neural.ddpm.epsilon_loss", arg, 1e30): "+inf where the squared error exceeds the dtype's range"
       for arg in ("x0", "eps")},
}

SCALES = (1e30, 1e155, 1e300, 1e-300, 0.0)


def _scaled(value, scale):
    """``value`` times ``scale`` for float arrays, tensors, lists of tensors and positive floats; else None."""
    import torch

    if isinstance(value, torch.Tensor) and value.is_floating_point():
        out = value * scale
        return out if bool(torch.isfinite(out).all()) else None  # float32 overflows: not finite input
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return value * scale
    if isinstance(value, list) and value and all(isinstance(v, torch.Tensor) for v in value):
        out = [_scaled(v, scale) for v in value]
        return None if any(o is None for o in out) else out
    if isinstance(value, float) and not isinstance(value, bool) and value > 0:
        return value * scale
    return None


@pytest.mark.parametrize("name", _building_blocks())
def test_building_blocks_give_no_nan_for_finite_input(name):
    """Huge finite values (1e30, 1e155, 1e300) and tiny or zero scales: a finite answer, a clear refusal, or a
    documented limit (never NaN)."""
    fn = _function(name)
    valid = _function_cases()[name]
    problems = Problems()
    for arg, value in valid.items():
        for scale in SCALES:
            bad = _scaled(value, scale)
            if bad is None:
                continue
            limit = (name, arg, scale) in DOCUMENTED_LIMITS
            outcome = problems.check(f"{arg} * {scale:g}", lambda: _call(fn, {**valid, arg: bad}), (arg,),
                                     must_refuse=False, allow_nonfinite=limit)
            if limit and outcome == Outcome.accepted:
                result = _call(fn, {**valid, arg: bad})
                if not _no_nan(result):
                    problems.append(f"{arg} * {scale:g}: NaN where the documented limit is +-inf")
    problems.assert_none()


def _no_nan(result) -> bool:
    if hasattr(result, "detach"):
        result = result.detach().cpu().numpy()
    if isinstance(result, (tuple, list)):
        return all(_no_nan(v) for v in result)
    try:
        return not np.isnan(np.asarray(result, dtype=np.float64)).any()
    except (TypeError, ValueError):
        return True


# --------------------------------------------------------------------------- coverage of the exports
#: Modules whose building blocks are not in _function_cases() yet, with the test file that checks them against
#: their references. Every building block (the LDA sweeps and prior updates, the Gaussian toolbox,
#: AIS, the energies, Gibbs sweeps and mean field, genlib's torch plumbing, the networks of every GAN chapter,
#: FCC-GAN's and StackGAN's included, the diffusion maths, the U-Net and its block, PixelCNN's masked
#: convolution, the plotting helpers) is fuzzed above: none is left.
KERNELS: dict[str, str] = {}

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
                    "check_hmm_forward", "check_lda_conditional", "check_layer_parameters", "check_log_mean_exp",
                    "check_matching_aware_loss",
                    "check_milestones_per_decade", "check_nearest_neighbour_ratio", "check_parzen_log_density",
                    "check_rbm_free_energy", "check_reconstruction_bce", "check_responsibilities",
                    "check_roc_auc", "check_taxonomy_position", "check_diffusion_marginal", "check_causal_mask")},
}


def test_every_public_callable_is_fuzzed():
    models = {f"{type(CASES[k].make_model(0)).__module__}.{type(CASES[k].make_model(0)).__qualname__}" for k in CASES}
    exported = public_callables()
    fuzzed = (models | set(_function_cases())) & set(exported)
    kernels = {name for name in exported if name.rsplit(".", 1)[0] in KERNELS} - fuzzed - set(NOT_ENTRY_POINTS)
    missing = sorted(set(exported) - fuzzed - kernels - set(NOT_ENTRY_POINTS))
    print(f"\nfuzz coverage: {len(exported)} public callables; {len(fuzzed)} fuzzed here, {len(kernels)} building "
          f"blocks tested in their own files only, {len(set(NOT_ENTRY_POINTS) & set(exported))} not entry points "
          f"(types, records, no-argument functions, the exercises' checkers, claim and glue)")
    assert not missing, f"public callables no fuzz test covers ({len(missing)}): {missing}"


def test_zz_summary():
    """Last in the file (one worker runs the whole file): how many calls the suite judged in this run."""
    print(f"\nfuzz calls judged: {sum(TALLY.values())} ({TALLY[Outcome.refused]} clear refusals, "
          f"{TALLY[Outcome.accepted]} finite answers; {TALLY['crash']} crashes, {TALLY['silent']} silent "
          f"acceptances, {TALLY['unclear']} unclear messages, {TALLY['non-finite']} non-finite answers)")
