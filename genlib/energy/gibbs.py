"""Shared pieces of the energy models: enumeration and Gibbs sampling.

Devices, generators, input checks and :func:`bernoulli` are genlib's torch conventions
(:mod:`genlib._torch`, re-exported here for the chapters). What is specific to energy models:

- :func:`all_binary_states` enumerates the ``2**n`` binary vectors of small models;
- :func:`sequential_gibbs_sweep` updates the units of a fully connected Boltzmann
  machine one at a time (the Gibbs sampler of the Boltzmann-machine chapter);
- :func:`total_variation` compares an empirical distribution with an exact one;
- :func:`cpu_threads_for` runs small mini-batch loops on one CPU thread.

Everything here is plain functions on tensors, so tests and chapters can call them.
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
import torch

from .._torch import (SeededModel, as_tensor, bernoulli, check_generator, check_tensor, generator_for, make_generator,
                      resolve_device)
from .._validation import check_float, check_int, check_option
from ..base import LikelihoodUnavailable, TrainingDiverged

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
    "train_epochs",
    "learning_rate_factor",
    "SINGLE_THREAD_MAX_MACS",
]

#: Mini-batch products of fewer multiply-adds than this (B x D x H) run on one CPU thread: measured on
#: 2 cores (benchmarks/rbm.py), a second thread gains nothing at 100 x 64 x 256 (1.6 M) and loses
#: several times over when another library's thread pool (scikit-learn's OpenBLAS, a second pytest
#: worker) holds the other core, while from about 5 M multiply-adds up the second thread pays.
SINGLE_THREAD_MAX_MACS = 1 << 22


def cpu_threads_for(macs: int, device: torch.device):
    """Context that runs torch on one CPU thread while a loop's products are small (< ``SINGLE_THREAD_MAX_MACS``).

    ``macs`` is the multiply-adds of one mini-batch product (B x D x H). On a GPU, or when the
    products are large, or torch already uses one thread, it does nothing. The previous thread
    count comes back on exit, also after an error. ``torch.set_num_threads`` is process-wide, so
    other Python threads running torch meanwhile see one thread too.
    """
    return _cpu_threads(check_int(macs, "macs", minimum=0), resolve_device(device))  # checked now, not at `with`


@contextlib.contextmanager
def _cpu_threads(macs: int, device: torch.device):
    before = torch.get_num_threads()
    if device.type != "cpu" or macs >= SINGLE_THREAD_MAX_MACS or before == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


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
        raise LikelihoodUnavailable(f"enumerating 2**{n} states is too large (limit max_units={max_units}); "
                         f"use a smaller model or an estimate (Gibbs sampling, AIS).")
    idx = torch.arange(2**n, device=device)
    bits = 2 ** torch.arange(n - 1, -1, -1, device=device)
    return ((idx[:, None] // bits) % 2).to(dtype)


def states_to_index(S: torch.Tensor) -> torch.Tensor:
    """Index in :func:`all_binary_states` of each binary row of ``S`` (int64)."""
    S = as_tensor(S, "S", binary=True, dtype=S.dtype if isinstance(S, torch.Tensor) and S.is_floating_point()
                  else torch.float64)
    n = S.shape[1]
    if n > 62:
        raise ValueError(f"S has {n} units; an index of 2**{n} states does not fit in int64 (at most 62 units).")
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
        Current binary states, overwritten.
    W : tensor (n_units, n_units), symmetric, zero diagonal
    b : tensor (n_units,)
    generator : torch.Generator
    units : 1-D tensor of int, optional
        Which units to update (default all; clamped units are left out).
    beta : float
        Inverse temperature.
    """
    n = S.shape[1] if isinstance(S, torch.Tensor) and S.ndim == 2 else None
    check_tensor(W, "W", shape=(n, n), hint="one row and column per unit of S")
    n = W.shape[0]
    as_tensor(check_tensor(S, "S", shape=(None, n), hint="one column per unit of W"), "S", binary=True, dtype=S.dtype)
    check_tensor(b, "b", shape=(n,), hint="one bias per unit")
    check_generator(generator, "generator")
    if units is not None:
        if not isinstance(units, torch.Tensor) or units.ndim != 1 or units.is_floating_point() or units.is_complex() \
                or (units.numel() and (int(units.min()) < 0 or int(units.max()) >= n)):
            raise ValueError(f"units must be a 1-D integer tensor of unit indices in [0, {n}), got {units!r:.80}.")
    beta = check_float(beta, "beta", minimum=0.0)
    return _sequential_gibbs_sweep(S, W, b, generator, units=units, beta=beta)


def _sequential_gibbs_sweep(S, W, b, generator, *, units=None, beta=1.0):
    """:func:`sequential_gibbs_sweep`, unchecked: the Boltzmann machine's loops call it on its own tensors."""
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
    samples = as_tensor(samples, "samples", binary=True, dtype=torch.float64)
    index = states_to_index(samples)
    if not isinstance(probs, torch.Tensor) or probs.ndim != 1 or not probs.is_floating_point() \
            or probs.numel() != 2 ** samples.shape[1] or bool((probs < 0).any()) \
            or abs(float(probs.sum()) - 1.0) > 1e-6:
        raise ValueError(f"probs must be a 1-D tensor of 2**n_units probabilities summing to one (one per state of "
                         f"all_binary_states), got {type(probs).__name__}"
                         + (f" of shape {tuple(probs.shape)}" if isinstance(probs, torch.Tensor) else "") + ".")
    counts = torch.bincount(index, minlength=probs.numel()).to(probs.dtype)
    q = counts / counts.sum()
    return float(0.5 * (q - probs).abs().sum())


def learning_rate_factor(schedule: Any, epoch: int, n_epochs: int) -> float:
    """The factor of the base learning rate in ``epoch``: 1 (``"constant"``), 1 - epoch / n_epochs
    (``"linear"``, to zero at the end; Tieleman, 2008), or ``schedule(epoch, n_epochs)`` (a finite number >= 0)."""
    n_epochs = check_int(n_epochs, "n_epochs", minimum=1)
    epoch = check_int(epoch, "epoch", minimum=0, maximum=n_epochs)
    if callable(schedule):
        value = schedule(epoch, n_epochs)
        try:
            return check_float(value, "schedule(epoch, n_epochs)", minimum=0.0)
        except (TypeError, ValueError) as err:
            raise type(err)(f"schedule must return a learning-rate factor, a finite number >= 0: {err}") from None
    check_option(schedule, "schedule", ("constant", "linear"))
    return 1.0 - epoch / n_epochs if schedule == "linear" else 1.0


def train_epochs(model: Any, V: torch.Tensor, update: Any, callback: Any = None) -> Any:
    """The energy models' training loop: ``model.n_epochs`` passes over ``V`` in shuffled mini-batches.

    ``update(batch, learning_rate, generator)`` performs one parameter update and returns the
    batch's reconstruction error; the mini-batch order comes from the model's generator.
    ``model.history_`` gets each epoch's mean error and learning rate, and ``callback(model,
    epoch)``, when given, runs after every epoch.
    """
    missing = [a for a in ("_gen", "n_epochs", "batch_size", "learning_rate", "lr_schedule", "verbose", "history_")
               if not hasattr(model, a)]
    if missing:
        raise TypeError(f"model must be a genlib energy model (an RBM, a DBM), got {type(model).__name__} without "
                        f"{', '.join(missing)}.")
    check_tensor(V, "V", shape=(None, getattr(model, "n_features", None)),
                 hint="one row per sample, one column per visible unit of the model")
    if not callable(update):
        raise TypeError(f"update must be a callable update(batch, learning_rate, generator), got {type(update).__name__}.")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be a callable callback(model, epoch), got {type(callback).__name__}.")
    gen = model._gen()
    n = V.shape[0]
    bs = min(model.batch_size, n)
    epochs = range(model.n_epochs)
    if model.verbose:
        from tqdm import tqdm

        epochs = tqdm(epochs, desc=type(model).__name__)
    for epoch in epochs:
        lr = model.learning_rate * learning_rate_factor(model.lr_schedule, epoch, model.n_epochs)
        order = torch.randperm(n, generator=gen, device=V.device)
        errors = [update(V[order[s:s + bs]], lr, gen) for s in range(0, n, bs)]
        error = float(sum(errors) / len(errors))  # one sync per epoch
        if not np.isfinite(error):
            scale = float(V.abs().max())
            raise TrainingDiverged(
                f"{type(model).__name__} diverged in epoch {epoch + 1} (reconstruction error {error}): lower the "
                f"learning rate (learning_rate={model.learning_rate:g})"
                + (f", or standardise the data (its largest |value| is {scale:.3g})" if scale > 1e3 else "") + ".")
        model.history_["reconstruction_error"].append(error)
        model.history_["learning_rate"].append(lr)
        if callback is not None:
            callback(model, epoch)
    return model
