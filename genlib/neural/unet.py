"""A small U-Net that predicts the noise of a diffusion model, chapter ``05_beyond/03_diffusion``.

The network of :class:`~genlib.neural.ddpm.DDPM` (Ho et al. 2020 use a larger one of the same
shape, after PixelCNN++ and Ronneberger et al. 2015): it takes a noisy image ``x_t`` and the
time step ``t`` (and, optionally, a class label) and returns an image of the same shape, the
predicted noise :math:`\\epsilon_\\theta(x_t, t)`.

Reading order:

1. :func:`timestep_embedding` - the sinusoidal code of ``t`` (as the positions of a
   transformer), turned into a vector ``emb`` by a small MLP; a class label adds its own
   learnt vector to ``emb`` (index ``n_classes`` is "no label", kept for classifier-free
   guidance);
2. :class:`ResBlock` - two 3x3 convolutions with group normalisation and SiLU, ``emb`` added
   between them (this is how every layer learns what noise level it is looking at), and a
   residual connection;
3. :class:`UNet` - down the resolutions (one ``ResBlock`` per level, then a stride-2
   convolution), a middle block, and back up (nearest-neighbour up-sampling, the skip
   connection of the same level concatenated, one ``ResBlock``), then a 3x3 convolution to
   one channel. With ``channels=(32, 64)`` an 8x8 digit is processed at 8x8 and 4x4 (the
   middle block at 4x4); with ``channels=(32, 64, 128)`` a 28x28 MNIST digit at 28, 14 and 7.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from .._torch import check_labels, check_tensor
from .._validation import check_float, check_int

__all__ = ["UNet", "ResBlock", "timestep_embedding"]


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10_000.0) -> torch.Tensor:
    """Sinusoidal code of the time steps ``t`` (B,): (B, dim), half sines and half cosines.

    Frequency k is ``max_period ** (-k / (dim / 2))``, as the positional code of Vaswani et
    al. (2017); nearby steps get nearby codes, and every scale of ``t`` is represented.
    ``t``: integer (or finite real) steps; ``dim`` >= 1; ``max_period`` >= 1 (the slowest period, in steps).

    Examples
    --------
    >>> timestep_embedding(torch.tensor([0, 5]), 4)[0]
    tensor([0., 0., 1., 1.])
    """
    _check_steps(t, "t")
    dim = check_int(dim, "dim", minimum=1)
    max_period = check_float(max_period, "max_period", minimum=1.0)
    return _timestep_embedding(t, dim, max_period)


def _check_steps(t, name: str, n: int | None = None, n_timesteps: int | None = None) -> None:
    """Time steps: a 1-D tensor of integers (one per image, ``n``; in 0..n_timesteps when given), or finite reals."""
    if not isinstance(t, torch.Tensor) or t.is_complex() or t.dtype == torch.bool:
        raise TypeError(f"{name} must be a 1-D torch.Tensor of time steps, got {type(t).__name__}"
                        + (f" of dtype {t.dtype}" if isinstance(t, torch.Tensor) else "")
                        + f"; convert with torch.as_tensor({name}, dtype=torch.long).")
    if t.ndim != 1 or (n is not None and len(t) != n):
        raise ValueError(f"{name} must be 1-D with one time step per image" + (f" of x ({n})" if n is not None else "")
                         + f", got shape {tuple(t.shape)}.")
    if len(t) == 0:
        raise ValueError(f"{name} is empty; pass one time step per image.")
    if t.is_floating_point():
        if n_timesteps is not None:
            raise TypeError(f"{name} must hold integer time steps 0..{n_timesteps}, got dtype {t.dtype}; "
                            f"convert with {name}.long().")
        if not bool(torch.isfinite(t).all()):
            raise ValueError(f"{name} contains NaN or infinite values; pass finite time steps.")
    elif n_timesteps is not None and (int(t.min()) < 0 or int(t.max()) > n_timesteps):
        raise ValueError(f"{name} must hold time steps 0..{n_timesteps} (this network's n_timesteps), got values in "
                         f"[{int(t.min())}, {int(t.max())}].")


def _timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10_000.0) -> torch.Tensor:
    """:func:`timestep_embedding` without its checks (the U-Net's call on every batch, after its own)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    args = t.to(torch.float32)[:, None] * freqs[None, :]  # (B, half)
    emb = torch.cat([torch.sin(args), torch.cos(args)], dim=1)  # (B, 2 * half)
    if dim % 2:
        emb = F.pad(emb, (0, 1))
    return emb


def _groups(channels: int) -> int:
    """Groups of the group normalisation: 8 when the channels allow it, else the largest divisor below."""
    return max(g for g in range(1, min(8, channels) + 1) if channels % g == 0)


class ResBlock(nn.Module):
    """(B, c_in, H, W), emb (B, E) -> (B, c_out, H, W): norm, SiLU, conv, + emb, norm, SiLU, conv, + skip."""

    def __init__(self, c_in: int, c_out: int, emb_dim: int):
        c_in, c_out = check_int(c_in, "c_in", minimum=1), check_int(c_out, "c_out", minimum=1)
        emb_dim = check_int(emb_dim, "emb_dim", minimum=1)
        super().__init__()
        self.c_in, self.emb_dim = c_in, emb_dim
        self.norm1 = nn.GroupNorm(_groups(c_in), c_in)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.emb = nn.Linear(emb_dim, c_out)  # the time (and label) code, one shift per channel
        self.norm2 = nn.GroupNorm(_groups(c_out), c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        check_tensor(x, "x", shape=(None, self.c_in, None, None), finite=False, hint="(B, c_in, H, W) feature maps")
        check_tensor(emb, "emb", shape=(None, self.emb_dim), finite=False, hint="(B, emb_dim), one code per image")
        if len(emb) != len(x):
            raise ValueError(f"x and emb must have one row per image each, got {len(x)} images in x and {len(emb)} "
                             f"codes in emb; pass one code per image.")
        h = self.conv1(F.silu(self.norm1(x)))  # (B, c_out, H, W)
        h = h + self.emb(F.silu(emb))[:, :, None, None]  # every pixel of a channel gets the same shift
        h = self.conv2(F.silu(self.norm2(h)))
        return h + self.skip(x)


class UNet(nn.Module):
    """epsilon_theta(x_t, t[, y]): (B, 1, S, S) -> (B, 1, S, S).

    Parameters
    ----------
    image_size : int
        Side of the square grey images; divisible by ``2 ** (len(channels) - 1)`` (8 with two
        levels, 28 with three).
    channels : tuple of int
        Feature maps per resolution, from the full size down; each level halves the side.
    emb_dim : int
        Width of the time (and label) embedding.
    n_classes : int or None
        With an int, ``forward`` takes labels ``y`` in 0..n_classes (``n_classes`` = no label).
    n_timesteps : int or None
        T: ``forward`` takes integer steps ``t`` in 0..T (None: any integer step >= 0, or real steps).
    """

    def __init__(self, image_size: int = 8, channels: Sequence[int] = (32, 64), emb_dim: int = 128,
                 n_classes: int | None = None, n_timesteps: int | None = None):
        super().__init__()
        image_size = check_int(image_size, "image_size", minimum=1)
        if not isinstance(channels, (tuple, list)) or not channels:
            raise TypeError(f"channels must be a non-empty tuple of ints such as (32, 64), got {channels!r}.")
        channels = tuple(check_int(c, f"channels[{i}]", minimum=1) for i, c in enumerate(channels))
        factor = 2 ** (len(channels) - 1)
        if image_size % factor:
            raise ValueError(
                f"image_size={image_size} cannot be halved {len(channels) - 1} times (one per level of "
                f"channels={channels}); use image sizes divisible by {factor}, or fewer levels "
                f"(8x8 digits: channels=(32, 64); 28x28 MNIST: channels=(32, 64, 128)).")
        self.image_size, self.channels, self.emb_dim = image_size, channels, check_int(emb_dim, "emb_dim", minimum=2)
        self.n_classes = None if n_classes is None else check_int(n_classes, "n_classes", minimum=1)
        self.n_timesteps = None if n_timesteps is None else check_int(n_timesteps, "n_timesteps", minimum=1)
        E = self.emb_dim
        self.time_mlp = nn.Sequential(nn.Linear(E, E), nn.SiLU(), nn.Linear(E, E))
        self.label_emb = None if self.n_classes is None else nn.Embedding(self.n_classes + 1, E)  # +1: "no label"
        self.inp = nn.Conv2d(1, channels[0], 3, padding=1)
        self.down = nn.ModuleList()  # one ResBlock per level
        self.downsample = nn.ModuleList()  # stride-2 convolutions between levels
        c = channels[0]
        for i, c_out in enumerate(channels):
            self.down.append(ResBlock(c, c_out, E))
            c = c_out
            if i < len(channels) - 1:
                self.downsample.append(nn.Conv2d(c, c, 3, stride=2, padding=1))  # (H, W) -> (H/2, W/2)
        self.mid = ResBlock(c, c, E)
        self.up = nn.ModuleList()
        self.upsample = nn.ModuleList()
        for i, c_skip in reversed(list(enumerate(channels))):
            self.up.append(ResBlock(c + c_skip, c_skip, E))  # the skip of the same level, concatenated
            c = c_skip
            if i > 0:
                self.upsample.append(nn.Conv2d(c, channels[i - 1], 3, padding=1))  # after nearest 2x up-sampling
                c = channels[i - 1]
        self.out_norm = nn.GroupNorm(_groups(c), c)
        self.out = nn.Conv2d(c, 1, 3, padding=1)

    def forward(self, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        S = self.image_size
        check_tensor(x, "x", shape=(None, 1, S, S), finite=False, hint="noisy grey images (B, 1, S, S)")
        _check_steps(t, "t", len(x), self.n_timesteps)
        if self.n_timesteps is None and not t.is_floating_point() and int(t.min()) < 0:
            raise ValueError(f"t must hold time steps >= 0, got {int(t.min())}.")
        if y is not None:
            if self.label_emb is None:
                raise TypeError("y was given but this UNet is unconditional; build it with n_classes=... for labels.")
            check_labels(y, "y", self.n_classes + 1, len(x))  # n_classes itself means "no label"
        return self._forward(x, t, y)

    def _forward(self, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """:meth:`forward` without its checks (DDPM's calls on every batch and every sampling step)."""
        emb = self.time_mlp(_timestep_embedding(t, self.emb_dim))  # (B, E)
        if self.label_emb is not None:
            if y is None:  # unconditional: the "no label" index
                y = torch.full((x.shape[0],), self.n_classes, dtype=torch.long, device=x.device)
            emb = emb + self.label_emb(y)
        h = self.inp(x)  # (B, C0, S, S)
        skips = []
        for i, block in enumerate(self.down):
            h = block(h, emb)
            skips.append(h)
            if i < len(self.downsample):
                h = self.downsample[i](h)  # halve the side
        h = self.mid(h, emb)
        for i, block in enumerate(self.up):
            skip = skips.pop()
            if h.shape[-1] != skip.shape[-1]:
                h = F.interpolate(h, size=skip.shape[-2:], mode="nearest")  # double the side
                h = self.upsample[i - 1](h)
            h = block(torch.cat([h, skip], dim=1), emb)
        return self.out(F.silu(self.out_norm(h)))  # (B, 1, S, S)
