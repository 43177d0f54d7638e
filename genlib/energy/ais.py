"""Annealed importance sampling (AIS) of log partition functions, and exact values for small models.

The partition function Z of an RBM sums ``2**min(n_features, n_hidden)`` terms, far too many
for MNIST-sized models, yet the log-likelihood log p(v) = -F(v) - log Z needs it. AIS (Neal,
2001) estimates Z by moving samples through a sequence of distributions

    p_k(x) = f_k(x) / Z_k,   k = 0, ..., K,   0 = beta_0 < beta_1 < ... < beta_K = 1,     (ais-path)

from a base model p_0 whose Z_0 is known to the target p_K. Each run draws x_1 ~ p_0, moves it
with a Markov transition T_k that leaves p_k invariant, and accumulates the importance weight

    w = prod_{k=1}^{K} f_k(x_k) / f_{k-1}(x_k),    E[w] = Z_K / Z_0       (Neal, 2001)

So Z_K ≈ Z_0 * mean(w) over M independent runs. For RBMs, Salakhutdinov and Murray (2008)
anneal from a "base-rate" model (W = 0, visible biases fitted to the data's pixel means) by
scaling the RBM's energy with beta:

    f_beta(v) = exp((1 - beta) b_A'v + beta b'v) * prod_j (1 + exp(beta (c_j + W_j v)))  (rbm-ais-path)

and T_k is one step of block Gibbs in the joint p_beta(v, h).

The module is generic: :func:`annealed_importance_sampling` runs any :class:`AnnealingPath`
(an object with ``log_z0``, ``init``, ``log_f`` and ``step``), and :func:`log_partition`
asks a model for its path through ``model.annealing_path(data=..., base_bias=...)``. The
RBMs of :mod:`genlib.energy.rbm` provide one; deeper models (DBN, DBM) can provide theirs.
"""

from __future__ import annotations

import math
from typing import Any, Protocol

import torch

from .._torch import check_generator, check_tensor
from .._validation import check_array, check_bool, check_float, check_int, check_option
from .gibbs import all_binary_states, as_tensor, make_generator

__all__ = [
    "AnnealingPath",
    "BernoulliRBMPath",
    "GaussianRBMPath",
    "temperature_schedule",
    "annealed_importance_sampling",
    "log_partition",
    "exact_log_partition",
    "estimate_log_likelihood",
    "base_rate_bias",
    "bernoulli_rbm_log_partition",
    "gaussian_rbm_log_partition",
]


class AnnealingPath(Protocol):
    """What AIS needs from a model: a base with known Z_0, f_beta, and a p_beta-invariant move.

    ``state`` can be any object (a tensor, a tuple of tensors) holding ``n_chains`` states.
    """

    log_z0: float

    def init(self, n_chains: int, generator: torch.Generator) -> Any:  # pragma: no cover
        """Exact draws from p_0 (beta = 0)."""
        ...

    def log_f(self, state: Any, beta: float) -> torch.Tensor:  # pragma: no cover
        """log f_beta of each chain's state, shape (n_chains,)."""
        ...

    def step(self, state: Any, beta: float, generator: torch.Generator) -> Any:  # pragma: no cover
        """One Markov transition that leaves p_beta invariant."""
        ...


def temperature_schedule(n_temperatures: int, kind: str = "sm2008") -> torch.Tensor:
    """Inverse temperatures 0 = beta_0 < ... < beta_K = 1 (float64, ``n_temperatures + 1`` values).

    ``"linear"`` spaces them evenly. ``"sm2008"`` follows Salakhutdinov and Murray (2008), who
    used 500 steps in [0, 0.5], 4,000 in [0.5, 0.9] and 10,000 in [0.9, 1]: the same
    proportions, scaled to ``n_temperatures``, so most steps lie where p_beta changes fastest.

    Examples
    --------
    >>> temperature_schedule(4, "linear")
    tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000], dtype=torch.float64)
    """
    n = check_int(n_temperatures, "n_temperatures", minimum=1)
    check_option(kind, "schedule", ("linear", "sm2008"))
    if kind == "linear" or n < 10:
        return torch.linspace(0.0, 1.0, n + 1, dtype=torch.float64)
    n1 = max(1, round(n * 500 / 14500))
    n2 = max(1, round(n * 4000 / 14500))
    n3 = max(1, n - n1 - n2)
    return torch.cat([
        torch.linspace(0.0, 0.5, n1 + 1, dtype=torch.float64)[:-1],
        torch.linspace(0.5, 0.9, n2 + 1, dtype=torch.float64)[:-1],
        torch.linspace(0.9, 1.0, n3 + 1, dtype=torch.float64),
    ])


@torch.no_grad()
def annealed_importance_sampling(path: AnnealingPath, betas: torch.Tensor, n_chains: int,
                                 generator: torch.Generator) -> tuple[float, float, torch.Tensor]:
    """Run AIS along ``path`` through the inverse temperatures ``betas`` (the weight w above, Neal 2001).

    Returns
    -------
    log_z : float
        log Z_0 + log mean(w).
    std_err : float
        Standard error of ``log_z`` (delta method: std(w) / (sqrt(M) mean(w))).
    log_w : tensor (n_chains,)
        The log importance weights, for diagnostics (their spread says how reliable the run was).
    """
    for attr in ("log_z0", "init", "log_f", "step"):
        if not hasattr(path, attr):
            raise TypeError(f"path must be an annealing path (log_z0, init, log_f, step; e.g. BernoulliRBMPath), got "
                            f"{type(path).__name__} without {attr}.")
    betas = check_array(betas, "betas", ndim=1, min_samples=2).tolist()
    n_chains = check_int(n_chains, "n_chains", minimum=1)
    check_generator(generator, "generator")
    if betas[0] != 0.0 or betas[-1] != 1.0 or any(b1 <= b0 for b0, b1 in zip(betas, betas[1:])):
        raise ValueError("betas must increase strictly from 0 to 1; build them with temperature_schedule().")
    state = generator.get_state()  # a refused run leaves the generator as it was
    x = path.init(n_chains, generator)
    log_w = torch.zeros(n_chains, dtype=torch.float64, device=_device_of(x))
    for b_prev, b_next in zip(betas[:-1], betas[1:]):
        # w *= f_k(x_k) / f_{k-1}(x_k), then x_{k+1} ~ T_k(x_k, .)   (the weight w, Neal 2001)
        log_w += (path.log_f(x, b_next) - path.log_f(x, b_prev)).to(torch.float64)
        if b_next < 1.0:
            x = path.step(x, b_next, generator)
    log_z, se, log_w = _summarise(path.log_z0, log_w)
    if not math.isfinite(log_z):
        generator.set_state(state)
        raise ValueError(f"path: AIS gave log Z = {log_z} because log f_beta of the path's states left the float64 "
                         f"range (log weights {log_w.min().item():.3g} to {log_w.max().item():.3g}); the model's "
                         f"parameters are too large (or its sigma too small) for this computation: rescale them.")
    return log_z, se, log_w


def _device_of(state: Any) -> torch.device:
    while isinstance(state, (tuple, list)):
        state = state[0]
    return state.device


def _summarise(log_z0: float, log_w: torch.Tensor) -> tuple[float, float, torch.Tensor]:
    m = log_w.numel()
    log_mean_w = float(torch.logsumexp(log_w, 0) - math.log(m))
    w = torch.exp(log_w - log_w.max())              # rescaled weights, max 1
    se = float(w.std(unbiased=True) / (math.sqrt(m) * w.mean())) if m > 1 else float("inf")
    return float(log_z0) + log_mean_w, se, log_w


# ---------------------------------------------------------------------- RBM paths
def base_rate_bias(X: Any, *, smoothing: float = 1.0, binary: bool = True) -> torch.Tensor:
    """Visible biases of the base-rate model: logit of each pixel's smoothed mean (Salakhutdinov & Murray, 2008).

    p_j = (sum_n x_nj + smoothing) / (N + 2 smoothing), b_A,j = log p_j - log(1 - p_j). For real-valued
    data (``binary=False``) the column means are returned (the Gaussian base's means).
    """
    X = as_tensor(X, "X", binary=check_bool(binary, "binary"), dtype=torch.float64)
    if not binary:
        return X.mean(0)
    smoothing = check_float(smoothing, "smoothing", minimum=0.0, strict=True)
    p = (X.sum(0) + smoothing) / (X.shape[0] + 2 * smoothing)
    return torch.log(p) - torch.log1p(-p)


class BernoulliRBMPath:
    """The AIS path (rbm-ais-path) of a binary RBM from a base-rate model with visible biases ``base_bias``.

    Parameters are copied in float64. The base p_0 keeps the RBM's hidden units with zero
    weights and biases, so log Z_0 = sum_j softplus(b_A,j) + n_hidden log 2.
    """

    def __init__(self, W: torch.Tensor, b: torch.Tensor, c: torch.Tensor, base_bias: torch.Tensor | None = None,
                 dtype: torch.dtype = torch.float64):
        _check_rbm(W, b, c, base_bias=base_bias)
        self.W, self.b, self.c = (t.detach().to(dtype) for t in (W, b, c))
        self.bA = torch.zeros_like(self.b) if base_bias is None else base_bias.detach().to(self.b)
        self.device = self.W.device
        n_hidden = self.W.shape[0]
        self.log_z0 = float(torch.nn.functional.softplus(self.bA).sum() + n_hidden * math.log(2.0))

    def init(self, n_chains: int, generator: torch.Generator) -> torch.Tensor:
        p = torch.sigmoid(self.bA).expand(n_chains, -1)
        return (torch.rand(p.shape, generator=generator, device=p.device, dtype=p.dtype) < p).to(p.dtype)

    def log_f(self, v: torch.Tensor, beta: float) -> torch.Tensor:
        # eq. (rbm-ais-path): (1-beta) b_A'v + beta b'v + sum_j softplus(beta (c_j + W_j v))
        bias = (1.0 - beta) * self.bA + beta * self.b
        return v @ bias + torch.nn.functional.softplus(beta * (v @ self.W.T + self.c)).sum(1)

    def step(self, v: torch.Tensor, beta: float, generator: torch.Generator) -> torch.Tensor:
        # Block Gibbs in p_beta(v, h): h ~ sigmoid(beta (c + W v)), v ~ sigmoid((1-beta) b_A + beta (b + W'h))
        ph = torch.sigmoid(beta * (v @ self.W.T + self.c))
        h = (torch.rand(ph.shape, generator=generator, device=ph.device, dtype=ph.dtype) < ph).to(ph.dtype)
        pv = torch.sigmoid((1.0 - beta) * self.bA + beta * (self.b + h @ self.W))
        return (torch.rand(pv.shape, generator=generator, device=pv.device, dtype=pv.dtype) < pv).to(pv.dtype)


class GaussianRBMPath:
    """The AIS path of a Gaussian-Bernoulli RBM (fixed visible standard deviations ``sigma``).

    log f_beta(v) = -sum_i (v_i^2 - 2 m_i v_i + beta b_i^2) / (2 sigma_i^2) + sum_j softplus(beta (c_j + W_j (v / sigma)))
    with m = (1 - beta) b_A + beta b: at beta = 1 this is -F(v); at beta = 0 it is a Gaussian
    N(b_A, sigma^2) (times 2**n_hidden), whose normaliser is known.
    """

    def __init__(self, W, b, c, sigma, base_bias=None, dtype=torch.float64):
        _check_rbm(W, b, c, gaussian=True, sigma=sigma, base_bias=base_bias)
        self.W, self.b, self.c, self.sigma = (t.detach().to(dtype) for t in (W, b, c, sigma))
        self.bA = torch.zeros_like(self.b) if base_bias is None else base_bias.detach().to(self.b)
        self.device = self.W.device
        # log of the Gaussian normaliser with log sigma, not log sigma^2 (sigma^2 under- or overflows first)
        self.log_z0 = float((0.5 * math.log(2 * math.pi) + torch.log(self.sigma)).sum()
                            + (0.5 * (self.bA / self.sigma) ** 2).sum() + self.W.shape[0] * math.log(2.0))
        _check_log_z(self.log_z0, "log Z_0 of the base model", "sigma and base_bias")

    def init(self, n_chains, generator):
        z = torch.randn(n_chains, self.b.numel(), generator=generator, device=self.b.device, dtype=self.b.dtype)
        return self.bA + self.sigma * z

    def log_f(self, v, beta):
        m = (1.0 - beta) * self.bA + beta * self.b
        quad = ((v**2 - 2 * m * v + beta * self.b**2) / (2 * self.sigma**2)).sum(1)
        return -quad + torch.nn.functional.softplus(beta * ((v / self.sigma) @ self.W.T + self.c)).sum(1)

    def step(self, v, beta, generator):
        ph = torch.sigmoid(beta * ((v / self.sigma) @ self.W.T + self.c))
        h = (torch.rand(ph.shape, generator=generator, device=ph.device, dtype=ph.dtype) < ph).to(ph.dtype)
        mean = (1.0 - beta) * self.bA + beta * (self.b + self.sigma * (h @ self.W))
        return mean + self.sigma * torch.randn(mean.shape, generator=generator, device=mean.device, dtype=mean.dtype)


def _check_rbm(W, b, c, *, gaussian=False, sigma=None, base_bias=None) -> None:
    """The entry check of the RBM paths and exact partition functions: W (H, D), b (D,), c (H,), sigma (D,) > 0."""
    check_tensor(W, "W", shape=(None, None), hint="(n_hidden, n_features)")
    H, D = W.shape
    check_tensor(b, "b", shape=(D,), hint="one visible bias per column of W")
    check_tensor(c, "c", shape=(H,), hint="one hidden bias per row of W")
    if gaussian:
        check_tensor(sigma, "sigma", shape=(D,), hint="one standard deviation per visible unit")
        if not bool((sigma > 0).all()):
            raise ValueError(f"sigma must be positive (standard deviations), got minimum {float(sigma.min()):.3g}.")
    if base_bias is not None:
        check_tensor(base_bias, "base_bias", shape=(D,), hint="one value per visible unit")


def _check_log_z(value: float, what: str, cause: str) -> float:
    """Refuse a log partition function beyond the float64 range (inf): the parameters are too large."""
    if not math.isfinite(value):
        raise ValueError(f"{what} is {value}: beyond the float64 range, so {cause} are too large (or too small) "
                         f"for this computation; rescale them.")
    return value


# ---------------------------------------------------------------------- exact values
@torch.no_grad()
def bernoulli_rbm_log_partition(W: torch.Tensor, b: torch.Tensor, c: torch.Tensor, *, max_units: int = 20,
                                chunk: int = 2**14) -> float:
    """Exact log Z of a binary RBM by summing over the smaller layer (``2**min(n_features, n_hidden)`` terms).

    Over hidden states: log Z = logsumexp_h [c'h + sum_j softplus(b_j + (W'h)_j)]; over visible
    states symmetrically with -F(v).
    """
    _check_rbm(W, b, c)
    max_units = check_int(max_units, "max_units", minimum=1, maximum=30)
    chunk = check_int(chunk, "chunk", minimum=1)
    W, b, c = (t.detach().to(torch.float64) for t in (W, b, c))
    n_hidden, n_features = W.shape
    if min(n_hidden, n_features) > max_units:
        raise ValueError(f"exact log Z sums 2**{min(n_hidden, n_features)} terms (the smaller layer), more than "
                         f"max_units={max_units}; estimate it with log_partition() (AIS) instead.")
    if n_hidden <= n_features:
        layer, other_bias, own_bias, M = n_hidden, b, c, W          # enumerate h
    else:
        layer, other_bias, own_bias, M = n_features, c, b, W.T       # enumerate v
    parts = []
    S_all = all_binary_states(layer, device=W.device, max_units=max_units)
    for start in range(0, S_all.shape[0], chunk):
        S = S_all[start:start + chunk]
        parts.append(torch.logsumexp(S @ own_bias + torch.nn.functional.softplus(S @ M + other_bias).sum(1), 0))
    return _check_log_z(float(torch.logsumexp(torch.stack(parts), 0)), "log Z", "W, b and c")


@torch.no_grad()
def gaussian_rbm_log_partition(W, b, c, sigma, *, max_units: int = 20, chunk: int = 2**14) -> float:
    """Exact log Z of a Gaussian-Bernoulli RBM by summing over its hidden states and integrating v.

    For each h the Gaussian integral gives sum_i [b_i a_i / sigma_i + a_i^2 / 2] + c'h with
    a = W'h, plus (1/2) sum_i log(2 pi sigma_i^2) once.
    """
    _check_rbm(W, b, c, gaussian=True, sigma=sigma)
    max_units = check_int(max_units, "max_units", minimum=1, maximum=30)
    chunk = check_int(chunk, "chunk", minimum=1)
    W, b, c, sigma = (t.detach().to(torch.float64) for t in (W, b, c, sigma))
    if W.shape[0] > max_units:
        raise ValueError(f"exact log Z of a Gaussian-Bernoulli RBM sums 2**{W.shape[0]} hidden states, more than "
                         f"max_units={max_units}; estimate it with log_partition() (AIS) instead.")
    H_all = all_binary_states(W.shape[0], device=W.device, max_units=max_units)
    parts = []
    for start in range(0, H_all.shape[0], chunk):
        H = H_all[start:start + chunk]
        a = H @ W                                                  # (S, D)
        parts.append(torch.logsumexp(H @ c + (b * a / sigma + 0.5 * a**2).sum(1), 0))
    log_z = float(torch.logsumexp(torch.stack(parts), 0) + (0.5 * math.log(2 * math.pi) + torch.log(sigma)).sum())
    return _check_log_z(log_z, "log Z", "W, b, c or sigma")


# ---------------------------------------------------------------------- user-facing
def log_partition(model: Any, *, n_temperatures: int = 1000, n_chains: int = 100, data: Any = None,
                  base_bias: Any = None, schedule: str = "sm2008", random_state: Any = None,
                  return_weights: bool = False):
    """Estimate log Z of ``model`` by annealed importance sampling (the weight w above, Neal 2001).

    Parameters
    ----------
    model : object with ``annealing_path(data=..., base_bias=...)``
        E.g. a :class:`~genlib.energy.BernoulliRBM` or :class:`~genlib.energy.GaussianBernoulliRBM`.
    n_temperatures : int, default 1000
        Number K of intermediate distributions; Salakhutdinov and Murray (2008) used 14,500 for MNIST.
    n_chains : int, default 100
        Independent AIS runs M; the error bar shrinks like 1 / sqrt(M).
    data : array-like, optional
        Training data; the base model's visible biases are its base rates (recommended: a
        base close to the data makes AIS far more accurate). Without ``data`` and
        ``base_bias``, the base is the uniform distribution (biases zero).
    base_bias : array-like (n_features,), optional
        Explicit visible biases of the base model.
    schedule : {"sm2008", "linear"}
        Spacing of the inverse temperatures (:func:`temperature_schedule`).
    random_state : None, int or Generator
    return_weights : bool
        Also return the log importance weights.

    Returns
    -------
    log_z : float
    std_err : float
        Standard error of ``log_z``; ``log_z ± 3 std_err`` is the usual error bar.
    log_w : tensor (n_chains,), only with ``return_weights``.

    Examples
    --------
    >>> from genlib.energy import BernoulliRBM
    >>> rbm = BernoulliRBM(6, 4, init_std=1.0, random_state=0, device="cpu")
    >>> log_z, se = log_partition(rbm, n_temperatures=500, n_chains=200, random_state=0)
    >>> abs(log_z - exact_log_partition(rbm)) < 0.1
    True
    """
    if not hasattr(model, "annealing_path"):
        raise TypeError(f"model must provide annealing_path(data=..., base_bias=...) (an RBM, for example), got "
                        f"{type(model).__name__}; for a small BoltzmannMachine use exact_log_partition(model).")
    n_chains = check_int(n_chains, "n_chains", minimum=1)
    betas = temperature_schedule(n_temperatures, schedule)
    path = model.annealing_path(data=data, base_bias=base_bias)
    device = getattr(path, "device", None)
    if device is None:
        device = next(model.parameters()).device if isinstance(model, torch.nn.Module) else torch.device("cpu")
    gen = make_generator(random_state, device)
    log_z, se, log_w = annealed_importance_sampling(path, betas, n_chains, gen)
    return (log_z, se, log_w) if return_weights else (log_z, se)


def exact_log_partition(model: Any, *, max_units: int = 20) -> float:
    """Exact log Z of a small model by enumeration (RBMs: over the smaller layer; Boltzmann machines: all units).

    Raises ``ValueError`` naming ``max_units`` when the sum is too large.
    """
    max_units = check_int(max_units, "max_units", minimum=1, maximum=30)
    if hasattr(model, "exact_log_partition"):
        return model.exact_log_partition(max_units=max_units)
    if hasattr(model, "log_partition") and callable(model.log_partition):
        return model.log_partition()
    raise TypeError(f"model must be an RBM or a BoltzmannMachine (something with exact_log_partition), got "
                    f"{type(model).__name__}.")


def estimate_log_likelihood(model: Any, X: Any, *, log_z: float | None = None, std_err: float = 0.0,
                            **ais_kwargs) -> tuple[float, float]:
    """Mean log p(x) = mean(-F(x)) - log Z over the rows of ``X``, with log Z from AIS unless given.

    Returns ``(mean_log_likelihood, std_err)``; the error comes from log Z alone (the free
    energies are exact). ``ais_kwargs`` go to :func:`log_partition` (``data`` should be the
    training set, not ``X``).
    """
    if not hasattr(model, "free_energy"):
        raise TypeError(f"model must be an energy model with free_energy (an RBM), got {type(model).__name__}.")
    if log_z is None:
        log_z, std_err = log_partition(model, **ais_kwargs)
    log_z = check_float(log_z, "log_z")
    std_err = check_float(std_err, "std_err", minimum=0.0)
    try:
        X = model._visible(X, "X")  # the model's own check, under this function's name for the data
    except AttributeError:
        pass
    with torch.no_grad():
        F = model.free_energy(X)
    return float(-F.double().mean()) - float(log_z), float(std_err)


class BoundLikelihood:
    """Mixin of the deep energy models (DBN, DBM): the held-out likelihood they report is the
    variational lower bound with log Z by AIS (their ``ais_bound``), kind ``"bound"``."""

    def held_out_likelihood(self, X, *, X_train=None, ais_temperatures=1000, ais_chains=100, random_state=0,
                            **options):
        """The variational lower bound with log Z by AIS (``ais_bound``): kind ``"bound"``."""
        from ..base import likelihood_summary

        ll, se = self.ais_bound(X, data=X_train, n_temperatures=ais_temperatures, n_chains=ais_chains,
                                random_state=random_state)
        return likelihood_summary("bound", ll, std_err=se)
