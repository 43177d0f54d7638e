"""The autoencoder: X -> Z -> X-hat, trained to reconstruct its input (chapter 03_dl/05_autoencoder).

Three layers, as in the seminar: the input :math:`x`, a low-dimensional code
:math:`z = f_\\phi(x)` (the encoder) and the reconstruction :math:`\\hat x = g_\\theta(z)`
(the decoder). Training minimises the reconstruction loss, eq. (ae-loss),

.. math::  L(\\phi, \\theta) = \\frac1N \\sum_n \\ell\\big(x_n, g_\\theta(f_\\phi(x_n))\\big),

with :math:`\\ell` the binary cross-entropy (pixels in [0, 1]) or the squared error. No
labels are used: the code is an unsupervised, learned low-dimensional feature.

An autoencoder is **not** a generative model: it defines no distribution over :math:`z`
and no likelihood :math:`p(x)`. :meth:`Autoencoder.sample` nevertheless decodes codes
drawn from a Gaussian fitted, after training, to the codes of the training data; that is
the best one can do post hoc, and the chapter shows why it falls short (the codes do not
fill a Gaussian, so many draws land in holes the decoder never saw). The VAE
(:mod:`genlib.neural.vae`) fixes this by training the code distribution with the model.
"""

from __future__ import annotations

from typing import Any, Sequence

import torch
from torch import nn
from torch.nn import functional as F

from .._torch import ACTIVATIONS, as_tensor, check_hidden, make_generator, mlp, randn, reset_parameters
from .._validation import check_int, check_option, renamed_arguments
from .base import NeuralModel

__all__ = ["Autoencoder"]

def _check_image_shape(image_shape: Any, n_features: int) -> tuple[int, int]:
    if image_shape is None:
        side = int(round(n_features ** 0.5))
        if side * side != n_features:
            raise ValueError(
                f"architecture='conv' needs image_shape=(h, w) for n_features={n_features}, which is not a square."
            )
        image_shape = (side, side)
    if not isinstance(image_shape, (tuple, list)) or len(image_shape) != 2:
        raise ValueError(f"image_shape must be a pair (h, w), got {image_shape!r}.")
    h, w = (check_int(v, "image_shape[i]", minimum=4) for v in image_shape)
    if h * w != n_features or h % 4 or w % 4:
        raise ValueError(
            f"image_shape {image_shape} must multiply to n_features={n_features} and have sides divisible by 4 "
            f"(two stride-2 convolutions), e.g. (8, 8) or (28, 28)."
        )
    return h, w


class Autoencoder(NeuralModel):
    """A deterministic autoencoder with an MLP or a small convolutional encoder/decoder.

    Parameters
    ----------
    n_features : int
        Length of a (flattened) data vector, e.g. 64 for 8x8 digits.
    latent_dim : int
        Size of the code :math:`z` (2 for plots of the latent space).
    hidden : tuple of int
        Widths of the MLP's hidden layers (encoder; the decoder mirrors them). Ignored by
        the convolutional variant except for its fully connected layer.
    architecture : {"mlp", "conv"}
        ``"conv"``: two stride-2 convolutions (channels ``channels``), a linear layer to
        ``z``, and the mirror image with transposed convolutions. Data stay flat
        (n, h*w); they are reshaped to images of ``image_shape`` inside.
    image_shape : (h, w), optional
        Image size for ``"conv"`` (default: square). Sides must be divisible by 4.
    channels : (int, int)
        Channels of the two convolutions.
    activation : {"relu", "tanh", "elu", "softplus", "leaky_relu"}
        Hidden non-linearity.
    loss : {"bce", "mse"}
        Reconstruction loss :math:`\\ell`: binary cross-entropy for data in [0, 1] (the
        decoder ends in a sigmoid), or squared error (linear output).
    random_state : None, int or torch.Generator
        Decides the initial weights, the batch order of :meth:`fit` and the draws of
        :meth:`sample` (one ``torch.Generator``, drawn from repeatedly).

    Attributes
    ----------
    code_mean, code_scale_tril : torch.Tensor (buffers)
        Mean and Cholesky factor of the Gaussian fitted to the training codes by
        :meth:`fit` (standard normal before). They are part of the ``state_dict``.
    history_ : dict
        The training history returned by :func:`genlib.neural.training.train`.

    Notes
    -----
    Not a generative model: there is no likelihood (no ``log_prob``/``score``), and the
    Gaussian used by :meth:`sample` is fitted to the codes after training, not learned
    with the decoder, so nothing makes the decoder produce data where that Gaussian puts
    mass but the training codes do not.

    Examples
    --------
    >>> from genlib.datasets import load_digits
    >>> X, y = load_digits()
    >>> ae = Autoencoder(64, 2, hidden=(32,), random_state=0).fit(X[:200], n_epochs=2)
    >>> ae.encode(X[:5]).shape
    torch.Size([5, 2])
    >>> ae.sample(3).shape
    torch.Size([3, 64])
    """


    @renamed_arguments(n_input="n_features", n_latent="latent_dim")
    def __init__(self, n_features: int, latent_dim: int = 2, *, hidden: Sequence[int] = (128,), architecture: str = "mlp",
                 image_shape: tuple[int, int] | None = None, channels: tuple[int, int] = (16, 32),
                 activation: str = "relu", loss: str = "bce", random_state: Any = None):
        super().__init__()
        self.n_features = check_int(n_features, "n_features", minimum=1)
        self.latent_dim = check_int(latent_dim, "latent_dim", minimum=1)
        self.hidden = check_hidden(hidden, allow_empty=True)
        self.architecture = check_option(architecture, "architecture", ("mlp", "conv"))
        self.activation = check_option(activation, "activation", tuple(ACTIVATIONS))
        self.loss_name = check_option(loss, "loss", ("bce", "mse"))
        self._generator = make_generator(random_state)
        act = ACTIVATIONS[activation]
        if not isinstance(channels, (tuple, list)) or len(channels) != 2:
            raise ValueError(f"channels must be a pair (c1, c2) of convolution widths, got {channels!r}.")
        c1, c2 = (check_int(c, f"channels[{i}]", minimum=1) for i, c in enumerate(channels))
        if self.architecture == "mlp" and image_shape is not None:
            _check_image_shape(image_shape, self.n_features)  # unused by the MLP, but it must still describe X
        if self.architecture == "mlp":
            self.image_shape = None
            self.encoder = mlp([self.n_features, *self.hidden, self.latent_dim], activation)  # x -> z
            self.decoder = mlp([self.latent_dim, *self.hidden[::-1], self.n_features], activation)  # z -> x-hat
        else:
            h, w = self.image_shape = _check_image_shape(image_shape, self.n_features)
            flat = c2 * (h // 4) * (w // 4)
            self.encoder = nn.Sequential(
                nn.Unflatten(1, (1, h, w)),                      # (B, h*w) -> (B, 1, h, w)
                nn.Conv2d(1, c1, 3, stride=2, padding=1), act(),  # (B, c1, h/2, w/2)
                nn.Conv2d(c1, c2, 3, stride=2, padding=1), act(),  # (B, c2, h/4, w/4)
                nn.Flatten(), nn.Linear(flat, self.latent_dim),     # (B, latent_dim)
            )
            self.decoder = nn.Sequential(
                nn.Linear(self.latent_dim, flat), act(),
                nn.Unflatten(1, (c2, h // 4, w // 4)),                       # (B, c2, h/4, w/4)
                nn.ConvTranspose2d(c2, c1, 4, stride=2, padding=1), act(),  # (B, c1, h/2, w/2)
                nn.ConvTranspose2d(c1, 1, 4, stride=2, padding=1),          # (B, 1, h, w)
                nn.Flatten(),                                               # (B, h*w)
            )
        reset_parameters(self, self._generator)
        # The Gaussian fitted to the training codes (standard normal until fit).
        self.register_buffer("code_mean", torch.zeros(self.latent_dim))
        self.register_buffer("code_scale_tril", torch.eye(self.latent_dim))
        self.history_: dict | None = None

    # ------------------------------------------------------------------ helpers
    def _value_range(self):
        if self.loss_name == "bce":
            return (0.0, 1.0), "loss='bce' needs pixels in [0, 1]: rescale X, or use loss='mse'"
        return None

    def _check_z(self, z: Any) -> torch.Tensor:
        T = as_tensor(z, "z", n_features=self.latent_dim, dtype=self.dtype)
        return T if isinstance(z, torch.Tensor) else T.to(self.device)

    def _output(self, logits: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(logits) if self.loss_name == "bce" else logits

    # ------------------------------------------------------------------ the model
    def encode(self, X: Any) -> torch.Tensor:
        """The code :math:`z = f_\\phi(x)`, shape (n, latent_dim)."""
        return self.encoder(self._check_X(X))

    def decode(self, z: Any) -> torch.Tensor:
        """The reconstruction :math:`\\hat x = g_\\theta(z)`, shape (n, n_features) (in [0, 1] for ``loss='bce'``)."""
        return self._output(self.decoder(self._check_z(z)))

    def forward(self, X: Any) -> torch.Tensor:
        """:math:`\\hat x = g_\\theta(f_\\phi(x))`."""
        return self.decode(self.encode(X))

    def reconstruct(self, X: Any) -> torch.Tensor:
        """Encode and decode ``X`` (an alias of calling the module)."""
        return self(X)

    def reconstruction_loss(self, X: Any) -> torch.Tensor:
        """The loss :math:`\\ell(x_n, \\hat x_n)` of every example, summed over pixels, shape (n,).

        ``loss='bce'``: :math:`-\\sum_j x_j \\log \\hat x_j + (1 - x_j) \\log(1 - \\hat x_j)`
        (computed from the logits, which is stable); ``loss='mse'``:
        :math:`\\sum_j (x_j - \\hat x_j)^2`.
        """
        return self._reconstruction_loss(self._check_X(X))

    def _reconstruction_loss(self, x: torch.Tensor) -> torch.Tensor:
        logits = self.decoder(self.encoder(x))  # (n, n_features)
        if self.loss_name == "bce":
            return F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=1)
        return ((x - logits) ** 2).sum(dim=1)

    def loss(self, X: Any) -> torch.Tensor:
        """The training objective, eq. (ae-loss): the mean reconstruction loss of a batch (a scalar).

        A tensor batch already on the model's device (as ``fit`` passes them) is not scanned
        for NaN or range again; anything else is validated like in :meth:`reconstruction_loss`.
        """
        return self._reconstruction_loss(self._check_batch(X)).mean()

    # ------------------------------------------------------------------ fit / sample
    def _after_fit(self, x: torch.Tensor) -> None:
        self.fit_code_distribution(x)  # sample() draws codes from the Gaussian fitted to the training codes

    @torch.no_grad()
    def fit_code_distribution(self, X: Any) -> "Autoencoder":
        """Fit the Gaussian :math:`N(\\bar z, \\hat\\Sigma)` to the codes of ``X`` (used by :meth:`sample`)."""
        z = self.encode(X)  # (n, latent_dim)
        mean = z.mean(dim=0)
        zc = z - mean
        cov = zc.T @ zc / max(len(z) - 1, 1)
        # a little jitter keeps the Cholesky factor defined when codes are (near) degenerate
        cov = cov + 1e-6 * (torch.trace(cov) / self.latent_dim + 1e-12) * torch.eye(self.latent_dim, device=cov.device,
                                                                                   dtype=cov.dtype)
        self.code_mean.copy_(mean)
        self.code_scale_tril.copy_(torch.linalg.cholesky(cov))
        return self

    @torch.no_grad()
    def sample(self, n: int, *, random_state: Any = None, return_latent: bool = False):
        """Decode codes drawn from the Gaussian fitted to the training codes.

        This is *not* sampling from a generative model: the code distribution was fitted
        after training and the decoder was never asked to map its low-density regions to
        data (see the Notes of the class). The chapter contrasts it with the VAE.

        Parameters
        ----------
        n : int
            Number of draws.
        random_state : None, int or torch.Generator
            None draws from the model's generator (new draws on every call).
        return_latent : bool
            Also return the codes.

        Returns
        -------
        X : torch.Tensor of shape (n, n_features), and ``z`` (n, latent_dim) when ``return_latent``.
        """
        self._check_fitted("sample")
        n = check_int(n, "n", minimum=1)
        g = self._generator if random_state is None else make_generator(random_state)
        eps = randn(n, self.latent_dim, generator=g, device=self.device, dtype=self.dtype)
        z = self.code_mean + eps @ self.code_scale_tril.T  # z ~ N(mean, L L^T)
        x = self._output(self.decoder(z))
        return (x, z) if return_latent else x
