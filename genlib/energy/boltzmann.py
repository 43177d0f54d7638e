"""The (general) Boltzmann machine: binary units on a complete graph, learned by the Boltzmann rule.

Units ``s = (v, h)`` (visible first, then hidden) take values in {0, 1}. Every pair of units is
connected by a symmetric weight ``W_ij = W_ji`` (no self-connections) and every unit has a bias
``b_i``. The chapter (book/03_dl/01_boltzmann) writes

    E(s) = - sum_i b_i s_i - sum_{i<j} W_ij s_i s_j = - b's - 1/2 s'Ws          (bm-energy)
    P(v, h) = exp(-E(v, h)) / Z,   Z = sum_{v', h'} exp(-E(v', h'))               (bm-joint)
    p(s_i = 1 | s_-i) = sigmoid(b_i + sum_j W_ij s_j)                              (bm-conditional)
    d log P(v) / d W_ij = <s_i s_j>_data - <s_i s_j>_model                         (bm-rule)

where ``<.>_data`` averages over the data with the hidden units drawn from P(h | v) ("clamped"
phase) and ``<.>_model`` over the model's own distribution ("free" phase) (Ackley, Hinton and
Sejnowski, 1985). With at most ``max_exact_units`` units (default 20) everything is computed
exactly by enumerating the ``2**n`` states: Z, log P(v), and the two expectations of the rule.
Larger models learn with Gibbs-sampled expectations and have no exact likelihood.
"""

from __future__ import annotations

import warnings
from typing import Any

import torch
from torch import nn

from ..base import likelihood_summary
from ..base import LikelihoodUnavailable
from .._validation import check_bool, check_float, check_int, check_option, renamed_arguments
from .gibbs import (
    SeededModel,
    all_binary_states,
    as_tensor,
    make_generator,
    resolve_device,
    _sequential_gibbs_sweep,
)
from .._torch import check_tensor

__all__ = ["BoltzmannMachine", "bm_energy"]


def bm_energy(S: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Energy of each row of ``S``, eq. (bm-energy): E(s) = -b's - 1/2 s'Ws (W symmetric, zero diagonal).

    Examples
    --------
    >>> W = torch.tensor([[0., 2.], [2., 0.]]); b = torch.tensor([1., -1.])
    >>> bm_energy(torch.tensor([[1., 1.], [1., 0.]]), W, b)
    tensor([-2., -1.])

    ``S`` holds states (0/1) or, for an expected energy, probabilities in [0, 1].
    """
    n = S.shape[1] if isinstance(S, torch.Tensor) and S.ndim == 2 else None
    check_tensor(W, "W", shape=(n, n), hint="one row and column per unit of S")
    n = W.shape[0]
    check_tensor(S, "S", shape=(None, n), value_range=(0.0, 1.0), hint="one column per unit of W; states are 0/1")
    check_tensor(b, "b", shape=(n,), hint="one bias per unit")
    return _bm_energy(S, W, b)


def _bm_energy(S: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """:func:`bm_energy`, unchecked: the model's own tensors."""
    return -(S @ b) - 0.5 * ((S @ W) * S).sum(dim=1)


class BoltzmannMachine(SeededModel, nn.Module):
    """A fully connected Boltzmann machine with visible and hidden binary units.

    Parameters
    ----------
    n_features : int
        Number of visible units (features of the data).
    n_hidden : int, default 0
        Number of hidden units; 0 gives a fully visible Boltzmann machine (an Ising model).
    learning_rate : float, default 0.1
        Step size of the Boltzmann rule, eq. (bm-rule).
    n_epochs : int, default 100
        Passes over the data in :meth:`fit`.
    batch_size : int or None, default None
        Rows per update; None uses the whole data set (full-batch gradient).
    method : {"exact", "gibbs"}, default "exact"
        How the two expectations of the rule are computed: by enumerating every state
        (needs at most ``max_exact_units`` units) or by Gibbs sampling (clamped chains for
        the data phase, persistent free chains for the model phase).
    n_gibbs_steps : int, default 20
        Gibbs sweeps per phase and update when ``method="gibbs"``.
    n_chains : int, default 100
        Persistent free-running chains when ``method="gibbs"``.
    weight_decay : float, default 0.0
        L2 penalty on the weights.
    init_std : float, default 0.1
        Standard deviation of the initial weights.
    max_exact_units : int, default 20
        Largest number of units for which exact quantities (Z, log P) are enumerated.
    n_sample_steps : int, default 100
        Gibbs sweeps per chain in :meth:`sample` when ``n_steps`` is not given.
    random_state : None, int, numpy or torch Generator
        Seeds the one ``torch.Generator`` that initialises the weights and drives every
        sampler of the model.
    device : "auto", str or torch.device
        "auto" resolves once to CUDA when available, else the CPU.
    dtype : torch.dtype, default torch.float64
    verbose : bool
        Progress bar during :meth:`fit`.

    Attributes
    ----------
    weight : nn.Parameter (n_units, n_units)
        Symmetric couplings with zero diagonal; visible units come first.
    bias : nn.Parameter (n_units,)
    history_ : dict
        Per epoch: ``"log_likelihood"`` (mean exact log P(v) of the training data, when
        the model is small enough).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1, 1, 0], [0, 0, 1], [1, 1, 0], [0, 0, 1]], dtype=float)
    >>> bm = BoltzmannMachine(3, 2, n_epochs=200, learning_rate=0.5, random_state=0, device="cpu").fit(X)
    >>> bool(bm.score(X) > -1.0)  # the two patterns share almost all the mass (log 0.5 = -0.69)
    True
    >>> bm.sample(4, random_state=0).shape
    torch.Size([4, 3])
    """

    # the training state fit continues from, saved with the weights (genlib._torch.Resumable)
    _resume_attributes = ("history_", "_chains")

    @renamed_arguments(n_visible="n_features")
    def __init__(self, n_features: int, n_hidden: int = 0, *, learning_rate: float = 0.1, n_epochs: int = 100,
                 batch_size: int | None = None, method: str = "exact", n_gibbs_steps: int = 20,
                 n_chains: int = 100, weight_decay: float = 0.0, init_std: float = 0.1,
                 max_exact_units: int = 20, n_sample_steps: int = 100, random_state: Any = None,
                 device: Any = "auto",
                 dtype: torch.dtype = torch.float64, verbose: bool = False):
        super().__init__()
        self.n_features = check_int(n_features, "n_features", minimum=1)
        self.n_hidden = check_int(n_hidden, "n_hidden", minimum=0)
        self.learning_rate = check_float(learning_rate, "learning_rate", minimum=0.0, strict=True)
        self.n_epochs = check_int(n_epochs, "n_epochs", minimum=1)
        self.batch_size = None if batch_size is None else check_int(batch_size, "batch_size", minimum=1)
        self.method = check_option(method, "method", ("exact", "gibbs"))
        self.n_gibbs_steps = check_int(n_gibbs_steps, "n_gibbs_steps", minimum=1)
        self.n_chains = check_int(n_chains, "n_chains", minimum=1)
        self.weight_decay = check_float(weight_decay, "weight_decay", minimum=0.0)
        self.init_std = check_float(init_std, "init_std", minimum=0.0)
        self.max_exact_units = check_int(max_exact_units, "max_exact_units", minimum=1, maximum=30)
        self.n_sample_steps = check_int(n_sample_steps, "n_sample_steps", minimum=1)
        self.verbose = check_bool(verbose, "verbose")
        if method == "exact" and self.n_units > self.max_exact_units:
            raise ValueError(
                f"method='exact' enumerates 2**n_units states, but n_features + n_hidden = {self.n_units} exceeds "
                f"max_exact_units={self.max_exact_units}; use method='gibbs' or fewer units.")
        device = resolve_device(device)
        self._generator = make_generator(random_state, device)
        n = self.n_units
        # Random symmetric couplings, zero diagonal (no self-connections).
        A = torch.randn(n, n, generator=self._generator, device=device, dtype=dtype) * self.init_std
        W = torch.triu(A, diagonal=1)
        self.weight = nn.Parameter(W + W.T)
        self.bias = nn.Parameter(torch.zeros(n, device=device, dtype=dtype))
        self.history_: dict = {"log_likelihood": []}
        self._chains: torch.Tensor | None = None  # persistent free chains (method="gibbs")

    # ------------------------------------------------------------------ basics
    @property
    def n_visible(self) -> int:
        """Deprecated name of ``n_features`` (one name across genlib); goes in the next release."""
        warnings.warn("n_visible is renamed n_features; the old name goes in the next release.", DeprecationWarning,
                      stacklevel=2)
        return self.n_features

    @property
    def n_units(self) -> int:
        return self.n_features + self.n_hidden

    @property
    def device(self) -> torch.device:
        return self.weight.device

    def _visible(self, X: Any, name: str = "X") -> torch.Tensor:
        return as_tensor(X, name, n_features=self.n_features, binary=True, device=self.device, dtype=self.weight.dtype)

    def _check_exact(self, what: str) -> None:
        if self.n_units > self.max_exact_units:
            raise LikelihoodUnavailable(  # a ValueError: the model is too large to enumerate, not bad input
                f"{what} enumerates all 2**{self.n_units} states of this model's {self.n_units} units, more than "
                f"max_exact_units={self.max_exact_units} allows; it is exact only for small models. Estimate "
                f"expectations with sample() (Gibbs) instead, or build a model with at most {self.max_exact_units} units.")

    def energy(self, v: Any, h: Any = None) -> torch.Tensor:
        """Energy E(v, h) of each row, eq. (bm-energy); ``h`` is required when there are hidden units.

        Differentiable with respect to the parameters (``.detach()`` before ``.numpy()``).
        """
        V = self._visible(v, "v")
        if self.n_hidden:
            if h is None:
                raise ValueError(f"h is required: this model has {self.n_hidden} hidden unit(s); pass h of shape "
                                 f"(n_samples, {self.n_hidden}), or use free_energy(v) to sum them out.")
            H = as_tensor(h, "h", n_features=self.n_hidden, binary=True, device=self.device, dtype=V.dtype)
            if H.shape[0] != V.shape[0]:
                raise ValueError(f"v and h must have the same number of rows, got {V.shape[0]} and {H.shape[0]}.")
            V = torch.cat([V, H], dim=1)
        return _bm_energy(V, self.weight, self.bias)

    def _free_energy(self, V: torch.Tensor) -> torch.Tensor:
        if self.n_hidden == 0:
            return _bm_energy(V, self.weight, self.bias)
        Hs = all_binary_states(self.n_hidden, device=self.device, dtype=V.dtype, max_units=self.max_exact_units)
        W, b = self.weight, self.bias
        nv = self.n_features
        # -E(v, h) = b_v'v + 1/2 v'W_vv v + b_h'h + 1/2 h'W_hh h + v'W_vh h, summed over h by logsumexp.
        ev = V @ b[:nv] + 0.5 * ((V @ W[:nv, :nv]) * V).sum(1)                      # (N,)
        eh = Hs @ b[nv:] + 0.5 * ((Hs @ W[nv:, nv:]) * Hs).sum(1)                     # (2**H,)
        cross = V @ W[:nv, nv:] @ Hs.T                                                 # (N, 2**H)
        return -(ev + torch.logsumexp(cross + eh[None, :], dim=1))

    def free_energy(self, v: Any) -> torch.Tensor:
        """Free energy F(v) = -log sum_h exp(-E(v, h)) of each row (hidden units summed exactly).

        P(v) = exp(-F(v)) / Z. Needs ``n_hidden <= max_exact_units``. Differentiable.
        """
        V = self._visible(v, "v")
        if self.n_hidden > self.max_exact_units:
            self._check_exact("free_energy")
        return self._free_energy(V)

    # ------------------------------------------------------------------ exact quantities
    @torch.no_grad()
    def log_partition(self) -> float:
        """Exact log Z by enumerating all ``2**n_units`` states, eq. (bm-joint).

        Raises ``ValueError`` when the model has more than ``max_exact_units`` units.
        """
        self._check_exact("log_partition")
        S = all_binary_states(self.n_units, device=self.device, dtype=self.weight.dtype)
        return float(torch.logsumexp(-_bm_energy(S, self.weight, self.bias), dim=0))

    @torch.no_grad()
    def joint_distribution(self) -> tuple[torch.Tensor, torch.Tensor]:
        """All states ``(2**n_units, n_units)`` and their exact probabilities P(v, h)."""
        self._check_exact("joint_distribution")
        S = all_binary_states(self.n_units, device=self.device, dtype=self.weight.dtype)
        return S, torch.softmax(-_bm_energy(S, self.weight, self.bias), dim=0)

    @torch.no_grad()
    def visible_distribution(self) -> tuple[torch.Tensor, torch.Tensor]:
        """All visible vectors ``(2**n_features, n_features)`` and their exact marginal probabilities P(v)."""
        self._check_exact("visible_distribution")
        V = all_binary_states(self.n_features, device=self.device, dtype=self.weight.dtype)
        with torch.no_grad():
            return V, torch.softmax(-self._free_energy(V), dim=0)

    def log_prob(self, X: Any) -> torch.Tensor:
        """Exact log P(v) = -F(v) - log Z of each row (small models only), a detached tensor."""
        V = self._visible(X)
        self._check_exact("log_prob")
        with torch.no_grad():
            return -self._free_energy(V) - self.log_partition()

    def held_out_likelihood(self, X, *, lengths=None, **options):
        """Mean exact log-likelihood of held-out ``X``, with its standard error (kind ``"exact"``)."""
        return likelihood_summary("exact", self.log_prob(X))

    def score(self, X: Any) -> float:
        """Mean exact log-likelihood of the rows of ``X`` (nats per vector)."""
        return float(self.log_prob(X).mean())

    # ------------------------------------------------------------------ statistics of the rule
    @torch.no_grad()
    def _exact_data_statistics(self, V: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """<s s'>_data and <s>_data with h ~ P(h | v) enumerated exactly (clamped phase)."""
        if self.n_hidden == 0:
            return V.T @ V / V.shape[0], V.mean(0)
        Hs = all_binary_states(self.n_hidden, device=self.device, dtype=V.dtype)
        nv, W, b = self.n_features, self.weight, self.bias
        logits = V @ W[:nv, nv:] @ Hs.T + (Hs @ b[nv:] + 0.5 * ((Hs @ W[nv:, nv:]) * Hs).sum(1))[None, :]
        post = torch.softmax(logits, dim=1)                   # (N, 2**H): P(h | v)
        Eh = post @ Hs                                        # (N, H): E[h | v]
        Ehh = torch.einsum("nk,ki,kj->ij", post, Hs, Hs)      # sum_n E[h h' | v_n]
        n = V.shape[0]
        C = torch.empty(self.n_units, self.n_units, device=V.device, dtype=V.dtype)
        C[:nv, :nv] = V.T @ V
        C[:nv, nv:] = V.T @ Eh
        C[nv:, :nv] = C[:nv, nv:].T
        C[nv:, nv:] = Ehh
        return C / n, torch.cat([V, Eh], dim=1).mean(0)

    @torch.no_grad()
    def _exact_model_statistics(self) -> tuple[torch.Tensor, torch.Tensor]:
        """<s s'>_model and <s>_model by enumerating every state (free phase)."""
        S, p = self.joint_distribution()
        return (S * p[:, None]).T @ S, p @ S

    @torch.no_grad()
    def _gibbs_data_statistics(self, V: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Clamped phase by Gibbs: hidden units resampled with the visible ones held at the data."""
        if self.n_hidden == 0:
            return V.T @ V / V.shape[0], V.mean(0)
        gen = self._gen()
        H = (torch.rand(V.shape[0], self.n_hidden, generator=gen, device=V.device, dtype=V.dtype) < 0.5).to(V.dtype)
        S = torch.cat([V, H], dim=1)
        hidden = torch.arange(self.n_features, self.n_units)
        for _ in range(self.n_gibbs_steps):
            _sequential_gibbs_sweep(S, self.weight, self.bias, gen, units=hidden)
        return S.T @ S / S.shape[0], S.mean(0)

    @torch.no_grad()
    def _gibbs_model_statistics(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Free phase by Gibbs: persistent chains advanced ``n_gibbs_steps`` sweeps."""
        gen = self._gen()
        if self._chains is None or self._chains.shape != (self.n_chains, self.n_units):
            self._chains = (torch.rand(self.n_chains, self.n_units, generator=gen, device=self.device,
                                       dtype=self.weight.dtype) < 0.5).to(self.weight.dtype)
        S = self._chains
        for _ in range(self.n_gibbs_steps):
            _sequential_gibbs_sweep(S, self.weight, self.bias, gen)
        return S.T @ S / S.shape[0], S.mean(0)

    def exact_gradient(self, X: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """Exact gradient of the mean log-likelihood, eq. (bm-rule), by enumeration.

        Returns
        -------
        dW : tensor (n_units, n_units)
            ``<s_i s_j>_data - <s_i s_j>_model`` off the diagonal (the derivative with respect to the
            shared weight of the pair i, j), zero on the diagonal.
        db : tensor (n_units,)
            ``<s_i>_data - <s_i>_model``.
        """
        V = self._visible(X)
        self._check_exact("exact_gradient")
        Cd, md = self._exact_data_statistics(V)
        Cm, mm = self._exact_model_statistics()
        dW = Cd - Cm
        dW.fill_diagonal_(0.0)
        return dW, md - mm

    # ------------------------------------------------------------------ learning
    @torch.no_grad()
    def learning_step(self, X: Any, *, learning_rate: float | None = None) -> dict:
        """One update of the Boltzmann learning rule, eq. (bm-rule), on the batch ``X``.

        Positive (clamped) phase: statistics with the visible units fixed to the data.
        Negative (free) phase: statistics of the model's own distribution.
        Update: W += lr * (<ss'>_data - <ss'>_model - weight_decay * W), b += lr * (<s>_data - <s>_model).

        Returns a dict with the size of the weight update (``"delta_norm"``).
        """
        V = self._visible(X)
        lr = self.learning_rate if learning_rate is None else check_float(learning_rate, "learning_rate",
                                                                            minimum=0.0, strict=True)
        if self.method == "exact":
            Cd, md = self._exact_data_statistics(V)      # positive phase
            Cm, mm = self._exact_model_statistics()      # negative phase
        else:
            Cd, md = self._gibbs_data_statistics(V)
            Cm, mm = self._gibbs_model_statistics()
        dW = Cd - Cm - self.weight_decay * self.weight
        dW.fill_diagonal_(0.0)
        dW = 0.5 * (dW + dW.T)                           # keep W exactly symmetric
        self.weight += lr * dW
        self.bias += lr * (md - mm)
        return {"delta_norm": float(lr * dW.norm())}

    def fit(self, X: Any, y: Any = None) -> "BoltzmannMachine":
        """Learn the weights by the Boltzmann rule for ``n_epochs`` passes over ``X`` (binary rows).

        Training continues from the current parameters. ``history_["log_likelihood"]`` gets the
        exact mean log-likelihood after every epoch when the model has at most
        ``max_exact_units`` units.
        """
        V = self._visible(X)
        n = V.shape[0]
        bs = n if self.batch_size is None else min(self.batch_size, n)
        gen = self._gen()
        epochs = range(self.n_epochs)
        if self.verbose:
            from tqdm import tqdm

            epochs = tqdm(epochs, desc="BoltzmannMachine")
        exact = self.n_units <= self.max_exact_units
        for _ in epochs:
            order = torch.randperm(n, generator=gen, device=self.device) if bs < n else torch.arange(n, device=self.device)
            for start in range(0, n, bs):
                self.learning_step(V[order[start:start + bs]])
            if exact:
                self.history_["log_likelihood"].append(self.score(V))
        return self

    # ------------------------------------------------------------------ sampling
    @torch.no_grad()
    def gibbs(self, S: Any, n_steps: int = 1, *, clamp_visible: bool = False, random_state: Any = None) -> torch.Tensor:
        """Run ``n_steps`` sequential Gibbs sweeps, eq. (bm-conditional), from full states ``S`` (rows (v, h)).

        With ``clamp_visible`` only the hidden units are resampled (the clamped phase).
        Returns the new states (a copy).
        """
        S = as_tensor(S, "S", n_features=self.n_units, binary=True, device=self.device, dtype=self.weight.dtype).clone()
        n_steps = check_int(n_steps, "n_steps", minimum=0)
        gen = self._gen() if random_state is None else make_generator(random_state, self.device)
        units = torch.arange(self.n_features, self.n_units) if clamp_visible else None
        for _ in range(n_steps):
            _sequential_gibbs_sweep(S, self.weight, self.bias, gen, units=units)
        return S

    @torch.no_grad()
    def sample(self, n: int, *, n_steps: int | None = None, method: str = "gibbs", random_state: Any = None,
               return_latent: bool = False):
        """Draw ``n`` visible vectors.

        Parameters
        ----------
        n : int
            Number of draws (independent chains).
        n_steps : int, optional
            Gibbs sweeps per chain from a uniformly random start (``method="gibbs"``); default
            the model's ``n_sample_steps`` (100).
        method : {"gibbs", "exact"}
            Gibbs chains (any size) or exact draws from the enumerated joint distribution
            (small models).
        random_state : None, int or Generator
            None draws from the model's generator (new draws every call).
        return_latent : bool
            Also return the hidden states.

        Returns
        -------
        v : tensor (n, n_features), or ``(v, h)`` with ``return_latent``.
        """
        n = check_int(n, "n", minimum=1)
        n_steps = self.n_sample_steps if n_steps is None else check_int(n_steps, "n_steps", minimum=1)
        check_option(method, "method", ("gibbs", "exact"))
        gen = self._gen() if random_state is None else make_generator(random_state, self.device)
        if method == "exact":
            S_all, p = self.joint_distribution()
            S = S_all[torch.multinomial(p, n, replacement=True, generator=gen)]
        else:
            S = (torch.rand(n, self.n_units, generator=gen, device=self.device, dtype=self.weight.dtype) < 0.5)
            S = S.to(self.weight.dtype)
            for _ in range(n_steps):
                _sequential_gibbs_sweep(S, self.weight, self.bias, gen)
        v, h = S[:, :self.n_features], S[:, self.n_features:]
        return (v, h) if return_latent else v

    def extra_repr(self) -> str:
        return f"n_features={self.n_features}, n_hidden={self.n_hidden}, method={self.method!r}"

