"""The VAE-GAN (Larsen, Sønderby, Larochelle & Winther, 2016), chapter ``04_analysis/05_conclusion``.

A hybrid of the two deep generative models of the course: a variational autoencoder
(:class:`~genlib.neural.vae.VAE`) whose decoder is also the generator of a GAN
(:mod:`genlib.neural.gan`). Three networks:

- the encoder :math:`q_\\phi(z \\mid x) = N(\\mu_\\phi(x), \\operatorname{diag}\\sigma^2_\\phi(x))`;
- the decoder / generator :math:`\\tilde x = \\mathrm{Dec}_\\theta(z)`, the mean of
  :math:`p_\\theta(x \\mid z)`;
- the discriminator :math:`\\mathrm{Dis}_\\psi(x) \\in (0, 1)` (an
  :class:`~genlib.neural.gan.MLPDiscriminator`), whose hidden layer :math:`l` also gives
  the *learned similarity* :math:`\\mathrm{Dis}_l(x)`.

The losses of one batch, eqs. (vaegan-losses) and (vaegan-objectives) of the chapter, with :math:`z \\sim q_\\phi(z \\mid x)`,
:math:`\\tilde x = \\mathrm{Dec}(z)` (a reconstruction) and :math:`x_p = \\mathrm{Dec}(z_p)`,
:math:`z_p \\sim N(0, I)` (a sample):

.. math::
    L_\\text{prior} &= \\mathrm{KL}(q_\\phi(z \\mid x) \\,\\|\\, p(z)), \\\\
    L_\\text{pixel} &= -\\log p_\\theta(x \\mid z) \\quad \\text{(the VAE's reconstruction error)}, \\\\
    L_\\text{feature} &= \\tfrac12 \\lVert \\mathrm{Dis}_l(x) - \\mathrm{Dis}_l(\\tilde x) \\rVert^2
        \\quad \\text{(} -\\log N(\\mathrm{Dis}_l(x) \\mid \\mathrm{Dis}_l(\\tilde x), I) \\text{ up to a constant)}, \\\\
    L_\\text{GAN} &= \\log \\mathrm{Dis}(x) + \\log(1 - \\mathrm{Dis}(\\tilde x)) + \\log(1 - \\mathrm{Dis}(x_p)).

Each network minimises its own combination (Larsen et al.'s Algorithm 1), with
:math:`R = w_\\text{pixel} L_\\text{pixel} + w_\\text{feature} L_\\text{feature}`:

.. math::
    \\text{encoder: } \\beta L_\\text{prior} + R, \\qquad
    \\text{decoder: } R + w_\\text{adv} L_G, \\qquad
    \\text{discriminator: } -L_\\text{GAN},

where :math:`L_G = -\\log \\mathrm{Dis}(\\tilde x) - \\log \\mathrm{Dis}(x_p)` is the non-saturating
generator loss of the GAN chapter. The paper's setting is :math:`w_\\text{pixel} = 0` (the
pixel likelihood replaced by the learned similarity) and :math:`w_\\text{adv} = 1/\\gamma`;
the defaults here keep the pixel term too, which is more stable on 8x8 digits. With
``adversarial_weight=0`` and ``feature_weight=0`` the encoder and decoder follow exactly
the plain VAE's gradient, so a VAE-GAN can be compared with "the same VAE without the
adversarial term" by changing one number.

The decoder still defines :math:`p_\\theta(x, z) = p(z) p_\\theta(x \\mid z)`, so the ELBO and the
IWAE bound inherited from :class:`~genlib.neural.vae.VAE` are true lower bounds on its
:math:`\\log p_\\theta(x)`; they are simply not what training maximises any more, so they are
looser than a VAE's. :meth:`VAEGAN.sample` returns the generator's output
:math:`\\mathrm{Dec}(z_p)` (what the discriminator was trained on), not pixel noise around it.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np
import torch
from torch.nn import functional as F

from .._validation import check_array, check_float, check_int, renamed_arguments
from .._torch import check_hidden, check_tensors
from .gan import MLPDiscriminator, check_betas, generator_loss
from .training import randn, reset_parameters
from .vae import VAE, gaussian_kl

__all__ = ["VAEGAN", "vaegan_discriminator_loss", "feature_reconstruction_loss", "image_sharpness"]


# --------------------------------------------------------------------------- the maths
def vaegan_discriminator_loss(real_logits: torch.Tensor, recon_logits: torch.Tensor,
                              prior_logits: torch.Tensor) -> torch.Tensor:
    """The discriminator's loss :math:`-L_\\text{GAN}`, eq. (vaegan-losses).

    :math:`-\\big(\\overline{\\log \\mathrm{Dis}(x)} + \\overline{\\log(1 - \\mathrm{Dis}(\\tilde x))}
    + \\overline{\\log(1 - \\mathrm{Dis}(x_p))}\\big)`, each term a batch mean, from logits
    (:math:`\\log \\mathrm{Dis} = \\operatorname{logsigmoid}(l)`, :math:`\\log(1 - \\mathrm{Dis}) =
    \\operatorname{logsigmoid}(-l)`). Reconstructions and prior samples are both "fake".

    Examples
    --------
    >>> z = torch.zeros(4)  # Dis = 1/2 everywhere: three terms of log 2
    >>> round(float(vaegan_discriminator_loss(z, z, z)), 4)
    2.0794
    """
    check_tensors(real_logits=real_logits, recon_logits=recon_logits, prior_logits=prior_logits)
    return -(F.logsigmoid(real_logits).mean() + F.logsigmoid(-recon_logits).mean()
             + F.logsigmoid(-prior_logits).mean())


def feature_reconstruction_loss(real_features: torch.Tensor, recon_features: torch.Tensor) -> torch.Tensor:
    """The learned-similarity reconstruction error :math:`L_\\text{feature}`, eq. (vaegan-losses).

    :math:`\\tfrac12 \\lVert \\mathrm{Dis}_l(x) - \\mathrm{Dis}_l(\\tilde x) \\rVert^2`, summed over
    features and averaged over the batch: the negative log-density of a unit Gaussian on the
    discriminator's layer-``l`` features, without its constant.

    Examples
    --------
    >>> float(feature_reconstruction_loss(torch.tensor([[1.0, 2.0]]), torch.tensor([[0.0, 0.0]])))
    2.5
    """
    check_tensors(real_features=real_features, recon_features=recon_features)
    return 0.5 * (real_features - recon_features).pow(2).sum(dim=-1).mean()


def image_sharpness(images: Any, image_shape: Sequence[int] | None = None) -> float:
    """Mean squared difference between neighbouring pixels: a blur-sensitive sharpness score.

    :math:`\\frac{1}{2}\\big(\\overline{(x_{i,j+1} - x_{i,j})^2} + \\overline{(x_{i+1,j} - x_{i,j})^2}\\big)`,
    averaged over images. Blurring (averaging neighbours) lowers it; crisp strokes on a flat
    background raise it. Compare it with the value of real images of the same kind.

    Parameters
    ----------
    images : array-like or tensor, shape (n, h*w), (n, h, w) or (n, 1, h, w)
    image_shape : (h, w), optional
        Needed for flat rows that are not square.

    Examples
    --------
    >>> image_sharpness(np.array([[0.0, 1.0, 1.0, 0.0]]))  # 2x2 checkerboard: every step is 1
    1.0
    >>> image_sharpness(np.full((1, 4), 0.5))
    0.0
    """
    if isinstance(images, torch.Tensor):
        images = images.detach().cpu().numpy()
    ndim = np.ndim(images)
    if ndim not in (2, 3, 4):
        raise ValueError(f"images must be (n, h*w), (n, h, w) or (n, 1, h, w), got shape {np.shape(images)}.")
    arr = check_array(images, "images", ndim=ndim)
    if ndim == 2:
        if image_shape is None:
            side = int(round(math.sqrt(arr.shape[1])))
            if side * side != arr.shape[1]:
                raise ValueError(f"images has {arr.shape[1]} pixels per row, not a square; pass image_shape=(h, w).")
            image_shape = (side, side)
        h, w = (check_int(v, "image_shape[i]", minimum=2) for v in image_shape)
        if h * w != arr.shape[1]:
            raise ValueError(f"image_shape {tuple(image_shape)} does not multiply to the {arr.shape[1]} pixels per row.")
        arr = arr.reshape(-1, h, w)
    elif ndim == 4:
        if arr.shape[1] != 1:
            raise ValueError(f"images must be grey (one channel), got shape {arr.shape}.")
        arr = arr[:, 0]
    dx = np.diff(arr, axis=2) ** 2  # horizontal neighbours
    dy = np.diff(arr, axis=1) ** 2  # vertical neighbours
    return float(0.5 * (dx.mean() + dy.mean()))


# --------------------------------------------------------------------------- the model
class VAEGAN(VAE):
    """VAE-GAN: a VAE whose decoder is also a GAN generator, judged by a discriminator (Larsen et al., 2016).

    Everything of :class:`~genlib.neural.vae.VAE` is inherited (encoder, decoder, ``encode``,
    ``decode``, ``elbo``, ``iwae_bound``); a :class:`~genlib.neural.gan.MLPDiscriminator` is
    added and training follows the three losses of the module docstring.

    Parameters
    ----------
    n_features, latent_dim, hidden, activation, likelihood, sigma, beta :
        As in :class:`~genlib.neural.vae.VAE` (the encoder, the decoder and the KL weight).
    disc_hidden : tuple of int
        Hidden widths of the discriminator (LeakyReLU(0.2) layers).
    feature_layer : int
        Which hidden layer of the discriminator gives :math:`\\mathrm{Dis}_l` (1-based; default
        the last one, as in the paper's "third convolutional layer" of four).
    pixel_weight : float
        :math:`w_\\text{pixel}`, weight of the VAE's pixel reconstruction error
        :math:`-\\log p_\\theta(x \\mid z)` (0 = the paper's pure learned similarity).
    feature_weight : float
        :math:`w_\\text{feature}`, weight of :math:`L_\\text{feature}` in the encoder and decoder losses.
    adversarial_weight : float
        :math:`w_\\text{adv}` (Larsen et al.'s :math:`1/\\gamma`), weight of the generator loss in the
        decoder's objective. 0 turns the adversarial term off.
    lr_d : float or None
        Learning rate of the discriminator; None uses the ``lr`` passed to :meth:`fit`.
    betas : (float, float)
        Adam's betas for all three networks; beta1 = 0.5 as in the GAN chapters.
    random_state : None, int or torch.Generator
        Decides the initial weights of all three networks, the batch order, the training
        noise and the draws of :meth:`sample`.

    Attributes
    ----------
    discriminator : MLPDiscriminator
        :math:`\\mathrm{Dis}`: x -> logit.
    history_ : dict of lists
        Per epoch, means over its batches of ``kl``, ``pixel``, ``feature``, ``g_loss`` (the
        decoder's :math:`L_G`), ``d_loss`` (:math:`-L_\\text{GAN}`), ``d_real``, ``d_recon``,
        ``d_prior`` (mean Dis of data, reconstructions and samples), ``loss`` (encoder plus
        decoder loss without double-counting R: :math:`\\beta L_\\text{prior} + R + w_\\text{adv} L_G`).

    Examples
    --------
    >>> from genlib.datasets import load_digits
    >>> X, _ = load_digits()
    >>> model = VAEGAN(64, 4, hidden=(32,), disc_hidden=(32,), random_state=0).fit(X[:200], n_epochs=2)
    >>> model.sample(3).shape
    torch.Size([3, 64])
    >>> sorted(model.vaegan_step(X[:16]))[:3]
    ['d_loss', 'd_prior', 'd_real']
    """

    @renamed_arguments(n_input="n_features", n_latent="latent_dim")
    def __init__(self, n_features: int, latent_dim: int = 2, *, hidden: Sequence[int] = (200, 200),
                 activation: str = "tanh", likelihood: str = "bernoulli", sigma: Any = "learned",
                 beta: float = 1.0, disc_hidden: Sequence[int] = (128, 128), feature_layer: int | None = None,
                 pixel_weight: float = 1.0, feature_weight: float = 1.0, adversarial_weight: float = 1.0,
                 lr_d: float | None = None, betas: tuple[float, float] = (0.5, 0.999), random_state: Any = None):
        super().__init__(n_features, latent_dim, hidden=hidden, activation=activation, likelihood=likelihood,
                         sigma=sigma, beta=beta, objective="elbo", n_samples=1, random_state=random_state)
        self.disc_hidden = check_hidden(disc_hidden, "disc_hidden")
        n_layers = len(self.disc_hidden)
        self.feature_layer = n_layers if feature_layer is None else check_int(
            feature_layer, "feature_layer", minimum=1, maximum=n_layers)
        self.pixel_weight = check_float(pixel_weight, "pixel_weight", minimum=0.0)
        self.feature_weight = check_float(feature_weight, "feature_weight", minimum=0.0)
        self.adversarial_weight = check_float(adversarial_weight, "adversarial_weight", minimum=0.0)
        if self.pixel_weight == 0 and self.feature_weight == 0:
            raise ValueError("pixel_weight and feature_weight are both 0: the encoder would learn nothing but the "
                             "prior; give one of them a positive weight (the VAE: pixel_weight=1).")
        self.lr_d = None if lr_d is None else check_float(lr_d, "lr_d", minimum=0.0, strict=True)
        self.betas = check_betas(betas)
        # Dis: x -> logit; its weights come from the same generator, after the VAE's
        self.discriminator = MLPDiscriminator(self.n_features, self.disc_hidden)
        reset_parameters(self.discriminator, self._generator)
        self._optim: torch.optim.Optimizer | None = None

    # ------------------------------------------------------------------ the networks' pieces
    def _images(self, out: torch.Tensor) -> torch.Tensor:
        """Decoder output -> what the discriminator sees: pixel probabilities or the Gaussian mean."""
        return torch.sigmoid(out) if self.likelihood == "bernoulli" else out

    def discriminator_features(self, X: Any) -> torch.Tensor:
        """:math:`\\mathrm{Dis}_l(x)`: the activations of the discriminator's hidden layer ``feature_layer``, (n, width)."""
        return self._features(self._check_X(X))

    def _features(self, x: torch.Tensor) -> torch.Tensor:
        # net = [Linear, LeakyReLU] * n_hidden + [Linear]; layer l ends after module 2l
        return self.discriminator.net[: 2 * self.feature_layer](x)

    def reconstruct(self, X: Any) -> torch.Tensor:
        """:math:`\\mathrm{Dec}(\\mu_\\phi(x))`: the decoder's mean at the encoder's mean, shape (n, n_features)."""
        with torch.no_grad():
            mu, _ = self._encode(self._check_X(X))
            return self._images(self.decoder(mu))

    # ------------------------------------------------------------------ the losses
    def _losses(self, x: torch.Tensor, generator: torch.Generator) -> dict[str, torch.Tensor]:
        mu, logvar = self._encode(x)  # (B, L) each
        z = self.reparameterize(mu, logvar, random_state=generator)  # z ~ q(z|x), eq. (vae-reparam)
        z_p = randn(*z.shape, generator=generator, device=z.device, dtype=z.dtype)  # z_p ~ N(0, I)
        out = self.decoder(z)  # (B, D) logits or means of the reconstructions
        x_tilde, x_p = self._images(out), self._images(self.decoder(z_p))  # reconstructions, samples
        if self.likelihood == "bernoulli":
            pixel = -(x * out - F.softplus(out)).sum(dim=-1).mean()  # -log p(x|z), eq. (vae-bce)
        else:
            pixel = -self.log_likelihood(x, z).mean()
        real_logits = self.discriminator(x)
        recon_logits, prior_logits = self.discriminator(x_tilde), self.discriminator(x_p)
        return {
            "kl": gaussian_kl(mu, logvar).mean(),  # L_prior, eq. (vae-kl)
            "pixel": pixel,  # L_pixel
            "feature": feature_reconstruction_loss(self._features(x), self._features(x_tilde)),  # eq. (vaegan-losses)
            # the non-saturating generator loss on reconstructions and on samples, eq. (gan-g-nonsat)
            "g_loss": generator_loss(recon_logits) + generator_loss(prior_logits),
            "d_loss": vaegan_discriminator_loss(real_logits, recon_logits, prior_logits),  # -L_GAN
            "d_real": torch.sigmoid(real_logits).mean(),
            "d_recon": torch.sigmoid(recon_logits).mean(),
            "d_prior": torch.sigmoid(prior_logits).mean(),
        }

    def losses(self, X: Any, *, random_state: Any = None) -> dict[str, torch.Tensor]:
        """Every term of eq. (vaegan-losses) on a batch ``X``, as scalar tensors (batch means).

        Keys: ``kl`` (:math:`L_\\text{prior}`), ``pixel`` (:math:`L_\\text{pixel}`), ``feature``
        (:math:`L_\\text{feature}`), ``g_loss`` (:math:`L_G`), ``d_loss`` (:math:`-L_\\text{GAN}`),
        ``d_real``, ``d_recon``, ``d_prior`` (mean Dis of data, reconstructions and samples),
        and the three objectives ``encoder``, ``decoder``, ``discriminator``. Differentiable.
        """
        terms = self._losses(self._check_X(X), self._generator_for(random_state))
        return {**terms, **self._objectives(terms)}

    def _objectives(self, t: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        # eq. (vaegan-objectives): R = w_pixel L_pixel + w_feature L_feature
        recon = self.pixel_weight * t["pixel"] + self.feature_weight * t["feature"]
        return {
            "encoder": self.beta * t["kl"] + recon,
            "decoder": recon + self.adversarial_weight * t["g_loss"],
            "discriminator": t["d_loss"],
        }

    # ------------------------------------------------------------------ one step
    def _optimizer(self, lr: float) -> torch.optim.Optimizer:
        if self._optim is None:
            vae_params = [p for n, p in self.named_parameters() if not n.startswith("discriminator.")]
            self._optim = torch.optim.Adam(
                [{"params": vae_params, "lr": lr},
                 {"params": list(self.discriminator.parameters()), "lr": self.lr_d or lr}],
                betas=self.betas)
        return self._optim

    def _step(self, x: torch.Tensor, lr: float) -> dict[str, float]:
        opt = self._optimizer(lr)
        terms = self._losses(x, self._generator)
        obj = self._objectives(terms)
        # Algorithm 1 of Larsen et al.: each network follows the gradient of its own loss,
        # all computed on the same forward pass, then all three are updated together.
        groups = {
            "encoder": list(self.encoder.parameters()),
            "decoder": [p for n, p in self.named_parameters()
                        if n.startswith("decoder.") or n == "log_sigma"],
            "discriminator": list(self.discriminator.parameters()),
        }
        grads = {}
        names = list(groups)
        for i, name in enumerate(names):
            grads[name] = torch.autograd.grad(obj[name], groups[name], retain_graph=i < len(names) - 1,
                                              allow_unused=True)
        for name in names:
            for p, g in zip(groups[name], grads[name]):
                p.grad = None if g is None else g
        opt.step()
        out = {k: float(v.detach()) for k, v in terms.items()}
        out["loss"] = float((obj["encoder"] + self.adversarial_weight * terms["g_loss"]).detach())
        return out

    def vaegan_step(self, X: Any, *, lr: float = 1e-3) -> dict[str, float]:
        """One step of Algorithm 1 on a batch ``X``: encoder, decoder and discriminator each take one Adam step.

        Returns
        -------
        dict
            The batch's terms (see :meth:`losses`) as floats, before the update, plus ``loss``.
        """
        lr = check_float(lr, "lr", minimum=0.0, strict=True)
        x = self._check_batch(X)
        self.train()
        return self._step(x, lr)

    # ------------------------------------------------------------------ fit / sample
    @renamed_arguments(epochs="n_epochs")
    def fit(self, X: Any, *, n_epochs: int = 50, batch_size: int = 64, lr: float = 1e-3, verbose: bool = False,
            callback: Callable | None = None) -> "VAEGAN":
        """Train the three networks on ``X`` (n_samples, n_features) for ``n_epochs`` passes of :meth:`vaegan_step`.

        Continues from the current weights (like the VAE); a new model with the same
        ``random_state`` gives the same fit. ``callback(model, epoch)`` is called after each epoch.

        Returns
        -------
        self
        """
        lr = check_float(lr, "lr", minimum=0.0, strict=True)
        self._optim = None  # fresh optimisers for the three networks, as the VAE gets a fresh Adam
        return super().fit(X, n_epochs=n_epochs, batch_size=batch_size, lr=lr, verbose=verbose, callback=callback,
                           step=lambda batch: self._step(batch, lr))

    def loss(self, X: Any) -> torch.Tensor:
        """The encoder's and decoder's objective on a batch (scalar): :math:`\\beta L_\\text{prior} + R + w_\\text{adv} L_G`.

        For monitoring; training uses a separate gradient per network (:meth:`vaegan_step`).
        """
        t = self._losses(self._check_batch(X), self._generator)
        obj = self._objectives(t)
        return obj["encoder"] + self.adversarial_weight * t["g_loss"]

    @torch.no_grad()
    def sample(self, n: int, *, random_state: Any = None, return_latent: bool = False, mean: bool = True):
        """Draw :math:`z_p \\sim N(0, I)` and return the generator's output :math:`\\mathrm{Dec}(z_p)`.

        Parameters
        ----------
        n : int
        random_state : None, int or torch.Generator
            None draws from the model's generator (new draws on every call).
        return_latent : bool
            Also return ``z``.
        mean : bool
            True (default): the decoder's mean, i.e. the GAN generator's image. False: a draw
            from :math:`p_\\theta(x \\mid z)` as :meth:`VAE.sample` gives (binary pixels for Bernoulli).

        Returns
        -------
        X : torch.Tensor (n, n_features), and ``z`` (n, latent_dim) when ``return_latent``.
        """
        self._check_fitted("sample")
        return super().sample(n, random_state=random_state, return_latent=return_latent, mean=mean)
