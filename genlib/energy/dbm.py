"""Deep Boltzmann machines: layers of binary units, undirected all the way up (Salakhutdinov & Hinton, 2009).

With layers h^0 = v, h^1, ..., h^L and weights ``W^k`` of shape (n_k, n_{k-1}) between
layers k-1 and k, the chapter (book/03_dl/04_dbm) writes

    E(v, h) = -sum_{k=0}^{L} b_k'h^k - sum_{k=1}^{L} h^k' W^k h^{k-1}                     (dbm-energy)
    p(h^k_j = 1 | h^{k-1}, h^{k+1}) = sigmoid(b_k,j + W^k_j h^{k-1} + W^{k+1}'_j h^{k+1})   (dbm-conditional)

Unlike the DBN every hidden layer hears both its neighbours, so the posterior p(h | v) has no
closed form. Learning combines (Salakhutdinov & Hinton, 2009):

- **mean field** for the data-dependent statistics: q(h | v) = prod_k prod_j Bernoulli(mu^k_j),
  iterating mu^k = sigmoid(b_k + W^k mu^{k-1} + W^{k+1}' mu^{k+1}) layer by layer, which
  maximises the variational lower bound

      log p(v) >= -E_q[E(v, h)] + H(q) - log Z                                            (dbm-bound)

  and never lowers it (each layer update is an exact coordinate ascent step);
- **persistent Gibbs chains** (PCD) for the model's statistics: the odd layers given the
  even ones, then the even ones given the odd ones;
- the update dW^k = <mu^k mu^{k-1}'>_data - <h^k h^{k-1}'>_model (:meth:`DeepBoltzmannMachine.pcd_step`).

**Pre-training** follows the seminar's slide: (1) the bottom RBM is trained with its visible
layer doubled (up-pass 2W^1), a middle RBM with weights doubled both ways, the top RBM with
its hidden layer doubled (down-pass 2W^L); (2) each RBM's data is drawn from the one below
with its doubled up-pass, p(h^k | h^{k-1}; 2W^k); (3) the RBMs are composed into one DBM with
the weights W^1, ..., W^L, so every hidden layer, which now hears two neighbours, gets half of
each doubled input.

log Z is estimated by AIS (:mod:`genlib.energy.ais`) with the odd layers summed out
analytically; the model defines no ``log_prob``/``score`` (registry likelihood "bound").
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import torch
from torch import nn
from torch.nn import functional as Fn

from .._validation import check_bool, check_float, check_int, check_option, renamed_arguments
from . import ais as _ais
from .._torch import _bernoulli as bernoulli  # unchecked: p is a sigmoid here
from .._torch import check_dtype, check_generator, check_tensor, check_tensor_list
from .gibbs import SeededModel, all_binary_states, as_tensor, make_generator, resolve_device, train_epochs
from .rbm import BernoulliRBM

__all__ = ["DeepBoltzmannMachine", "DBMPath", "dbm_energy", "mean_field", "mean_field_bound",
           "pretrain_rbm"]

Params = tuple[Sequence[torch.Tensor], Sequence[torch.Tensor]]   # (Ws, bs)


# ---------------------------------------------------------------------- the model's equations
def _field(states: Sequence[torch.Tensor | None], Ws, bs, k: int) -> torch.Tensor:
    """Total input to layer k from its neighbours, eq. (dbm-conditional): b_k + W^k h^{k-1} + W^{k+1}' h^{k+1}."""
    L = len(Ws)
    out = bs[k]
    if k > 0 and states[k - 1] is not None:
        out = out + states[k - 1] @ Ws[k - 1].T            # from below, (N, n_k)
    if k < L and states[k + 1] is not None:
        out = out + states[k + 1] @ Ws[k]                  # from above, (N, n_k)
    return out


def _check_layers(Ws, bs) -> list[int]:
    """The entry check of the DBM's functions: weights ``Ws[k]`` (n_{k+1}, n_k) and biases ``bs[k]`` (n_k,); the sizes."""
    Ws = check_tensor_list(Ws, "Ws", what="weight matrices")
    bs = check_tensor_list(bs, "bs", length=len(Ws) + 1, what="bias vectors (one per layer, len(Ws) + 1)")
    for k, b in enumerate(bs):
        check_tensor(b, f"bs[{k}]", shape=(None,), hint="one bias per unit of the layer")
    sizes = [b.numel() for b in bs]
    for k, W in enumerate(Ws):
        check_tensor(W, f"Ws[{k}]", shape=(sizes[k + 1], sizes[k]), hint=f"(len(bs[{k + 1}]), len(bs[{k}]))")
    return sizes


def _check_layer_values(values, name, sizes, n_rows=None) -> None:
    """Each ``values[k]`` is (n, sizes[k]) with values in [0, 1] (states or mean-field probabilities)."""
    values = check_tensor_list(values, name, length=len(sizes))
    n_rows = values[0].shape[0] if n_rows is None and values[0].ndim == 2 else n_rows
    for k, (T, n) in enumerate(zip(values, sizes)):
        check_tensor(T, f"{name}[{k}]", shape=(n_rows, n), value_range=(0.0, 1.0),
                     hint="one row per sample, one column per unit of the layer; states 0/1 or probabilities")


def dbm_energy(states: Sequence[torch.Tensor], Ws, bs) -> torch.Tensor:
    """E(v, h) of eq. (dbm-energy) for each row of the layers ``states = [v, h1, ..., hL]``.

    With mean-field probabilities in place of states it is E_q[E(v, h)] (the units are independent under q).
    """
    _check_layer_values(states, "states", _check_layers(Ws, bs))
    return _dbm_energy(states, Ws, bs)


def _dbm_energy(states, Ws, bs) -> torch.Tensor:
    """:func:`dbm_energy`, unchecked."""
    e = -sum(s @ b for s, b in zip(states, bs))
    for k, W in enumerate(Ws):
        e = e - ((states[k + 1] @ W) * states[k]).sum(-1)
    return e


def _entropy(mu: torch.Tensor) -> torch.Tensor:
    """Entropy of independent Bernoulli(mu) units, summed over the last axis (0 log 0 = 0)."""
    return -(torch.special.xlogy(mu, mu) + torch.special.xlogy(1 - mu, 1 - mu)).sum(-1)


def mean_field(V: torch.Tensor, Ws, bs, n_iter: int = 10, *, init: Sequence[torch.Tensor] | None = None,
               return_bounds: bool = False):
    """Mean-field posterior q(h | v): ``[mu1, ..., muL]`` after ``n_iter`` sweeps over the layers.

    Starts (unless ``init``) from a bottom-up pass with doubled weights for every layer but
    the top, which stand in for the missing input from above (Salakhutdinov & Larochelle, 2010).
    Each sweep updates the layers one after another, mu^k = sigmoid(field_k), eq.
    (dbm-conditional) with probabilities; each update maximises the bound (dbm-bound) over
    mu^k, so the bound never decreases. With ``return_bounds`` the bound without -log Z is
    also returned after the start and after every layer update.
    """
    sizes = _check_layers(Ws, bs)
    check_tensor(V, "V", shape=(None, sizes[0]), value_range=(0.0, 1.0),
                 hint="one row per sample, one column per visible unit (len(bs[0]))")
    n_iter = check_int(n_iter, "n_iter", minimum=0)
    if init is not None:
        _check_layer_values(init, "init", sizes[1:], n_rows=V.shape[0])
    return _mean_field(V, Ws, bs, n_iter, init=init, return_bounds=check_bool(return_bounds, "return_bounds"))


def _mean_field(V, Ws, bs, n_iter=10, *, init=None, return_bounds=False):
    """:func:`mean_field`, unchecked: the model's training loop calls it on its own tensors."""
    L = len(Ws)
    if init is None:
        mus, below = [], V
        for k in range(1, L + 1):
            scale = 2.0 if k < L else 1.0
            below = torch.sigmoid(bs[k] + scale * (below @ Ws[k - 1].T))
            mus.append(below)
    else:
        mus = [m.clone() for m in init]
    bounds = []
    if return_bounds:
        bounds.append(_mean_field_bound(V, mus, Ws, bs, 0.0))
    for _ in range(n_iter):
        for k in range(1, L + 1):
            states = [V, *mus]
            mus[k - 1] = torch.sigmoid(_field(states, Ws, bs, k))
            if return_bounds:
                bounds.append(_mean_field_bound(V, mus, Ws, bs, 0.0))
    return (mus, torch.stack(bounds)) if return_bounds else mus


def mean_field_bound(V: torch.Tensor, mus: Sequence[torch.Tensor], Ws, bs, log_z: float) -> torch.Tensor:
    """The variational bound (dbm-bound) of each row: -E_q[E(v, h)] + H(q) - log Z."""
    sizes = _check_layers(Ws, bs)
    check_tensor(V, "V", shape=(None, sizes[0]), value_range=(0.0, 1.0),
                 hint="one row per sample, one column per visible unit (len(bs[0]))")
    _check_layer_values(mus, "mus", sizes[1:], n_rows=V.shape[0])
    return _mean_field_bound(V, mus, Ws, bs, check_float(log_z, "log_z"))


def _mean_field_bound(V, mus, Ws, bs, log_z):
    """:func:`mean_field_bound`, unchecked."""
    return -_dbm_energy([V, *mus], Ws, bs) + sum(_entropy(m) for m in mus) - log_z


def _log_marginal(fixed: dict[int, torch.Tensor], parity: int, Ws, bs, beta: float = 1.0,
                  base_bias: torch.Tensor | None = None) -> torch.Tensor:
    """log sum over the layers of the other parity of exp(-beta E), the layers ``fixed`` (all of ``parity``) given.

    Given every layer of one parity, the units of the other parity are independent, so they sum
    out in closed form: sum_{k fixed} beta b_k'h^k + sum_{k free} sum_j softplus(beta field_k,j).
    With a ``base_bias`` b_A the visible term is interpolated, (1 - beta) b_A'v + beta b_0'v: the
    AIS path of :class:`DBMPath`.
    """
    L = len(Ws)
    states: list[torch.Tensor | None] = [fixed.get(k) for k in range(L + 1)]
    out = 0.0
    for k in range(L + 1):
        if k % 2 == parity:
            out = out + beta * (states[k] @ bs[k])
            if k == 0 and base_bias is not None:
                out = out + (1.0 - beta) * (states[0] @ base_bias)
        else:
            a = beta * _field(states, Ws, bs, k)
            if k == 0 and base_bias is not None:
                a = a + (1.0 - beta) * base_bias
            out = out + Fn.softplus(a).sum(-1)
    return out


def _gibbs_layers(states: list[torch.Tensor], parity: int, Ws, bs, gen: torch.Generator, beta: float = 1.0,
                  base_bias: torch.Tensor | None = None) -> list[torch.Tensor]:
    """Resample every layer of ``parity`` given the others (all at once: they do not interact)."""
    for k in range(parity, len(states), 2):
        a = beta * _field(states, Ws, bs, k)
        if k == 0 and base_bias is not None:
            a = a + (1.0 - beta) * base_bias
        states[k] = bernoulli(torch.sigmoid(a), gen)
    return states


class DBMPath:
    """AIS path of a DBM from a base-rate model, with the odd layers summed out (Salakhutdinov & Hinton, 2009).

    The state is the list of even layers ``[v, h2, h4, ...]``; log f_beta is
    :func:`_log_marginal` at inverse temperature beta (the weights and hidden biases scaled by
    beta, the visible biases interpolated from the base rates b_A). At beta = 0 the model is
    independent Bernoulli(sigmoid(b_A)) visible units and uniform hidden units, so
    log Z_0 = sum_j softplus(b_A,j) + (n_1 + ... + n_L) log 2. The transition is one sweep of
    Gibbs sampling at beta: odd layers given even ones, then even ones given odd ones.
    """

    def __init__(self, Ws, bs, base_bias: torch.Tensor | None = None, dtype: torch.dtype = torch.float64):
        sizes = _check_layers(Ws, bs)
        if base_bias is not None:
            check_tensor(base_bias, "base_bias", shape=(sizes[0],), hint="one value per visible unit")
        self.Ws = [W.detach().to(dtype) for W in Ws]
        self.bs = [b.detach().to(dtype) for b in bs]
        self.bA = torch.zeros_like(self.bs[0]) if base_bias is None else base_bias.detach().to(self.bs[0])
        if self.bA.shape != self.bs[0].shape:
            raise ValueError(f"base_bias must have one value per visible unit ({self.bs[0].numel()}), got shape "
                             f"{tuple(self.bA.shape)}.")
        self.device = self.bs[0].device
        self.L = len(self.Ws)
        self.log_z0 = float(Fn.softplus(self.bA).sum() + sum(b.numel() for b in self.bs[1:]) * math.log(2.0))

    def init(self, n_chains: int, generator: torch.Generator) -> list[torch.Tensor]:
        v = bernoulli(torch.sigmoid(self.bA).expand(n_chains, -1), generator)
        evens = [v]
        for k in range(2, self.L + 1, 2):
            evens.append(bernoulli(torch.full((n_chains, self.bs[k].numel()), 0.5, dtype=v.dtype,
                                              device=v.device), generator))
        return evens

    def _full(self, evens):
        states: list[torch.Tensor | None] = [None] * (self.L + 1)
        for i, k in enumerate(range(0, self.L + 1, 2)):
            states[k] = evens[i]
        return states

    def log_f(self, evens, beta: float) -> torch.Tensor:
        states = self._full(evens)
        return _log_marginal({k: states[k] for k in range(0, self.L + 1, 2)}, 0, self.Ws, self.bs, beta, self.bA)

    def step(self, evens, beta: float, generator: torch.Generator):
        states = self._full(evens)
        states = _gibbs_layers(states, 1, self.Ws, self.bs, generator, beta, self.bA)   # odd | even
        states = _gibbs_layers(states, 0, self.Ws, self.bs, generator, beta, self.bA)   # even | odd
        return [states[k] for k in range(0, self.L + 1, 2)]


def _enumerate_layers(sizes: Sequence[int], device, max_units: int) -> list[torch.Tensor]:
    S = all_binary_states(sum(sizes), device=device, max_units=max_units)
    return list(torch.split(S, list(sizes), dim=1))


# ---------------------------------------------------------------------- pre-training (the seminar's slide)
@torch.no_grad()
def pretrain_rbm(V: torch.Tensor, n_hidden: int, *, up: float = 1.0, down: float = 1.0, n_epochs: int = 10,
                 learning_rate: float = 0.05, k: int = 1, momentum: float = 0.5, weight_decay: float = 1e-4,
                 batch_size: int = 100, init_std: float = 0.01, generator: torch.Generator | None = None,
                 callback: Callable[[int, float], Any] | None = None):
    """Train one RBM of the DBM's pre-training by CD-k, with its up and down inputs scaled.

    p(h = 1 | v) = sigmoid(c + up W v) and p(v = 1 | h) = sigmoid(b + down W'h): ``up=2`` is
    the bottom RBM with its visible layer doubled (two tied copies of v), ``down=2`` the top
    RBM with its hidden layer doubled, both 2 a middle RBM (Salakhutdinov & Hinton, 2009).
    The copies are clamped to the same data, and in the negative phase one reconstruction
    stands for both copies (as in the authors' code). It is :class:`~genlib.energy.rbm.BernoulliRBM`'s
    one CD-k update with ``up`` and ``down`` set: the pre-training has no update of its own.

    Returns
    -------
    W : tensor (n_hidden, n_features), b : tensor (n_features,), c : tensor (n_hidden,)
    """
    check_tensor(V, "V", shape=(None, None), hint="(n_samples, n_features)")
    as_tensor(V, "V", binary=True, dtype=V.dtype)
    if generator is not None:
        check_generator(generator, "generator")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be a callable callback(epoch, error), got {type(callback).__name__}.")
    rbm = BernoulliRBM(V.shape[1], n_hidden, up=up, down=down, k=k, learning_rate=learning_rate, momentum=momentum,
                       weight_decay=weight_decay, batch_size=batch_size, n_epochs=n_epochs, init_std=init_std,
                       random_state=generator, device=V.device, dtype=V.dtype)
    rbm.fit(V, callback=None if callback is None else
            lambda model, epoch: callback(epoch, model.history_["reconstruction_error"][-1]))
    return rbm.W.detach(), rbm.b.detach(), rbm.c.detach()


class DeepBoltzmannMachine(_ais.BoundLikelihood, SeededModel, nn.Module):
    """Deep Boltzmann machine with binary layers, pre-trained greedily and trained by mean field + PCD.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``[n_features, n_hidden_1, ..., n_hidden_L]`` (L >= 1; the DBM of the chapter has L = 2).
    n_epochs : int, default 10
        Epochs of joint training (mean field + persistent chains) after pre-training.
    learning_rate : float, default 0.01
    lr_schedule : {"constant", "linear"}, default "linear"
        "linear" decays the joint-training rate to zero, which PCD needs to settle.
    momentum : float, default 0.5
    weight_decay : float, default 1e-4
    batch_size : int, default 100
    n_chains : int, default 100
        Persistent Gibbs chains for the model's statistics.
    n_gibbs : int, default 1
        Gibbs sweeps of the chains per update.
    n_mean_field : int, default 10
        Mean-field sweeps per update (and for :meth:`transform`, :meth:`log_likelihood_bound`).
    use_pretraining : bool, default True
        Run :meth:`pretrain` (the seminar's doubled-weight scheme) at the first ``fit``
        (called ``pretrain`` before this release, which clashed with the method).
    pretrain_epochs : int, default 10
    pretrain_learning_rate : float, default 0.05
    pretrain_k : int, default 1
        CD-k of the pre-training RBMs.
    init_std : float, default 0.01
    random_state : None, int or Generator
    device : "auto", str or torch.device
    dtype : torch.float32 or torch.float64
    verbose : bool

    Attributes
    ----------
    weights : nn.ParameterList
        ``weights[k]`` is W^{k+1}, shape (layer_sizes[k+1], layer_sizes[k]).
    biases : nn.ParameterList
        ``biases[k]`` of shape (layer_sizes[k],); ``biases[0]`` are the visible biases.
    history_ : dict of lists
        ``"pretrain_error"`` per pre-training epoch with ``"pretrain_layer"`` (its RBM, from 0),
        and ``"reconstruction_error"`` and ``"learning_rate"`` per joint-training epoch.

    Examples
    --------
    >>> from genlib.datasets import load_digits
    >>> X, _ = load_digits(binary=True)
    >>> dbm = DeepBoltzmannMachine([64, 32, 16], n_epochs=2, pretrain_epochs=2, random_state=0, device="cpu")
    >>> dbm = dbm.fit(X)
    >>> [m.shape for m in dbm.transform(X[:2], layer=None)]
    [torch.Size([2, 32]), torch.Size([2, 16])]
    >>> dbm.sample(3, n_steps=20).shape
    torch.Size([3, 64])
    """

    # the training state fit continues from, saved with the weights (genlib._torch.Resumable)
    _resume_attributes = ("n_updates_", "pretrained_", "history_", "_velocity", "_chains")

    @renamed_arguments(pretrain="use_pretraining")
    def __init__(self, layer_sizes: Sequence[int], *, n_epochs: int = 10, learning_rate: float = 0.01,
                 lr_schedule: str = "linear", momentum: float = 0.5, weight_decay: float = 1e-4,
                 batch_size: int = 100, n_chains: int = 100, n_gibbs: int = 1, n_mean_field: int = 10,
                 use_pretraining: bool = True, pretrain_epochs: int = 10, pretrain_learning_rate: float = 0.05,
                 pretrain_k: int = 1, init_std: float = 0.01, random_state: Any = None, device: Any = "auto",
                 dtype: torch.dtype = torch.float32, verbose: bool = False):
        super().__init__()
        from .dbn import _check_layer_sizes

        self.layer_sizes = _check_layer_sizes(layer_sizes)
        self.n_epochs = check_int(n_epochs, "n_epochs", minimum=0)
        self.learning_rate = check_float(learning_rate, "learning_rate", minimum=0.0, strict=True)
        self.lr_schedule = check_option(lr_schedule, "lr_schedule", ("constant", "linear"))
        self.momentum = check_float(momentum, "momentum", minimum=0.0, maximum=0.999)
        self.weight_decay = check_float(weight_decay, "weight_decay", minimum=0.0)
        self.batch_size = check_int(batch_size, "batch_size", minimum=1)
        self.n_chains = check_int(n_chains, "n_chains", minimum=1)
        self.n_gibbs = check_int(n_gibbs, "n_gibbs", minimum=1)
        self.n_mean_field = check_int(n_mean_field, "n_mean_field", minimum=1)
        self.use_pretraining = check_bool(use_pretraining, "use_pretraining")
        self.pretrain_epochs = check_int(pretrain_epochs, "pretrain_epochs", minimum=1)
        self.pretrain_learning_rate = check_float(pretrain_learning_rate, "pretrain_learning_rate", minimum=0.0,
                                                  strict=True)
        self.pretrain_k = check_int(pretrain_k, "pretrain_k", minimum=1)
        self.init_std = check_float(init_std, "init_std", minimum=0.0)
        self.verbose = check_bool(verbose, "verbose")
        dtype = check_dtype(dtype)
        device = resolve_device(device)
        self._generator = make_generator(random_state, device)
        sizes = self.layer_sizes
        self.weights = nn.ParameterList([
            nn.Parameter(torch.randn(sizes[k + 1], sizes[k], generator=self._generator, device=device, dtype=dtype)
                         * self.init_std) for k in range(len(sizes) - 1)])
        self.biases = nn.ParameterList([nn.Parameter(torch.zeros(n, device=device, dtype=dtype)) for n in sizes])
        self.history_: dict = {"pretrain_error": [], "pretrain_layer": [], "reconstruction_error": [],
                               "learning_rate": []}
        self.n_updates_ = 0
        self.pretrained_ = False
        self._velocity: list[torch.Tensor] | None = None
        self._chains: list[torch.Tensor] | None = None

    # ------------------------------------------------------------------ helpers
    @property
    def device(self) -> torch.device:
        return self.biases[0].device

    @property
    def n_layers(self) -> int:
        """Number of hidden layers L."""
        return len(self.weights)

    def _visible(self, X: Any, name: str = "X") -> torch.Tensor:
        return as_tensor(X, name, n_features=self.layer_sizes[0], binary=True, device=self.device,
                         dtype=self.biases[0].dtype)

    def _params(self, dtype: torch.dtype | None = None):
        Ws = [W.detach().to(dtype or W.dtype) for W in self.weights]
        bs = [b.detach().to(dtype or b.dtype) for b in self.biases]
        return Ws, bs

    # ------------------------------------------------------------------ pre-training
    @torch.no_grad()
    def pretrain(self, X: Any) -> "DeepBoltzmannMachine":
        """Greedy pre-training with doubled weights, the three steps of the seminar's slide.

        1. Train the bottom RBM with the visible input doubled (up-pass 2W^1) on ``X``.
        2. Draw h^k ~ p(h^k | h^{k-1}; 2W^k) and train the next RBM on it, a middle one with
           doubled weights both ways, the top one with its hidden layer doubled (down-pass 2W^L).
        3. Compose: the DBM takes W^1, ..., W^L as they are (each hidden layer now hears two
           neighbours, so each doubled input is halved), the visible biases of the bottom RBM,
           the top RBM's hidden biases, and for a middle layer the mean of the biases the two
           RBMs that share it learned for it.
        """
        V = self._visible(X)
        gen = self._gen()
        L = self.n_layers
        rbms = []
        for k in range(L):
            up = 2.0 if k < L - 1 else 1.0           # bottom and middle RBMs: input from below doubled
            down = 2.0 if k > 0 else 1.0             # middle and top RBMs: input from above doubled
            if L == 1:
                up = down = 1.0
            errors: list[float] = []
            rbms.append(pretrain_rbm(V, self.layer_sizes[k + 1], up=up, down=down, n_epochs=self.pretrain_epochs,
                                     learning_rate=self.pretrain_learning_rate, k=self.pretrain_k,
                                     momentum=self.momentum, weight_decay=self.weight_decay,
                                     batch_size=self.batch_size, init_std=self.init_std, generator=gen,
                                     callback=lambda e, err: errors.append(err)))
            self.history_["pretrain_error"] += errors
            self.history_["pretrain_layer"] += [k] * len(errors)
            W, _, c = rbms[-1]
            V = bernoulli(torch.sigmoid(c + up * (V @ W.T)), gen)    # h^{k+1} ~ p(h^{k+1} | h^k; 2W)
        # Step 3: compose (the weights as learned, i.e. the doubled inputs halved).
        for k, (W, b, c) in enumerate(rbms):
            self.weights[k].copy_(W)
        self.biases[0].copy_(rbms[0][1])
        for k in range(1, L):
            self.biases[k].copy_(0.5 * (rbms[k - 1][2] + rbms[k][1]))
        self.biases[L].copy_(rbms[L - 1][2])
        self.pretrained_ = True
        return self

    # ------------------------------------------------------------------ inference
    @torch.no_grad()
    def mean_field(self, X: Any, *, n_iter: int | None = None, return_bounds: bool = False):
        """Mean-field posterior ``[mu1, ..., muL]`` of each row (see :func:`mean_field`)."""
        n_iter = self.n_mean_field if n_iter is None else check_int(n_iter, "n_iter", minimum=0)
        Ws, bs = self._params()
        return _mean_field(self._visible(X), Ws, bs, n_iter, return_bounds=check_bool(return_bounds, "return_bounds"))

    @torch.no_grad()
    def transform(self, X: Any, *, layer: int | None = -1):
        """Features: the mean-field probabilities of hidden layer ``layer`` (0 = first, -1 = top; None = all)."""
        mus = self.mean_field(X)
        if layer is None:
            return mus
        layer = check_int(layer, "layer", minimum=-self.n_layers, maximum=self.n_layers - 1)
        return mus[layer]

    # ------------------------------------------------------------------ learning
    @torch.no_grad()
    def _update(self, V0: torch.Tensor, lr: float, gen: torch.Generator) -> float:
        Ws, bs = list(self.weights), list(self.biases)
        # Positive phase: mean field q(h | v), the data-dependent statistics.
        mus = _mean_field(V0, Ws, bs, self.n_mean_field)
        pos = [V0, *mus]
        # Negative phase: persistent chains, n_gibbs sweeps (odd layers | even, then even | odd).
        if self._chains is None or self._chains[0].shape[1] != self.layer_sizes[0]:
            idx = torch.randint(0, V0.shape[0], (self.n_chains,), generator=gen, device=V0.device)
            self._chains = [V0[idx].clone()] + [bernoulli(m[idx], gen) for m in mus]
        neg = self._chains
        for _ in range(self.n_gibbs):
            neg = _gibbs_layers(neg, 1, Ws, bs, gen)
            neg = _gibbs_layers(neg, 0, Ws, bs, gen)
        self._chains = neg
        # Update: dW^k = <h^k h^{k-1}'>_data - <h^k h^{k-1}'>_model - weight_decay W^k; db_k likewise.
        B, M = V0.shape[0], neg[0].shape[0]
        grads = [pos[k + 1].T @ pos[k] / B - neg[k + 1].T @ neg[k] / M - self.weight_decay * Ws[k]
                 for k in range(self.n_layers)]
        grads += [p.mean(0) - q.mean(0) for p, q in zip(pos, neg)]
        params = [*self.weights, *self.biases]
        if self._velocity is None or len(self._velocity) != len(params):
            self._velocity = [torch.zeros_like(p) for p in params]
        for p, vel, g in zip(params, self._velocity, grads):
            vel.mul_(self.momentum).add_(g, alpha=lr)
            p.add_(vel)
        self.n_updates_ += 1
        recon = torch.sigmoid(bs[0] + mus[0] @ Ws[0])               # p(v | mu1), for monitoring
        return float(((V0 - recon) ** 2).mean())

    def pcd_step(self, v: Any, *, learning_rate: float | None = None, random_state: Any = None) -> float:
        """One update of joint training on the batch ``v``: mean field, persistent chains, update.

        1. Positive phase: mean-field q(h | v) (``n_mean_field`` sweeps), the data-dependent
           statistics <mu^k mu^{k-1}'>.
        2. Negative phase: ``n_gibbs`` Gibbs sweeps of the ``n_chains`` persistent chains, the
           model's statistics <h^k h^{k-1}'>.
        3. Update with momentum and weight decay.

        Returns the batch's squared error between v and p(v | mu^1), a progress signal only.
        """
        V0 = self._visible(v, "v")
        lr = self.learning_rate if learning_rate is None else check_float(learning_rate, "learning_rate",
                                                                            minimum=0.0, strict=True)
        return self._update(V0, lr, self._rng(random_state))

    def fit(self, X: Any, y: Any = None, *, callback: Callable[["DeepBoltzmannMachine", int], Any] | None = None
            ) -> "DeepBoltzmannMachine":
        """Pre-train (first call, when ``use_pretraining``), then ``n_epochs`` of joint training by :meth:`pcd_step`.

        ``callback(model, epoch)`` runs after every joint-training epoch.
        """
        V = self._visible(X)
        if self.use_pretraining and not self.pretrained_ and self.n_updates_ == 0:
            self.pretrain(V)
        return train_epochs(self, V, self._update, callback)

    # ------------------------------------------------------------------ sampling
    @torch.no_grad()
    @renamed_arguments(return_mean="mean")
    def sample(self, n: int, *, n_steps: int = 1000, init: Any = None, mean: bool = False,
               return_latent: bool = False, random_state: Any = None):
        """Draw ``n`` visible vectors from ``n`` Gibbs chains run for ``n_steps`` sweeps.

        Each sweep samples the odd layers given the even ones, then the even ones (v included)
        given the odd ones. Chains start from the biases' independent model (or from ``init``,
        visible vectors whose mean-field posterior starts the hidden layers).

        Returns
        -------
        v : tensor (n, n_features) (p(v | h^1) with ``mean``), or ``(v, [h1, ..., hL])`` with
        ``return_latent``.
        """
        n = check_int(n, "n", minimum=1)
        n_steps = check_int(n_steps, "n_steps", minimum=1)
        gen = self._rng(random_state)
        Ws, bs = self._params()
        if init is None:
            states = [bernoulli(torch.sigmoid(b).expand(n, -1), gen) for b in bs]
        else:
            V0 = self._visible(init, "init")
            if V0.shape[0] != n:
                raise ValueError(f"init must have n={n} rows (one per chain), got {V0.shape[0]}.")
            states = [V0] + [bernoulli(m, gen) for m in _mean_field(V0, Ws, bs, self.n_mean_field)]
        for _ in range(n_steps):
            states = _gibbs_layers(states, 1, Ws, bs, gen)
            states = _gibbs_layers(states, 0, Ws, bs, gen)
        V = torch.sigmoid(_field(states, Ws, bs, 0)) if mean else states[0]
        return (V, states[1:]) if return_latent else V

    # ------------------------------------------------------------------ partition function and bounds
    def annealing_path(self, data: Any = None, base_bias: Any = None) -> DBMPath:
        """The AIS path of :func:`genlib.energy.ais.log_partition` (:class:`DBMPath`).

        ``data`` (training data) sets the base model's visible biases to its base rates;
        ``base_bias`` sets them directly; neither gives zero biases (uniform base).
        """
        if data is not None and base_bias is not None:
            raise ValueError("pass data or base_bias, not both.")
        bA = None
        if data is not None:
            self._visible(data, "data")
            bA = _ais.base_rate_bias(data).to(self.device)
        elif base_bias is not None:
            bb = torch.as_tensor(base_bias.detach().cpu().numpy() if hasattr(base_bias, "detach") else base_bias,
                                 dtype=torch.float64)
            bA = as_tensor(bb.reshape(1, -1), "base_bias", n_features=self.layer_sizes[0], device=self.device,
                           dtype=torch.float64)[0]
        Ws, bs = self._params(torch.float64)
        return DBMPath(Ws, bs, bA)

    @torch.no_grad()
    def exact_log_partition(self, *, max_units: int = 20) -> float:
        """Exact log Z by enumerating the layers of one parity (the smaller set, at most ``max_units`` units)."""
        Ws, bs = self._params(torch.float64)
        sizes = self.layer_sizes
        even, odd = sizes[0::2], sizes[1::2]
        parity = 0 if sum(even) <= sum(odd) else 1
        layers = even if parity == 0 else odd
        if sum(layers) > max_units:
            raise ValueError(f"exact log Z enumerates 2**{sum(layers)} states (the smaller parity), more than "
                             f"max_units={max_units}; estimate it with genlib.energy.ais.log_partition() instead.")
        parts = _enumerate_layers(layers, self.device, max_units)
        fixed = {k: parts[i] for i, k in enumerate(range(parity, len(sizes), 2))}
        return float(torch.logsumexp(_log_marginal(fixed, parity, Ws, bs), 0))

    @torch.no_grad()
    def exact_log_likelihood(self, X: Any, *, max_units: int = 20) -> torch.Tensor:
        """Exact log p(x) of each row (tiny models): the even hidden layers enumerated, the odd ones summed out."""
        V = self._visible(X).double()
        Ws, bs = self._params(torch.float64)
        log_z = self.exact_log_partition(max_units=max_units)
        ks = list(range(2, self.n_layers + 1, 2))
        if not ks:
            return _log_marginal({0: V}, 0, Ws, bs) - log_z
        parts = _enumerate_layers([self.layer_sizes[k] for k in ks], self.device, max_units)
        N, S = V.shape[0], parts[0].shape[0]
        fixed = {0: V.repeat_interleave(S, 0)}
        fixed.update({k: p.repeat(N, 1) for k, p in zip(ks, parts)})
        return torch.logsumexp(_log_marginal(fixed, 0, Ws, bs).reshape(N, S), 1) - log_z

    @torch.no_grad()
    def log_likelihood_bound(self, X: Any, *, log_z: float, n_iter: int | None = None) -> torch.Tensor:
        """The mean-field lower bound (dbm-bound) on log p(x) of each row (float64), given ``log_z``."""
        log_z = check_float(log_z, "log_z")
        n_iter = self.n_mean_field if n_iter is None else check_int(n_iter, "n_iter", minimum=0)
        V = self._visible(X).double()
        Ws, bs = self._params(torch.float64)
        mus = _mean_field(V, Ws, bs, n_iter)
        return _mean_field_bound(V, mus, Ws, bs, log_z)

    def ais_bound(self, X: Any, *, data: Any = None, n_temperatures: int = 1000, n_chains: int = 100,
                  n_iter: int | None = None, random_state: Any = None) -> tuple[float, float]:
        """Mean bound (dbm-bound) over the rows of ``X`` with log Z from AIS (Salakhutdinov & Hinton, 2009).

        ``data`` (the training set) sets the AIS base-rate model. Returns ``(mean_bound, std_err)``,
        the error combining AIS's standard error of log Z and the spread over rows.
        """
        log_z, se_z = _ais.log_partition(self, n_temperatures=n_temperatures, n_chains=n_chains, data=data,
                                         random_state=random_state)
        b = self.log_likelihood_bound(X, log_z=log_z, n_iter=n_iter)
        se = float(b.std() / math.sqrt(b.numel())) if b.numel() > 1 else 0.0
        return float(b.mean()), math.sqrt(se_z**2 + se**2)


    def extra_repr(self) -> str:
        return f"layer_sizes={self.layer_sizes}"
