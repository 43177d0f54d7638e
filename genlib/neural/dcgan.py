"""Deep convolutional GAN (Radford, Metz & Chintala, 2016), chapter ``03_dl/08_dcgan``.

The same minimax game as :class:`~genlib.neural.gan.GAN` (the training loop is shared),
with the five architecture rules of the DCGAN paper, as the seminar lists them:

1. no pooling: strided convolutions in D, fractionally-strided (transposed) convolutions
   in G change the size of the feature maps;
2. batch normalisation in both networks, except G's output layer and D's input layer;
3. no fully connected hidden layers: z enters as a 1x1 feature map with ``latent_dim``
   channels, and D's last convolution covers the whole remaining map to give one logit;
4. ReLU in every layer of G except its output, which is Tanh;
5. LeakyReLU (slope 0.2) in every layer of D.

Plus the paper's training details: weights drawn from N(0, 0.02), batch-norm scales from
N(1, 0.02), Adam with learning rate 2e-4 and beta1 = 0.5.

Images come in [0, 1] (as :func:`genlib.datasets.load_digits` returns them, or MNIST / 255)
and are mapped to [-1, 1], the range of G's Tanh; :meth:`DCGAN.sample` maps back.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch
from torch import nn

from .._validation import check_array, check_int, check_range
from .._torch import check_tensor
from .gan import _AdversarialNet

__all__ = ["DCGAN", "DCGenerator", "DCDiscriminator", "LAYOUTS", "prepare_images"]

#: Supported image sizes -> (side of the first feature map, number of 2x up-samplings).
#: 8 = 2 * 2**2 (scikit-learn digits), 28 = 7 * 2**2 (MNIST), 16, 32 and 64 = 4 * 2**k.
LAYOUTS = {8: (2, 2), 16: (4, 2), 28: (7, 2), 32: (4, 3), 64: (4, 4)}


def _check_image_size(image_size: Any) -> int:
    image_size = check_int(image_size, "image_size", minimum=1)
    if image_size not in LAYOUTS:
        raise ValueError(
            f"image_size must be one of {sorted(LAYOUTS)} (side of a square image), got {image_size}; "
            f"resize or pad the images to a supported size (8x8 digits: 8, MNIST: 28)."
        )
    return image_size


def prepare_images(X: Any, image_size: int, name: str = "X") -> np.ndarray:
    """Check grey images in [0, 1] and return them as float32 (N, 1, image_size, image_size).

    Accepts (N, H, W), (N, 1, H, W) and flat (N, H*W) arrays or tensors.
    """
    image_size = _check_image_size(image_size)
    ndim = np.ndim(X)
    if ndim not in (2, 3, 4):
        raise ValueError(
            f"{name} must be images of shape (n, {image_size}, {image_size}), (n, 1, {image_size}, {image_size}) "
            f"or flat (n, {image_size * image_size}), got an array of shape {np.shape(X)}."
        )
    arr = check_array(X, name, ndim=ndim, dtype=np.float32)
    n = arr.shape[0]
    if ndim == 2:
        if arr.shape[1] != image_size * image_size:
            raise ValueError(
                f"{name} has {arr.shape[1]} pixels per row but this model was built for image_size={image_size} "
                f"({image_size * image_size} pixels); build the model with the size of your images."
            )
        arr = arr.reshape(n, 1, image_size, image_size)
    elif ndim == 3:
        arr = arr[:, None]
    if arr.shape[1] != 1:
        raise ValueError(
            f"{name} must hold grey images with one channel, shape (n, 1, H, W), got shape {arr.shape}; "
            f"remove the extra leading axis or convert colour images to grey."
        )
    if arr.shape[2:] != (image_size, image_size):
        raise ValueError(
            f"{name} holds {arr.shape[2]}x{arr.shape[3]} images but this model was built for image_size={image_size}; "
            f"build it with image_size={arr.shape[2]} if that size is supported ({sorted(LAYOUTS)})."
        )
    return check_range(arr, name, hint="divide 8-bit images by 255 (or scikit-learn's digits by 16) first")


class DCGenerator(nn.Module):
    """G: z (B, latent_dim) -> image (B, 1, S, S) in [-1, 1], transposed convolutions only.

    z is a (latent_dim, 1, 1) feature map (rule 3: no fully connected layer); a first
    transposed convolution makes it (C * 2**k, s0, s0), then each stride-2 transposed
    convolution doubles the side and halves the channels (rule 1). BN + ReLU after each
    hidden layer (rules 2 and 4), no BN and Tanh at the output.
    """

    def __init__(self, latent_dim: int, image_size: int = 8, n_filters: int = 32):
        super().__init__()
        latent_dim = check_int(latent_dim, "latent_dim", minimum=1)
        n_filters = check_int(n_filters, "n_filters", minimum=1)
        s0, k = LAYOUTS[_check_image_size(image_size)]
        ch = n_filters * 2 ** (k - 1)
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(latent_dim, ch, kernel_size=s0, stride=1, padding=0, bias=False),  # (B, ch, s0, s0)
            nn.BatchNorm2d(ch), nn.ReLU(),
        ]
        for _ in range(k - 1):  # each: (B, ch, s, s) -> (B, ch/2, 2s, 2s)
            layers += [nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ch // 2), nn.ReLU()]
            ch //= 2
        layers += [nn.ConvTranspose2d(ch, 1, 4, 2, 1), nn.Tanh()]  # output: no BN, Tanh -> (B, 1, S, S)
        self.net = nn.Sequential(*layers)
        self.latent_dim = latent_dim

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        check_tensor(z, "z", shape=(None, self.latent_dim), finite=False)
        return self.net(z[:, :, None, None])  # (B, latent_dim) -> (B, latent_dim, 1, 1) -> (B, 1, S, S)


class DCDiscriminator(nn.Module):
    """D: image (B, 1, S, S) -> logit (B,), strided convolutions only.

    Stride-2 convolutions halve the side and double the channels (rule 1); LeakyReLU(0.2)
    after every hidden layer (rule 5); BN everywhere except after the input layer (rule 2);
    the last convolution spans the remaining s0 x s0 map and gives the logit (rule 3).
    """

    def __init__(self, image_size: int = 8, n_filters: int = 32):
        super().__init__()
        self.image_size = _check_image_size(image_size)
        n_filters = check_int(n_filters, "n_filters", minimum=1)
        s0, k = LAYOUTS[self.image_size]
        ch = n_filters
        layers: list[nn.Module] = [nn.Conv2d(1, ch, 4, 2, 1), nn.LeakyReLU(0.2)]  # input layer: no BN
        for _ in range(k - 1):  # each: (B, ch, s, s) -> (B, 2ch, s/2, s/2)
            layers += [nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ch * 2), nn.LeakyReLU(0.2)]
            ch *= 2
        layers.append(nn.Conv2d(ch, 1, kernel_size=s0, stride=1, padding=0))  # (B, 1, 1, 1): the logit
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_tensor(x, "x", shape=(None, 1, self.image_size, self.image_size), finite=False)
        return self.net(x).flatten()  # (B,)


def _dcgan_init(module: nn.Module, gen: torch.Generator) -> None:
    """The DCGAN paper's initialisation: conv weights ~ N(0, 0.02); BN scale ~ N(1, 0.02), shift 0."""
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                m.weight.normal_(0.0, 0.02, generator=gen)
                if m.bias is not None:
                    m.bias.zero_()
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.normal_(1.0, 0.02, generator=gen)
                m.bias.zero_()
                m.reset_running_stats()


class DCGAN(_AdversarialNet):
    """Deep convolutional GAN following the five architecture rules (Radford et al., 2016).

    Parameters
    ----------
    image_size : {8, 16, 28, 32, 64}
        Side of the square grey images: 8 for scikit-learn's digits, 28 for MNIST.
    latent_dim : int
        Dimension of z ~ N(0, I).
    n_filters : int
        Channels of D's first layer and G's last hidden layer; they double at each
        resolution step towards the 1x1 end.
    n_steps, batch_size, lr_d, lr_g, betas, loss, d_steps, random_state, device, verbose
        As in :class:`~genlib.neural.gan.GAN`; the defaults are the paper's (Adam, 2e-4, beta1 = 0.5).

    Attributes
    ----------
    generator : DCGenerator
    discriminator : DCDiscriminator
    history_ : dict of lists
        ``d_loss``, ``g_loss``, ``d_real`` (mean D(x)), ``d_fake`` (mean D(G(z))) per step.

    Examples
    --------
    >>> from genlib.datasets import load_digits
    >>> X, _ = load_digits(as_images=True)
    >>> model = DCGAN(image_size=8, n_steps=20, random_state=0).fit(X[:256])
    >>> model.sample(3).shape
    torch.Size([3, 1, 8, 8])
    """

    def __init__(self, image_size: int = 8, *, latent_dim: int = 32, n_filters: int = 32, n_steps: int = 1000,
                 batch_size: int = 64, lr_d: float = 2e-4, lr_g: float = 2e-4, betas=(0.5, 0.999),
                 loss: str = "non-saturating", d_steps: int = 1, random_state=None, device=None,
                 verbose: bool = False):
        super().__init__(latent_dim=latent_dim, n_steps=n_steps, batch_size=batch_size, lr_d=lr_d, lr_g=lr_g,
                         betas=betas, loss=loss, d_steps=d_steps, random_state=random_state, device=device,
                         verbose=verbose)
        self.image_size = _check_image_size(image_size)
        self.n_filters = check_int(n_filters, "n_filters", minimum=1)
        self.generator, self.discriminator = self._build_networks()
        self._finish_init()

    def _build_networks(self) -> tuple[nn.Module, nn.Module]:
        """G and D of this architecture (subclasses such as FCCGAN build others around the same game)."""
        return (DCGenerator(self.latent_dim, self.image_size, self.n_filters),
                DCDiscriminator(self.image_size, self.n_filters))

    def _reset_parameters(self, gen: torch.Generator) -> None:
        _dcgan_init(self, gen)

    def _prepare(self, X: Any, name: str = "X") -> torch.Tensor:
        arr = prepare_images(X, self.image_size, name)  # (N, 1, S, S) in [0, 1]
        return torch.from_numpy(arr * 2.0 - 1.0).to(self.device)  # -> [-1, 1], the range of Tanh

    def _to_user(self, x: torch.Tensor) -> torch.Tensor:
        return (x + 1.0) / 2.0  # [-1, 1] -> [0, 1]

    def fit(self, X: Any, *, callback: Callable | None = None, callback_every: int = 100) -> "DCGAN":
        """Train on grey images ``X`` in [0, 1] of shape (n, S, S), (n, 1, S, S) or (n, S*S).

        Starts afresh from ``random_state``; ``callback(model, step)`` runs every
        ``callback_every`` steps.

        Returns
        -------
        self
        """
        return self._fit(X, None, callback, callback_every)

    def sample(self, n: int, *, random_state: Any = None, return_latent: bool = False):
        """Draw ``n`` images G(z) in [0, 1]: a tensor (n, 1, image_size, image_size).

        ``return_latent=True`` returns ``(images, z)``.
        """
        return self._sample(n, None, random_state, return_latent)
