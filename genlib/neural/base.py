"""What the autoencoder, the VAE and the VAE-GAN share: input checks, the random stream, and ``fit``.

:class:`NeuralModel` is an ``nn.Module`` with one data width ``n_features``, one generator
``_generator`` (``random_state``: an int a private stream, ``None`` the global one that
:func:`genlib.seed_everything` seeds), and a ``fit`` that runs the one training loop,
:func:`genlib.neural.training.train`, on the model's ``loss(batch)``. A subclass provides
``loss``, says which values its data may take (:meth:`_value_range`), and may add a step after
training (:meth:`_after_fit`).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from .._torch import Resumable, as_tensor, make_generator, on_model_device
from .._validation import renamed_arguments
from .training import train

__all__ = ["NeuralModel"]


class NeuralModel(Resumable, nn.Module):
    """Base of the neural density and representation models trained by :func:`~genlib.neural.training.train`."""

    n_features: int
    _generator: torch.Generator
    history_: dict | None = None

    @property
    def device(self) -> torch.device:
        """The device of the model's parameters."""
        return next(self.parameters()).device

    @property
    def dtype(self) -> torch.dtype:
        """The dtype of the model's parameters."""
        return next(self.parameters()).dtype

    # ---- for subclasses -------------------------------------------------------------------
    def _value_range(self) -> tuple[tuple[float, float], str] | None:
        """``((low, high), how to fix it)`` when the likelihood needs data in a range, else None."""
        return None

    def _after_fit(self, x: torch.Tensor) -> None:
        """Runs after training, on the checked data (the autoencoder fits its code Gaussian here)."""

    # ---- shared ---------------------------------------------------------------------------
    def _check_X(self, X: Any, name: str = "X") -> torch.Tensor:
        """``X`` as a float tensor (n, n_features) on the model's device, in the likelihood's range."""
        limits = self._value_range()
        kwargs = {} if limits is None else dict(value_range=limits[0], range_hint=limits[1])
        T = as_tensor(X, name, n_features=self.n_features, dtype=self.dtype, **kwargs)
        return on_model_device(T, X, self.device, name)

    def _check_batch(self, X: Any) -> torch.Tensor:
        """The training hot path: a 2-D tensor of the right width, dtype and device is used as is
        (``fit`` validated the data once; scanning every batch would cost device syncs)."""
        if (isinstance(X, torch.Tensor) and X.ndim == 2 and X.shape[1] == self.n_features
                and X.device == self.device and X.dtype == self.dtype):
            return X
        return self._check_X(X)

    def _generator_for(self, random_state: Any) -> torch.Generator:
        """The model's own stream, or a fresh one when a seed is passed."""
        return self._generator if random_state is None else make_generator(random_state)

    @renamed_arguments(epochs="n_epochs")
    def fit(self, X: Any, *, n_epochs: int = 50, batch_size: int = 64, lr: float = 1e-3, **train_kwargs: Any):
        """Minimise ``self.loss`` on ``X`` with :func:`genlib.neural.training.train`.

        Parameters
        ----------
        X : array-like or tensor of shape (n_samples, n_features)
        n_epochs, batch_size, lr :
            Passed to :func:`~genlib.neural.training.train`, with any other keyword
            (``optimizer``, ``device``, ``verbose``, ``valid``, ``transform``, ``scheduler``).
            Each call continues from the current weights with a fresh optimizer.

        Returns
        -------
        self
        """
        if isinstance(X, torch.Tensor) and train_kwargs.get("device", "auto") == "auto":
            self.to(X.device)  # the device comes from the inputs
        x = self._check_X(X)
        self.history_ = train(self, x, n_epochs=n_epochs, batch_size=batch_size, lr=lr,
                              random_state=self._generator, **train_kwargs)
        self._after_fit(x.to(self.device))
        return self
