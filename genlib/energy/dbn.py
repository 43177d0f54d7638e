"""Deep belief networks: RBMs stacked greedily, layer by layer (Hinton, Osindero & Teh, 2006).

A DBN with hidden layers h^1, ..., h^L over visible units v = h^0 is a hybrid model: the
top two layers form an undirected RBM, every lower layer is generated top-down by a
directed sigmoid belief net. The chapter (book/03_dl/03_dbn) writes the joint as

    P(v, h^1, ..., h^L) = (prod_{k=0}^{L-2} P(h^k | h^{k+1})) P(h^{L-1}, h^L)        (dbn-joint)
    P(h^k_j = 1 | h^{k+1}) = sigmoid(b^k_j + W^{k+1}'_j h^{k+1})                       (dbn-joint)

with ``W^{k+1}`` of shape (n_{k+1}, n_k), the weights of the k-th RBM of the stack. Training
is greedy: RBM 1 is trained on the data, then each RBM k+1 on samples of the previous
RBM's hidden units ("recognition" pass, ``q(h^{k+1} | h^k) = sigmoid(c^{k+1} + W^{k+1} h^k)``).

Its log-likelihood is intractable even with Z known, but the recognition pass gives a
variational lower bound (Hinton et al. 2006; estimated with AIS by Salakhutdinov & Murray
2008). With ``q(h | v) = prod_k q(h^k | h^{k-1})`` over the hidden layers below the top RBM,

    log p(v) >= E_q[ sum_{k=1}^{L-1} log P(h^{k-1} | h^k) - F_top(h^{L-1})
                     - sum_{k=1}^{L-1} log q(h^k | h^{k-1}) ] - log Z_top                 (dbn-bound)

where F_top is the free energy of the top RBM (whose visible layer is h^{L-1}) and Z_top its
partition function, estimated by AIS (:mod:`genlib.energy.ais`). Adding a layer whose
weights start at the transpose of the layer below leaves the bound equal to the lower RBM's
log-likelihood; training it then raises the bound (the greedy guarantee, checked in the tests).

The model has no ``log_prob``/``score``: its likelihood is only bounded (registry key "dbn").
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import math

import torch
from torch import nn
from torch.nn import functional as Fn

from .._validation import check_bool, check_float, check_int, check_option, renamed_arguments
from . import ais as _ais
from .._torch import SEED_RANGE, _bernoulli as bernoulli, log_bernoulli  # unchecked: p is a sigmoid here
from ..neural.training import train_classifier  # the neural training loop; chapters import it here
from .gibbs import SeededModel, all_binary_states, as_tensor, make_generator, resolve_device
from .rbm import BernoulliRBM

__all__ = ["DeepBeliefNetwork", "bernoulli_log_prob", "train_classifier"]


#: log prod_j Bernoulli(x_j | sigmoid(logits_j)) of each row: genlib's one Bernoulli log-likelihood.
bernoulli_log_prob = log_bernoulli


def _check_layer_sizes(layer_sizes: Any, minimum: int = 2) -> list[int]:
    if isinstance(layer_sizes, (str, bytes)) or not hasattr(layer_sizes, "__len__"):
        raise TypeError(f"layer_sizes must be a sequence of ints such as [64, 100, 50], got {layer_sizes!r}.")
    if len(layer_sizes) < minimum:
        raise ValueError(f"layer_sizes must list the visible size and at least {minimum - 1} hidden size(s), "
                         f"got {list(layer_sizes)}; e.g. [64, 100, 50].")
    return [check_int(n, f"layer_sizes[{i}]", minimum=1) for i, n in enumerate(layer_sizes)]


class DeepBeliefNetwork(_ais.BoundLikelihood, SeededModel, nn.Module):
    """Deep belief network: a stack of binary RBMs trained greedily, layer by layer.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``[n_features, n_hidden_1, ..., n_hidden_L]``; RBM k connects layers k-1 and k.
    n_epochs, learning_rate, k, persistent, momentum, weight_decay, batch_size, n_chains, init_std :
        Training settings of every RBM of the stack (see :class:`~genlib.energy.BernoulliRBM`).
    lr_schedule : {"constant", "linear"}
    layer_kwargs : list of dict, optional
        One dict per RBM overriding the shared settings, e.g. ``[{}, {"n_epochs": 50}]``.
    stack_init : {"random", "transpose"}
        How RBM k+1 starts when ``layer_sizes[k+1] == layer_sizes[k-1]``: random (default), or
        with the transposed weights of RBM k, which makes the stack start exactly at the lower
        RBM's likelihood (Hinton et al., 2006).
    random_state : None, int or Generator
        Seeds the model's ``torch.Generator`` (initial weights, the greedy passes, samplers).
    device : "auto", str or torch.device
        "auto" resolves once, to CUDA when available.
    dtype : torch.float32 or torch.float64
    verbose : bool
        A progress bar per RBM.

    Attributes
    ----------
    rbms : nn.ModuleList of BernoulliRBM
        ``rbms[k]`` has ``W`` of shape (layer_sizes[k+1], layer_sizes[k]).
    history_ : dict of lists
        The RBMs' histories one after the other: ``"layer"`` (the RBM, from 0), and the RBM's
        ``"reconstruction_error"`` and ``"learning_rate"`` of each of its epochs.

    Examples
    --------
    >>> from genlib.datasets import load_digits
    >>> X, _ = load_digits(binary=True)
    >>> dbn = DeepBeliefNetwork([64, 32, 16], n_epochs=3, random_state=0, device="cpu").fit(X)
    >>> dbn.transform(X[:2]).shape
    torch.Size([2, 16])
    >>> dbn.sample(4, n_steps=50).shape
    torch.Size([4, 64])
    >>> clf = dbn.to_classifier(10)
    >>> clf(torch.as_tensor(X[:3], dtype=torch.float32)).shape
    torch.Size([3, 10])
    """

    # the training state fit continues from, saved with the weights (genlib._torch.Resumable)
    _resume_attributes = ("history_",)

    def __init__(self, layer_sizes: Sequence[int], *, n_epochs: int = 10, learning_rate: float = 0.05,
                 k: int = 1, persistent: bool = False, momentum: float = 0.5, weight_decay: float = 1e-4,
                 batch_size: int = 100, n_chains: int | None = None, init_std: float = 0.01,
                 lr_schedule: str = "constant", layer_kwargs: Sequence[dict] | None = None,
                 stack_init: str = "random", random_state: Any = None, device: Any = "auto",
                 dtype: torch.dtype = torch.float32, verbose: bool = False):
        super().__init__()
        self.layer_sizes = _check_layer_sizes(layer_sizes)
        self.stack_init = check_option(stack_init, "stack_init", ("random", "transpose"))
        self.verbose = check_bool(verbose, "verbose")
        n_rbms = len(self.layer_sizes) - 1
        if layer_kwargs is None:
            layer_kwargs = [{}] * n_rbms
        if not isinstance(layer_kwargs, (list, tuple)) or len(layer_kwargs) != n_rbms \
                or not all(isinstance(d, dict) for d in layer_kwargs):
            raise ValueError(f"layer_kwargs must be a list of {n_rbms} dicts (one per RBM), got {layer_kwargs!r}.")
        device = resolve_device(device)
        self._generator = make_generator(random_state, device)
        shared = dict(n_epochs=n_epochs, learning_rate=learning_rate, k=k, persistent=persistent, momentum=momentum,
                      weight_decay=weight_decay, batch_size=batch_size, n_chains=n_chains, init_std=init_std,
                      lr_schedule=lr_schedule, device=device, dtype=dtype, verbose=verbose)
        rbms = []
        for i in range(n_rbms):
            kw = {**shared, **layer_kwargs[i]}
            # Each RBM gets its own seed drawn from the DBN's generator: same seed, same stack.
            seed = int(torch.randint(0, SEED_RANGE, (1,), generator=self._generator, device=device).item())
            rbms.append(BernoulliRBM(self.layer_sizes[i], self.layer_sizes[i + 1], random_state=seed, **kw))
        self.rbms = nn.ModuleList(rbms)
        self.history_: dict[str, list] = {"layer": [], "reconstruction_error": [], "learning_rate": []}

    # ------------------------------------------------------------------ helpers
    @property
    def device(self) -> torch.device:
        return self.rbms[0].W.device

    @property
    def n_layers(self) -> int:
        """Number of RBMs (hidden layers) in the stack."""
        return len(self.rbms)

    def _visible(self, X: Any, name: str = "X") -> torch.Tensor:
        return as_tensor(X, name, n_features=self.layer_sizes[0], binary=True, device=self.device,
                         dtype=self.rbms[0].W.dtype)

    def _n(self, n_layers: Any) -> int:
        return self.n_layers if n_layers is None else check_int(n_layers, "n_layers", minimum=1,
                                                                maximum=self.n_layers)

    def _params(self, dtype: torch.dtype | None = None) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        """(W, b, c) of every RBM, detached, optionally cast (float64 for the likelihood bounds)."""
        return [tuple(t.detach().to(dtype or t.dtype) for t in (r.W, r.b, r.c)) for r in self.rbms]

    @staticmethod
    def _up(V: torch.Tensor, P) -> torch.Tensor:
        """Recognition logits of layer k+1 given layer k: c^{k+1} + W^{k+1} h^k, shape (N, n_{k+1})."""
        W, _, c = P
        return V @ W.T + c

    @staticmethod
    def _down(H: torch.Tensor, P) -> torch.Tensor:
        """Generative logits of layer k given layer k+1, eq. (dbn-joint): b^k + W^{k+1}' h^{k+1}."""
        W, b, _ = P
        return H @ W + b

    @staticmethod
    def _free_energy(V: torch.Tensor, P) -> torch.Tensor:
        """Free energy of an RBM, eq. (rbm-free-energy): F(v) = -b'v - sum_j softplus(c_j + W_j v)."""
        W, b, c = P
        return -(V @ b) - Fn.softplus(V @ W.T + c).sum(-1)

    # ------------------------------------------------------------------ training
    def fit(self, X: Any, y: Any = None, *, start_layer: int = 0, n_up_samples: int = 1,
            callback: Callable[["DeepBeliefNetwork", int], Any] | None = None,
            epoch_callback: Callable[[BernoulliRBM, int], Any] | None = None) -> "DeepBeliefNetwork":
        """Greedy layer-wise training: RBM 1 on ``X``, RBM k+1 on samples of q(h^k | h^{k-1}).

        Parameters
        ----------
        X : array-like (n_samples, n_features), binary
        y : ignored
        start_layer : int, default 0
            Keep RBMs ``0 .. start_layer - 1`` as they are (only pass the data up through them)
            and train the ones above: how a layer is added to an already trained stack.
        n_up_samples : int, default 1
            Recognition draws per training vector that make the next RBM's data; more draws
            describe the aggregated posterior the next RBM should model better.
        callback : callable(dbn, k), optional
            Runs after RBM ``k`` (0-based) is trained, e.g. to track the bound (dbn-bound) of
            the partial stack ``n_layers=k + 1``.
        epoch_callback : callable(rbm, epoch), optional
            Passed to every RBM's ``fit``: runs after each epoch of each layer.
        """
        V = self._visible(X)
        start_layer = check_int(start_layer, "start_layer", minimum=0, maximum=self.n_layers - 1)
        n_up_samples = check_int(n_up_samples, "n_up_samples", minimum=1)
        gen = self._gen()
        kept = [i for i, layer in enumerate(self.history_["layer"]) if layer < start_layer]
        self.history_ = {key: [values[i] for i in kept] for key, values in self.history_.items()}
        for k, rbm in enumerate(self.rbms):
            if k < start_layer:
                with torch.no_grad():
                    V = bernoulli(torch.sigmoid(self._up(V.repeat(n_up_samples if k == 0 else 1, 1),
                                                         self._params()[k])), gen)
                continue
            if k >= 1 and self.stack_init == "transpose" and rbm.n_hidden == self.rbms[k - 1].n_features \
                    and rbm.n_updates_ == 0:
                below = self.rbms[k - 1]
                with torch.no_grad():   # start as the lower RBM's "upside-down" copy (Hinton et al., 2006)
                    rbm.W.copy_(below.W.T)
                    rbm.b.copy_(below.c)
                    rbm.c.copy_(below.b)
                rbm.n_updates_ = 1      # keep these biases: do not reset them to the data's log-odds
            rbm.fit(V, callback=epoch_callback)
            self.history_["layer"] += [k] * len(rbm.history_["reconstruction_error"])
            for key in ("reconstruction_error", "learning_rate"):
                self.history_[key] += rbm.history_[key]
            if callback is not None:
                callback(self, k)
            if k + 1 < self.n_layers:
                with torch.no_grad():   # the next RBM's data: h^{k+1} ~ q(h^{k+1} | h^k), binary
                    if k == 0:
                        V = V.repeat(n_up_samples, 1)
                    V = bernoulli(torch.sigmoid(self._up(V, self._params()[k])), gen)
        return self

    # ------------------------------------------------------------------ inference and features
    @torch.no_grad()
    def transform(self, X: Any, *, layer: int | None = -1) -> torch.Tensor | list[torch.Tensor]:
        """Features of ``X``: the deterministic up pass p(h^k = 1 | h^{k-1} = mean of the layer below).

        Parameters
        ----------
        X : array-like (n_samples, n_features), binary
        layer : int or None, default -1
            Which hidden layer (0 = first hidden layer, -1 = top); ``None`` returns all of them.
        """
        H = self._visible(X)
        feats = []
        for P in self._params():
            H = torch.sigmoid(self._up(H, P))        # (N, n_{k+1})
            feats.append(H)
        if layer is None:
            return feats
        layer = check_int(layer, "layer", minimum=-self.n_layers, maximum=self.n_layers - 1)
        return feats[layer]

    def _sample_up(self, V: torch.Tensor, n_layers: int, gen: torch.Generator, P=None) -> list[torch.Tensor]:
        """One draw h^1, ..., h^{n_layers - 1} from the recognition pass q(h | v)."""
        P = self._params(V.dtype) if P is None else P
        states, H = [], V
        for k in range(n_layers - 1):
            H = bernoulli(torch.sigmoid(self._up(H, P[k])), gen)
            states.append(H)
        return states

    # ------------------------------------------------------------------ generation
    @torch.no_grad()
    @renamed_arguments(return_mean="mean")
    def sample(self, n: int, *, n_steps: int = 1000, init: Any = None, mean: bool = False,
               random_state: Any = None) -> torch.Tensor:
        """Draw ``n`` visible vectors: Gibbs in the top RBM, then one top-down pass (dbn-joint).

        Parameters
        ----------
        n : int
            Number of draws (independent chains in the top RBM).
        n_steps : int, default 1000
            Gibbs steps in the top RBM.
        init : array-like (n, n_features), optional
            Visible vectors whose recognition pass starts the top chains (default: the top
            RBM's visible biases).
        mean : bool
            Return p(v = 1 | h^1) of the last step (grey images) instead of a binary draw.
        random_state : None, int or Generator
            None draws from the model's generator: new draws on every call.

        Returns
        -------
        tensor (n, n_features)
        """
        n = check_int(n, "n", minimum=1)
        n_steps = check_int(n_steps, "n_steps", minimum=1)
        gen = self._rng(random_state)
        top = self.rbms[-1]
        start = None
        if init is not None:
            V0 = self._visible(init, "init")
            if V0.shape[0] != n:
                raise ValueError(f"init must have n={n} rows (one per chain), got {V0.shape[0]}.")
            states = self._sample_up(V0, self.n_layers, gen)
            start = states[-1] if states else V0
        # Gibbs in the top RBM (undirected, the associative memory), over layers L-1 and L.
        H = top.sample(n, n_steps=n_steps, init=start, mean=mean and self.n_layers == 1,
                       random_state=gen)
        # Top-down pass through the directed layers, eq. (dbn-joint).
        P = self._params()
        for k in range(self.n_layers - 2, -1, -1):
            p = torch.sigmoid(self._down(H, P[k]))
            H = p if (mean and k == 0) else bernoulli(p, gen)
        return H

    # ------------------------------------------------------------------ likelihood bound
    def top_log_partition(self, *, n_layers: int | None = None, method: str = "ais", data: Any = None,
                          n_temperatures: int = 1000, n_chains: int = 100, random_state: Any = None
                          ) -> tuple[float, float]:
        """log Z of the top RBM of the (partial) stack: ``(log_z, std_err)``.

        ``method="exact"`` enumerates (small RBMs, std_err 0); ``"ais"`` runs
        :func:`genlib.energy.ais.log_partition` with a base-rate model fitted to ``data``
        (visible training data, propagated up by the recognition pass).
        """
        m = self._n(n_layers)
        check_option(method, "method", ("ais", "exact"))
        top = self.rbms[m - 1]
        if method == "exact":
            return top.exact_log_partition(), 0.0
        gen = self._rng(random_state)
        base_data = None
        if data is not None:
            with torch.no_grad():
                states = self._sample_up(self._visible(data, "data"), m, gen)
                base_data = states[-1] if states else self._visible(data, "data")
        return _ais.log_partition(top, n_temperatures=n_temperatures, n_chains=n_chains, data=base_data,
                                  random_state=gen)

    def _bound_terms(self, V: torch.Tensor, states: list[torch.Tensor], P, m: int) -> torch.Tensor:
        """The bracket of eq. (dbn-bound) for one recognition draw: log P(v, h) - log q(h | v) + log Z_top."""
        out = torch.zeros(V.shape[0], dtype=V.dtype, device=V.device)
        below = V
        for k, H in enumerate(states):              # layers h^1 .. h^{m-1}
            out += bernoulli_log_prob(below, self._down(H, P[k])) - bernoulli_log_prob(H, self._up(below, P[k]))
            below = H
        return out - self._free_energy(below, P[m - 1])

    @torch.no_grad()
    def log_likelihood_bound(self, X: Any, *, log_z: float, n_layers: int | None = None, n_samples: int = 10,
                             exact_expectation: bool = False, random_state: Any = None) -> torch.Tensor:
        """The variational lower bound (dbn-bound) on log p(x) of each row, given the top RBM's ``log_z``.

        Parameters
        ----------
        X : array-like (n_samples, n_features), binary
        log_z : float
            log Z of the top RBM (:meth:`top_log_partition`).
        n_layers : int, optional
            Use only the first ``n_layers`` RBMs (the partial stack of greedy training). With
            one layer the "bound" is the RBM's exact log p(x) = -F(x) - log Z.
        n_samples : int, default 10
            Recognition draws per row for the Monte Carlo estimate of the expectation
            (the estimate is unbiased for the bound).
        exact_expectation : bool
            Sum over every state of the hidden layers below the top instead (tiny models).

        Returns
        -------
        tensor (n_samples_X,), float64
        """
        m = self._n(n_layers)
        log_z = check_float(log_z, "log_z")
        V = self._visible(X).double()
        P = self._params(torch.float64)
        if m == 1:
            return -self._free_energy(V, P[0]) - log_z
        if exact_expectation:
            sizes = self.layer_sizes[1:m]
            S = all_binary_states(sum(sizes), device=V.device, max_units=20)          # (S, sum n_k)
            N, n_states = V.shape[0], S.shape[0]
            Vr = V.repeat_interleave(n_states, 0)                                   # (N*S, D)
            states = [p.repeat(N, 1) for p in torch.split(S, sizes, dim=1)]
            log_q = torch.zeros(N * n_states, dtype=V.dtype, device=V.device)       # log q(h | v) per pair
            below = Vr
            for k, H in enumerate(states):
                log_q += bernoulli_log_prob(H, self._up(below, P[k]))
                below = H
            terms = self._bound_terms(Vr, states, P, m).reshape(N, n_states)
            return (torch.exp(log_q).reshape(N, n_states) * terms).sum(1) - log_z
        n_samples = check_int(n_samples, "n_samples", minimum=1)
        gen = self._rng(random_state)
        total = torch.zeros(V.shape[0], dtype=V.dtype, device=V.device)
        for _ in range(n_samples):
            total += self._bound_terms(V, self._sample_up(V, m, gen, P), P, m)
        return total / n_samples - log_z

    def ais_bound(self, X: Any, *, data: Any = None, n_layers: int | None = None, n_temperatures: int = 1000,
                  n_chains: int = 100, n_samples: int = 10, random_state: Any = None) -> tuple[float, float]:
        """Mean variational bound (dbn-bound) over the rows of ``X`` with log Z_top from AIS.

        As in Salakhutdinov & Murray (2008). ``data`` (the training set) sets the AIS base-rate
        model. Returns ``(mean_bound, std_err)``; the error combines AIS's standard error of
        log Z and the Monte Carlo error of the mean over rows and recognition draws. As
        AIS tends to underestimate log Z, the estimate can overshoot the true bound slightly.
        """
        gen = self._rng(random_state)
        log_z, se_z = self.top_log_partition(n_layers=n_layers, method="ais", data=data,
                                             n_temperatures=n_temperatures, n_chains=n_chains, random_state=gen)
        b = self.log_likelihood_bound(X, log_z=log_z, n_layers=n_layers, n_samples=n_samples, random_state=gen)
        se_mc = float(b.std() / math.sqrt(b.numel())) if b.numel() > 1 else 0.0
        return float(b.mean()), math.sqrt(se_z**2 + se_mc**2)


    @torch.no_grad()
    def exact_log_likelihood(self, X: Any, *, n_layers: int | None = None, max_units: int = 20) -> torch.Tensor:
        """Exact log p(x) of each row by enumerating every hidden layer below the top RBM (tiny models).

        p(h^{m-1}) is the top RBM's marginal exp(-F_top) / Z_top (Z_top exact), and each
        layer below is marginalised in turn: log p(h^{k-1}) = logsumexp_{h^k} [log P(h^{k-1} | h^k) + log p(h^k)].
        """
        m = self._n(n_layers)
        V = self._visible(X).double()
        P = self._params(torch.float64)
        log_z = _ais.bernoulli_rbm_log_partition(*P[m - 1], max_units=max_units)
        if m == 1:
            return -self._free_energy(V, P[0]) - log_z
        H = all_binary_states(self.layer_sizes[m - 1], device=V.device, max_units=max_units)
        log_p = -self._free_energy(H, P[m - 1]) - log_z                                  # (S_top,)
        for k in range(m - 2, -1, -1):
            below = V if k == 0 else all_binary_states(self.layer_sizes[k], device=V.device, max_units=max_units)
            logits = self._down(H, P[k])                                                # (S_{k+1}, n_k)
            # log P(below_i | H_s) for every pair, then marginalise H: (N_below,)
            cond = below @ logits.T - Fn.softplus(logits).sum(1)
            log_p = torch.logsumexp(cond + log_p, 1)
            H = below
        return log_p

    # ------------------------------------------------------------------ supervised fine-tuning
    def to_classifier(self, n_classes: int, *, n_layers: int | None = None, random_state: Any = None
                      ) -> nn.Sequential:
        """A feed-forward classifier initialised with the stack's recognition weights.

        Layer k is ``Linear(n_{k-1}, n_k)`` with weight W^k and bias c^k followed by a sigmoid
        (the recognition pass), then a new ``Linear(n_top, n_classes)`` output layer (small
        random weights from ``random_state``) giving logits. Train it with
        :func:`train_classifier` (cross-entropy): supervised fine-tuning of the pre-trained net.
        The copy is independent of the DBN.
        """
        n_classes = check_int(n_classes, "n_classes", minimum=2)
        m = self._n(n_layers)
        layers: list[nn.Module] = []
        for rbm in self.rbms[:m]:
            lin = nn.Linear(rbm.n_features, rbm.n_hidden, device=self.device, dtype=rbm.W.dtype)
            with torch.no_grad():
                lin.weight.copy_(rbm.W)
                lin.bias.copy_(rbm.c)
            layers += [lin, nn.Sigmoid()]
        out = nn.Linear(self.layer_sizes[m], n_classes, device=self.device, dtype=self.rbms[0].W.dtype)
        gen = self._rng(random_state)
        with torch.no_grad():
            out.weight.copy_(0.01 * torch.randn(out.weight.shape, generator=gen, device=self.device,
                                                dtype=out.weight.dtype))
            out.bias.zero_()
        layers.append(out)
        return nn.Sequential(*layers)

    def extra_repr(self) -> str:
        return f"layer_sizes={self.layer_sizes}"
