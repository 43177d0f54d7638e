"""The torch conventions of every genlib model, in one place.

Every energy and neural model needs the same few things from torch, and they are written
once here:

- :func:`resolve_device` turns ``device="auto"`` into one ``torch.device``;
- :func:`make_generator` turns ``random_state`` into one ``torch.Generator``. The seed
  policy of the whole package: an int (or a NumPy ``Generator``) gives the model a
  *private* stream; ``None`` seeds one from torch's *global* generator, which
  :func:`genlib.seed_everything` seeds, so a notebook that seeds once is reproducible;
- :func:`generator_for` and :class:`SeededModel` keep a model's generator on its device;
- :func:`randn`, :func:`rand`, :func:`bernoulli` draw from a generator on any device;
- :func:`as_tensor` validates a data matrix (array, list or tensor), with the messages of
  :mod:`genlib._validation`, and :func:`on_model_device` refuses a tensor on another device;
- :func:`check_tensor`, :func:`check_tensor_list`, :func:`check_labels` and :func:`check_generator`
  are the entry checks of the building blocks on tensors (energies, mean field, AIS paths, the
  networks' inputs): a public building block checks its arguments and calls an unchecked
  ``_name`` twin, which the models' loops call on tensors they made;
- :func:`mlp`, :func:`check_hidden` and :func:`reset_parameters` build and initialise the
  multilayer perceptrons, their weights drawn from the model's generator, never the global one.

Library code never seeds a global generator.
"""

from __future__ import annotations

import functools
import numbers
from typing import Any, Callable, Sequence

import numpy as np
import torch
from torch import nn

from ._validation import check_array, check_binary, check_int

__all__ = [
    "resolve_device",
    "make_generator",
    "generator_for",
    "SeededModel",
    "Resumable",
    "randn",
    "rand",
    "bernoulli",
    "log_bernoulli",
    "as_tensor",
    "check_dtype",
    "check_tensors",
    "check_tensor",
    "check_tensor_list",
    "check_generator",
    "check_labels",
    "on_model_device",
    "mlp",
    "check_hidden",
    "reset_parameters",
    "ACTIVATIONS",
    "SEED_RANGE",
    "CHUNK_FLOATS",
]

#: Seeds drawn for new generators lie in [0, SEED_RANGE): below 2**62, which every torch generator accepts.
SEED_RANGE = 2**62

#: Floats of temporary activations a chunked evaluation holds at once (64 MiB in float32): the pseudo-
#: likelihood's flipped copies, the IWAE's k samples. Large enough to keep the products efficient.
CHUNK_FLOATS = 1 << 24

#: Entries checked at a time by the binary test of :func:`as_tensor` (a small temporary per chunk).
BINARY_CHECK_CHUNK = 1 << 18


# --------------------------------------------------------------------------- devices
def resolve_device(device: Any = "auto", data: Any = None) -> torch.device:
    """Return the ``torch.device`` to work on.

    ``"auto"`` (or ``None``) means: the device of ``data`` when it is a tensor, else CUDA when
    available, else the CPU. Any string or ``torch.device`` torch understands is accepted.

    Examples
    --------
    >>> resolve_device("cpu")
    device(type='cpu')
    >>> resolve_device("auto", torch.zeros(2)).type
    'cpu'
    """
    if isinstance(device, torch.device):
        return device
    if device is None or (isinstance(device, str) and device == "auto"):
        if isinstance(data, torch.Tensor):
            return data.device
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if not isinstance(device, str):
        raise TypeError(
            f"device must be 'auto', a string such as 'cpu' or 'cuda:0', or a torch.device, "
            f"got {type(device).__name__} ({device!r})."
        )
    try:
        resolved = torch.device(device)
    except (RuntimeError, ValueError) as exc:
        raise ValueError(f"device {device!r} is not a torch device ({exc}); pass 'auto', 'cpu' or 'cuda'.") from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} was asked for but CUDA is not available here; pass device='auto' or 'cpu'.")
    return resolved


# --------------------------------------------------------------------------- random numbers
def _seed_from(random_state: Any, name: str) -> int:
    if random_state is None:
        # Read (never reseed) torch's global generator: genlib.seed_everything makes this reproducible.
        return int(torch.randint(0, SEED_RANGE, (1,)).item())
    if isinstance(random_state, torch.Generator):
        if random_state.device.type == "cpu":
            return int(torch.randint(0, SEED_RANGE, (1,), generator=random_state).item())
        return int(random_state.initial_seed())
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, SEED_RANGE))
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(f"{name} must be a non-negative int, got {random_state}; pass e.g. {name}=0.")
        if random_state >= 2**63:  # torch seeds are 64-bit signed: hash larger ints (NumPy accepts them) into range
            return int(np.random.SeedSequence(int(random_state)).generate_state(1, np.uint64)[0] % SEED_RANGE)
        return int(random_state)
    raise TypeError(
        f"{name} must be None, a non-negative int, a numpy.random.Generator or a torch.Generator, "
        f"got {type(random_state).__name__}; pass e.g. {name}=0."
    )


def make_generator(random_state: Any = None, device: Any = "cpu", name: str = "random_state") -> torch.Generator:
    """Turn ``random_state`` into a ``torch.Generator`` on ``device``.

    A ``torch.Generator`` already on ``device`` is returned as is (so a caller can keep
    drawing from it); an int seeds a new, private one; ``None`` seeds a new one from torch's
    global generator (so :func:`genlib.seed_everything` makes a notebook reproducible).

    Examples
    --------
    >>> g1, g2 = make_generator(0), make_generator(0)
    >>> bool(torch.equal(torch.rand(3, generator=g1), torch.rand(3, generator=g2)))
    True
    """
    device = resolve_device(device)
    if isinstance(random_state, torch.Generator) and random_state.device.type == device.type:
        return random_state
    gen = torch.Generator(device=device)
    gen.manual_seed(_seed_from(random_state, name))
    return gen


def generator_for(gen: torch.Generator | None, device: Any, seed_source: Any = None) -> torch.Generator:
    """``gen`` when it lives on ``device``, else a new generator there seeded from ``gen`` (or ``seed_source``)."""
    device = resolve_device(device)
    if isinstance(gen, torch.Generator) and gen.device.type == device.type:
        return gen
    new = torch.Generator(device=device)
    new.manual_seed(_seed_from(gen, "gen") if gen is not None else _seed_from(seed_source, "seed_source"))
    return new


class Resumable:
    """Mixin for torch models: ``state_dict()`` carries the training state as well as the weights.

    A model's ``fit`` continues from where it stopped: it reads counters (``n_updates_``,
    ``pretrained_``), momentum buffers, persistent chains and its random stream. All of it goes
    into the state dict's extra state (PyTorch's ``get_extra_state``), so that fit, save, load
    into a fresh instance, fit again gives exactly what fit, fit gives. Subclasses list the
    attributes in ``_resume_attributes``; the generator in ``self._generator`` is always saved.
    """

    _resume_attributes: tuple[str, ...] = ()
    _trained = False  # set by loading a state that was trained
    _initial_versions: dict | None = None  # the parameters' in-place versions after initialisation

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Wrap each subclass's ``__init__`` so that the end of construction records the untrained
        state (the outermost ``__init__`` ends last, so its record is the one kept)."""
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is None:
            return

        @functools.wraps(init)
        def __init__(self, *args: Any, **kw: Any) -> None:
            init(self, *args, **kw)
            self._initial_versions = {name: p._version for name, p in self.named_parameters()}

        cls.__init__ = __init__

    @property
    def fitted_(self) -> bool:
        """Whether the model has trained: by ``fit`` or a public training step, by a training loop
        of the reader's own (the optimiser changed the weights in place since initialisation), or
        by loading a state. A neural model's ``sample`` and ``held_out_likelihood`` refuse an
        untrained model, whose random networks define nothing the reader asked for; the networks
        themselves (encoders, generators, discriminators) stay usable from initialisation, where
        the chapters study them. Energy models do not check it: their weights define the
        distribution exactly, and the chapters and tests sample machines whose weights they set
        by hand."""
        if self._trained or self._initial_versions is None:
            return self._trained
        return any(p._version > self._initial_versions[name]
                   for name, p in self.named_parameters() if name in self._initial_versions)

    def get_extra_state(self) -> dict:
        state = {name: getattr(self, name) for name in self._resume_attributes}
        gen = getattr(self, "_generator", None)
        state["generator"] = None if gen is None else gen.get_state()
        state["fitted"] = self.fitted_
        return state

    def set_extra_state(self, state: dict) -> None:
        for name in self._resume_attributes:
            setattr(self, name, state[name])
        gen = getattr(self, "_generator", None)
        if gen is not None and state.get("generator") is not None:
            gen.set_state(state["generator"])
        self._trained = bool(state.get("fitted", True))  # states saved before the flag were trained ones

    def _check_fitted(self, method: str) -> None:
        """Raise :class:`~genlib.base.NotFittedError` from ``method`` on an untrained model."""
        if not self.fitted_:
            from .base import NotFittedError  # made on first use (it subclasses scikit-learn's)

            cls = type(self).__name__
            raise NotFittedError(
                f"This {cls} instance is not fitted yet, so {method}() would use random weights; call "
                f"{cls}.fit(X) first (or load_state_dict of a trained {cls})."
            )


class SeededModel(Resumable):
    """Mixin: one ``torch.Generator`` in ``self._generator``, kept on ``self.device``.

    ``_gen()`` is the model's own stream (repeated ``sample`` calls draw new values from it);
    ``_rng(random_state)`` is that stream, or a fresh generator when a seed is passed.
    """

    _generator: torch.Generator | None

    def _gen(self) -> torch.Generator:
        self._generator = generator_for(self._generator, self.device)
        return self._generator

    def _rng(self, random_state: Any) -> torch.Generator:
        return self._gen() if random_state is None else make_generator(random_state, self.device)


def _noise_arguments(shape, generator, device, dtype):
    """The checked arguments of :func:`rand` and :func:`randn`: sizes, generator (moved to ``device``), device."""
    shape = tuple(check_int(s, "shape", minimum=0) for s in shape)
    check_generator(generator, "generator")
    device = resolve_device(device)
    return shape, generator_for(generator, device), device, check_dtype(dtype)


def randn(*shape: int, generator: torch.Generator, device: Any = "cpu", dtype=torch.float32) -> torch.Tensor:
    """Standard normal noise of ``shape`` from ``generator``, created on ``device``."""
    shape, generator, device, dtype = _noise_arguments(shape, generator, device, dtype)
    return torch.randn(shape, generator=generator, device=device, dtype=dtype)


def rand(*shape: int, generator: torch.Generator, device: Any = "cpu", dtype=torch.float32) -> torch.Tensor:
    """Uniform [0, 1) noise of ``shape`` from ``generator``, created on ``device``."""
    shape, generator, device, dtype = _noise_arguments(shape, generator, device, dtype)
    return torch.rand(shape, generator=generator, device=device, dtype=dtype)


def bernoulli(p: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Draw 0/1 with probabilities ``p`` (same shape, dtype and device): u ~ U(0, 1), then 1 where u < p.

    ``p`` must be a floating tensor of probabilities in [0, 1] (checked: one pass over ``p``); the
    models' sampling loops, whose ``p`` is a sigmoid, call the unchecked ``_bernoulli``.
    """
    check_tensor(p, "p", value_range=(0.0, 1.0), allow_empty=True)
    if generator is not None:
        check_generator(generator, "generator")
    return _bernoulli(p, generator)


def _bernoulli(p: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """:func:`bernoulli`, unchecked."""
    return torch.rand(p.shape, generator=generator, device=p.device, dtype=p.dtype).lt_(p)  # in place: one tensor


def log_bernoulli(x: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """:math:`\\sum_j x_j \\log p_j + (1 - x_j) \\log(1 - p_j)` with :math:`p = \\mathrm{sigmoid}(\\text{logits})`.

    The negative of the seminar's cross-entropy reconstruction error, computed stably
    from the logits as :math:`x \\cdot \\text{logits} - \\operatorname{softplus}(\\text{logits})`.
    Broadcasts; sums over the last axis.
    """
    check_tensors(x=x, logits=logits)
    return (x * logits - nn.functional.softplus(logits)).sum(dim=-1)


def check_tensors(**tensors: Any) -> None:
    """Refuse anything but a floating torch tensor for each named argument (the losses' cheap entry check)."""
    for name, value in tensors.items():
        if not isinstance(value, torch.Tensor) or not value.is_floating_point():
            raise TypeError(f"{name} must be a floating torch.Tensor, got {type(value).__name__}"
                            + (f" of dtype {value.dtype}" if isinstance(value, torch.Tensor) else "")
                            + f"; convert with torch.as_tensor({name}, dtype=torch.float32).")


def check_generator(generator: Any, name: str = "generator") -> torch.Generator:
    """A ``torch.Generator``, or a TypeError that says how to make one."""
    if not isinstance(generator, torch.Generator):
        raise TypeError(f"{name} must be a torch.Generator, got {type(generator).__name__} ({generator!r:.60}); make one "
                        f"with genlib._torch.make_generator(random_state).")
    return generator


def _shape_text(shape) -> str:
    return "(" + ", ".join("n" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def check_tensor(value: Any, name: str, *, shape: tuple[int | None, ...] | None = None, finite: bool = True,
                 value_range: tuple[float, float] | None = None, allow_empty: bool = False,
                 hint: str = "") -> torch.Tensor:
    """Refuse anything but a floating tensor of ``shape`` (``None``: any size on that axis), finite unless
    ``finite=False``, with values in ``value_range`` when given; return it unchanged.

    The entry check of the building blocks that work on tensors (energies, mean field, AIS paths):
    one pass over the values (``isfinite``, ``min``/``max``); ``hint`` says where the shape comes from.

    Examples
    --------
    >>> check_tensor(torch.zeros(2, 3), "W", shape=(None, 4), hint="one column per visible unit")
    Traceback (most recent call last):
    ...
    ValueError: W must have shape (n, 4) (one column per visible unit), got (2, 3).
    """
    check_tensors(**{name: value})
    if shape is not None and (value.ndim != len(shape)
                              or any(s is not None and s != t for s, t in zip(shape, value.shape))):
        raise ValueError(f"{name} must have shape {_shape_text(shape)}" + (f" ({hint})" if hint else "")
                         + f", got {tuple(value.shape)}.")
    if value.numel() == 0:
        if allow_empty:
            return value
        raise ValueError(f"{name} is empty (shape {tuple(value.shape)}); pass at least one value.")
    if (finite or value_range is not None) and not bool(torch.isfinite(value).all()):
        raise ValueError(f"{name} contains {int(torch.isnan(value).sum())} NaN and {int(torch.isinf(value).sum())} "
                         f"infinite value(s); pass finite numbers.")
    if value_range is not None:
        lo, hi = float(value.min()), float(value.max())
        if lo < value_range[0] or hi > value_range[1]:
            raise ValueError(f"{name} must hold values in [{value_range[0]:g}, {value_range[1]:g}], got values in "
                             f"[{lo:.4g}, {hi:.4g}]" + (f"; {hint}" if hint else "") + ".")
    return value


def check_tensor_list(value: Any, name: str, *, length: int | None = None, what: str = "tensors") -> list:
    """Refuse anything but a list or tuple (of ``length`` items, when given) of tensors; each item is checked by
    the caller (:func:`check_tensor` with ``f"{name}[{i}]"``). Returns it as a list."""
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, torch.Tensor) for v in value):
        raise TypeError(f"{name} must be a list of {what} (torch.Tensor), got {type(value).__name__}"
                        + (f" holding {type(value[0]).__name__}" if isinstance(value, (list, tuple)) and value else "")
                        + ".")
    if length is not None and len(value) != length:
        raise ValueError(f"{name} must hold {length} {what}, got {len(value)}.")
    if not value:
        raise ValueError(f"{name} is empty; pass at least one tensor.")
    return list(value)


def check_labels(y: Any, name: str, n_classes: int, n: int | None = None, rows: str = "x") -> torch.Tensor:
    """Refuse anything but a 1-D integer tensor of class labels in [0, ``n_classes``) (one per row of ``rows``, ``n``
    of them, when given): the conditional networks' label input. One pass over the labels (``min``/``max``)."""
    if not isinstance(y, torch.Tensor) or y.is_floating_point() or y.is_complex() or y.dtype == torch.bool:
        raise TypeError(f"{name} must be a torch.Tensor of integer class labels, got {type(y).__name__}"
                        + (f" of dtype {y.dtype}" if isinstance(y, torch.Tensor) else "")
                        + f"; convert with torch.as_tensor({name}, dtype=torch.long).")
    if y.ndim != 1 or (n is not None and y.shape[0] != n):
        raise ValueError(f"{name} must be 1-D with one label per row" + (f" of {rows} ({n})" if n is not None else "")
                         + f", got shape {tuple(y.shape)}.")
    if y.numel() and (int(y.min()) < 0 or int(y.max()) >= n_classes):
        raise ValueError(f"{name} must hold labels 0..{n_classes - 1}, got values in [{int(y.min())}, {int(y.max())}].")
    return y


def check_dtype(dtype: Any, name: str = "dtype") -> torch.dtype:
    """A floating torch dtype the models compute in: ``torch.float32`` or ``torch.float64``."""
    if dtype not in (torch.float32, torch.float64):
        raise ValueError(f"{name} must be torch.float32 or torch.float64, got {dtype!r}.")
    return dtype


# --------------------------------------------------------------------------- data
def _all_binary(T: torch.Tensor) -> bool:
    """Whether every entry of the 2-D ``T`` is 0 or 1, checked ``BINARY_CHECK_CHUNK`` entries at a time.

    t - t * t is exactly 0 for t = 0 or 1 and nonzero for every other value (NaN and inf
    included), so one temporary per chunk decides it.
    """
    rows = max(1, BINARY_CHECK_CHUNK // max(1, T.shape[1]))
    for s in range(0, T.shape[0], rows):
        part = T[s:s + rows]
        if bool(torch.addcmul(part, part, part, value=-1).any()):
            return False
    return True


def _check_tensor(X: torch.Tensor, name: str, binary: bool, device: Any, dtype: torch.dtype) -> torch.Tensor:
    if X.ndim != 2:
        hint = f"; reshape a single sample with {name}.reshape(1, -1)" if X.ndim == 1 else \
            f"; flatten images with {name}.reshape(len({name}), -1)"
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got {X.ndim}-D of shape {tuple(X.shape)}{hint}.")
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"{name} needs at least one sample and one feature, got shape {tuple(X.shape)}; "
                         f"pass a non-empty array.")
    if X.is_complex():
        raise TypeError(f"{name} must be real, got complex dtype {X.dtype}; pass {name}.real if that is meant.")
    T = X.detach().to(device=device if device is not None else X.device, dtype=dtype)
    # Fast checks first: 0/1 data is finite, and a finite sum means finite entries; only a failing input pays for counts.
    ok = _all_binary(T) if binary else bool(torch.isfinite(T.sum()))
    if not ok and not bool(torch.isfinite(T).all()):
        raise ValueError(f"{name} contains {int(torch.isnan(T).sum())} NaN and {int(torch.isinf(T).sum())} "
                         f"infinite value(s); drop or impute them before calling this.")
    if binary and not ok:
        bad = (T != 0) & (T != 1)
        raise ValueError(
            f"{name} must be binary (0/1) for Bernoulli units, found {int(bad.sum())} other value(s) such as "
            f"{float(T[bad][0])!r}; binarise with ({name} > 0.5).float() or sample with torch.bernoulli({name}).")
    return T


def as_tensor(X: Any, name: str = "X", *, n_features: int | None = None, binary: bool = False,
              device: Any = None, dtype: torch.dtype = torch.float32,
              value_range: tuple[float, float] | None = None, range_hint: str = "") -> torch.Tensor:
    """Validate a data matrix and return it as a float tensor of shape (n_samples, n_features).

    Tensors are checked where they live (GPU data is not copied to the CPU) and stay on their
    device unless ``device`` is given; arrays and lists go through :mod:`genlib._validation`.

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
        Where and how the result is stored (default device: ``X``'s for tensors, else the CPU).
    value_range : (low, high), optional
        Refuse values outside ``[low, high]`` (e.g. ``(0, 1)`` for a Bernoulli likelihood).
    range_hint : str
        Appended to the out-of-range error: how to fix it.

    Examples
    --------
    >>> as_tensor([[0, 1], [1, 1]], binary=True)
    tensor([[0., 1.],
            [1., 1.]])
    >>> as_tensor([[0.0, 2.0]], value_range=(0, 1))
    Traceback (most recent call last):
    ...
    ValueError: X must lie in [0, 1], got values in [0, 2].
    """
    if isinstance(X, torch.Tensor):
        T = _check_tensor(X, name, binary, device, dtype)
    else:
        arr = check_binary(X, name) if binary else check_array(X, name, ndim=2)
        limit = torch.finfo(dtype).max
        largest = max(-float(arr.min()), float(arr.max())) if arr.size else 0.0  # no |arr| copy
        if largest > limit:
            raise ValueError(f"{name} has values up to {largest:.3g} in magnitude, beyond the {dtype} range "
                             f"(+-{limit:.3g}), where the model computes; rescale or standardise {name}.")
        T = torch.as_tensor(arr, dtype=dtype, device=device if device is not None else "cpu")
    if n_features is not None and T.shape[1] != n_features:
        raise ValueError(f"{name} has {T.shape[1]} feature(s) but the model expects n_features={n_features}; "
                         f"pass data with {n_features} columns (flattened images), as the model was built for.")
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

    Arrays and lists are moved there; a tensor the caller placed elsewhere is refused rather
    than copied silently (a GPU model fed CPU batches would be slow unnoticed).
    """
    if not isinstance(T, torch.Tensor):
        raise TypeError(f"T must be the checked data as a torch.Tensor (from as_tensor), got {type(T).__name__}.")
    device = resolve_device(device)
    if not isinstance(X, torch.Tensor):
        return T.to(device)
    if T.device != device:
        raise ValueError(
            f"{name} is on {T.device} but the model is on {device}; move one of them, e.g. model.to({name}.device)."
        )
    return T


# --------------------------------------------------------------------------- networks
#: Hidden-layer non-linearities by name (a callable returning a module is accepted too).
ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU, "tanh": nn.Tanh, "elu": nn.ELU, "softplus": nn.Softplus, "leaky_relu": nn.LeakyReLU,
}


def mlp(sizes: Sequence[int], activation: str | Callable[[], nn.Module] = "relu") -> nn.Sequential:
    """A multilayer perceptron ``sizes[0] -> ... -> sizes[-1]``, the activation between layers, none at the end.

    Examples
    --------
    >>> mlp([4, 8, 2], "tanh")
    Sequential(
      (0): Linear(in_features=4, out_features=8, bias=True)
      (1): Tanh()
      (2): Linear(in_features=8, out_features=2, bias=True)
    )
    """
    make = ACTIVATIONS[activation] if isinstance(activation, str) else activation
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-2], sizes[1:-1]):
        layers += [nn.Linear(a, b), make()]
    layers.append(nn.Linear(sizes[-2], sizes[-1]))
    return nn.Sequential(*layers)


def check_hidden(hidden: Any, name: str = "hidden", *, allow_empty: bool = False) -> tuple[int, ...]:
    """Hidden-layer widths as a tuple of positive ints (one int is one layer), or a clear error.

    ``allow_empty`` accepts ``()``: no hidden layer (a linear map).
    """
    if isinstance(hidden, numbers.Integral) and not isinstance(hidden, bool):
        hidden = (hidden,)
    if not isinstance(hidden, (tuple, list)):
        raise TypeError(f"{name} must be a tuple of layer widths, e.g. (128, 128), got {hidden!r}.")
    if not hidden and not allow_empty:
        raise ValueError(f"{name} must list at least one hidden layer width, e.g. (128,).")
    return tuple(check_int(h, f"{name}[{i}]", minimum=1) for i, h in enumerate(hidden))


@torch.no_grad()
def reset_parameters(module: nn.Module, generator: torch.Generator) -> nn.Module:
    """Re-initialise every ``Linear``/``Conv`` layer of ``module`` from ``generator``.

    PyTorch's default initialisation (uniform in ±1/sqrt(fan_in) for the bias, Kaiming-uniform
    for the weight, which gives the same bound) drawn from the model's own generator, so that
    ``random_state`` alone decides the initial weights and no global seed is needed.
    """
    if not isinstance(module, nn.Module):
        raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}.")
    check_generator(generator, "generator")
    for layer in module.modules():
        if isinstance(layer, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            w = layer.weight
            fan_in = w.shape[0] * w[0, 0].numel() if isinstance(layer, nn.ConvTranspose2d) else w[0].numel()
            bound = 1.0 / np.sqrt(fan_in)
            w.copy_((torch.rand(w.shape, generator=generator) * 2 - 1) * bound)
            if layer.bias is not None:
                layer.bias.copy_((torch.rand(layer.bias.shape, generator=generator) * 2 - 1) * bound)
    return module
