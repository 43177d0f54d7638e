"""StackGAN: text-to-image generation in two stages (Zhang et al., 2017), chapter ``05_beyond/02_stackgan``.

A caption t is encoded into a text embedding phi_t; the model draws an image for it in two
stages, each a conditional GAN whose discriminator sees the text:

1. **Conditioning augmentation** (eq. (stackgan-ca)): instead of feeding phi_t itself, draw
   c = mu(phi_t) + sigma(phi_t) * eps with eps ~ N(0, I), and add to the generator's loss
   the KL divergence KL(N(mu, diag sigma^2) || N(0, I)) (eq. (stackgan-kl), the closed form of
   :func:`genlib.neural.vae.gaussian_kl`). The few captions become a smooth neighbourhood of
   conditions, and small changes of c give small changes of the image.
2. **Stage I** maps [c, z] (z ~ N(0, I)) to a *low-resolution* image (4x4 for 8x8 digits,
   7x7 for MNIST): the rough shape. Its discriminator judges (low-resolution image, text)
   pairs; real low-resolution images are the data averaged over blocks.
3. **Stage II** takes the stage-I image and a second conditioning vector of the same text
   (its own mu and sigma) and *refines* it to the full size, with no new noise; its
   discriminator judges full-size (image, text) pairs.

Both discriminators are **matching-aware** (Reed et al., 2016): besides "real image, its
caption" (positive) and "generated image, its caption" (negative), they see "real image, a
wrong caption" as a negative, so that they must check that image and text match, not only
that the image looks real (eq. (stackgan-d)). As in the paper, stage I is trained first
(``stage1_steps`` steps), then stage II with stage I fixed.

The paper encodes text with a pre-trained char-CNN-RNN (Reed et al., 2016). Our captions have
a vocabulary of 16 words (:mod:`genlib.datasets.captions`), so each network learns its own
small encoder, the mean of learnt word embeddings (a bag of words, blind to word order), as
the cGAN's networks learn their label embeddings: the generator's encoder is trained by the
generator's loss during stage I and then kept fixed, the discriminators' by theirs.

The training loop, the losses and the optimisers are those of :class:`~genlib.neural.gan.GAN`
(``_AdversarialNet``); this file adds the networks and the two steps of each stage.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .._torch import check_tensor, check_tensors, make_generator, reset_parameters
from .._validation import check_bool, check_float, check_int, check_option
from ..datasets.captions import VOCABULARY, _check_tokens, _check_vocabulary, _encode
from .dcgan import LAYOUTS as _DC_LAYOUTS, prepare_images
from .gan import _AdversarialNet, discriminator_loss, generator_loss
from .vae import gaussian_kl

__all__ = ["StackedGAN", "TextEncoder", "ConditioningAugmentation", "StageIGenerator", "StageIIGenerator",
           "TextImageDiscriminator", "matching_aware_loss", "LAYOUTS"]

#: Supported image sizes -> (side of the stage-I image, side of stage I's first feature map).
#: 8x8 digits: 4x4 then 8x8; MNIST: 7x7 then 28x28 (the paper: 64x64 then 256x256).
LAYOUTS = {8: (4, 2), 16: (8, 2), 28: (7, 7), 32: (8, 2), 64: (16, 4)}
assert set(LAYOUTS) == set(_DC_LAYOUTS)  # prepare_images (DCGAN's) checks the same sizes


def _check_image_size(image_size: Any) -> int:
    image_size = check_int(image_size, "image_size", minimum=1)
    if image_size not in LAYOUTS:
        raise ValueError(f"image_size must be one of {sorted(LAYOUTS)} (side of a square image), got {image_size}; "
                         f"8 for scikit-learn's digits, 28 for MNIST.")
    return image_size


def _doublings(small: int, large: int) -> int:
    """How many 2x up-samplings take side ``small`` to ``large``."""
    return int(round(np.log2(large // small)))


def _check_sides(small: Any, large: Any, small_name: str, large_name: str) -> tuple[int, int]:
    """Two sides of square maps, ``large`` = ``small`` times a power of 2 (the up-sampling doubles the side)."""
    small = check_int(small, small_name, minimum=1)
    large = check_int(large, large_name, minimum=1)
    ratio, rest = divmod(large, small)
    if rest or ratio & (ratio - 1):
        nearest = small * 2 ** max(0, int(round(np.log2(large / small))))
        raise ValueError(f"{large_name}={large} must be {small_name}={small} times a power of 2 (each up-sampling "
                         f"doubles the side); pass e.g. {large_name}={nearest}.")
    return small, large


def _check_rows(value: Any, name: str, n: int, width: int, what: str, rows: str) -> torch.Tensor:
    """A floating tensor (``n``, ``width``): ``what`` columns, one row per row of ``rows`` (no pass over the values)."""
    return check_tensor(value, name, shape=(n, width), finite=False, hint=f"{what} columns, one row per row of {rows}")


def _check_token_ids(tokens: Any, name: str, n_words: int) -> torch.Tensor:
    """Refuse anything but a 2-D integer tensor (n_captions, length) of token ids in [0, ``n_words``): the text
    encoder's input. One pass over the ids (``min``/``max``), as :func:`genlib._torch.check_labels` makes."""
    if not isinstance(tokens, torch.Tensor) or tokens.is_floating_point() or tokens.is_complex() \
            or tokens.dtype == torch.bool:
        raise TypeError(f"{name} must be a torch.Tensor of integer token ids, got {type(tokens).__name__}"
                        + (f" of dtype {tokens.dtype}" if isinstance(tokens, torch.Tensor) else "")
                        + "; convert with torch.as_tensor(encode_captions(captions)).")
    if tokens.ndim != 2 or tokens.shape[0] < 1 or tokens.shape[1] < 1:
        raise ValueError(f"{name} must be 2-D (n_captions, length) with at least one caption and one position, got "
                         f"shape {tuple(tokens.shape)}" + ("; one caption: tokens[None]" if tokens.ndim == 1 else "")
                         + ".")
    lo, hi = int(tokens.min()), int(tokens.max())
    if lo < 0 or hi >= n_words:
        raise ValueError(f"{name} must hold ids of the vocabulary 0..{n_words - 1} (0 pads), got values in "
                         f"[{lo}, {hi}]; encode the captions with the vocabulary the encoder was built for.")
    return tokens


def _check_batch_norm_rows(net: nn.Module, x: torch.Tensor, name: str) -> None:
    """Refuse a batch of one row in training mode, where BatchNorm1d has no batch statistics to take."""
    if net.training and x.shape[0] < 2:
        raise ValueError(f"{name} has 1 row, but {type(net).__name__} in training mode normalises over the batch "
                         f"(BatchNorm1d) and needs at least 2; pass 2 or more rows, or call .eval() first.")


# --------------------------------------------------------------------------------------
# The losses
# --------------------------------------------------------------------------------------

def matching_aware_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor,
                        wrong_logits: torch.Tensor | None = None) -> torch.Tensor:
    """The matching-aware discriminator loss, eq. (stackgan-d) (Reed et al., 2016; Zhang et al., 2017).

    -( mean log D(x, t) + 1/2 mean log(1 - D(G(z, t), t)) + 1/2 mean log(1 - D(x, t_wrong)) ):
    real image with its caption is a positive; a generated image, and a real image with a wrong
    caption, are the two kinds of negatives, each with weight 1/2. It equals the mean of the
    GAN's :func:`~genlib.neural.gan.discriminator_loss` on (real, fake) and on (real, wrong),
    which is how it is computed. ``wrong_logits`` None or empty: the plain GAN loss.

    Examples
    --------
    >>> import torch
    >>> zero = torch.zeros(4)  # D = 1/2 everywhere: 2 log 2 whatever the weights
    >>> round(float(matching_aware_loss(zero, zero, zero)), 4)
    1.3863
    """
    check_tensors(real_logits=real_logits, fake_logits=fake_logits)
    if wrong_logits is not None:
        check_tensors(wrong_logits=wrong_logits)
    if wrong_logits is None or wrong_logits.numel() == 0:
        return discriminator_loss(real_logits, fake_logits)
    return 0.5 * (discriminator_loss(real_logits, fake_logits) + discriminator_loss(real_logits, wrong_logits))


# --------------------------------------------------------------------------------------
# The networks, in reading order
# --------------------------------------------------------------------------------------

class TextEncoder(nn.Module):
    """tokens (B, L) int -> phi_t (B, embed_dim): the mean of learnt word embeddings; id 0 pads and is ignored.

    A bag of words: permuting the words of a caption does not change its embedding.
    """

    def __init__(self, n_words: int, embed_dim: int):
        super().__init__()
        self.n_words = check_int(n_words, "n_words", minimum=1)
        self.embed_dim = check_int(embed_dim, "embed_dim", minimum=1)
        self.embedding = nn.Embedding(n_words, embed_dim, padding_idx=0)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        _check_token_ids(tokens, "tokens", self.n_words)
        mask = (tokens != 0).to(self.embedding.weight.dtype)  # (B, L)
        total = (self.embedding(tokens) * mask[..., None]).sum(dim=1)  # (B, embed_dim)
        return total / mask.sum(dim=1, keepdim=True).clamp_min(1.0)


class ConditioningAugmentation(nn.Module):
    """phi_t (B, E) -> (mu, logvar) (B, cond_dim) each; c = mu + exp(logvar / 2) * eps, eq. (stackgan-ca)."""

    def __init__(self, embed_dim: int, cond_dim: int):
        super().__init__()
        self.embed_dim = check_int(embed_dim, "embed_dim", minimum=1)
        self.cond_dim = check_int(cond_dim, "cond_dim", minimum=1)
        self.fc = nn.Linear(embed_dim, 2 * cond_dim)

    def forward(self, phi: torch.Tensor, eps: torch.Tensor | None = None):
        check_tensor(phi, "phi", shape=(None, self.embed_dim), finite=False, hint="embed_dim columns")
        if eps is not None:
            _check_rows(eps, "eps", phi.shape[0], self.cond_dim, "cond_dim", "phi")
        mu, logvar = self.fc(phi).chunk(2, dim=1)  # (B, cond_dim) each
        # c ~ N(mu, diag sigma^2) by reparameterisation; eps None: c = mu (the condition's centre)
        c = mu if eps is None else mu + torch.exp(0.5 * logvar) * eps
        return c, mu, logvar


def _up_block(c_in: int, c_out: int) -> list[nn.Module]:
    """Double the side: nearest-neighbour up-sampling, 3x3 convolution, batch norm, ReLU (the paper's block)."""
    return [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c_in, c_out, 3, 1, 1, bias=False),
            nn.BatchNorm2d(c_out), nn.ReLU()]


class StageIGenerator(nn.Module):
    """G_I: [c, z] (B, cond_dim + latent_dim) -> low-resolution image (B, 1, low, low) in [-1, 1]."""

    def __init__(self, cond_dim: int, latent_dim: int, low_size: int, first_side: int, n_filters: int):
        super().__init__()
        self.cond_dim = check_int(cond_dim, "cond_dim", minimum=1)
        self.latent_dim = check_int(latent_dim, "latent_dim", minimum=1)
        first_side, self.low_size = _check_sides(first_side, low_size, "first_side", "low_size")
        n_filters = check_int(n_filters, "n_filters", minimum=1)
        k = _doublings(first_side, low_size)
        ch = n_filters * 2 ** k
        self.first = (ch, first_side)
        self.fc = nn.Sequential(nn.Linear(cond_dim + latent_dim, ch * first_side ** 2, bias=False),
                                nn.BatchNorm1d(ch * first_side ** 2), nn.ReLU())
        layers: list[nn.Module] = []
        for _ in range(k):  # (B, ch, s, s) -> (B, ch/2, 2s, 2s)
            layers += _up_block(ch, ch // 2)
            ch //= 2
        layers += [nn.Conv2d(ch, 1, 3, 1, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, c: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        check_tensor(c, "c", shape=(None, self.cond_dim), finite=False, hint="cond_dim columns")
        _check_rows(z, "z", c.shape[0], self.latent_dim, "latent_dim", "c")
        _check_batch_norm_rows(self, c, "c")
        ch, s = self.first
        h = self.fc(torch.cat([c, z], dim=1)).view(-1, ch, s, s)  # (B, ch, s, s)
        return self.net(h)  # (B, 1, low, low)


class _ResidualBlock(nn.Module):
    """x -> ReLU(x + BN(conv(ReLU(BN(conv(x)))))), the residual block of stage II."""

    def __init__(self, ch: int):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(ch, ch, 3, 1, 1, bias=False), nn.BatchNorm2d(ch), nn.ReLU(),
                                  nn.Conv2d(ch, ch, 3, 1, 1, bias=False), nn.BatchNorm2d(ch))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x + self.body(x))


class StageIIGenerator(nn.Module):
    """G_II: (stage-I image (B, 1, low, low), c (B, cond_dim)) -> image (B, 1, S, S) in [-1, 1].

    Encodes the stage-I image, joins it with c replicated over the low-resolution grid, applies
    residual blocks and up-samples to the full size. No noise: the randomness is in the stage-I image.
    """

    def __init__(self, cond_dim: int, low_size: int, image_size: int, n_filters: int, n_residual: int = 1):
        super().__init__()
        self.cond_dim = check_int(cond_dim, "cond_dim", minimum=1)
        self.low_size, self.image_size = _check_sides(low_size, image_size, "low_size", "image_size")
        n_filters = check_int(n_filters, "n_filters", minimum=1)
        n_residual = check_int(n_residual, "n_residual", minimum=0)
        k = _doublings(low_size, image_size)
        ch = n_filters * 2 ** k
        self.encode = nn.Sequential(nn.Conv2d(1, ch, 3, 1, 1), nn.ReLU())  # (B, ch, low, low)
        self.joint = nn.Sequential(nn.Conv2d(ch + cond_dim, ch, 3, 1, 1, bias=False), nn.BatchNorm2d(ch), nn.ReLU())
        self.residual = nn.Sequential(*[_ResidualBlock(ch) for _ in range(n_residual)])
        layers: list[nn.Module] = []
        for _ in range(k):
            layers += _up_block(ch, ch // 2)
            ch //= 2
        layers += [nn.Conv2d(ch, 1, 3, 1, 1), nn.Tanh()]
        self.up = nn.Sequential(*layers)

    def forward(self, low: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        check_tensor(low, "low", shape=(None, 1, self.low_size, self.low_size), finite=False,
                     hint=f"a batch of stage-I images, low_size={self.low_size}")
        _check_rows(c, "c", low.shape[0], self.cond_dim, "cond_dim", "low")
        h = self.encode(low)  # (B, ch, low, low)
        cmap = c[:, :, None, None].expand(-1, -1, h.shape[2], h.shape[3])  # c replicated over the grid
        h = self.residual(self.joint(torch.cat([h, cmap], dim=1)))
        return self.up(h)  # (B, 1, S, S)


class TextImageDiscriminator(nn.Module):
    """D: (image (B, 1, s, s), phi_t (B, E)) -> logit (B,) of "a real image that matches the text".

    Strided convolutions halve the side while it is even and above 2 (LeakyReLU(0.2), batch
    norm after the first); the text embedding is compressed to ``text_dim`` numbers, replicated
    over the remaining grid and joined to the image features; a 1x1 convolution and a
    convolution spanning the grid give the logit (the paper's design).
    """

    def __init__(self, side: int, embed_dim: int, text_dim: int, n_filters: int):
        super().__init__()
        self.side = side = check_int(side, "side", minimum=1)
        self.embed_dim = check_int(embed_dim, "embed_dim", minimum=1)
        text_dim = check_int(text_dim, "text_dim", minimum=1)
        ch = n_filters = check_int(n_filters, "n_filters", minimum=1)
        layers: list[nn.Module] = [nn.Conv2d(1, ch, 3, 1, 1), nn.LeakyReLU(0.2)]
        while side % 2 == 0 and side > 2:  # (B, ch, s, s) -> (B, 2ch, s/2, s/2)
            layers += [nn.Conv2d(ch, 2 * ch, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * ch), nn.LeakyReLU(0.2)]
            ch, side = 2 * ch, side // 2
        self.image = nn.Sequential(*layers)
        self.text = nn.Sequential(nn.Linear(embed_dim, text_dim), nn.LeakyReLU(0.2))
        self.joint = nn.Sequential(nn.Conv2d(ch + text_dim, ch, 1, bias=False), nn.BatchNorm2d(ch), nn.LeakyReLU(0.2),
                                   nn.Conv2d(ch, 1, side))

    def forward(self, x: torch.Tensor, phi: torch.Tensor) -> torch.Tensor:
        check_tensor(x, "x", shape=(None, 1, self.side, self.side), finite=False,
                     hint=f"a batch of one-channel images, side={self.side}")
        _check_rows(phi, "phi", x.shape[0], self.embed_dim, "embed_dim", "x")
        h = self.image(x)  # (B, ch, s', s')
        t = self.text(phi)[:, :, None, None].expand(-1, -1, h.shape[2], h.shape[3])
        return self.joint(torch.cat([h, t], dim=1)).flatten()  # (B,)


class _StackGenerator(nn.Module):
    """Everything the generator player owns: its text encoder, both CA modules and both stages."""

    def __init__(self, n_words, embed_dim, cond_dim, latent_dim, image_size, n_filters, n_residual):
        super().__init__()
        low, first = LAYOUTS[image_size]
        self.text = TextEncoder(n_words, embed_dim)
        self.ca1 = ConditioningAugmentation(embed_dim, cond_dim)
        self.stage1 = StageIGenerator(cond_dim, latent_dim, low, first, n_filters)
        self.ca2 = ConditioningAugmentation(embed_dim, cond_dim)
        self.stage2 = StageIIGenerator(cond_dim, low, image_size, n_filters, n_residual)

    def run(self, z, tokens, eps1=None, eps2=None, stage=2):
        """(low image, full image or None, KL of the stage's CA per row); eps None: c = mu."""
        phi = self.text(tokens)  # (B, E)
        c1, mu1, logvar1 = self.ca1(phi, eps1)
        low = self.stage1(c1, z)
        if stage == 1:
            return low, None, gaussian_kl(mu1, logvar1)  # eq. (stackgan-kl)
        c2, mu2, logvar2 = self.ca2(phi, eps2)
        return low, self.stage2(low, c2), gaussian_kl(mu2, logvar2)

    def forward(self, z: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        return self.run(z, tokens)[1]  # the full-size image, conditions at their means


class _StackDiscriminator(nn.Module):
    """Everything the discriminator player owns: its text encoder and one discriminator per stage."""

    def __init__(self, n_words, embed_dim, text_dim, image_size, n_filters):
        super().__init__()
        low, _ = LAYOUTS[image_size]
        self.text = TextEncoder(n_words, embed_dim)
        self.stage1 = TextImageDiscriminator(low, embed_dim, text_dim, n_filters)
        self.stage2 = TextImageDiscriminator(image_size, embed_dim, text_dim, n_filters)

    def forward(self, x: torch.Tensor, tokens: torch.Tensor, stage: int = 2) -> torch.Tensor:
        return (self.stage1 if stage == 1 else self.stage2)(x, self.text(tokens))


def _init_weights(module: nn.Module, gen: torch.Generator) -> None:
    """The DCGAN paper's initialisation for the convolutions (N(0, 0.02), BN scales N(1, 0.02)); the linear
    layers keep PyTorch's default scale and word embeddings are N(0, 1), so that the text reaches c at once
    (a 0.02 scale there leaves c almost free of the caption, and the KL term then keeps it so)."""
    reset_parameters(module, gen)  # linear layers (and convolutions, overwritten below): PyTorch's default
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.Conv2d):
                m.weight.normal_(0.0, 0.02, generator=gen)
                if m.bias is not None:
                    m.bias.zero_()
            elif isinstance(m, nn.Embedding):
                m.weight.normal_(0.0, 1.0, generator=gen)
                m.weight[0].zero_()  # the padding word
            elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                m.weight.normal_(1.0, 0.02, generator=gen)
                m.bias.zero_()
                m.reset_running_stats()


# --------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------

class StackedGAN(_AdversarialNet):
    """StackGAN text-to-image model (Zhang et al., 2017) with matching-aware discriminators (Reed et al., 2016).

    Parameters
    ----------
    image_size : {8, 16, 28, 32, 64}
        Side of the square grey images; stage I draws them at :data:`LAYOUTS`'s low side
        (4 for 8, 7 for 28).
    vocabulary : tuple of str
        The words captions may use, ``"<pad>"`` first (default: the digit captions'
        :data:`genlib.datasets.captions.VOCABULARY`).
    latent_dim : int
        Dimension of the stage-I noise z ~ N(0, I).
    embed_dim : int
        Width of the word embeddings, i.e. of phi_t.
    cond_dim : int
        Dimension of the conditioning vector c.
    text_dim : int
        Width of the compressed text the discriminators join to the image features.
    n_filters : int
        Channels of the narrowest layers; they double at each halving of the side.
    n_residual : int
        Residual blocks in stage II.
    kl_weight : float
        lambda of the generator's loss: adversarial loss + lambda * KL / cond_dim (the KL per
        coordinate, as the authors' code averages it; lambda = 1 in the paper).
    n_steps : int
        Training steps in all; each makes ``d_steps`` steps of D and one of G.
    stage1_steps : int or None
        How many of them train stage I (the rest train stage II with stage I fixed); default
        half of ``n_steps``.
    batch_size, lr_d, lr_g, betas, loss, d_steps, random_state, device, verbose
        As in :class:`~genlib.neural.gan.GAN` (Adam with beta1 = 0.5). The learning rates are the cGAN's,
        1e-3: with the DCGAN's 2e-4 the text had not yet taken over after 1,000 steps on 8x8 digits.

    Attributes
    ----------
    generator : nn.Module
        ``text`` (its :class:`TextEncoder`), ``ca1``, ``stage1``, ``ca2``, ``stage2``.
    discriminator : nn.Module
        ``text`` (its own encoder), ``stage1`` and ``stage2`` (:class:`TextImageDiscriminator`).
    history_ : dict of lists
        Per step: ``stage`` (1 or 2), ``d_loss``, ``d_real`` (mean D(x, t)), ``d_fake``
        (mean D(G(z, t), t)), ``d_wrong`` (mean D(x, wrong t)), ``g_loss`` (adversarial) and
        ``kl`` (mean KL of the stage's conditioning).

    Examples
    --------
    >>> from genlib.datasets.captions import load_digit_captions
    >>> data = load_digit_captions()
    >>> model = StackedGAN(8, n_steps=4, random_state=0).fit(data["images"][:64], data["captions"][:64])
    >>> model.sample(3, ["a thick seven", "a slanted zero"]).shape  # three images per caption
    torch.Size([6, 1, 8, 8])
    >>> model.sample(3, "a seven", stage=1).shape  # the stage-I images, 4x4
    torch.Size([3, 1, 4, 4])
    """

    conditional = True

    def __init__(self, image_size: int = 8, *, vocabulary=VOCABULARY, latent_dim: int = 16, embed_dim: int = 16,
                 cond_dim: int = 8, text_dim: int = 8, n_filters: int = 16, n_residual: int = 1,
                 kl_weight: float = 1.0, n_steps: int = 2000, stage1_steps: int | None = None, batch_size: int = 64,
                 lr_d: float = 1e-3, lr_g: float = 1e-3, betas=(0.5, 0.999), loss: str = "non-saturating",
                 d_steps: int = 1, random_state=None, device=None, verbose: bool = False):
        super().__init__(latent_dim=latent_dim, n_steps=n_steps, batch_size=batch_size, lr_d=lr_d, lr_g=lr_g,
                         betas=betas, loss=loss, d_steps=d_steps, random_state=random_state, device=device,
                         verbose=verbose)
        self.image_size = _check_image_size(image_size)
        self.low_size = LAYOUTS[self.image_size][0]
        self.vocabulary = _check_vocabulary(vocabulary)
        self.embed_dim = check_int(embed_dim, "embed_dim", minimum=1)
        self.cond_dim = check_int(cond_dim, "cond_dim", minimum=1)
        self.text_dim = check_int(text_dim, "text_dim", minimum=1)
        self.n_filters = check_int(n_filters, "n_filters", minimum=1)
        self.n_residual = check_int(n_residual, "n_residual", minimum=0)
        self.kl_weight = check_float(kl_weight, "kl_weight", minimum=0.0)
        self.stage1_steps = self.n_steps // 2 if stage1_steps is None else \
            check_int(stage1_steps, "stage1_steps", minimum=1, maximum=self.n_steps)
        if self.stage1_steps < 1:
            raise ValueError(f"n_steps={self.n_steps} leaves no step for stage I; pass n_steps >= 2 or stage1_steps.")
        self.step_ = 0  # steps of G done in this fit: stage I while step_ < stage1_steps
        self._captions: torch.Tensor | None = None  # the training captions' tokens: sample() draws from them
        n_words = len(self.vocabulary)
        self.generator = _StackGenerator(n_words, self.embed_dim, self.cond_dim, self.latent_dim, self.image_size,
                                         self.n_filters, self.n_residual)
        self.discriminator = _StackDiscriminator(n_words, self.embed_dim, self.text_dim, self.image_size,
                                                 self.n_filters)
        self._finish_init()

    # ---- what fit continues from, saved with the weights ------------------------------
    def get_extra_state(self) -> dict:
        state = super().get_extra_state()
        state["step"] = int(self.step_)
        state["captions"] = None if self._captions is None else self._captions.cpu()
        return state

    def set_extra_state(self, state: dict) -> None:
        super().set_extra_state(state)
        self.step_ = int(state.get("step", 0))
        self._captions = state.get("captions")

    # ---- the conversions of _AdversarialNet -----------------------------------------------
    def _reset_parameters(self, gen: torch.Generator) -> None:
        _init_weights(self, gen)

    def _prepare(self, X: Any, name: str = "X") -> torch.Tensor:
        arr = prepare_images(X, self.image_size, name)  # (N, 1, S, S) in [0, 1]
        return torch.from_numpy(arr * 2.0 - 1.0).to(self.device)  # -> [-1, 1], the range of Tanh

    def _to_user(self, x: torch.Tensor) -> torch.Tensor:
        return (x + 1.0) / 2.0

    def _tokens(self, captions: Any, name: str = "captions") -> torch.Tensor:
        """Caption strings or token ids -> (m, L) int64 tensor on the model's device."""
        if captions is None:
            raise TypeError(f"{type(self).__name__} needs {name}: caption strings such as 'a thick seven', or their "
                            f"token ids (genlib.datasets.captions.encode_captions).")
        if isinstance(captions, str) or (isinstance(captions, (list, tuple)) and captions
                                         and all(isinstance(c, str) for c in captions)):
            arr = _encode(captions, self.vocabulary, None, name)
        elif isinstance(captions, (list, tuple)) and not captions:
            raise ValueError(f"{name} is empty; pass at least one caption.")
        else:
            arr = _check_tokens(captions, len(self.vocabulary), name)
        return torch.from_numpy(arr).to(self.device)

    def _check_labels(self, y: Any, n: int, name: str = "captions") -> torch.Tensor:
        tokens = self._tokens(y, name)
        if tokens.shape[0] == 1 and n > 1:  # one caption for all
            tokens = tokens.expand(n, -1)
        if tokens.shape[0] != n:
            raise ValueError(f"{name} has {tokens.shape[0]} captions but there are {n} images; pass one caption per "
                             f"image.")
        return tokens

    def _random_labels(self, n: int, gen: torch.Generator) -> torch.Tensor:
        if self._captions is None:
            raise ValueError(f"{type(self).__name__} draws captions from its training captions, and it has not been "
                             f"fitted: pass captions=, e.g. sample(4, captions='a thick seven').")
        idx = torch.randint(self._captions.shape[0], (n,), generator=gen)  # captions as often as in the data
        return self._captions[idx].to(self.device)

    # ---- the two steps, for the stage being trained -------------------------------------
    def _stage(self) -> int:
        return 1 if self.step_ < self.stage1_steps else 2

    def _noise(self, n: int, gen: torch.Generator):
        """z (n, latent_dim) and the two CA draws eps1, eps2 (n, cond_dim), always in this order."""
        z = torch.randn(n, self.latent_dim, generator=gen).to(self.device)
        eps1 = torch.randn(n, self.cond_dim, generator=gen).to(self.device)
        eps2 = torch.randn(n, self.cond_dim, generator=gen).to(self.device)
        return z, eps1, eps2

    def _fake(self, tokens: torch.Tensor, stage: int, grad: bool):
        """Images of ``stage`` for ``tokens`` and the KL of that stage's conditioning (per row)."""
        z, eps1, eps2 = self._noise(tokens.shape[0], self._rng)
        G = self.generator
        G.stage1.train(stage == 1)  # stage I is fixed while stage II trains: batch norm on its running statistics
        if stage == 1:
            with torch.set_grad_enabled(grad):
                low, _, kl = G.run(z, tokens, eps1, stage=1)
            return low, kl
        with torch.no_grad():  # phi_t and the stage-I image come from the fixed stage I
            phi = G.text(tokens)
            low = G.stage1(G.ca1(phi, eps1)[0], z)
        with torch.set_grad_enabled(grad):
            c2, mu2, logvar2 = G.ca2(phi, eps2)
            return G.stage2(low, c2), gaussian_kl(mu2, logvar2)  # eq. (stackgan-kl)

    def _real(self, x: torch.Tensor, stage: int) -> torch.Tensor:
        """Real images as the stage's discriminator sees them: stage I, averaged over blocks to the low side."""
        return x if stage == 2 else F.avg_pool2d(x, self.image_size // self.low_size)

    def _d_step(self, x_real: torch.Tensor, tokens: torch.Tensor) -> dict[str, float]:
        opt_d, _ = self._optimizers()
        stage = self._stage()
        fake, _ = self._fake(tokens, stage, grad=False)  # G is fixed during D's step
        real = self._real(x_real, stage)
        wrong = tokens.roll(1, dims=0)  # another image's caption...
        mismatched = (wrong != tokens).any(dim=1)  # ...unless it reads the same
        D = self.discriminator
        real_logits = D(real, tokens, stage)  # (B,)
        fake_logits = D(fake, tokens, stage)
        wrong_logits = D(real, wrong, stage)[mismatched]
        loss = matching_aware_loss(real_logits, fake_logits, wrong_logits)  # eq. (stackgan-d)
        opt_d.zero_grad(set_to_none=True)
        loss.backward()
        opt_d.step()
        d_wrong = float(torch.sigmoid(wrong_logits.detach()).mean()) if wrong_logits.numel() else float("nan")
        return {"stage": float(stage), "d_loss": float(loss.detach()),
                "d_real": float(torch.sigmoid(real_logits.detach()).mean()),
                "d_fake": float(torch.sigmoid(fake_logits.detach()).mean()), "d_wrong": d_wrong}

    def _g_step(self, n: int, tokens: torch.Tensor) -> dict[str, float]:
        _, opt_g = self._optimizers()
        stage = self._stage()
        fake, kl = self._fake(tokens, stage, grad=True)
        adversarial = generator_loss(self.discriminator(fake, tokens, stage), self.loss_name)
        # the generator's loss: adversarial + lambda KL(N(mu, sigma^2) || N(0, I)), KL per coordinate
        loss = adversarial + self.kl_weight * kl.mean() / self.cond_dim
        opt_g.zero_grad(set_to_none=True)
        loss.backward()
        opt_g.step()  # the stage not trained has no gradient: Adam leaves it as it is
        self.step_ += 1
        return {"g_loss": float(adversarial.detach()), "kl": float(kl.detach().mean())}

    # ---- the public interface -------------------------------------------------------------
    def fit(self, X: Any, captions: Any = None, *, callback: Callable | None = None,
            callback_every: int = 100) -> "StackedGAN":
        """Train on grey images ``X`` in [0, 1] ((n, S, S), (n, 1, S, S) or (n, S*S)) with one caption each.

        ``captions``: n strings, or their token ids (n, L) (:func:`~genlib.datasets.captions.encode_captions`).
        Stage I trains for ``stage1_steps`` steps, then stage II with stage I fixed. Starts afresh
        from ``random_state``; ``callback(model, step)`` runs every ``callback_every`` steps.

        Returns
        -------
        self
        """
        self._follow_device(X)
        x = self._prepare(X)  # every check before anything changes
        tokens = self._check_labels(captions, x.shape[0])
        if callback is not None and not callable(callback):
            raise TypeError(f"callback must be a callable callback(model, step), got {type(callback).__name__}.")
        check_int(callback_every, "callback_every", minimum=1)
        self._captions, self.step_ = tokens.cpu(), 0
        return self._fit(X, tokens, callback, callback_every)

    @torch.no_grad()
    def sample(self, n: int, captions: Any = None, *, random_state: Any = None, return_latent: bool = False,
               stage: int = 2):
        """Draw ``n`` images for each caption: a tensor (n * len(captions), 1, S, S) in [0, 1], caption by caption.

        ``captions``: a string, a list of strings, or token ids (m, L); None draws n captions
        from the training captions (one image each). ``stage=1`` returns the stage-I images
        (side ``low_size``); the same ``random_state`` gives the stage-I image that stage II
        refined. ``return_latent=True`` returns ``(images, z, tokens)``.
        """
        self._check_fitted("sample")
        n = check_int(n, "n", minimum=1)
        stage = check_option(stage, "stage", (1, 2))
        return_latent = check_bool(return_latent, "return_latent")
        gen = self._rng if random_state is None else make_generator(random_state)
        if captions is None:
            tokens = self._random_labels(n, gen)
        else:
            tokens = self._tokens(captions).repeat_interleave(n, dim=0)  # caption 0 n times, then caption 1, ...
        z, eps1, eps2 = self._noise(tokens.shape[0], gen)
        was_training = self.training
        self.eval()  # batch norm on its running statistics
        try:
            low, high, _ = self.generator.run(z, tokens, eps1, eps2, stage=stage)
        finally:
            self.train(was_training)
        x = self._to_user(low if stage == 1 else high)
        return (x, z, tokens) if return_latent else x
