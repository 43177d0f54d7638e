"""The protocols every genlib model follows, its errors and warnings, and the course registry.

Three protocols describe what a generative model can answer (see DESIGN.md):

- :class:`Sampler` draws new data: ``sample(n, *, random_state=None)``;
- :class:`DensityModel` also evaluates ``log_prob(X)`` (one value per row) and
  ``score(X)`` (the mean log-likelihood), where the likelihood is tractable;
- :class:`EnergyModel` defines an unnormalised density through ``energy`` and
  ``free_energy`` and samples by Markov chains.

The :data:`REGISTRY` lists every model of the course with the metadata the chapters
tabulate (family, explicit or implicit density, what the likelihood is, the training
criterion, the chapter). Tables in the book are drawn from it, so they stay true as
models land: :func:`is_available` says whether a model's class can be imported yet.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "NotFittedError",
    "ConvergenceWarning",
    "Sampler",
    "DensityModel",
    "EnergyModel",
    "ModelInfo",
    "REGISTRY",
    "LikelihoodUnavailable",
    "TrainingDiverged",
    "likelihood_summary",
    "get_info",
    "load_model_class",
    "is_available",
    "available_models",
]


def _not_fitted_error() -> type:
    """genlib's NotFittedError, made on first use: a subclass of scikit-learn's, which ``import genlib``
    does not import (it is slow)."""
    from sklearn.exceptions import NotFittedError as SkNotFittedError

    class NotFittedError(SkNotFittedError):
        """Raised when a method that needs a fitted model is called before ``fit``.

        It subclasses scikit-learn's ``NotFittedError`` (itself a ``ValueError`` and an
        ``AttributeError``), so ``except sklearn.exceptions.NotFittedError`` catches it too.
        """

    NotFittedError.__module__, NotFittedError.__qualname__ = __name__, "NotFittedError"
    return NotFittedError


def __getattr__(name: str) -> Any:
    if name == "NotFittedError":
        globals()[name] = cls = _not_fitted_error()
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class LikelihoodUnavailable(ValueError):
    """A model's likelihood cannot be computed for this input (e.g. too many units to enumerate).

    :func:`genlib.metrics.evaluate` notes it and goes on; any other error is a bad input and is raised.
    """


class TrainingDiverged(FloatingPointError, ValueError):
    """Training produced a non-finite loss or error; the message names the likely cause (learning rate, data scale).

    A ``FloatingPointError`` and a ``ValueError``, so either ``except`` catches it.
    """


class ConvergenceWarning(UserWarning):
    """Issued when an iterative fit stops at ``max_iter`` before meeting ``tol``."""


@runtime_checkable
class Sampler(Protocol):
    """A model that draws new data."""

    def sample(self, n: int, *, random_state: Any = None) -> Any:  # pragma: no cover
        ...


@runtime_checkable
class DensityModel(Sampler, Protocol):
    """A sampler whose (log-)density can be evaluated exactly."""

    def log_prob(self, X: Any) -> Any:  # pragma: no cover
        ...

    def score(self, X: Any) -> float:  # pragma: no cover
        ...


@runtime_checkable
class EnergyModel(Sampler, Protocol):
    """A model defined by an energy E(x, h); p(x) ∝ exp(-F(x)) with free energy F."""

    def energy(self, *args: Any) -> Any:  # pragma: no cover
        ...

    def free_energy(self, X: Any) -> Any:  # pragma: no cover
        ...


def likelihood_summary(kind: str, values: Any, std_err: float | None = None) -> dict:
    """What a model's ``held_out_likelihood`` returns: ``{"likelihood_kind", "log_likelihood", "std_err"}``.

    ``values`` are per-example log-likelihoods (their mean and its standard error are
    reported), or one number with its ``std_err`` given. ``kind`` says what the number is:
    ``"exact"``, ``"estimate"`` (unbiased in Z, e.g. AIS) or ``"bound"`` (a lower bound).

    Every density model implements ``held_out_likelihood(X, *, X_train=None, lengths=None,
    iwae_k=100, ais_temperatures=1000, ais_chains=100, random_state=0)`` (each uses the options
    it needs) and :func:`genlib.metrics.evaluate` asks it, and nothing else, for the likelihood.

    Examples
    --------
    >>> likelihood_summary("exact", [-1.0, -3.0])
    {'likelihood_kind': 'exact', 'log_likelihood': -2.0, 'std_err': 1.0}
    """
    import numpy as np

    from ._validation import check_array, check_option

    kind = check_option(kind, "kind", ("exact", "estimate", "bound"))
    arr = check_array(values.detach().cpu().numpy() if hasattr(values, "detach") else np.atleast_1d(values), "values",
                      ndim=1)
    if std_err is None:
        std_err = float(arr.std(ddof=1) / np.sqrt(arr.size)) if arr.size > 1 else 0.0
    return {"likelihood_kind": kind, "log_likelihood": float(arr.mean()), "std_err": float(std_err)}


# Allowed values of the registry's categorical fields, checked when an entry is made.
FAMILIES = ("ML", "DL")
DENSITIES = ("explicit", "implicit", "none")
LIKELIHOODS = ("exact", "bound", "estimate", "none")
APPROXIMATIONS = ("tractable", "variational", "markov chain", "direct", "none")


@dataclass(frozen=True)
class ModelInfo:
    """Metadata of one model of the course.

    Attributes
    ----------
    key : str
        Short identifier, e.g. ``"gmm"``.
    name : str
        Name as the book prints it.
    family : {"ML", "DL"}
        Machine-learning based (Part 2) or deep-learning based (Part 3), as in the seminar.
    density : {"explicit", "implicit", "none"}
        Whether the model writes down p(x) (explicit), only defines a sampler (implicit),
        or is not a density model at all (a plain autoencoder).
    approximation : {"tractable", "variational", "markov chain", "direct", "none"}
        For explicit models, how p(x) is handled (tractable, or approximated by a
        variational bound or by Markov chains); for implicit ones how samples are drawn.
    likelihood : {"exact", "bound", "estimate", "none"}
        What genlib can report as held-out log-likelihood: the exact value, a lower bound,
        a stochastic estimate (AIS, perplexity by document completion), or nothing.
    criterion : str
        The training criterion, e.g. "maximum likelihood (EM)".
    chapter : str
        The chapter's path below ``book/`` without suffix.
    target : str
        ``"module:Class"`` of the implementation.
    year : int
        Year of the model's founding publication.
    reference : str
        BibTeX key in ``book/references.bib``.
    data : str
        The kind of data the model is taught on.
    """

    key: str
    name: str
    family: str
    density: str
    approximation: str
    likelihood: str
    criterion: str
    chapter: str
    target: str
    year: int
    reference: str
    data: str = "vectors"
    extra: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        for attr, allowed in (
            ("family", FAMILIES),
            ("density", DENSITIES),
            ("likelihood", LIKELIHOODS),
            ("approximation", APPROXIMATIONS),
        ):
            value = getattr(self, attr)
            if value not in allowed:
                raise ValueError(f"ModelInfo({self.key!r}).{attr} must be one of {allowed}, got {value!r}.")
        if ":" not in self.target:
            raise ValueError(f"ModelInfo({self.key!r}).target must read 'module:Class', got {self.target!r}.")


def _info(*args: Any, **kwargs: Any) -> tuple[str, ModelInfo]:
    info = ModelInfo(*args, **kwargs)
    return info.key, info


#: Every model of the course, in reading order. An entry may name a class that has not
#: landed yet; :func:`is_available` tells, and tables mark such rows "coming".
REGISTRY: dict[str, ModelInfo] = dict(
    [
        _info("class_gaussian", "Class-conditional Gaussian (GDA)", "ML", "explicit", "tractable", "exact",
              "maximum likelihood (closed form)", "01_overview/02_discriminative_vs_generative",
              "genlib.classic.gda:ClassConditionalGaussian", 1936, "fisher1936", "labelled vectors"),
        _info("gmm", "Gaussian mixture model", "ML", "explicit", "tractable", "exact",
              "maximum likelihood (EM)", "02_ml/01_gmm",
              "genlib.classic.gmm:GaussianMixture", 1977, "dempster1977", "vectors"),
        _info("hmm", "Hidden Markov model (categorical)", "ML", "explicit", "tractable", "exact",
              "maximum likelihood (Baum-Welch EM)", "02_ml/02_hmm",
              "genlib.classic.hmm:CategoricalHMM", 1966, "baum1966", "sequences"),
        _info("gaussian_hmm", "Hidden Markov model (Gaussian)", "ML", "explicit", "tractable", "exact",
              "maximum likelihood (Baum-Welch EM)", "02_ml/02_hmm",
              "genlib.classic.hmm:GaussianHMM", 1966, "baum1966", "sequences"),
        _info("lda", "Latent Dirichlet allocation", "ML", "explicit", "markov chain", "estimate",
              "posterior inference (collapsed Gibbs)", "02_ml/03_lda",
              "genlib.classic.lda:LatentDirichletAllocation", 2003, "blei2003", "documents"),
        _info("boltzmann", "Boltzmann machine", "DL", "explicit", "markov chain", "exact",
              "maximum likelihood (Boltzmann learning rule)", "03_dl/01_boltzmann",
              "genlib.energy.boltzmann:BoltzmannMachine", 1985, "ackley1985", "binary vectors"),
        _info("rbm", "Restricted Boltzmann machine", "DL", "explicit", "markov chain", "estimate",
              "approximate maximum likelihood (CD-k, PCD)", "03_dl/02_rbm",
              "genlib.energy.rbm:BernoulliRBM", 1986, "smolensky1986", "binary vectors"),
        _info("dbn", "Deep belief network", "DL", "explicit", "markov chain", "bound",
              "greedy layer-wise CD", "03_dl/03_dbn",
              "genlib.energy.dbn:DeepBeliefNetwork", 2006, "hinton2006dbn", "binary vectors"),
        _info("dbm", "Deep Boltzmann machine", "DL", "explicit", "variational", "bound",
              "variational maximum likelihood (mean field + PCD)", "03_dl/04_dbm",
              "genlib.energy.dbm:DeepBoltzmannMachine", 2009, "salakhutdinov2009dbm", "binary vectors"),
        _info("autoencoder", "Autoencoder", "DL", "none", "none", "none",
              "reconstruction error", "03_dl/05_autoencoder",
              "genlib.neural.autoencoder:Autoencoder", 2006, "hinton2006reducing", "images"),
        _info("vae", "Variational autoencoder", "DL", "explicit", "variational", "bound",
              "evidence lower bound (ELBO)", "03_dl/06_vae",
              "genlib.neural.vae:VAE", 2014, "kingma2014", "images"),
        _info("gan", "Generative adversarial network", "DL", "implicit", "direct", "none",
              "adversarial minimax game", "03_dl/07_gan",
              "genlib.neural.gan:GAN", 2014, "goodfellow2014", "vectors"),
        _info("dcgan", "Deep convolutional GAN", "DL", "implicit", "direct", "none",
              "adversarial minimax game", "03_dl/08_dcgan",
              "genlib.neural.dcgan:DCGAN", 2016, "radford2016", "images"),
        _info("cgan", "Conditional GAN", "DL", "implicit", "direct", "none",
              "adversarial minimax game, conditioned on y", "03_dl/09_cgan",
              "genlib.neural.cgan:ConditionalGAN", 2014, "mirza2014", "labelled images"),
        _info("vaegan", "VAE-GAN", "DL", "explicit", "variational", "bound",
              "ELBO terms + learned similarity + adversarial game", "04_analysis/05_conclusion",
              "genlib.neural.vaegan:VAEGAN", 2016, "larsen2016", "images"),
        _info("fccgan", "FCC-GAN", "DL", "implicit", "direct", "none",
              "adversarial minimax game", "05_beyond/01_fccgan",
              "genlib.neural.fccgan:FCCGAN", 2019, "barua2019fccgan", "images"),
        _info("stackgan", "StackGAN (text-to-image)", "DL", "implicit", "direct", "none",
              "two-stage adversarial game, matching-aware, conditioned on a caption (+ CA's KL)",
              "05_beyond/02_stackgan", "genlib.neural.stackgan:StackedGAN", 2017, "zhang2017stackgan",
              "captioned images"),
        _info("ddpm", "Denoising diffusion probabilistic model", "DL", "explicit", "variational", "bound",
              "variational bound (its simple form: noise prediction)", "05_beyond/03_diffusion",
              "genlib.neural.ddpm:DDPM", 2020, "ho2020", "images"),
        _info("pixelcnn", "PixelCNN", "DL", "explicit", "tractable", "exact",
              "maximum likelihood (chain rule, masked convolutions)", "05_beyond/04_autoregressive",
              "genlib.neural.pixelcnn:PixelCNN", 2016, "vandenoord2016", "binary images"),
    ]
)


def get_info(key: str) -> ModelInfo:
    """Return the :class:`ModelInfo` registered under ``key``.

    Raises
    ------
    TypeError
        If ``key`` is not a string.
    ValueError
        If ``key`` is not registered; the message lists the valid keys.
    """
    if not isinstance(key, str):
        raise TypeError(f"key must be a registry key (a string such as 'gmm'), got {type(key).__name__} ({key!r}).")
    if key not in REGISTRY:
        raise ValueError(f"no model registered as key={key!r}; valid keys are {sorted(REGISTRY)}.")
    return REGISTRY[key]


def load_model_class(key: str) -> type:
    """Import and return the class that implements the model ``key``.

    Raises
    ------
    ImportError
        If its module fails to import or lacks the class.
    """
    module_name, _, class_name = get_info(key).target.partition(":")
    module = importlib.import_module(module_name)
    try:
        return getattr(module, class_name)
    except AttributeError:
        raise ImportError(f"{module_name} has no class {class_name!r} (registry entry {key!r}).") from None


def is_available(key: str) -> bool:
    """Whether the implementation of ``key`` imports in this installation (an import error inside it propagates)."""
    module_name, _, class_name = get_info(key).target.partition(":")
    return hasattr(importlib.import_module(module_name), class_name)


def available_models() -> list[str]:
    """Keys of the registered models whose implementation can be imported, in course order."""
    return [key for key in REGISTRY if is_available(key)]
