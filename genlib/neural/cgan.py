"""Conditional GAN (Mirza & Osindero, 2014), chapter ``03_dl/09_cgan``.

The core idea, in one line: G and D both receive the class label y as an extra input,
and the game becomes

    min_G max_D E_{x, y ~ p_data}[log D(x | y)] + E_{z ~ p_z, y ~ p(y)}[log(1 - D(G(z | y) | y))]

(eq. (cgan-value)). D now judges whether x is a real example *of class y*, so G cannot
fool it with a good image of the wrong digit: asking for y gives a y.

As in the paper, both networks are multilayer perceptrons; the label enters the generator
by concatenation, either as a one-hot vector or as a learnt embedding
(``conditioning="onehot"`` or ``"embedding"``). The discriminator either concatenates the
label to the image too (``discriminator="concat"``, the paper's) or uses the *projection*
discriminator of Miyato & Koyama (2018) (``discriminator="projection"``)::

    D(x | y) = sigmoid(psi(phi(x)) + e_y . phi(x))

where phi is the MLP's last hidden layer, psi a linear unconditional score and e_y a learnt
vector per class: the label changes the logit by an inner product with the image's features,
which is the form the optimal logit log p_data(x, y) / p_g(x, y) takes when p(y | x) is a
log-linear model of phi(x). Data are vectors in [0, 1] (flattened
grey images); they are mapped to [-1, 1] for G's Tanh output and back in :meth:`sample`.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .._validation import check_images, check_int, check_option
from .._torch import check_hidden, check_labels, check_tensor, mlp, reset_parameters
from .gan import _AdversarialNet

__all__ = ["ConditionalGAN", "ConditionalGenerator", "ConditionalDiscriminator", "ProjectionDiscriminator",
           "CONDITIONINGS", "DISCRIMINATORS"]

#: How the label y enters G and D: a one-hot vector, or a learnt embedding, concatenated to the input.
CONDITIONINGS = ("onehot", "embedding")

#: How D judges the pair (x, y): "concat" appends the label's code to x (Mirza & Osindero, 2014);
#: "projection" adds the inner product of a class vector with D's features (Miyato & Koyama, 2018).
DISCRIMINATORS = ("concat", "projection")


class _LabelCode(nn.Module):
    """y (B,) int -> code (B, dim): one-hot (fixed) or a learnt embedding."""

    def __init__(self, n_classes: int, conditioning: str, embed_dim: int):
        super().__init__()
        n_classes = check_int(n_classes, "n_classes", minimum=1)
        conditioning = check_option(conditioning, "conditioning", CONDITIONINGS)
        embed_dim = check_int(embed_dim, "embed_dim", minimum=1)
        self.n_classes = n_classes
        self.embedding = nn.Embedding(n_classes, embed_dim) if conditioning == "embedding" else None
        self.dim = embed_dim if conditioning == "embedding" else n_classes

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        if self.embedding is None:
            return F.one_hot(y, self.n_classes).to(torch.float32)
        return self.embedding(y)


class ConditionalGenerator(nn.Module):
    """G: [z, code(y)] (B, latent_dim + dim) -> x (B, n_features) in [-1, 1]; LeakyReLU hidden, Tanh output."""

    def __init__(self, latent_dim, n_features, n_classes, hidden=(256, 256), conditioning="onehot", embed_dim=10):
        super().__init__()
        self.latent_dim = check_int(latent_dim, "latent_dim", minimum=1)
        n_features = check_int(n_features, "n_features", minimum=1)
        hidden = check_hidden(hidden)
        self.code = _LabelCode(n_classes, conditioning, embed_dim)
        self.net = nn.Sequential(*mlp([latent_dim + self.code.dim, *hidden, n_features],
                                       lambda: nn.LeakyReLU(0.2)), nn.Tanh())

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        check_tensor(z, "z", shape=(None, self.latent_dim), finite=False)
        check_labels(y, "y", self.code.n_classes, z.shape[0], rows="z")
        return self.net(torch.cat([z, self.code(y)], dim=1))  # concatenation: the label enters G


class ConditionalDiscriminator(nn.Module):
    """D: [x, code(y)] (B, n_features + dim) -> logit (B,) of "x is a real example of class y"."""

    def __init__(self, n_features, n_classes, hidden=(256, 256), conditioning="onehot", embed_dim=10):
        super().__init__()
        self.n_features = check_int(n_features, "n_features", minimum=1)
        hidden = check_hidden(hidden)
        self.code = _LabelCode(n_classes, conditioning, embed_dim)
        self.net = mlp([n_features + self.code.dim, *hidden, 1], lambda: nn.LeakyReLU(0.2))

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        check_tensor(x, "x", shape=(None, self.n_features), finite=False)
        check_labels(y, "y", self.code.n_classes, x.shape[0])
        return self.net(torch.cat([x, self.code(y)], dim=1)).squeeze(-1)  # the label enters D too


class ProjectionDiscriminator(nn.Module):
    """D: logit(x, y) = psi(phi(x)) + <e_y, phi(x)> (Miyato & Koyama, 2018); (B, n_features), (B,) -> (B,).

    phi is an MLP with LeakyReLU(0.2) hidden layers (its last hidden layer is the feature
    vector), psi a linear layer to one unconditional logit, e_y a learnt vector per class of
    the feature's width. The label never enters phi: it only *projects* the features.
    """

    def __init__(self, n_features, n_classes, hidden=(256, 256)):
        super().__init__()
        self.n_features = check_int(n_features, "n_features", minimum=1)
        self.n_classes = check_int(n_classes, "n_classes", minimum=1)
        hidden = check_hidden(hidden)
        layers = mlp([n_features, *hidden, 1], lambda: nn.LeakyReLU(0.2))
        self.phi = nn.Sequential(*layers[:-1], nn.LeakyReLU(0.2))  # x -> features (B, hidden[-1])
        self.psi = layers[-1]  # features -> unconditional logit
        self.class_vectors = nn.Embedding(n_classes, hidden[-1])  # e_y

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        check_tensor(x, "x", shape=(None, self.n_features), finite=False)
        check_labels(y, "y", self.n_classes, x.shape[0])
        h = self.phi(x)
        return self.psi(h).squeeze(-1) + (self.class_vectors(y) * h).sum(dim=1)  # the projection of phi(x) on e_y


class ConditionalGAN(_AdversarialNet):
    """Conditional GAN: generator and discriminator both see the class label (Mirza & Osindero, 2014).

    Parameters
    ----------
    n_features : int
        Dimension of a data vector (64 for 8x8 digits, 784 for MNIST); images of that many
        pixels are flattened.
    n_classes : int
        Number of labels; ``y`` holds integers 0 .. n_classes - 1.
    latent_dim : int
        Dimension of z ~ N(0, I).
    hidden : tuple of int
        Hidden widths of both MLPs.
    conditioning : {"onehot", "embedding"}
        How y enters both networks (concatenated one-hot vector, or a learnt embedding).
    embed_dim : int
        Size of the embedding when ``conditioning="embedding"``.
    discriminator : {"concat", "projection"}
        How D sees y: concatenated to x as G sees it (``"concat"``, Mirza & Osindero) or
        through a :class:`ProjectionDiscriminator` (``"projection"``, Miyato & Koyama), whose
        class vectors are learnt whatever ``conditioning`` says.
    n_steps, batch_size, lr_d, lr_g, betas, loss, d_steps, random_state, device, verbose
        As in :class:`~genlib.neural.gan.GAN`.

    Examples
    --------
    >>> from genlib.datasets import load_digits
    >>> X, y = load_digits()
    >>> model = ConditionalGAN(n_features=64, n_classes=10, n_steps=20, random_state=0).fit(X, y)
    >>> model.sample(4, labels=[0, 1, 2, 3]).shape
    torch.Size([4, 64])
    """

    conditional = True

    def __init__(self, n_features: int = 64, n_classes: int = 10, *, latent_dim: int = 32, hidden=(128,),
                 conditioning: str = "onehot", embed_dim: int = 10, discriminator: str = "concat", n_steps: int = 1000, batch_size: int = 64,
                 lr_d: float = 1e-3, lr_g: float = 1e-3, betas=(0.5, 0.999), loss: str = "non-saturating",
                 d_steps: int = 1, random_state=None, device=None, verbose: bool = False):
        super().__init__(latent_dim=latent_dim, n_steps=n_steps, batch_size=batch_size, lr_d=lr_d, lr_g=lr_g,
                         betas=betas, loss=loss, d_steps=d_steps, random_state=random_state, device=device,
                         verbose=verbose)
        self.n_features = check_int(n_features, "n_features", minimum=1)
        self.n_classes = check_int(n_classes, "n_classes", minimum=2)
        self.hidden = check_hidden(hidden)
        self.conditioning = check_option(conditioning, "conditioning", CONDITIONINGS)
        self.embed_dim = check_int(embed_dim, "embed_dim", minimum=1)
        self.discriminator_kind = check_option(discriminator, "discriminator", DISCRIMINATORS)
        kw = dict(hidden=self.hidden, conditioning=self.conditioning, embed_dim=self.embed_dim)
        self.generator = ConditionalGenerator(self.latent_dim, self.n_features, self.n_classes, **kw)
        if self.discriminator_kind == "projection":
            self.discriminator = ProjectionDiscriminator(self.n_features, self.n_classes, hidden=self.hidden)
        else:
            self.discriminator = ConditionalDiscriminator(self.n_features, self.n_classes, **kw)
        self._finish_init()

    def _reset_parameters(self, gen: torch.Generator) -> None:
        reset_parameters(self, gen)
        with torch.no_grad():
            for m in self.modules():
                if isinstance(m, nn.Embedding):
                    m.weight.normal_(0.0, 1.0, generator=gen)
            if isinstance(self.discriminator, ProjectionDiscriminator):  # e_y on the scale of a linear layer's rows
                e = self.discriminator.class_vectors.weight
                e.uniform_(-1.0 / np.sqrt(e.shape[1]), 1.0 / np.sqrt(e.shape[1]), generator=gen)

    def _prepare(self, X: Any, name: str = "X") -> torch.Tensor:
        arr = check_images(X, name, n_pixels=self.n_features,
                           hint=f"the model was built for n_features={self.n_features}; build ConditionalGAN(n_features=...) "
                                f"with the pixel count of your images")
        return torch.from_numpy(arr.astype(np.float32) * 2.0 - 1.0).to(self.device)  # [0, 1] -> [-1, 1]

    def _to_user(self, x: torch.Tensor) -> torch.Tensor:
        return (x + 1.0) / 2.0

    def _check_labels(self, y: Any, n: int, name: str = "y") -> torch.Tensor:
        if y is None:
            raise TypeError(f"{type(self).__name__} needs class labels {name} (integers 0..{self.n_classes - 1}).")
        if np.ndim(y) == 0:  # one label for all n
            y = np.full(n, y)
        arr = np.asarray(y.detach().cpu() if isinstance(y, torch.Tensor) else y)
        if arr.ndim != 1:
            raise ValueError(f"{name} must be 1-D (one label per sample), got shape {arr.shape}.")
        if arr.dtype.kind == "f":
            if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
                raise ValueError(f"{name} must hold whole class labels 0..{self.n_classes - 1}, got non-integer values.")
        elif arr.dtype.kind not in "iub":
            raise TypeError(f"{name} must hold integer class labels, got dtype {arr.dtype}; encode classes as 0..K-1.")
        arr = arr.astype(np.int64)
        if arr.shape[0] != n:
            raise ValueError(f"{name} has {arr.shape[0]} labels but there are {n} samples; pass one label per sample.")
        if arr.size and (arr.min() < 0 or arr.max() >= self.n_classes):
            bad = int(arr.min()) if arr.min() < 0 else int(arr.max())
            raise ValueError(
                f"{name} contains label {bad}, outside 0..{self.n_classes - 1} (n_classes={self.n_classes}); "
                f"encode labels as 0..K-1 or build the model with a larger n_classes."
            )
        return torch.from_numpy(arr).to(self.device)

    def _random_labels(self, n: int, gen: torch.Generator) -> torch.Tensor:
        return torch.randint(self.n_classes, (n,), generator=gen).to(self.device)  # y ~ uniform over classes

    def fit(self, X: Any, y: Any = None, *, callback: Callable | None = None,
            callback_every: int = 100) -> "ConditionalGAN":
        """Train on data ``X`` (n, n_features) in [0, 1] with class labels ``y`` (n,).

        The generator's step draws labels uniformly over the classes.

        Returns
        -------
        self
        """
        return self._fit(X, y, callback, callback_every)

    def sample(self, n: int, labels: Any = None, *, random_state: Any = None, return_latent: bool = False):
        """Draw ``n`` vectors G(z | y) in [0, 1]: a tensor (n, n_features).

        ``labels`` is one label for all, or one per sample; by default labels are drawn
        uniformly over the classes. ``return_latent=True`` returns ``(x, z, labels)``.
        """
        return self._sample(n, labels, random_state, return_latent)
