"""The generic training loop of the neural models.

:func:`train` is the loop every chapter writes once by hand::

    for epoch in range(n_epochs):
        for x in batches(data):          # a fresh random order each epoch
            loss = model.loss(x)         # the model's objective, e.g. the negative ELBO
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

and then calls through ``model.fit``. It works with any ``torch.nn.Module`` that has a
``loss(batch) -> scalar tensor`` method (or with an explicit ``loss=`` callable).

Devices, generators, noise and input checks are genlib's torch conventions
(:mod:`genlib._torch`); the names the chapters import from here are re-exported.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Iterable

import numpy as np
import torch
from torch.nn import functional as F

from ..base import TrainingDiverged
from .._torch import as_tensor, make_generator, on_model_device, rand, randn, reset_parameters, resolve_device
from .._validation import check_float, check_int, renamed_arguments

__all__ = ["train", "train_classifier", "resolve_device", "make_generator", "randn", "rand", "as_tensor", "on_model_device",
           "reset_parameters"]  # all but train re-exported from genlib._torch


# --------------------------------------------------------------------------- the loop
def _batches(data, batch_size: int, generator: torch.Generator):
    """Mini-batches of ``data`` (a matrix, or a tuple of equally long tensors such as (X, y)) in a
    fresh random order drawn from ``generator``."""
    tensors = data if isinstance(data, tuple) else (data,)
    order = torch.randperm(tensors[0].shape[0], generator=generator).to(tensors[0].device)
    for start in range(0, tensors[0].shape[0], batch_size):
        idx = order[start:start + batch_size]
        batch = tuple(t[idx] for t in tensors)
        yield batch if isinstance(data, tuple) else batch[0]


def _make_optimizer(optimizer: Any, params, lr: float) -> torch.optim.Optimizer:
    if optimizer is None or optimizer == "adam":
        return torch.optim.Adam(params, lr=lr)
    if optimizer == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if isinstance(optimizer, torch.optim.Optimizer):
        return optimizer
    if callable(optimizer):
        opt = optimizer(params)
        if not isinstance(opt, torch.optim.Optimizer):
            raise TypeError(f"optimizer(params) must return a torch.optim.Optimizer, got {type(opt).__name__}.")
        return opt
    raise TypeError(
        "optimizer must be None or 'adam', 'sgd', a torch.optim.Optimizer, or a callable params -> Optimizer "
        f"(e.g. functools.partial(torch.optim.SGD, lr=0.1)), got {optimizer!r}."
    )


@renamed_arguments(epochs="n_epochs")
def train(
    model: torch.nn.Module,
    data: Any,
    *,
    n_epochs: int = 10,
    optimizer: Any = None,
    lr: float = 1e-3,
    batch_size: int = 64,
    device: Any = "auto",
    verbose: bool = False,
    random_state: Any = None,
    loss: Callable[..., torch.Tensor] | None = None,
    valid: Any = None,
    transform: Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None = None,
    scheduler: Callable[[int], float] | None = None,
    step: Callable[..., dict] | None = None,
    callback: Callable[[torch.nn.Module, int], Any] | None = None,
) -> dict[str, list[float]]:
    """Minimise ``model.loss`` over mini-batches of ``data`` for ``n_epochs`` passes.

    Parameters
    ----------
    model : torch.nn.Module
        Has a ``loss(batch)`` method returning a scalar tensor (e.g. the mean negative
        ELBO of the batch), unless ``loss`` is given.
    data : array-like or torch.Tensor of shape (n_samples, n_features), a tuple of tensors, or an iterable of batches
        A matrix, or a tuple of tensors with one row per example (``(X, y)``), is shuffled with
        ``random_state`` into batches of ``batch_size`` every epoch. Any other iterable (a
        ``DataLoader``) is iterated as is. A batch that is a tuple/list is unpacked into
        ``loss(*batch)``.
    n_epochs : int
        Passes over the data.
    optimizer : None, 'adam', 'sgd', torch.optim.Optimizer or callable
        Default Adam with learning rate ``lr``. A callable receives the parameters.
    lr : float
        Learning rate when ``optimizer`` is None or a name.
    batch_size : int
        Rows per batch when ``data`` is a matrix.
    device : 'auto', str or torch.device
        Resolved once: ``'auto'`` takes a tensor's device, else CUDA if available, else CPU.
        The model and the data are moved there.
    verbose : bool
        Show a tqdm progress bar over epochs with the running loss.
    random_state : None, int, numpy or torch Generator
        Order of the batches (a model's ``fit`` passes its own generator).
    loss : callable, optional
        ``loss(batch) -> scalar``, replacing ``model.loss``.
    valid : array-like or tensor, optional
        Held-out data; its loss (without gradients) is recorded after every epoch.
    transform : callable, optional
        ``transform(batch, generator) -> batch`` applied to each training batch, e.g.
        dynamic binarisation of grey images.
    scheduler : callable, optional
        ``scheduler(epoch) -> learning rate`` set at the start of every epoch.
    step : callable, optional
        ``step(batch) -> dict of floats`` for a model that takes its own optimiser steps (the
        VAE-GAN's three networks): it replaces the loss, backward and optimiser step, and every
        key of its dict (one of them ``"loss"``) gets a per-epoch mean in the history.
    callback : callable, optional
        ``callback(model, epoch)`` after every epoch (epochs counted from 1).

    Returns
    -------
    history : dict of lists
        ``"loss"``: the mean training loss of every epoch; ``"valid_loss"`` when ``valid``
        is given; ``"seconds"``: wall time of every epoch.

    Examples
    --------
    >>> class Mean(torch.nn.Module):   # the minimiser of E||x - theta||^2 is the data mean
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.theta = torch.nn.Parameter(torch.zeros(2))
    ...     def loss(self, x):
    ...         return ((x - self.theta) ** 2).sum(dim=1).mean()
    >>> X = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> history = train(Mean(), X, n_epochs=200, optimizer="sgd", lr=0.1, batch_size=2, device="cpu")
    >>> round(history["loss"][-1], 3)
    2.0
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}.")
    loss_fn = loss if loss is not None else getattr(model, "loss", None)
    for arg, value, form in (("callback", callback, "callback(model, epoch)"), ("step", step, "step(batch) -> dict"),
                             ("transform", transform, "transform(batch, generator) -> batch"),
                             ("scheduler", scheduler, "scheduler(epoch) -> learning rate")):
        if value is not None and not callable(value):  # refused now, not after an epoch has trained
            raise TypeError(f"{arg} must be a callable {form}, got {type(value).__name__} ({value!r}).")
    if step is None and not callable(loss_fn):
        raise TypeError(
            f"{type(model).__name__} has no loss(batch) method; pass loss=lambda x: ... returning a scalar tensor."
        )
    n_epochs = check_int(n_epochs, "n_epochs", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    lr = check_float(lr, "lr", minimum=0.0, strict=True)
    if not isinstance(verbose, (bool, np.bool_)):
        raise TypeError(f"verbose must be True or False, got {verbose!r}.")
    generator = make_generator(random_state)
    device = resolve_device(device, data)  # resolved once
    model.to(device)

    is_matrix = isinstance(data, (torch.Tensor, np.ndarray, list))
    is_tuple = isinstance(data, tuple) and len(data) > 0 and all(isinstance(t, torch.Tensor) for t in data)
    if is_matrix:
        data = as_tensor(data, "data", device=device)
    elif is_tuple:  # (X, y, ...): tensors shuffled together, one row each
        if len({t.shape[0] for t in data}) != 1:
            raise ValueError(f"the tensors of data must have the same number of rows, got {[t.shape[0] for t in data]}.")
        data = tuple(t.to(device) for t in data)
    elif isinstance(data, (str, bytes)) or not isinstance(data, Iterable):
        raise TypeError(
            f"data must be an array/tensor of shape (n_samples, n_features) or an iterable of batches, "
            f"got {type(data).__name__}."
        )
    if valid is not None:
        valid = as_tensor(valid, "valid", device=device)
    opt = _make_optimizer(optimizer, model.parameters(), lr) if step is None else None

    def _to_device(batch):
        if isinstance(batch, (tuple, list)):
            return tuple(b.to(device) if isinstance(b, torch.Tensor) else b for b in batch)
        return batch.to(device)

    history: dict[str, list[float]] = {"loss": [], "seconds": []}
    if valid is not None:
        history["valid_loss"] = []
    epoch_iter = range(n_epochs)
    if verbose:
        from tqdm import tqdm

        epoch_iter = tqdm(epoch_iter, desc=f"training {type(model).__name__}", unit="epoch")
    for epoch in epoch_iter:
        if scheduler is not None and opt is not None:
            for group in opt.param_groups:
                group["lr"] = float(scheduler(epoch))
        model.train()
        t0 = time.perf_counter()
        sums: dict[str, Any] = {}
        count = 0
        batches = _batches(data, batch_size, generator) if (is_matrix or is_tuple) else data
        for batch in batches:
            batch = _to_device(batch)
            if transform is not None:
                batch = transform(batch, generator)
            args = batch if isinstance(batch, tuple) else (batch,)
            if step is not None:
                values = step(*args)  # the model stepped its own optimisers
            else:
                value = loss_fn(*args)
                opt.zero_grad(set_to_none=True)
                value.backward()
                opt.step()
                values = {"loss": value.detach()}  # stays on the device: no sync per step
            n = len(args[0])
            for key, v in values.items():
                sums[key] = sums.get(key, 0.0) + v * n
            count += n
        if count == 0:
            raise ValueError("data produced no batches; pass at least one sample.")
        means = {key: float(v) / count for key, v in sums.items()}
        if not np.isfinite(means["loss"]):
            scale = float(data.abs().max()) if is_matrix else float("nan")
            raise TrainingDiverged(
                f"the training loss became {means['loss']} in epoch {epoch + 1}: lower the learning rate (lr={lr:g})"
                + (f", or standardise the data (its largest |value| is {scale:.3g})" if scale > 1e3 else "") + "."
            )
        for key, v in means.items():
            history.setdefault(key, []).append(v)
        history["seconds"].append(time.perf_counter() - t0)
        model.eval()
        if valid is not None:
            with torch.no_grad():
                history["valid_loss"].append(float(loss_fn(valid)))
        if verbose:
            epoch_iter.set_postfix(loss=f"{history['loss'][-1]:.4g}")
        if callback is not None:
            callback(model, epoch + 1)
    model.eval()
    return history


def train_classifier(model: torch.nn.Module, X: Any, y: Any, *, n_epochs: int = 50, learning_rate: float = 1e-3,
                     batch_size: int = 32, weight_decay: float = 0.0, random_state: Any = None) -> list[float]:
    """Train a classifier (logits out) by Adam on the cross-entropy with :func:`train`; the mean loss per epoch.

    Used for the DBN's supervised fine-tuning (:meth:`~genlib.energy.dbn.DeepBeliefNetwork.to_classifier`)
    and, with the same settings, for a network trained from scratch, so the two compare like with like.

    Examples
    --------
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 2))
    >>> X = torch.tensor([[0., 1.], [1., 0.]] * 10); y = torch.tensor([0, 1] * 10)
    >>> losses = train_classifier(net, X, y, n_epochs=30, learning_rate=0.1, random_state=0)
    >>> losses[-1] < losses[0]
    True
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module producing logits, got {type(model).__name__}.")
    learning_rate = check_float(learning_rate, "learning_rate", minimum=0.0, strict=True)
    weight_decay = check_float(weight_decay, "weight_decay", minimum=0.0)
    param = next(model.parameters())
    Xt = as_tensor(X, "X", device=param.device, dtype=param.dtype)
    y_np = np.asarray(y.detach().cpu().numpy() if hasattr(y, "detach") else y)
    if y_np.dtype.kind not in "iuf" or y_np.ndim != 1:
        raise TypeError(f"y must be a 1-D array of integer class labels 0..n_classes-1, got {type(y).__name__} "
                        f"of dtype {y_np.dtype} and shape {y_np.shape}.")
    if y_np.dtype.kind == "f" and not (np.all(np.isfinite(y_np)) and np.all(y_np == np.round(y_np))):
        raise ValueError("y must hold integer class labels 0..n_classes-1, got non-integer values.")
    if y_np.size and y_np.min() < 0:
        raise ValueError(f"y must hold class labels 0..n_classes-1, got {int(y_np.min())}.")
    yt = torch.as_tensor(y_np.astype(np.int64)).to(param.device)
    if yt.numel() != Xt.shape[0]:
        raise ValueError(f"y must have one label per row of X ({Xt.shape[0]}), got {yt.numel()}.")
    history = train(model, (Xt, yt), n_epochs=n_epochs, batch_size=batch_size, device=param.device,
                    random_state=random_state, loss=lambda x, labels: F.cross_entropy(model(x), labels),
                    optimizer=lambda params: torch.optim.Adam(params, lr=learning_rate, weight_decay=weight_decay))
    return history["loss"]
