"""Restricted Boltzmann machines: binary (BernoulliRBM) and real-valued (GaussianBernoulliRBM) visible units.

An RBM is a Boltzmann machine with no visible-visible and no hidden-hidden connections
(Smolensky, 1986). The chapter (book/03_dl/02_rbm) writes, for binary units,

    E(v, h) = -b'v - c'h - h'Wv                                              (rbm-energy)
    p(h_i = 1 | v) = sigmoid(c_i + W_i v)                                    (rbm-hidden)
    p(v_j = 1 | h) = sigmoid(b_j + W'_j h)                                   (rbm-visible)
    F(v) = -b'v - sum_i softplus(c_i + W_i v),   p(v) = exp(-F(v)) / Z      (rbm-free-energy)
    d log p(v) / d W = <h v'>_data - <h v'>_model                           (rbm-gradient)

with ``W`` of shape (n_hidden, n_features), so ``W_i`` (row i) holds the weights of hidden
unit i: the filters the chapter plots. Because the units of a layer are conditionally
independent, Gibbs sampling updates a whole layer at once ("block Gibbs"). Training
replaces the model expectation by k steps of block Gibbs started at the data (contrastive
divergence CD-k, Hinton 2002) or continued from persistent chains (PCD, Tieleman 2008):
:meth:`BernoulliRBM.cd_step` is that update (positive phase, negative phase, update).

The Gaussian-Bernoulli RBM replaces the visible term by (v - b)^2 / (2 sigma^2), so
p(v | h) = N(b + sigma W'h, sigma^2) and p(h_i = 1 | v) = sigmoid(c_i + W_i (v / sigma));
standardise the data (zero mean, unit variance) and keep sigma = 1 (Hinton, 2010).

Neither model has a tractable likelihood: Z is estimated by AIS (:mod:`genlib.energy.ais`),
so they define no ``log_prob``/``score``.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable

import torch
from torch import nn
from torch.nn import functional as Fn

from ..base import likelihood_summary
from .._validation import check_bool, check_float, check_int, check_option, renamed_arguments
from . import ais as _ais
from .._torch import CHUNK_FLOATS, _bernoulli as bernoulli, check_dtype  # unchecked: p is a sigmoid here
from .gibbs import SeededModel, as_tensor, cpu_threads_for, make_generator, resolve_device, train_epochs

__all__ = ["BernoulliRBM", "GaussianBernoulliRBM"]


class _RBM(SeededModel, nn.Module):
    """Everything the two RBMs share; subclasses define the visible layer."""

    # the training state fit continues from, saved with the weights (genlib._torch.Resumable)
    _resume_attributes = ("n_updates_", "history_", "_velocity", "_chains")

    _binary_visible = True
    up = down = 1.0  # input scales of the two layers; BernoulliRBM lets a DBM's pre-training double them

    @renamed_arguments(n_visible="n_features")
    def __init__(self, n_features: int, n_hidden: int, *, k: int = 1, persistent: bool = False,
                 learning_rate: float = 0.05, lr_schedule: str | Callable[[int, int], float] = "constant",
                 momentum: float = 0.5, weight_decay: float = 1e-4, batch_size: int = 100, n_epochs: int = 10,
                 n_chains: int | None = None, init_std: float = 0.01, n_sample_steps: int = 1000,
                 random_state: Any = None,
                 device: Any = "auto", dtype: torch.dtype = torch.float32, verbose: bool = False):
        super().__init__()
        self.n_features = check_int(n_features, "n_features", minimum=1)
        self.n_hidden = check_int(n_hidden, "n_hidden", minimum=1)
        self.k = check_int(k, "k", minimum=1)
        self.persistent = check_bool(persistent, "persistent")
        self.learning_rate = check_float(learning_rate, "learning_rate", minimum=0.0, strict=True)
        if not callable(lr_schedule):
            check_option(lr_schedule, "lr_schedule", ("constant", "linear"))
        self.lr_schedule = lr_schedule
        self.momentum = check_float(momentum, "momentum", minimum=0.0, maximum=0.999)
        self.weight_decay = check_float(weight_decay, "weight_decay", minimum=0.0)
        self.batch_size = check_int(batch_size, "batch_size", minimum=1)
        self.n_epochs = check_int(n_epochs, "n_epochs", minimum=1)
        self.n_chains = None if n_chains is None else check_int(n_chains, "n_chains", minimum=1)
        self.init_std = check_float(init_std, "init_std", minimum=0.0)
        self.n_sample_steps = check_int(n_sample_steps, "n_sample_steps", minimum=1)
        self.verbose = check_bool(verbose, "verbose")
        dtype = check_dtype(dtype)
        device = resolve_device(device)
        self._generator = make_generator(random_state, device)
        # Small random weights, zero biases (Hinton, 2010); W_i (row i) is hidden unit i's filter.
        self.W = nn.Parameter(torch.randn(self.n_hidden, self.n_features, generator=self._generator, device=device,
                                          dtype=dtype) * self.init_std)
        self.b = nn.Parameter(torch.zeros(self.n_features, device=device, dtype=dtype))   # visible biases
        self.c = nn.Parameter(torch.zeros(self.n_hidden, device=device, dtype=dtype))    # hidden biases
        self.history_: dict = {"reconstruction_error": [], "learning_rate": []}
        self.n_updates_ = 0
        self._velocity: list[torch.Tensor] | None = None   # momentum buffers (not saved: training state)
        self._chains: torch.Tensor | None = None            # persistent chains of PCD

    # ------------------------------------------------------------------ helpers
    @property
    def device(self) -> torch.device:
        return self.W.device

    @property
    def n_visible(self) -> int:
        """Deprecated name of ``n_features`` (one name across genlib); goes in the next release."""
        warnings.warn("n_visible is renamed n_features; the old name goes in the next release.", DeprecationWarning,
                      stacklevel=2)
        return self.n_features

    def _visible(self, X: Any, name: str = "X") -> torch.Tensor:
        return as_tensor(X, name, n_features=self.n_features, binary=self._binary_visible, device=self.device,
                         dtype=self.W.dtype)

    def _hidden(self, H: Any, name: str = "h") -> torch.Tensor:
        return as_tensor(H, name, n_features=self.n_hidden, binary=True, device=self.device, dtype=self.W.dtype)

    # Subclasses: the visible layer.
    def _vis_input(self, V: torch.Tensor) -> torch.Tensor:     # what W multiplies: v (or v / sigma)
        return V

    def _bias_stat(self, V: torch.Tensor) -> torch.Tensor:     # d(-E)/db up to terms that cancel
        return V

    def _visible_mean(self, H: torch.Tensor) -> torch.Tensor:  # E[v | h]
        raise NotImplementedError

    def _visible_draw(self, H: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        raise NotImplementedError

    def _visible_energy(self, V: torch.Tensor) -> torch.Tensor:  # the part of E(v, h) without h
        raise NotImplementedError

    def _init_visible_bias(self, V: torch.Tensor) -> None:
        raise NotImplementedError

    def _start(self, n: int, gen: torch.Generator) -> torch.Tensor:
        raise NotImplementedError

    # ------------------------------------------------------------------ the model's equations
    def _hidden_probs(self, V: torch.Tensor) -> torch.Tensor:
        # eq. (rbm-hidden): sigmoid(c + up v W'), (N, H); up = 1 but in a DBM's pre-training (BernoulliRBM)
        return torch.addmm(self.c, self._vis_input(V), self.W.T, alpha=self.up).sigmoid_()

    def _free_energy(self, V: torch.Tensor) -> torch.Tensor:
        # eq. (rbm-free-energy): F(v) = E_v(v) - sum_i softplus(c_i + W_i v)
        return self._visible_energy(V) - Fn.softplus(self._vis_input(V) @ self.W.T + self.c).sum(1)

    def energy(self, v: Any, h: Any) -> torch.Tensor:
        """Energy E(v, h) of each pair of rows, eq. (rbm-energy)."""
        V, H = self._visible(v, "v"), self._hidden(h, "h")
        if V.shape[0] != H.shape[0]:
            raise ValueError(f"v and h must have the same number of rows, got {V.shape[0]} and {H.shape[0]}.")
        return self._visible_energy(V) - H @ self.c - ((H @ self.W) * self._vis_input(V)).sum(1)

    def free_energy(self, v: Any) -> torch.Tensor:
        """Free energy F(v) = -log sum_h exp(-E(v, h)) of each row, eq. (rbm-free-energy); p(v) = exp(-F(v)) / Z."""
        return self._free_energy(self._visible(v, "v"))

    def hidden_probs(self, v: Any) -> torch.Tensor:
        """p(h_i = 1 | v) for every hidden unit, eq. (rbm-hidden); shape (n_samples, n_hidden)."""
        return self._hidden_probs(self._visible(v, "v"))

    def sample_hidden(self, v: Any, *, random_state: Any = None) -> torch.Tensor:
        """Draw h ~ p(h | v), one binary row per row of ``v``."""
        return bernoulli(self.hidden_probs(v), self._rng(random_state))

    def sample_visible(self, h: Any, *, random_state: Any = None) -> torch.Tensor:
        """Draw v ~ p(v | h), one row per row of ``h``."""
        return self._visible_draw(self._hidden(h), self._rng(random_state))

    @torch.no_grad()
    def transform(self, X: Any) -> torch.Tensor:
        """Features for downstream models: p(h = 1 | v) of each row, shape (n_samples, n_hidden)."""
        return self._hidden_probs(self._visible(X))

    @torch.no_grad()
    def reconstruct(self, X: Any) -> torch.Tensor:
        """One deterministic up-down pass: E[v | h = p(h | v)] (probabilities, or means for Gaussian units)."""
        return self._visible_mean(self._hidden_probs(self._visible(X)))

    @torch.no_grad()
    def reconstruction_error(self, X: Any) -> float:
        """Mean squared error between ``X`` and :meth:`reconstruct` (per entry)."""
        V = self._visible(X)
        return float(((V - self._visible_mean(self._hidden_probs(V))) ** 2).mean())

    # ------------------------------------------------------------------ block Gibbs
    @torch.no_grad()
    def _gibbs(self, V: torch.Tensor, n_steps: int, gen: torch.Generator) -> torch.Tensor:
        for _ in range(n_steps):
            H = bernoulli(self._hidden_probs(V), gen)      # h ~ p(h | v), all hidden units at once
            V = self._visible_draw(H, gen)                 # v ~ p(v | h), all visible units at once
        return V

    @torch.no_grad()
    def gibbs(self, v: Any, n_steps: int = 1, *, random_state: Any = None) -> torch.Tensor:
        """Run ``n_steps`` of block Gibbs sampling (v -> h -> v) from the rows of ``v``; returns the new v."""
        n_steps = check_int(n_steps, "n_steps", minimum=0)
        return self._gibbs(self._visible(v, "v"), n_steps, self._rng(random_state))

    @torch.no_grad()
    @renamed_arguments(return_mean="mean")
    def sample(self, n: int, *, n_steps: int | None = None, init: Any = None, mean: bool = False,
               return_latent: bool = False, random_state: Any = None):
        """Draw ``n`` visible vectors by running ``n`` independent block-Gibbs chains for ``n_steps`` steps.

        Parameters
        ----------
        n : int
            Number of chains (draws).
        n_steps : int, optional
            Gibbs steps per chain (default: the model's ``n_sample_steps``, 1000). Chains start from the visible biases' independent model
            (or from ``init``); they need many steps to forget the start on a trained model.
        init : array-like (n, n_features), optional
            Starting visible states (e.g. test images).
        mean : bool
            Return E[v | h] of the last step (grey probabilities, smoother images) instead of a draw.
        return_latent : bool
            Also return the last hidden states.
        random_state : None, int or Generator
            None draws from the model's generator: new draws every call.

        Returns
        -------
        v : tensor (n, n_features), or ``(v, h)`` with ``return_latent``.
        """
        n = check_int(n, "n", minimum=1)
        n_steps = self.n_sample_steps if n_steps is None else check_int(n_steps, "n_steps", minimum=1)
        gen = self._rng(random_state)
        if init is None:
            V = self._start(n, gen)
        else:
            V = self._visible(init, "init")
            if V.shape[0] != n:
                raise ValueError(f"init must have n={n} rows (one per chain), got {V.shape[0]}.")
        V = self._gibbs(V, n_steps - 1, gen)
        H = bernoulli(self._hidden_probs(V), gen)
        V = self._visible_mean(H) if mean else self._visible_draw(H, gen)
        return (V, H) if return_latent else V

    # ------------------------------------------------------------------ learning
    @torch.no_grad()
    def _update(self, V0: torch.Tensor, lr: float, k: int, gen: torch.Generator) -> float:
        # Positive phase ("forward"): hidden probabilities given the data, eq. (rbm-hidden).
        ph0 = self._hidden_probs(V0)                                    # (B, H)
        h0 = bernoulli(ph0, gen)
        # Negative phase ("backward"): k steps of block Gibbs, from the data (CD-k) or the persistent chains (PCD).
        if self.persistent:
            if self._chains is None or self._chains.shape[1] != self.n_features:
                m = self.n_chains or V0.shape[0]
                idx = torch.randint(0, V0.shape[0], (m,), generator=gen, device=V0.device)
                self._chains = V0[idx].clone()
            Vk = self._gibbs(self._chains, k, gen)
            self._chains = Vk
            recon = None
        else:
            recon = self._visible_mean(h0)                              # E[v | h0], also the monitoring signal
            Vk = self._visible_sample_from_mean(recon, gen)
            Vk = self._gibbs(Vk, k - 1, gen)
        phk = self._hidden_probs(Vk)                                    # (M, H)
        # Update: gradient (rbm-gradient) = <h v'>_data - <h v'>_model, with momentum and weight decay:
        # vel <- momentum vel + lr (ph0' x0 / B - phk' xk / M - weight_decay W);  W <- W + vel  (likewise b, c).
        x0, xk = self._vis_input(V0), self._vis_input(Vk)
        B, M = V0.shape[0], Vk.shape[0]
        if self._velocity is None or self._velocity[0].shape != self.W.shape:
            self._velocity = [torch.zeros_like(p) for p in (self.W, self.b, self.c)]
        vW, vb, vc = self._velocity
        vW.mul_(self.momentum).addmm_(ph0.T, x0, alpha=lr / B).addmm_(phk.T, xk, alpha=-lr / M)
        if self.weight_decay:
            vW.add_(self.W, alpha=-lr * self.weight_decay)
        vb.mul_(self.momentum).add_(self._bias_stat(V0).mean(0) - self._bias_stat(Vk).mean(0), alpha=lr)
        vc.mul_(self.momentum).add_(ph0.mean(0) - phk.mean(0), alpha=lr)
        self.W.add_(vW)
        self.b.add_(vb)
        self.c.add_(vc)
        self.n_updates_ += 1
        if recon is None:
            recon = self._visible_mean(h0)                              # first down pass, for monitoring
        return torch.sub(V0, recon).pow_(2).mean()                     # mean squared error of the first down pass

    def cd_step(self, v: Any, *, learning_rate: float | None = None, k: int | None = None,
                random_state: Any = None) -> float:
        """One contrastive-divergence update on the batch ``v``: positive phase, negative phase, update.

        1. Positive phase (forward): p(h | v_data), eq. (rbm-hidden).
        2. Negative phase (backward): ``k`` steps of block Gibbs v -> h -> v, starting at the data
           (CD-k) or, when ``persistent``, continuing the persistent chains (PCD).
        3. Update: W += lr (<h v'>_data - <h v'>_model - weight_decay W), likewise b and c
           without decay, all through momentum buffers.

        Returns the batch's squared reconstruction error (from the first down pass), a cheap
        progress signal that, as the chapter shows, is not the likelihood.
        """
        V0 = self._visible(v, "v")
        lr = self.learning_rate if learning_rate is None else check_float(learning_rate, "learning_rate",
                                                                            minimum=0.0, strict=True)
        k = self.k if k is None else check_int(k, "k", minimum=1)
        return float(self._update(V0, lr, k, self._rng(random_state)))

    def fit(self, X: Any, y: Any = None, *, callback: Callable[[Any, int], Any] | None = None) -> "_RBM":
        """Train by CD-k (or PCD when ``persistent``) for ``n_epochs`` passes over ``X`` in mini-batches.

        Training continues from the current parameters; on a fresh model the visible biases
        start at the data's log-odds (binary) or means (Gaussian) (Hinton, 2010).
        ``history_`` gets the mean reconstruction error and learning rate of each epoch;
        ``callback(model, epoch)``, when given, runs after every epoch (e.g. to track an AIS
        log-likelihood).

        Small models train on one CPU thread: when a mini-batch product has fewer than
        ``genlib.energy.gibbs.SINGLE_THREAD_MAX_MACS`` multiply-adds (``batch_size x n_features x
        n_hidden``), the whole call, callbacks included, runs with ``torch.set_num_threads(1)``
        and the previous count is restored afterwards. A second thread gains nothing at that size
        and loses much when another thread pool holds the other cores (benchmarks/rbm.py).
        """
        with cpu_threads_for(self.batch_size * self.n_features * self.n_hidden, self.device):
            return self._fit(X, callback)

    def _fit(self, X: Any, callback: Callable[[Any, int], Any] | None) -> "_RBM":
        V = self._visible(X)
        if self.n_updates_ == 0:
            self._init_visible_bias(V)
        return train_epochs(self, V, lambda batch, lr, gen: self._update(batch, lr, self.k, gen), callback)

    # ------------------------------------------------------------------ partition function
    def annealing_path(self, data: Any = None, base_bias: Any = None):
        """The AIS path of :func:`genlib.energy.ais.log_partition` from a base-rate model.

        ``data`` sets the base's visible biases from the training data's means (recommended);
        ``base_bias`` sets them directly; neither gives a base with zero visible biases.
        """
        raise NotImplementedError

    def held_out_likelihood(self, X, *, X_train=None, ais_temperatures=1000, ais_chains=100, random_state=0,
                            **options):
        """Mean -F(x) - log Z with log Z by AIS: kind ``"estimate"``; the error bar is AIS's (F is exact)."""
        ll, se = _ais.estimate_log_likelihood(self, X, n_temperatures=ais_temperatures, n_chains=ais_chains,
                                              data=X_train, random_state=random_state)
        return likelihood_summary("estimate", ll, std_err=se)

    def _base_bias(self, data: Any, base_bias: Any) -> torch.Tensor | None:
        if data is not None and base_bias is not None:
            raise ValueError("pass data or base_bias, not both.")
        if base_bias is not None:
            bb = base_bias if isinstance(base_bias, torch.Tensor) else torch.as_tensor(base_bias, dtype=torch.float64)
            return as_tensor(bb.reshape(1, -1), "base_bias", n_features=self.n_features, device=self.device,
                             dtype=torch.float64)[0]
        if data is not None:
            self._visible(data, "data")
            return _ais.base_rate_bias(data, binary=self._binary_visible).to(self.device)
        return None

    def extra_repr(self) -> str:
        mode = f"PCD-{self.k}" if self.persistent else f"CD-{self.k}"
        return f"n_features={self.n_features}, n_hidden={self.n_hidden}, training={mode}"


class BernoulliRBM(_RBM):
    """Restricted Boltzmann machine with binary visible and hidden units, trained by CD-k or PCD.

    Parameters
    ----------
    n_features, n_hidden : int
        Sizes of the two layers.
    k : int, default 1
        Gibbs steps of the negative phase per update (CD-k, or PCD-k).
    persistent : bool, default False
        Persistent contrastive divergence (Tieleman, 2008): the negative phase continues
        ``n_chains`` chains from one update to the next instead of restarting at the data.
    learning_rate : float, default 0.05
    lr_schedule : {"constant", "linear"} or callable(epoch, n_epochs) -> factor
        "linear" decays the rate to zero over the epochs.
    momentum : float, default 0.5
    weight_decay : float, default 1e-4
        L2 penalty on W.
    batch_size : int, default 100
    n_epochs : int, default 10
    n_chains : int, optional
        Persistent chains of PCD (default: the batch size).
    init_std : float, default 0.01
        Standard deviation of the initial weights.
    n_sample_steps : int, default 1000
        Gibbs steps per chain in :meth:`sample` when ``n_steps`` is not given.
    random_state : None, int, numpy or torch Generator
        Seeds the model's one ``torch.Generator`` (initial weights, mini-batches, every sampler).
    device : "auto", str or torch.device
        "auto" resolves once to CUDA when available, else the CPU. Inputs are moved to the model's device.
    dtype : torch.float32 (default) or torch.float64
    verbose : bool
        Progress bar over epochs.
    up, down : float, default 1
        Scales of the input each layer hears: p(h | v) = sigmoid(c + up W v), p(v | h) =
        sigmoid(b + down W'h). 2 doubles an input, as the RBMs of a DBM's greedy pre-training
        do (:func:`genlib.energy.dbm.pretrain_rbm`); the free energy, sampling and AIS of the
        RBM itself are those of up = down = 1.

    Attributes
    ----------
    W : nn.Parameter (n_hidden, n_features)
    b : nn.Parameter (n_features,)
        Visible biases.
    c : nn.Parameter (n_hidden,)
        Hidden biases.
    history_ : dict
        ``"reconstruction_error"`` and ``"learning_rate"`` per epoch.

    Examples
    --------
    >>> from genlib.datasets import load_digits
    >>> X, _ = load_digits(binary=True)
    >>> rbm = BernoulliRBM(64, 32, n_epochs=5, learning_rate=0.1, random_state=0, device="cpu").fit(X)
    >>> rbm.transform(X[:2]).shape
    torch.Size([2, 32])
    >>> rbm.sample(3, n_steps=100).shape
    torch.Size([3, 64])
    >>> rbm.history_["reconstruction_error"][-1] < rbm.history_["reconstruction_error"][0]
    True
    """

    @renamed_arguments(n_visible="n_features")
    def __init__(self, n_features: int, n_hidden: int, *, up: float = 1.0, down: float = 1.0, **kwargs):
        super().__init__(n_features, n_hidden, **kwargs)
        self.up = check_float(up, "up", minimum=0.0, strict=True)
        self.down = check_float(down, "down", minimum=0.0, strict=True)

    def _visible_mean(self, H):
        return torch.addmm(self.b, H, self.W, alpha=self.down).sigmoid_()  # eq. (rbm-visible): sigmoid(b + down h W)

    def _visible_draw(self, H, gen):
        return bernoulli(self._visible_mean(H), gen)

    def _visible_sample_from_mean(self, mean, gen):
        return bernoulli(mean, gen)

    def _visible_energy(self, V):
        return -(V @ self.b)

    @torch.no_grad()
    def _init_visible_bias(self, V):
        p = V.mean(0).clamp(1e-3, 1 - 1e-3)
        self.b.copy_(torch.log(p) - torch.log1p(-p))

    def _start(self, n, gen):
        return bernoulli(torch.sigmoid(self.b).expand(n, -1), gen)

    def visible_probs(self, h: Any) -> torch.Tensor:
        """p(v_j = 1 | h) for every visible unit, eq. (rbm-visible); shape (n_samples, n_features)."""
        return self._visible_mean(self._hidden(h))

    @torch.no_grad()
    def pseudo_log_likelihood(self, X: Any, *, n_bits: int | None = None, random_state: Any = None) -> torch.Tensor:
        """Pseudo-log-likelihood sum_j log p(v_j | v_-j) of each row (Besag, 1975).

        Each term compares v with v flipped at bit j: log p(v_j | v_-j) = -softplus(F(v) - F(v with j flipped)).
        With ``n_bits`` only that many random bits per row are used and the sum is rescaled
        (the cheap stochastic version scikit-learn reports with ``n_bits=1``).
        """
        V = self._visible(X)
        D = self.n_features
        pre = V @ self.W.T + self.c                                   # (N, H)
        sp = Fn.softplus(pre).sum(1)                                  # (N,)
        if n_bits is None:
            cols = torch.arange(D, device=self.device).expand(V.shape[0], D)
        else:
            n_bits = check_int(n_bits, "n_bits", minimum=1, maximum=D)
            gen = self._rng(random_state)
            cols = torch.rand(V.shape[0], D, generator=gen, device=self.device).argsort(1)[:, :n_bits]
        out = torch.zeros(V.shape[0], dtype=V.dtype, device=self.device)
        chunk = max(1, CHUNK_FLOATS // (cols.shape[1] * self.n_hidden))
        for s in range(0, V.shape[0], chunk):
            v, cc, p = V[s:s + chunk], cols[s:s + chunk], pre[s:s + chunk]
            sign = 1.0 - 2.0 * torch.gather(v, 1, cc)                 # +1 turns a 0 on, -1 turns a 1 off
            # F(v~) - F(v) = -b_j sign - sum_i [softplus(pre_i + sign W_ij) - softplus(pre_i)]
            flipped = Fn.softplus(p[:, None, :] + sign[:, :, None] * self.W.T[cc]).sum(2)   # (n, bits)
            delta = -self.b[cc] * sign - (flipped - sp[s:s + chunk, None])
            out[s:s + chunk] = -Fn.softplus(-delta).sum(1)             # log sigmoid(F(v~) - F(v))
        return out * (D / cols.shape[1])

    def annealing_path(self, data: Any = None, base_bias: Any = None):
        return _ais.BernoulliRBMPath(self.W, self.b, self.c, self._base_bias(data, base_bias))

    def exact_log_partition(self, *, max_units: int = 20) -> float:
        """Exact log Z by enumerating the smaller layer (at most ``max_units`` units)."""
        return _ais.bernoulli_rbm_log_partition(self.W, self.b, self.c, max_units=max_units)


class GaussianBernoulliRBM(_RBM):
    """RBM with real-valued Gaussian visible units and binary hidden units (for real-valued data).

    Energy E(v, h) = sum_j (v_j - b_j)^2 / (2 sigma_j^2) - c'h - h'W(v / sigma), so that
    p(v | h) = N(b + sigma W'h, sigma^2) and p(h_i = 1 | v) = sigmoid(c_i + W_i (v / sigma)).
    ``sigma`` is fixed (a buffer): standardise the data and keep ``sigma=1``. Gaussian
    units need a smaller learning rate than binary ones (default 0.005).
    Other parameters as in :class:`BernoulliRBM`.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(200, 5))
    >>> rbm = GaussianBernoulliRBM(5, 8, n_epochs=3, random_state=0, device="cpu").fit(X)
    >>> rbm.sample(4, n_steps=50).shape
    torch.Size([4, 5])
    """

    _binary_visible = False

    @renamed_arguments(n_visible="n_features")
    def __init__(self, n_features: int, n_hidden: int, *, sigma: float = 1.0, learning_rate: float = 0.005,
                 **kwargs):
        super().__init__(n_features, n_hidden, learning_rate=learning_rate, **kwargs)
        sigma = check_float(sigma, "sigma", minimum=0.0, strict=True)
        self.register_buffer("sigma", torch.full((self.n_features,), sigma, device=self.device, dtype=self.W.dtype))

    def _vis_input(self, V):
        return V / self.sigma

    def _bias_stat(self, V):
        return V / self.sigma**2           # d(-E)/db = (v - b) / sigma^2; the -b / sigma^2 part cancels

    def _visible_mean(self, H):
        return self.b + self.sigma * (H @ self.W)                # E[v | h]

    def _visible_draw(self, H, gen):
        return self._visible_sample_from_mean(self._visible_mean(H), gen)

    def _visible_sample_from_mean(self, mean, gen):
        return mean + self.sigma * torch.randn(mean.shape, generator=gen, device=mean.device, dtype=mean.dtype)

    def visible_mean(self, h: Any) -> torch.Tensor:
        """E[v | h] = b + sigma W'h, the mean of the Gaussian p(v | h); shape (n_samples, n_features)."""
        return self._visible_mean(self._hidden(h))

    def _visible_energy(self, V):
        return (((V - self.b) / self.sigma) ** 2).sum(1) * 0.5

    @torch.no_grad()
    def _init_visible_bias(self, V):
        self.b.copy_(V.mean(0))

    def _start(self, n, gen):
        return self._visible_draw(torch.zeros(n, self.n_hidden, device=self.device, dtype=self.W.dtype), gen)

    def annealing_path(self, data: Any = None, base_bias: Any = None):
        return _ais.GaussianRBMPath(self.W, self.b, self.c, self.sigma, self._base_bias(data, base_bias))

    def exact_log_partition(self, *, max_units: int = 20) -> float:
        """Exact log Z by enumerating the hidden layer (at most ``max_units`` units) and integrating v."""
        return _ais.gaussian_rbm_log_partition(self.W, self.b, self.c, self.sigma, max_units=max_units)
