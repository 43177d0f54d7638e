"""PixelCNN (van den Oord, Kalchbrenner & Kavukcuoglu, 2016), chapter ``05_beyond/04_autoregressive``.

An autoregressive model writes the joint distribution of an image's pixels, read in raster
order (row by row, left to right), by the chain rule of probability, eq. (ar-chain):

.. math::  p(x) = \\prod_{i=1}^{D} p(x_i \\mid x_1, \\dots, x_{i-1}),

with every conditional given by one network. Each factor is a proper distribution (a
Bernoulli for a binary pixel, a categorical over K values), so the product is normalised and
:math:`\\log p(x)` is *exact*: no partition function, no bound, no estimate.

A PixelCNN computes all D conditionals in one pass by **masked convolutions**: the kernel of
the first layer sees only pixels strictly above and strictly to the left of its centre (mask
"A"), the later layers may also see the centre (mask "B"), whose features already summarise
only the past. Output i then depends on pixels < i alone, which is what makes eq. (ar-chain)
hold; ``tests/test_pixelcnn.py`` checks it by autograd. Training maximises the exact
log-likelihood, in parallel over pixels; **sampling** is sequential: pixel i needs the drawn
pixels before it, so an image costs D network evaluations, eq. (ar-sampling).

The plain masked stack has a *blind spot* (pixels up and to the right that no output sees,
although they come before it), which the gated PixelCNN (van den Oord et al. 2016, "Conditional
image generation with PixelCNN decoders") removes with separate vertical and horizontal stacks.
The blind spot leaves the model exact, only less expressive; the chapter draws it.

With ``n_categories=K > 2`` the pixels are codes 0..K-1 (one-hot inputs, a softmax per pixel),
the case of a prior over the code grid of a VQ-VAE.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from .._torch import as_tensor, check_tensor, log_bernoulli, make_generator, on_model_device, rand, reset_parameters
from .._validation import check_array, check_int, renamed_arguments
from ..base import likelihood_summary
from .base import NeuralModel

__all__ = ["PixelCNN", "MaskedConv2d", "causal_mask"]


# --------------------------------------------------------------------------- the mask
def causal_mask(kernel_size: int, mask_type: str) -> torch.Tensor:
    """The (kernel_size, kernel_size) 0/1 mask of a masked convolution in raster order.

    Ones at the kernel positions strictly above the centre row, and in the centre row strictly
    left of the centre; mask ``"B"`` also keeps the centre itself, mask ``"A"`` does not.

    Examples
    --------
    >>> causal_mask(3, "A")
    tensor([[1., 1., 1.],
            [1., 0., 0.],
            [0., 0., 0.]])
    >>> causal_mask(3, "B")[1]
    tensor([1., 1., 0.])
    """
    kernel_size = check_int(kernel_size, "kernel_size", minimum=1)
    if kernel_size % 2 == 0:
        raise ValueError(f"kernel_size must be odd (the kernel has a centre pixel), got {kernel_size}; pass e.g. 3, 5 or 7.")
    if not isinstance(mask_type, str) or mask_type not in ("A", "B"):
        raise ValueError(f"mask_type must be 'A' (first layer: the centre pixel hidden) or 'B' (later layers), "
                         f"got {mask_type!r}.")
    c = kernel_size // 2
    mask = torch.zeros(kernel_size, kernel_size)
    mask[:c, :] = 1.0  # rows above the centre
    mask[c, :c] = 1.0  # the centre row, left of the centre
    if mask_type == "B":
        mask[c, c] = 1.0
    return mask


class MaskedConv2d(nn.Conv2d):
    """A same-size 2-D convolution whose kernel is multiplied by :func:`causal_mask` on every call."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, mask_type: str):
        in_channels = check_int(in_channels, "in_channels", minimum=1)
        out_channels = check_int(out_channels, "out_channels", minimum=1)
        mask = causal_mask(kernel_size, mask_type)  # checks kernel_size (odd) and mask_type
        super().__init__(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
        self.mask_type = mask_type
        # not saved: it follows from the constructor's arguments
        self.register_buffer("mask", mask[None, None], persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, in_channels, H, W) -> (B, out_channels, H, W), any H and W (a convolution)."""
        check_tensor(x, "x", shape=(None, self.in_channels, None, None), finite=False,
                     hint="(B, in_channels, H, W) images or feature maps")
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)


class _ResidualBlock(nn.Module):
    """x + conv_B(ReLU(x)): a masked 3x3 layer that keeps the past-only property (mask B)."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv = MaskedConv2d(channels, channels, 3, "B")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(F.relu(x))


# --------------------------------------------------------------------------- the model
def _check_shape(image_size: Any) -> tuple[int, int]:
    if isinstance(image_size, (tuple, list)):
        if len(image_size) != 2:
            raise ValueError(f"image_size must be an int (a square side) or (height, width), got {image_size!r}.")
        return (check_int(image_size[0], "image_size[0]", minimum=1), check_int(image_size[1], "image_size[1]", minimum=1))
    side = check_int(image_size, "image_size", minimum=1)
    return side, side


class PixelCNN(NeuralModel):
    """An autoregressive image model with masked convolutions and an exact log-likelihood.

    Parameters
    ----------
    image_size : int or (int, int)
        Side of the square images (8 for scikit-learn's digits, 28 for MNIST) or (height, width).
    n_categories : int
        Values a pixel takes: 2 for binary images (one Bernoulli per pixel, data 0/1), K > 2 for
        codes 0..K-1 (a softmax per pixel, e.g. a VQ-VAE's code grid).
    n_filters : int
        Channels of the hidden feature maps (the paper: 2h = 256 on MNIST).
    n_layers : int
        Residual masked 3x3 layers (mask B) after the first layer (the paper: 15 on MNIST).
    kernel_size : int
        Odd side of the first layer's kernel (mask A), 7 as in the paper.
    random_state : None, int or torch.Generator
        Decides the initial weights, the batch order and the draws of :meth:`sample`.

    Attributes
    ----------
    history_ : dict
        ``"loss"`` (mean negative log-likelihood per image, nats) per epoch, from :meth:`fit`.

    Examples
    --------
    >>> from genlib.datasets import load_digits
    >>> X, _ = load_digits(binary=True)
    >>> model = PixelCNN(8, n_filters=8, n_layers=1, random_state=0).fit(X[:200], n_epochs=1)
    >>> model.log_prob(X[:3]).shape
    torch.Size([3])
    >>> model.sample(2).shape
    torch.Size([2, 64])
    """

    def __init__(self, image_size: Any = 8, *, n_categories: int = 2, n_filters: int = 32, n_layers: int = 2,
                 kernel_size: int = 7, random_state: Any = None):
        super().__init__()
        self.image_size = image_size
        self.height, self.width = _check_shape(image_size)
        self.n_features = self.height * self.width  # D, the pixels of one image
        self.n_categories = check_int(n_categories, "n_categories", minimum=2)
        self.n_filters = check_int(n_filters, "n_filters", minimum=1)
        self.n_layers = check_int(n_layers, "n_layers", minimum=0)
        self.kernel_size = check_int(kernel_size, "kernel_size", minimum=1)
        if self.kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd (the kernel has a centre pixel), got {kernel_size}; pass e.g. 5 or 7.")
        self._generator = make_generator(random_state)
        binary = self.n_categories == 2
        c_in, c_out = (1, 1) if binary else (self.n_categories, self.n_categories)
        h = self.n_filters
        # (B, c_in, H, W) -> (B, h, H, W): mask A, output i sees only pixels < i
        self.input_conv = MaskedConv2d(c_in, h, self.kernel_size, "A")
        self.blocks = nn.Sequential(*[_ResidualBlock(h) for _ in range(self.n_layers)])  # mask B
        # 1x1 convolutions mix channels at one position: they keep the past-only property
        self.output = nn.Sequential(nn.ReLU(), nn.Conv2d(h, h, 1), nn.ReLU(), nn.Conv2d(h, c_out, 1))
        reset_parameters(self, self._generator)
        self.history_: dict | None = None

    # ------------------------------------------------------------------ data
    @property
    def binary(self) -> bool:
        """Whether pixels are binary (one Bernoulli each) rather than K categories."""
        return self.n_categories == 2

    def _check_X(self, X: Any, name: str = "X") -> torch.Tensor:
        """Images (n, H, W), (n, 1, H, W) or flat (n, H*W) of binary pixels (or codes 0..K-1) -> (n, H*W) floats."""
        H, W = self.height, self.width
        if isinstance(X, torch.Tensor):
            arr, ndim, shape = X, X.ndim, tuple(X.shape)
        else:
            arr = check_array(X, name, ndim=None)
            ndim, shape = arr.ndim, arr.shape
        if ndim not in (2, 3, 4):
            raise ValueError(f"{name} must be images of shape (n, {H}, {W}), (n, 1, {H}, {W}) or flat (n, {H * W}), "
                             f"got {ndim}-D of shape {shape}; reshape a single image with {name}.reshape(1, -1).")
        if ndim == 4 and shape[1] != 1:
            raise ValueError(f"{name} must hold one channel, shape (n, 1, {H}, {W}), got shape {shape}; "
                             f"remove the extra axis (a PixelCNN models one value per pixel).")
        if ndim >= 3 and tuple(shape[-2:]) != (H, W):
            raise ValueError(f"{name} holds {shape[-2]}x{shape[-1]} images but this model was built for "
                             f"image_size=({H}, {W}); build a PixelCNN with image_size=({shape[-2]}, {shape[-1]}).")
        if ndim == 2 and shape[1] != H * W:
            raise ValueError(f"{name} has {shape[1]} pixels per row but this model was built for image_size=({H}, {W}) "
                             f"({H * W} pixels); pass flat images of {H * W} pixels or build the model for your size.")
        flat = arr.reshape(shape[0], -1)
        if self.binary:
            T = as_tensor(flat, name, n_features=self.n_features, binary=True, dtype=self.dtype)
        else:
            T = as_tensor(flat, name, n_features=self.n_features, dtype=self.dtype, value_range=(0, self.n_categories - 1),
                          range_hint=f"pixels are codes 0..{self.n_categories - 1}")
            if bool((T != torch.round(T)).any()):
                raise ValueError(f"{name} must hold integer codes 0..{self.n_categories - 1}, found non-integer values; "
                                 f"round or quantise them first.")
        return on_model_device(T, X, self.device, name)

    # ------------------------------------------------------------------ the conditionals
    def logits(self, X: Any) -> torch.Tensor:
        """The parameters of every conditional :math:`p(x_i \\mid x_{<i})`, in one pass.

        Returns (n, H*W) Bernoulli logits for binary pixels, or (n, H*W, K) categorical logits.
        Entry i depends only on pixels before i in raster order.
        """
        return self._logits(self._check_X(X))

    def _logits(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        img = x.view(n, 1, self.height, self.width)  # (B, 1, H, W)
        if self.binary:
            inp = 2.0 * img - 1.0  # pixels as -1/+1: a zero input means "no evidence" only at padding
        else:
            inp = F.one_hot(img[:, 0].long(), self.n_categories).permute(0, 3, 1, 2).to(x.dtype)  # (B, K, H, W)
        out = self.output(self.blocks(self.input_conv(inp)))  # (B, c_out, H, W)
        if self.binary:
            return out.reshape(n, self.n_features)  # (B, D)
        return out.permute(0, 2, 3, 1).reshape(n, self.n_features, self.n_categories)  # (B, D, K)

    def _log_prob(self, x: torch.Tensor) -> torch.Tensor:
        # eq. (ar-chain): log p(x) = sum_i log p(x_i | x_<i)
        out = self._logits(x)
        if self.binary:
            return log_bernoulli(x, out)
        return F.log_softmax(out, dim=-1).gather(-1, x.long()[..., None])[..., 0].sum(dim=-1)

    # ------------------------------------------------------------------ likelihood
    def log_prob(self, X: Any) -> torch.Tensor:
        """Exact :math:`\\log p(x)` of every image, in nats, shape (n,), eq. (ar-chain). Differentiable."""
        return self._log_prob(self._check_X(X))

    def score(self, X: Any) -> float:
        """Mean exact log-likelihood per image (nats)."""
        with torch.no_grad():
            return float(self.log_prob(X).mean())

    def bits_per_dim(self, X: Any) -> float:
        """Mean negative log-likelihood in bits per pixel, :math:`-\\log_2 p(x) / D`, eq. (ar-bits)."""
        return -self.score(X) / (self.n_features * math.log(2.0))

    def held_out_likelihood(self, X: Any, **options: Any) -> dict:
        """Mean exact log-likelihood per image on ``X``: kind ``"exact"`` (the other options are unused)."""
        self._check_fitted("held_out_likelihood")
        with torch.no_grad():
            return likelihood_summary("exact", self.log_prob(X))

    def loss(self, X: Any) -> torch.Tensor:
        """Mean negative log-likelihood of a batch (nats per image): maximum likelihood, all pixels in parallel."""
        return -self._log_prob(self._check_batch(X)).mean()

    @renamed_arguments(epochs="n_epochs")
    def fit(self, X: Any, *, n_epochs: int = 50, batch_size: int = 64, lr: float = 1e-3, **train_kwargs: Any):
        """Maximise the exact log-likelihood of ``X`` with :func:`~genlib.neural.training.train` (Adam).

        ``X``: binary images (n, H, W), (n, 1, H, W) or flat (n, H*W) (codes 0..K-1 when
        ``n_categories=K``). Each call continues from the current weights.
        """
        return super().fit(X, n_epochs=n_epochs, batch_size=batch_size, lr=lr, **train_kwargs)

    # ------------------------------------------------------------------ sampling
    @torch.no_grad()
    def sample(self, n: int, *, random_state: Any = None) -> torch.Tensor:
        """Draw ``n`` images pixel by pixel in raster order, eq. (ar-sampling): D = H*W network passes.

        Returns (n, H*W): floats 0/1 for binary pixels, int64 codes for ``n_categories > 2``.
        ``random_state=None`` draws from the model's generator (new draws on every call).
        """
        n = check_int(n, "n", minimum=1)
        self._check_fitted("sample")
        g = self._generator_for(random_state)
        x = torch.zeros(n, self.n_features, device=self.device, dtype=self.dtype)
        for i in range(self.n_features):  # pixel i needs the pixels drawn before it
            out = self._logits(x)[:, i]  # (n,) or (n, K): only pixels < i matter
            u = rand(n, generator=g, device=self.device, dtype=self.dtype)
            if self.binary:
                x[:, i] = (u < torch.sigmoid(out)).to(self.dtype)
            else:  # inverse-CDF draw from the softmax
                cdf = torch.softmax(out, dim=-1).cumsum(dim=-1)
                x[:, i] = torch.clamp((cdf < u[:, None]).sum(dim=-1), max=self.n_categories - 1).to(self.dtype)
        return x if self.binary else x.long()
