"""Shared helpers of the energy models: devices, random generators, input checks, Gibbs sampling.

The Boltzmann machine, the RBMs and annealed importance sampling all need the same small
pieces:

- :func:`resolve_device` turns ``device="auto"`` into a concrete ``torch.device`` once;
- :func:`make_generator` turns ``random_state`` into one ``torch.Generator``;
- :func:`as_tensor` checks user input (shape, finite, binary) and moves it to the model;
- :func:`bernoulli` draws 0/1 units from their probabilities, eq. (bm-conditional);
- :func:`all_binary_states` enumerates the ``2**n`` binary vectors of small models;
- :func:`sequential_gibbs_sweep` updates the units of a fully connected Boltzmann
  machine one at a time (the Gibbs sampler of the Boltzmann-machine chapter);
- :func:`total_variation` compares an empirical distribution with an exact one;
- :func:`cpu_threads_for` runs small mini-batch loops on one CPU thread.

Everything here is plain functions on tensors, so tests and chapters can call them.
"""

from __future__ import annotations

import contextlib
import numbers
from typing import Any

import numpy as np
import torch

from .._validation import check_array, check_binary, check_int

__all__ = [
    "resolve_device",
    "make_generator",
    "generator_for",
    "SeededModel",
    "as_tensor",
    "bernoulli",
    "all_binary_states",
    "sequential_gibbs_sweep",
    "total_variation",
    "states_to_index",
    "cpu_threads_for",
    "SINGLE_THREAD_MAX_MACS",
]

#: Mini-batch products of fewer multiply-adds than this (B x D x H) run on one CPU thread: measured on
#: 2 cores (benchmarks/rbm.py), a second thread gains nothing at 100 x 64 x 256 (1.6 M) and loses
#: several times over when another library's thread pool (scikit-learn's OpenBLAS, a second pytest
#: worker) holds the other core, while from about 5 M multiply-adds up the second thread pays.
SINGLE_THREAD_MAX_MACS = 1 << 22


@contextlib.contextmanager
def cpu_threads_for(macs: int, device: torch.device):
    """Context that runs torch on one CPU thread while a loop's products are small (< ``SINGLE_THREAD_MAX_MACS``).

    ``macs`` is the multiply-adds of one mini-batch product (B x D x H). On a GPU, or when the
    products are large, or torch already uses one thread, it does nothing. The previous thread
    count comes back on exit, also after an error. ``torch.set_num_threads`` is process-wide, so
    other Python threads running torch meanwhile see one thread too.
    """
    before = torch.get_num_threads()
    if device.type != "cpu" or macs >= SINGLE_THREAD_MAX_MACS or before == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def resolve_device(device: Any = "auto") -> torch.device:
    """Return a ``torch.device``: ``"auto"`` means CUDA when available, else the CPU.

    Examples
    --------
    >>> resolve_device("cpu")
    device(type='cpu')
    """
    if device is None or (isinstance(device, str) and device == "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        return torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or a torch.device, got {device!r} ({exc}).") from None


def _seed_from(random_state: Any, name: str) -> int:
    """An int seed from ``random_state`` (None draws one from torch's global generator, without seeding it)."""
    if random_state is None:
        # Read (not reseed) the global generator, so genlib.seed_everything makes notebooks reproducible.
        return int(torch.randint(0, 2**62, (1,)).item())
    if isinstance(random_state, torch.Generator):
        return int(torch.randint(0, 2**62, (1,), generator=random_state).item()) if random_state.device.type == "cpu" \
            else int(random_state.initial_seed())
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**62))
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(f"{name} must be a non-negative int, got {random_state}.")
        return int(random_state)
    raise TypeError(
        f"{name} must be None, a non-negative int, a numpy.random.Generator or a torch.Generator, "
        f"got {type(random_state).__name__}; pass e.g. {name}=0."
    )


def make_generator(random_state: Any = None, device: Any = "cpu", name: str = "random_state") -> torch.Generator:
    """Turn ``random_state`` into a ``torch.Generator`` on ``device``.

    A ``torch.Generator`` already on ``device`` is returned as is (so a caller can keep
    drawing from it); an int seeds a new one; ``None`` seeds a new one from torch's global
    generator (so ``genlib.seed_everything`` makes a notebook reproducible), which is read,
    never reseeded.

    Examples
    --------
    >>> g1, g2 = make_generator(0), make_generator(0)
    >>> bool(torch.equal(torch.rand(3, generator=g1), torch.rand(3, generator=g2)))
    True
    """
    device = torch.device(device)
    if isinstance(random_state, torch.Generator) and random_state.device.type == device.type:
        return random_state
    gen = torch.Generator(device=device)
    gen.manual_seed(_seed_from(random_state, name))
    return gen


def generator_for(gen: torch.Generator | None, device: torch.device, seed_source: Any = None) -> torch.Generator:
    """Return ``gen`` when it lives on ``device``, else a new generator there seeded from ``gen``.

    Used when a model has moved to another device since its generator was made.
    """
    if gen is not None and gen.device.type == torch.device(device).type:
        return gen
    seed = _seed_from(gen if gen is not None else seed_source, "random_state")
    new = torch.Generator(device=device)
    new.manual_seed(seed)
    return new


class SeededModel:
    """Mixin for the energy models: one ``torch.Generator`` in ``self._generator``, kept on ``self.device``.

    ``_gen()`` is the model's own stream (repeated ``sample`` calls draw new values from it);
    ``_rng(random_state)`` is that stream, or a fresh generator when a seed is passed.
    """

    _generator: torch.Generator | None

    def _gen(self) -> torch.Generator:
        self._generator = generator_for(self._generator, self.device)
        return self._generator

    def _rng(self, random_state: Any) -> torch.Generator:
        return self._gen() if random_state is None else make_generator(random_state, self.device)


def as_tensor(X: Any, name: str = "X", *, n_features: int | None = None, binary: bool = False,
              device: Any = "cpu", dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Check ``X`` (array-like or tensor) and return it as a 2-D tensor on ``device``.

    NumPy input goes through :mod:`genlib._validation` (the shared messages); tensors are
    checked where they live, with the same messages, so GPU data is not copied to the CPU.

    Parameters
    ----------
    X : array-like or torch.Tensor of shape (n_samples, n_features)
    name : str
        The argument's name, for error messages.
    n_features : int, optional
        The number of columns the model expects.
    binary : bool
        Require every entry to be 0 or 1 (Bernoulli units).
    device, dtype :
        Where and how the result is stored.

    Examples
    --------
    >>> as_tensor([[0, 1], [1, 1]], binary=True)
    tensor([[0., 1.],
            [1., 1.]])
    """
    if isinstance(X, torch.Tensor):
        if X.ndim != 2:
            hint = f"; reshape a single sample with {name}.reshape(1, -1)" if X.ndim == 1 else ""
            raise ValueError(f"{name} must be 2-D (n_samples, n_features), got {X.ndim}-D of shape "
                             f"{tuple(X.shape)}{hint}.")
        if X.shape[0] < 1 or X.shape[1] < 1:
            raise ValueError(f"{name} needs at least 1 sample(s) and at least one feature, got shape "
                             f"{tuple(X.shape)}; pass a non-empty array.")
        if X.is_complex():
            raise TypeError(f"{name} must be real, got complex dtype {X.dtype}; pass {name}.real if that is meant.")
        T = X.detach().to(device=device, dtype=dtype)
        # Fast checks first (a 60,000 x 784 input took 0.7 s of CPU time with full-size boolean masks): 0/1 data
        # is finite, and a finite sum means finite entries. Only a failing input pays for the counts in the messages.
        ok = _all_binary(T) if binary else bool(torch.isfinite(T.sum()))
        if not ok and not bool(torch.isfinite(T).all()):
            raise ValueError(f"{name} contains {int(torch.isnan(T).sum())} NaN and {int(torch.isinf(T).sum())} "
                             f"infinite value(s); drop or impute them before calling this.")
        if binary and not ok:
            bad = (T != 0) & (T != 1)
            if bool(bad.any()):
                example = float(T[bad][0])
                raise ValueError(
                    f"{name} must be binary (0/1) for Bernoulli units, found {int(bad.sum())} other value(s) such as "
                    f"{example!r}; binarise with ({name} > 0.5).float() or sample with torch.bernoulli({name}).")
        if n_features is not None and T.shape[1] != n_features:
            raise ValueError(f"{name} has {T.shape[1]} feature(s) but the model has {n_features} visible units; "
                             f"pass data with {n_features} columns.")
        return T
    arr = check_binary(X, name) if binary else check_array(X, name)
    if n_features is not None:
        if arr.shape[1] != n_features:
            raise ValueError(f"{name} has {arr.shape[1]} feature(s) but the model has {n_features} visible units; "
                             f"pass data with {n_features} columns.")
    return torch.as_tensor(arr, dtype=dtype, device=device)


def _all_binary(T: torch.Tensor, chunk: int = 1 << 18) -> bool:
    """Whether every entry of the 2-D ``T`` is 0 or 1, checked ``chunk`` entries at a time (small temporaries).

    One temporary per chunk: t - t * t is exactly 0 for t = 0 or 1 and nonzero for every other
    value (for finite t, t * t rounds to t only at 0 and 1; NaN and +inf give NaN, -inf gives
    -inf), so a chunk passes when it has no nonzero. Two passes instead of the four of
    ``(t != 0) & (t != 1)``: on one thread of this project's CPU, a 50,000 x 784 check took 97 ms
    that way and 42 ms this way (``fit`` checks its input every call).
    """
    rows = max(1, chunk // max(1, T.shape[1]))
    for s in range(0, T.shape[0], rows):
        part = T[s:s + rows]
        if bool(torch.addcmul(part, part, part, value=-1).any()):
            return False
    return True


def bernoulli(p: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Draw 0/1 with probabilities ``p`` (same shape, dtype and device)."""
    return (torch.rand(p.shape, generator=generator, device=p.device, dtype=p.dtype) < p).to(p.dtype)


def all_binary_states(n: int, *, device: Any = "cpu", dtype: torch.dtype = torch.float64,
                      max_units: int = 25) -> torch.Tensor:
    """Every binary vector of length ``n``, as rows of a ``(2**n, n)`` tensor (row i is i in binary).

    The first unit is the most significant bit, so ``states_to_index`` inverts it.

    Examples
    --------
    >>> all_binary_states(2)
    tensor([[0., 0.],
            [0., 1.],
            [1., 0.],
            [1., 1.]], dtype=torch.float64)
    """
    n = check_int(n, "n", minimum=0)
    if n > max_units:
        raise ValueError(f"enumerating 2**{n} states is too large (limit max_units={max_units}); "
                         f"use a smaller model or an estimate (Gibbs sampling, AIS).")
    idx = torch.arange(2**n, device=device)
    bits = 2 ** torch.arange(n - 1, -1, -1, device=device)
    return ((idx[:, None] // bits) % 2).to(dtype)


def states_to_index(S: torch.Tensor) -> torch.Tensor:
    """Index in :func:`all_binary_states` of each binary row of ``S`` (int64)."""
    n = S.shape[1]
    bits = 2 ** torch.arange(n - 1, -1, -1, device=S.device)
    return (S.long() * bits).sum(dim=1)


@torch.no_grad()
def sequential_gibbs_sweep(S: torch.Tensor, W: torch.Tensor, b: torch.Tensor, generator: torch.Generator,
                           *, units: torch.Tensor | None = None, beta: float = 1.0) -> torch.Tensor:
    """One Gibbs sweep of a Boltzmann machine: update ``units`` one at a time, in place.

    For unit i, eq. (bm-conditional): p(s_i = 1 | s_-i) = sigmoid(beta * (b_i + sum_j W_ij s_j)),
    with W symmetric and zero on the diagonal. All chains (rows of ``S``) are updated in
    parallel; the units within a chain strictly one after another, which is what makes this
    a valid Gibbs sampler for a fully connected model.

    Parameters
    ----------
    S : tensor (n_chains, n_units)
        Current states, overwritten.
    W : tensor (n_units, n_units), symmetric, zero diagonal
    b : tensor (n_units,)
    generator : torch.Generator
    units : 1-D tensor of int, optional
        Which units to update (default all; clamped units are left out).
    beta : float
        Inverse temperature.
    """
    order = range(S.shape[1]) if units is None else units.tolist()
    U = torch.rand(S.shape, generator=generator, device=S.device, dtype=S.dtype)
    for i in order:
        field = b[i] + S @ W[:, i]  # (n_chains,)
        S[:, i] = (U[:, i] < torch.sigmoid(beta * field)).to(S.dtype)
    return S


def total_variation(samples: torch.Tensor, probs: torch.Tensor) -> float:
    """Total-variation distance 0.5 * sum |q - p| between the empirical distribution of binary
    ``samples`` (rows) and the exact distribution ``probs`` over :func:`all_binary_states`.
    """
    counts = torch.bincount(states_to_index(samples), minlength=probs.numel()).to(probs.dtype)
    q = counts / counts.sum()
    return float(0.5 * (q - probs).abs().sum())
