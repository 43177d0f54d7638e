"""FCC-GAN: fully connected and convolutional GAN (Barua, Erfani & Bailey, 2019), chapter ``05_beyond/01_fccgan``.

DCGAN's rule 3 removes fully connected hidden layers: z enters as a 1x1 map and D's last
convolution gives the logit. FCC-GAN puts them back, on both sides of the convolutions:

- the generator first maps z through a block of fully connected layers (Linear + batch norm
  + ReLU) whose last layer has as many units as the first feature map, which is then
  reshaped to (channels, s0, s0) and up-sampled by DCGAN's transposed convolutions;
- the discriminator extracts features with DCGAN's strided convolutions, flattens the last
  map and classifies it with a block of fully connected layers (LeakyReLU) ending in one
  logit.

The paper's argument: the fully connected layers give G a deeper non-linear map from the
simple noise distribution to the representation the convolutions decode, and give D a
stronger classifier on top of the convolutional features; it reports faster learning and
better samples than the convolution-only design on four image data sets. (Its architecture
also uses pooling layers; genlib keeps DCGAN's strided convolutions, so that the one
difference between :class:`FCCGAN` and :class:`~genlib.neural.dcgan.DCGAN` is the fully
connected blocks.)

The game, its losses and the training loop are DCGAN's (:class:`FCCGAN` subclasses it and
only builds other networks): the same data handling ([0, 1] images mapped to Tanh's
[-1, 1]), the same initialisation of the convolutions and batch norms (weights from
N(0, 0.02), batch-norm scales from N(1, 0.02); the fully connected layers keep PyTorch's
default, see :func:`_fccgan_init`) and the same Adam defaults.
"""

from __future__ import annotations

import torch
from torch import nn

from .._torch import check_hidden, check_tensor, reset_parameters
from .._validation import check_int
from .dcgan import DCGAN, LAYOUTS, _check_image_size, _dcgan_init

__all__ = ["FCCGAN", "FCCGenerator", "FCCDiscriminator"]


class FCCGenerator(nn.Module):
    """G: z (B, latent_dim) -> image (B, 1, S, S) in [-1, 1]: fully connected block, then transposed convolutions.

    ``fc`` maps z through Linear + BatchNorm1d + ReLU layers of widths ``fc_hidden`` and a last
    one to C * s0 * s0 units, reshaped into the first (C, s0, s0) feature map (C =
    ``n_filters * 2**(k-1)``, as in :class:`~genlib.neural.dcgan.DCGenerator`); ``conv``
    doubles the side and halves the channels k times (BN + ReLU, Tanh at the output).
    """

    def __init__(self, latent_dim: int, image_size: int = 8, n_filters: int = 32, fc_hidden=(64, 512)):
        super().__init__()
        latent_dim = check_int(latent_dim, "latent_dim", minimum=1)
        n_filters = check_int(n_filters, "n_filters", minimum=1)
        fc_hidden = check_hidden(fc_hidden, "fc_hidden", allow_empty=True)
        s0, k = LAYOUTS[_check_image_size(image_size)]
        ch = n_filters * 2 ** (k - 1)
        fc: list[nn.Module] = []
        for a, b in zip((latent_dim, *fc_hidden), (*fc_hidden, ch * s0 * s0)):
            fc += [nn.Linear(a, b, bias=False), nn.BatchNorm1d(b), nn.ReLU()]  # (B, a) -> (B, b)
        fc.append(nn.Unflatten(1, (ch, s0, s0)))  # (B, ch * s0 * s0) -> (B, ch, s0, s0)
        self.fc = nn.Sequential(*fc)
        conv: list[nn.Module] = []
        for _ in range(k - 1):  # each: (B, ch, s, s) -> (B, ch/2, 2s, 2s)
            conv += [nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ch // 2), nn.ReLU()]
            ch //= 2
        conv += [nn.ConvTranspose2d(ch, 1, 4, 2, 1), nn.Tanh()]  # output: no BN, Tanh -> (B, 1, S, S)
        self.conv = nn.Sequential(*conv)
        self.latent_dim = latent_dim

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        check_tensor(z, "z", shape=(None, self.latent_dim), finite=False)
        _check_batch_norm_rows(self, z, "z")
        return self.conv(self.fc(z))  # fully connected first, convolutions after


class FCCDiscriminator(nn.Module):
    """D: image (B, 1, S, S) -> logit (B,): strided convolutions, then a fully connected block.

    ``conv`` is :class:`~genlib.neural.dcgan.DCDiscriminator` without its last convolution: k
    stride-2 convolutions down to a (C, s0, s0) map (LeakyReLU(0.2), BN except after the input
    layer); ``fc`` flattens it and applies Linear + LeakyReLU(0.2) layers of widths
    ``fc_hidden`` and a last Linear to the logit.
    """

    def __init__(self, image_size: int = 8, n_filters: int = 32, fc_hidden=(512, 64)):
        super().__init__()
        self.image_size = _check_image_size(image_size)
        n_filters = check_int(n_filters, "n_filters", minimum=1)
        fc_hidden = check_hidden(fc_hidden, "fc_hidden", allow_empty=True)
        s0, k = LAYOUTS[self.image_size]
        ch = n_filters
        conv: list[nn.Module] = [nn.Conv2d(1, ch, 4, 2, 1), nn.LeakyReLU(0.2)]  # input layer: no BN
        for _ in range(k - 1):  # each: (B, ch, s, s) -> (B, 2ch, s/2, s/2)
            conv += [nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ch * 2), nn.LeakyReLU(0.2)]
            ch *= 2
        self.conv = nn.Sequential(*conv)
        fc: list[nn.Module] = [nn.Flatten()]  # (B, ch, s0, s0) -> (B, ch * s0 * s0)
        for a, b in zip((ch * s0 * s0, *fc_hidden), fc_hidden):
            fc += [nn.Linear(a, b), nn.LeakyReLU(0.2)]
        fc.append(nn.Linear((ch * s0 * s0, *fc_hidden)[-1], 1))  # (B, 1): the logit
        self.fc = nn.Sequential(*fc)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_tensor(x, "x", shape=(None, 1, self.image_size, self.image_size), finite=False,
                     hint=f"a batch of one-channel images, image_size={self.image_size}")
        return self.fc(self.conv(x)).flatten()  # convolutions first, fully connected after -> (B,)


def _check_batch_norm_rows(net: nn.Module, z: torch.Tensor, name: str) -> None:
    """Refuse a batch of one row in training mode, where BatchNorm1d has no batch statistics to take."""
    if net.training and z.shape[0] < 2:
        raise ValueError(f"{name} has 1 row, but {type(net).__name__} in training mode normalises over the batch "
                         f"(BatchNorm1d) and needs at least 2; pass 2 or more rows, or call .eval() first.")


def _fccgan_init(module: nn.Module, gen: torch.Generator) -> None:
    """DCGAN's initialisation for the convolutions and batch norms (weights ~ N(0, 0.02), BN scales ~
    N(1, 0.02)); PyTorch's default for the fully connected layers, drawn from ``gen``.

    The DCGAN paper's N(0, 0.02) was chosen for convolutions; on D's three fully connected layers
    (no batch norm) it trained clearly worse in our runs on the digits (exercise of the chapter).
    """
    _dcgan_init(module, gen)  # the convolutions, BatchNorm2d
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.Linear):
                reset_parameters(m, gen)  # uniform in +-1/sqrt(fan_in)
            elif isinstance(m, nn.BatchNorm1d):
                m.weight.normal_(1.0, 0.02, generator=gen)
                m.bias.zero_()
                m.reset_running_stats()


class FCCGAN(DCGAN):
    """Fully connected and convolutional GAN (Barua et al., 2019): DCGAN with fully connected
    layers before G's convolutions and after D's.

    Parameters
    ----------
    image_size : {8, 16, 28, 32, 64}
        Side of the square grey images: 8 for scikit-learn's digits, 28 for MNIST.
    latent_dim : int
        Dimension of z ~ N(0, I).
    n_filters : int
        Channels of D's first convolution and G's last hidden one, doubling at each
        resolution step towards the smallest map, as in :class:`~genlib.neural.dcgan.DCGAN`.
    fc_hidden : tuple of int, default (64, 512)
        Widths of the fully connected hidden layers between z and G's first feature map; D
        uses them in reverse order between its last feature map and the logit. ``()`` leaves
        one linear layer on each side, which is what DCGAN's first and last convolutions
        compute (exercise of the chapter).
    n_steps, batch_size, lr_d, lr_g, betas, loss, d_steps, random_state, device, verbose
        As in :class:`~genlib.neural.dcgan.DCGAN`.

    Attributes
    ----------
    generator : FCCGenerator
    discriminator : FCCDiscriminator
    history_ : dict of lists
        ``d_loss``, ``g_loss``, ``d_real`` (mean D(x)), ``d_fake`` (mean D(G(z))) per step.

    Examples
    --------
    >>> from genlib.datasets import load_digits
    >>> X, _ = load_digits(as_images=True)
    >>> model = FCCGAN(image_size=8, n_steps=20, random_state=0).fit(X[:256])
    >>> model.sample(3).shape
    torch.Size([3, 1, 8, 8])
    """

    def __init__(self, image_size: int = 8, *, latent_dim: int = 32, n_filters: int = 32, fc_hidden=(64, 512),
                 n_steps: int = 1000, batch_size: int = 64, lr_d: float = 2e-4, lr_g: float = 2e-4,
                 betas=(0.5, 0.999), loss: str = "non-saturating", d_steps: int = 1, random_state=None,
                 device=None, verbose: bool = False):
        # checked and kept before DCGAN's __init__ builds the networks through _build_networks
        self.fc_hidden = check_hidden(fc_hidden, "fc_hidden", allow_empty=True)
        super().__init__(image_size, latent_dim=latent_dim, n_filters=n_filters, n_steps=n_steps,
                         batch_size=batch_size, lr_d=lr_d, lr_g=lr_g, betas=betas, loss=loss, d_steps=d_steps,
                         random_state=random_state, device=device, verbose=verbose)

    def _build_networks(self) -> tuple[nn.Module, nn.Module]:
        return (FCCGenerator(self.latent_dim, self.image_size, self.n_filters, self.fc_hidden),
                FCCDiscriminator(self.image_size, self.n_filters, self.fc_hidden[::-1]))

    def _reset_parameters(self, gen: torch.Generator) -> None:
        _fccgan_init(self, gen)
