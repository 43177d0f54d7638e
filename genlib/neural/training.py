"""The generic training loop of the neural models, and the small torch helpers they share.

:func:`train` is the loop every chapter writes once by hand::

    for epoch in range(epochs):
        for x in batches(data):          # a fresh random order each epoch
            loss = model.loss(x)         # the model's objective, e.g. the negative ELBO
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

and then calls through ``model.fit``. It works with any ``torch.nn.Module`` that has a
``loss(batch) -> scalar tensor`` method (or with an explicit ``loss=`` callable).

The helpers below keep the torch conventions of the course in one place:

- :func:`resolve_device` turns ``device="auto"`` into one ``torch.device``, once;
- :func:`make_generator` turns ``random_state`` into one ``torch.Generator``;
- :func:`randn` / :func:`rand` draw noise from that generator on any device, so the same
  seed gives the same numbers and no global random state is touched;
- :func:`as_tensor` validates a data matrix (NumPy array, list or tensor) and returns a
  float tensor on the right device, with errors that name the argument.
"""

from __future__ import annotations

import numbers
import time
from typing import Any, Callable, Iterable

import numpy as np
import torch

from .._validation import check_array, check_int, check_float, check_random_state

__all__ = ["train", "resolve_device", "make_generator", "randn", "rand", "as_tensor", "reset_parameters"]


# --------------------------------------------------------------------------- helpers
def resolve_device(device: Any = "auto", data: Any = None) -> torch.device:
    """Return the ``torch.device`` to train on.

    ``"auto"`` means: the device of ``data`` when it is a tensor, else CUDA when available,
    else the CPU. Any string or ``torch.device`` torch understands is accepted as is.

    Examples
    --------
    >>> resolve_device("cpu")
    device(type='cpu')
    >>> resolve_device("auto", torch.zeros(2)).type
    'cpu'
    """
    if isinstance(device, torch.device):
        return device
    if not isinstance(device, str):
        raise TypeError(
            f"device must be 'auto', a string such as 'cpu' or 'cuda:0', or a torch.device, "
            f"got {type(device).__name__} ({device!r})."
        )
    if device == "auto":
        if isinstance(data, torch.Tensor):
            return data.device
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, ValueError) as exc:
        raise ValueError(f"device {device!r} is not a torch device ({exc}); pass 'auto', 'cpu' or 'cuda'.") from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} was asked for but CUDA is not available here; pass device='auto' or 'cpu'.")
    return resolved


def make_generator(random_state: Any = None, name: str = "random_state") -> torch.Generator:
    """Turn ``random_state`` into a CPU ``torch.Generator``.

    ``None`` gives a generator seeded from fresh entropy; an int seeds it; a
    ``torch.Generator`` is returned as is (so a model can keep drawing from it); a
    ``numpy.random.Generator`` seeds a new torch generator from one of its draws.

    Examples
    --------
    >>> g1, g2 = make_generator(0), make_generator(0)
    >>> bool(torch.equal(torch.randn(3, generator=g1), torch.randn(3, generator=g2)))
    True
    """
    if isinstance(random_state, torch.Generator):
        return random_state
    g = torch.Generator()
    if random_state is None:
        g.seed()
        return g
    if isinstance(random_state, np.random.Generator):
        g.manual_seed(int(random_state.integers(0, 2**63 - 1)))
        return g
    rng = check_random_state(random_state, name)  # validates ints and SeedSequences, refuses junk
    if isinstance(random_state, numbers.Integral):
        g.manual_seed(int(random_state))
    else:
        g.manual_seed(int(rng.integers(0, 2**63 - 1)))
    return g


def _device_generator(generator: torch.Generator, device: torch.device) -> torch.Generator:
    """A generator on ``device`` seeded from ``generator`` (the CPU one is used directly)."""
    if device.type == "cpu":
        return generator
    g = torch.Generator(device=device)
    g.manual_seed(int(torch.randint(0, 2**62, (1,), generator=generator)))
    return g


def randn(*shape: int, generator: torch.Generator, device: Any = "cpu", dtype=torch.float32) -> torch.Tensor:
    """Standard normal noise of ``shape`` drawn from ``generator``, created on ``device``."""
    device = torch.device(device)
    return torch.randn(shape, generator=_device_generator(generator, device), device=device, dtype=dtype)


def rand(*shape: int, generator: torch.Generator, device: Any = "cpu", dtype=torch.float32) -> torch.Tensor:
    """Uniform [0, 1) noise of ``shape`` drawn from ``generator``, created on ``device``."""
    device = torch.device(device)
    return torch.rand(shape, generator=_device_generator(generator, device), device=device, dtype=dtype)


def as_tensor(
    X: Any,
    name: str = "X",
    *,
    n_features: int | None = None,
    device: Any = None,
    dtype: torch.dtype = torch.float32,
    value_range: tuple[float, float] | None = None,
    range_hint: str = "",
) -> torch.Tensor:
    """Validate a data matrix and return it as a float tensor of shape (n_samples, n_features).

    Tensors stay on their device (the device comes from the inputs) unless ``device`` is
    given; NumPy arrays and lists go through :func:`genlib._validation.check_array`.

    Parameters
    ----------
    X : array-like or torch.Tensor, shape (n_samples, n_features)
    name : str
        The argument's name, used in error messages.
    n_features : int, optional
        Required number of columns.
    device : str or torch.device, optional
        Where the result lives; default: ``X``'s device for tensors, the CPU otherwise.
    value_range : (low, high), optional
        Refuse values outside ``[low, high]`` (e.g. ``(0, 1)`` for a Bernoulli likelihood).
    range_hint : str
        Appended to the out-of-range error: how to fix it.

    Examples
    --------
    >>> as_tensor([[0.0, 1.0]]).shape
    torch.Size([1, 2])
    >>> as_tensor([[0.0, 2.0]], value_range=(0, 1))
    Traceback (most recent call last):
    ...
    ValueError: X must lie in [0, 1], got values in [0, 2].
    """
    if isinstance(X, torch.Tensor):
        if X.ndim != 2:
            raise ValueError(
                f"{name} must be 2-D (n_samples, n_features), got a {X.ndim}-D tensor of shape {tuple(X.shape)}; "
                f"flatten images with {name}.reshape(len({name}), -1)."
            )
        if X.shape[0] < 1 or X.numel() == 0:
            raise ValueError(f"{name} needs at least one sample and one feature, got shape {tuple(X.shape)}.")
        if X.dtype.is_complex:
            raise TypeError(f"{name} must be real, got complex dtype {X.dtype}.")
        T = X.detach().to(dtype=dtype, device=device if device is not None else X.device)
        finite = torch.isfinite(T)
        if not bool(finite.all()):
            raise ValueError(
                f"{name} contains {int((~finite).sum())} NaN or infinite value(s); drop or impute them before calling this."
            )
    else:
        arr = check_array(X, name, ndim=2)
        T = torch.as_tensor(arr, dtype=dtype, device=device if device is not None else "cpu")
    if n_features is not None and T.shape[1] != n_features:
        raise ValueError(
            f"{name} has {T.shape[1]} feature(s) but the model expects {n_features}; "
            f"pass data with {n_features} columns (flattened images), as the model was built for."
        )
    if value_range is not None:
        lo, hi = float(T.min()), float(T.max())
        if lo < value_range[0] or hi > value_range[1]:
            raise ValueError(
                f"{name} must lie in [{value_range[0]:g}, {value_range[1]:g}], got values in [{lo:.4g}, {hi:.4g}]"
                + (f"; {range_hint}" if range_hint else "") + "."
            )
    return T


def on_model_device(T: torch.Tensor, X: Any, device: torch.device, name: str = "X") -> torch.Tensor:
    """Put checked data ``T`` (made from ``X``) on the model's ``device``.

    Arrays and lists are moved there; a tensor the caller placed elsewhere is refused
    rather than copied silently (a GPU model fed CPU batches would be slow unnoticed).
    """
    if not isinstance(X, torch.Tensor):
        return T.to(device)
    if T.device != device:
        raise ValueError(
            f"{name} is on {T.device} but the model is on {device}; move one of them, e.g. model.to({name}.device)."
        )
    return T


@torch.no_grad()
def reset_parameters(module: torch.nn.Module, generator: torch.Generator) -> torch.nn.Module:
    """Re-initialise every ``Linear``/``Conv`` layer of ``module`` from ``generator``.

    PyTorch's default initialisation (uniform in ±1/sqrt(fan_in) for the bias, Kaiming-uniform
    for the weight) is reproduced, but drawn from the model's own generator, so that
    ``random_state`` alone decides the initial weights and no global seed is needed.
    """
    for layer in module.modules():
        if isinstance(layer, (torch.nn.Linear, torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
            w = layer.weight
            if isinstance(layer, torch.nn.ConvTranspose2d):
                fan_in = w.shape[0] * w[0, 0].numel()
            else:
                fan_in = w[0].numel()
            bound = 1.0 / np.sqrt(fan_in)  # kaiming_uniform(a=sqrt(5)) gives exactly this bound
            w.copy_((torch.rand(w.shape, generator=generator) * 2 - 1) * bound)
            if layer.bias is not None:
                layer.bias.copy_((torch.rand(layer.bias.shape, generator=generator) * 2 - 1) * bound)
    return module


# --------------------------------------------------------------------------- the loop
def _batches(data: torch.Tensor, batch_size: int, generator: torch.Generator) -> Iterable[torch.Tensor]:
    """Mini-batches of ``data`` in a fresh random order (drawn from ``generator``)."""
    order = torch.randperm(data.shape[0], generator=generator).to(data.device)
    for start in range(0, data.shape[0], batch_size):
        yield data[order[start:start + batch_size]]


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


def train(
    model: torch.nn.Module,
    data: Any,
    *,
    epochs: int = 10,
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
) -> dict[str, list[float]]:
    """Minimise ``model.loss`` over mini-batches of ``data`` for ``epochs`` passes.

    Parameters
    ----------
    model : torch.nn.Module
        Has a ``loss(batch)`` method returning a scalar tensor (e.g. the mean negative
        ELBO of the batch), unless ``loss`` is given.
    data : array-like or torch.Tensor of shape (n_samples, n_features), or an iterable of batches
        A matrix is shuffled with ``random_state`` into batches of ``batch_size`` every
        epoch. Any other iterable (a ``DataLoader``) is iterated as is; a batch that is a
        tuple/list is unpacked into ``loss(*batch)``.
    epochs : int
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
    >>> history = train(Mean(), X, epochs=200, optimizer="sgd", lr=0.1, batch_size=2, device="cpu")
    >>> round(history["loss"][-1], 3)
    2.0
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}.")
    loss_fn = loss if loss is not None else getattr(model, "loss", None)
    if not callable(loss_fn):
        raise TypeError(
            f"{type(model).__name__} has no loss(batch) method; pass loss=lambda x: ... returning a scalar tensor."
        )
    epochs = check_int(epochs, "epochs", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    lr = check_float(lr, "lr", minimum=0.0, strict=True)
    if not isinstance(verbose, (bool, np.bool_)):
        raise TypeError(f"verbose must be True or False, got {verbose!r}.")
    generator = make_generator(random_state)
    device = resolve_device(device, data)  # resolved once
    model.to(device)

    is_matrix = isinstance(data, (torch.Tensor, np.ndarray, list))
    if is_matrix:
        data = as_tensor(data, "data", device=device)
    elif not isinstance(data, Iterable):
        raise TypeError(
            f"data must be an array/tensor of shape (n_samples, n_features) or an iterable of batches, "
            f"got {type(data).__name__}."
        )
    if valid is not None:
        valid = as_tensor(valid, "valid", device=device)
    opt = _make_optimizer(optimizer, model.parameters(), lr)

    def _to_device(batch):
        if isinstance(batch, (tuple, list)):
            return tuple(b.to(device) if isinstance(b, torch.Tensor) else b for b in batch)
        return batch.to(device)

    history: dict[str, list[float]] = {"loss": [], "seconds": []}
    if valid is not None:
        history["valid_loss"] = []
    epoch_iter = range(epochs)
    if verbose:
        from tqdm import tqdm

        epoch_iter = tqdm(epoch_iter, desc=f"training {type(model).__name__}", unit="epoch")
    for epoch in epoch_iter:
        if scheduler is not None:
            for group in opt.param_groups:
                group["lr"] = float(scheduler(epoch))
        model.train()
        t0 = time.perf_counter()
        total, count = 0.0, 0
        batches = _batches(data, batch_size, generator) if is_matrix else data
        for batch in batches:
            batch = _to_device(batch)
            if transform is not None:
                batch = transform(batch, generator)
            value = loss_fn(*batch) if isinstance(batch, tuple) else loss_fn(batch)
            opt.zero_grad(set_to_none=True)
            value.backward()
            opt.step()
            n = len(batch[0]) if isinstance(batch, tuple) else len(batch)
            total = total + value.detach() * n  # stays on the device: no sync per step
            count += n
        if count == 0:
            raise ValueError("data produced no batches; pass at least one sample.")
        total = float(total)
        if not np.isfinite(total):
            raise FloatingPointError(
                f"the training loss became {total / count} in epoch {epoch + 1}; lower the learning rate (lr={lr:g})."
            )
        history["loss"].append(total / count)
        history["seconds"].append(time.perf_counter() - t0)
        model.eval()
        if valid is not None:
            with torch.no_grad():
                history["valid_loss"].append(float(loss_fn(valid)))
        if verbose:
            epoch_iter.set_postfix(loss=f"{history['loss'][-1]:.4g}")
    model.eval()
    return history
