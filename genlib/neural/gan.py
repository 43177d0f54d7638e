"""Generative adversarial network (Goodfellow et al., 2014), chapter ``03_dl/07_gan``.

A generator G maps noise z ~ N(0, I) to data space; a discriminator D maps a point to the
probability that it came from the data. They play the minimax game of eq. (gan-value)::

    min_G max_D V(D, G) = E_{x ~ p_data}[log D(x)] + E_{z ~ p_z}[log(1 - D(G(z)))]

For a fixed G the best discriminator is D*(x) = p_data(x) / (p_data(x) + p_g(x))
(eq. (gan-dstar), :func:`optimal_discriminator`). Training alternates one gradient step on
D (:meth:`GAN.discriminator_step`, loss :func:`discriminator_loss`) with one step on G
(:meth:`GAN.generator_step`, loss :func:`generator_loss`), either on the original minimax
loss log(1 - D(G(z))), which saturates when D rejects the fakes confidently, or on the
non-saturating loss -log D(G(z)) the paper recommends in practice.

The discriminator returns *logits* l with D = sigmoid(l); every loss is written with
``logsigmoid`` (log D = log sigmoid(l), log(1 - D) = log sigmoid(-l)), so nothing
overflows when D is sure of itself.

:class:`_AdversarialNet` holds the training loop shared by :class:`GAN`,
:class:`~genlib.neural.dcgan.DCGAN` and :class:`~genlib.neural.cgan.ConditionalGAN`;
subclasses provide the two networks and the conversion between the user's data and the
networks' space.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .._torch import (Resumable, check_hidden, check_tensor, check_tensors, make_generator, mlp, reset_parameters,
                      resolve_device)
from .._validation import check_bool, check_array, check_float, check_int, check_n_features, check_option, check_range

__all__ = [
    "GAN",
    "MLPGenerator",
    "MLPDiscriminator",
    "discriminator_loss",
    "generator_loss",
    "value_function",
    "optimal_discriminator",
    "LOSSES",
    "OUTPUTS",
]

#: The generator losses of the chapter: "minimax" minimises log(1 - D(G(z))) (eq. gan-g-minimax),
#: "non-saturating" minimises -log D(G(z)) (eq. gan-g-nonsat).
LOSSES = ("non-saturating", "minimax")

#: The output activations of :class:`MLPGenerator`, with the open interval each one generates in:
#: "linear" (unbounded, the toy data), "sigmoid" (pixels in [0, 1]), "tanh" (pixels in [-1, 1]).
OUTPUTS = {"linear": (-np.inf, np.inf), "sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}


# --------------------------------------------------------------------------------------
# The losses, as functions of the discriminator's logits (the chapter's equations)
# --------------------------------------------------------------------------------------

def value_function(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Monte-Carlo estimate of V(D, G) = E[log D(x)] + E[log(1 - D(G(z)))], eq. (gan-value).

    Parameters
    ----------
    real_logits, fake_logits : Tensor
        Discriminator logits l (D = sigmoid(l)) on a batch of data and of generated points.

    Examples
    --------
    >>> import torch
    >>> zero = torch.zeros(4)  # D = 1/2 everywhere: V = 2 log(1/2)
    >>> round(float(value_function(zero, zero)), 4)
    -1.3863
    """
    check_tensors(real_logits=real_logits, fake_logits=fake_logits)
    return F.logsigmoid(real_logits).mean() + F.logsigmoid(-fake_logits).mean()


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """The discriminator's loss -V(D, G), eq. (gan-value): the binary cross-entropy of
    "data" (label 1) against "generated" (label 0).

    Examples
    --------
    >>> import torch
    >>> round(float(discriminator_loss(torch.zeros(3), torch.zeros(3))), 4)  # 2 log 2
    1.3863
    """
    # -(mean log D(x) + mean log(1 - D(G(z)))), with log D = logsigmoid(l)
    return -value_function(real_logits, fake_logits)


def generator_loss(fake_logits: torch.Tensor, loss: str = "non-saturating") -> torch.Tensor:
    """The generator's loss on the discriminator's logits for generated points.

    ``loss="minimax"``: mean log(1 - D(G(z))), the term of V that G controls, eq. (gan-g-minimax);
    its gradient vanishes when D(G(z)) -> 0, i.e. early in training.
    ``loss="non-saturating"``: mean -log D(G(z)), eq. (gan-g-nonsat); same fixed point, strong
    gradient exactly where the minimax loss is flat.

    Examples
    --------
    >>> import torch
    >>> l = torch.tensor([0.0])  # D(G(z)) = 1/2
    >>> round(float(generator_loss(l, "minimax")), 4), round(float(generator_loss(l)), 4)
    (-0.6931, 0.6931)
    """
    check_tensors(fake_logits=fake_logits)
    check_option(loss, "loss", LOSSES)
    if loss == "minimax":
        return F.logsigmoid(-fake_logits).mean()  # log(1 - D(G(z)))
    return -F.logsigmoid(fake_logits).mean()  # -log D(G(z))


def optimal_discriminator(p_data: Any, p_model: Any) -> np.ndarray:
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)), eq. (gan-dstar), where both densities are known.

    Points where both densities are 0 get 1/2 (D has nothing to tell apart there).

    Examples
    --------
    >>> optimal_discriminator([1.0, 0.0, 0.2], [1.0, 0.5, 0.0]).tolist()
    [0.5, 0.0, 1.0]
    """
    p_data = check_array(np.atleast_1d(p_data), "p_data", ndim=None)
    p_model = check_array(np.atleast_1d(p_model), "p_model", ndim=None)
    for name, p in (("p_data", p_data), ("p_model", p_model)):
        if np.any(p < 0):
            raise ValueError(f"{name} holds densities, which must be >= 0; got a minimum of {p.min():.3g}.")
    if p_data.shape != p_model.shape:
        raise ValueError(f"p_data and p_model must have the same shape (one value per point), got {p_data.shape} "
                         f"and {p_model.shape}.")
    total = p_data + p_model
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, p_data / np.where(total > 0, total, 1.0), 0.5)


# --------------------------------------------------------------------------------------
# The two networks of the plain GAN
# --------------------------------------------------------------------------------------


def check_betas(betas: Any) -> tuple[float, float]:
    """Adam's ``betas`` as a pair of floats in [0, 1], or a ValueError that shows the form."""
    try:
        b1, b2 = betas
    except (TypeError, ValueError):
        raise ValueError(f"betas must be a pair (beta1, beta2) for Adam, e.g. (0.5, 0.999), got {betas!r}.") from None
    return (check_float(b1, "betas[0]", minimum=0.0, maximum=1.0),
            check_float(b2, "betas[1]", minimum=0.0, maximum=1.0))

class MLPGenerator(nn.Module):
    """G: z (B, latent_dim) -> x (B, n_features); ReLU hidden layers, then the output activation.

    Parameters
    ----------
    latent_dim : int
        Dimension of the noise z.
    n_features : int
        Dimension of the generated points.
    hidden : tuple of int
        Widths of the hidden layers.
    output : {"linear", "sigmoid", "tanh"}
        The output activation (:data:`OUTPUTS`): ``"linear"`` for unbounded data such as the
        2-D toy sets; ``"sigmoid"`` gives points in (0, 1) (pixels in [0, 1]), ``"tanh"``
        points in (-1, 1) (pixels rescaled to [-1, 1], as the DCGAN's Tanh output).
        (Open intervals in exact arithmetic; a saturated float32 unit can round to an end
        point.) The activation has no parameters, so the ``state_dict`` has the same keys
        and shapes for all three.

    Examples
    --------
    >>> import torch
    >>> G = MLPGenerator(2, 3, hidden=(8,), output="sigmoid")
    >>> x = G(torch.randn(4, 2))
    >>> tuple(x.shape), bool(((x > 0) & (x < 1)).all())
    ((4, 3), True)
    """

    def __init__(self, latent_dim: int, n_features: int, hidden=(128, 128), output: str = "linear"):
        super().__init__()
        self.output = check_option(output, "output", tuple(OUTPUTS))
        self.latent_dim = check_int(latent_dim, "latent_dim", minimum=1)
        n_features = check_int(n_features, "n_features", minimum=1)
        layers = mlp([latent_dim, *check_hidden(hidden), n_features], nn.ReLU)
        if output == "sigmoid":
            layers.append(nn.Sigmoid())
        elif output == "tanh":
            layers.append(nn.Tanh())
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(check_tensor(z, "z", shape=(None, self.latent_dim), finite=False))


class MLPDiscriminator(nn.Module):
    """D: x (B, n_features) -> logit (B,); LeakyReLU(0.2) hidden layers, D(x) = sigmoid(logit)."""

    def __init__(self, n_features: int, hidden=(128, 128)):
        super().__init__()
        self.n_features = check_int(n_features, "n_features", minimum=1)
        self.net = mlp([n_features, *check_hidden(hidden), 1], lambda: nn.LeakyReLU(0.2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(check_tensor(x, "x", shape=(None, self.n_features), finite=False)).squeeze(-1)


# --------------------------------------------------------------------------------------
# The adversarial training loop shared by GAN, DCGAN and ConditionalGAN
# --------------------------------------------------------------------------------------

class _AdversarialNet(Resumable, nn.Module):
    """Training loop of the minimax game; subclasses build ``generator`` and ``discriminator``.

    Subclasses implement ``_build()``, ``_reset_parameters(gen)``, ``_prepare(X)`` (user data
    -> float tensor in the networks' space, validated) and ``_to_user(x)`` (inverse), and set
    ``conditional``. Conditional models pass labels ``y`` through every step.
    """

    conditional = False

    # fit starts a fresh game from random_state (weights and noise), so the saved state carries the seed
    def get_extra_state(self) -> dict:
        seed = self.random_state if isinstance(self.random_state, (int, np.integer)) else None
        return {**super().get_extra_state(), "random_state": None if seed is None else int(seed)}

    def set_extra_state(self, state: dict) -> None:
        super().set_extra_state(state)
        if state.get("random_state") is not None:
            self.random_state = state["random_state"]

    def __init__(self, *, latent_dim, n_steps, batch_size, lr_d, lr_g, betas, loss, d_steps,
                 random_state, device, verbose):
        super().__init__()
        self.latent_dim = check_int(latent_dim, "latent_dim", minimum=1)
        self.n_steps = check_int(n_steps, "n_steps", minimum=1)
        self.batch_size = check_int(batch_size, "batch_size", minimum=1)
        self.lr_d = check_float(lr_d, "lr_d", minimum=0.0, strict=True)
        self.lr_g = check_float(lr_g, "lr_g", minimum=0.0, strict=True)
        self.betas = check_betas(betas)
        self.loss_name = check_option(loss, "loss", LOSSES)  # not self.loss: models name their loss method so
        self.d_steps = check_int(d_steps, "d_steps", minimum=1)
        make_generator(random_state)  # validate now, not at fit
        self.random_state = random_state
        self._device = None if device is None else resolve_device(device)  # None: follow the inputs
        self.verbose = check_bool(verbose, "verbose")
        self.history_: dict[str, list[float]] | None = None
        self._optim: tuple[torch.optim.Optimizer, torch.optim.Optimizer] | None = None

    def _finish_init(self) -> None:
        """Draw the initial weights from ``random_state`` and move to the requested device."""
        self._rng = make_generator(self.random_state)
        self._reset_parameters(self._rng)
        if self._device is not None:
            self.to(self._device)

    # ---- to be provided by subclasses -------------------------------------------------
    def _reset_parameters(self, gen: torch.Generator) -> None:
        reset_parameters(self, gen)  # PyTorch's default scale, drawn from the model's generator

    def _prepare(self, X: Any, name: str = "X") -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def _to_user(self, x: torch.Tensor) -> torch.Tensor:
        return x

    # ---- helpers --------------------------------------------------------------------------
    @property
    def device(self) -> torch.device:
        """The device of the model's parameters."""
        return next(self.parameters()).device

    def _follow_device(self, X: Any) -> None:
        """Device comes from the inputs: a tensor on another device moves the model there."""
        if self._device is None and isinstance(X, torch.Tensor) and X.device != self.device:
            self.to(X.device)
            self._optim = None

    def _optimizers(self):
        # Adam with the DCGAN paper's beta1 = 0.5 by default (momentum destabilises the game)
        if self._optim is None:
            self._optim = (
                torch.optim.Adam(self.discriminator.parameters(), lr=self.lr_d, betas=self.betas, foreach=True),
                torch.optim.Adam(self.generator.parameters(), lr=self.lr_g, betas=self.betas, foreach=True),
            )
        return self._optim

    def sample_latent(self, n: int, *, random_state: Any = None) -> torch.Tensor:
        """Draw z ~ N(0, I) of shape (n, latent_dim) on the model's device."""
        n = check_int(n, "n", minimum=1)
        gen = self._rng if random_state is None else make_generator(random_state)
        return torch.randn(n, self.latent_dim, generator=gen).to(self.device)

    def _check_labels(self, y: Any, n: int, name: str = "y") -> torch.Tensor:  # overridden by cGAN
        raise TypeError(f"{type(self).__name__} is unconditional and takes no {name}.")

    def _random_labels(self, n: int, gen: torch.Generator) -> torch.Tensor:  # overridden by cGAN
        raise NotImplementedError

    def _G(self, z, y=None):
        return self.generator(z, y) if self.conditional else self.generator(z)

    def _D(self, x, y=None):
        return self.discriminator(x, y) if self.conditional else self.discriminator(x)

    # ---- one step of each player --------------------------------------------------------
    def _d_step(self, x_real: torch.Tensor, y: torch.Tensor | None) -> dict[str, float]:
        opt_d, _ = self._optimizers()
        b = x_real.shape[0]
        z = self.sample_latent(b)  # (B, latent_dim)
        y_fake = None
        if self.conditional:
            y_fake = y  # fakes for the same labels as the real batch
        with torch.no_grad():
            x_fake = self._G(z, y_fake)  # G is fixed during D's step
        real_logits = self._D(x_real, y)  # (B,)
        fake_logits = self._D(x_fake, y_fake)  # (B,)
        loss = discriminator_loss(real_logits, fake_logits)  # -V(D, G), eq. (gan-value)
        opt_d.zero_grad(set_to_none=True)
        loss.backward()
        opt_d.step()
        return {
            "d_loss": float(loss.detach()),
            "d_real": float(torch.sigmoid(real_logits.detach()).mean()),  # mean D(x)
            "d_fake": float(torch.sigmoid(fake_logits.detach()).mean()),  # mean D(G(z))
        }

    def _g_step(self, n: int, y: torch.Tensor | None) -> dict[str, float]:
        _, opt_g = self._optimizers()
        z = self.sample_latent(n)
        fake_logits = self._D(self._G(z, y), y)  # gradients flow through D into G
        loss = generator_loss(fake_logits, self.loss_name)  # eq. (gan-g-minimax) or (gan-g-nonsat)
        opt_g.zero_grad(set_to_none=True)
        loss.backward()
        opt_g.step()  # only G's parameters move; D's stale gradients are cleared in its next step
        return {"g_loss": float(loss.detach())}

    def discriminator_step(self, X: Any, y: Any = None) -> dict[str, float]:
        """One gradient step of D on a batch of data ``X`` and as many generated points.

        Minimises -V(D, G) = -(mean log D(x) + mean log(1 - D(G(z)))) with G held fixed.

        Returns
        -------
        dict
            ``d_loss`` (-V on this batch), ``d_real`` (mean D(x)) and ``d_fake`` (mean D(G(z))).
        """
        self._follow_device(X)
        x = self._prepare(X)
        labels = self._check_labels(y, x.shape[0]) if (self.conditional or y is not None) else None
        self.train()  # batch norm (DCGAN) uses batch statistics while training
        return self._d_step(x, labels)

    def generator_step(self, n: int | None = None, y: Any = None) -> dict[str, float]:
        """One gradient step of G on ``n`` fresh noise vectors (default ``batch_size``), D held fixed.

        Conditional models draw uniform labels unless ``y`` gives them.

        Returns
        -------
        dict
            ``g_loss``, the generator loss of :func:`generator_loss` for ``self.loss_name``.
        """
        n = self.batch_size if n is None else check_int(n, "n", minimum=1)
        labels = None
        if self.conditional:
            labels = self._random_labels(n, self._rng) if y is None else self._check_labels(y, n)
        elif y is not None:
            self._check_labels(y, n)
        self.train()
        return self._g_step(n, labels)

    # ---- the whole game -------------------------------------------------------------------
    def _fit(self, X: Any, y: Any, callback, callback_every) -> "_AdversarialNet":
        self._follow_device(X)
        x = self._prepare(X)  # (N, ...) in the networks' space
        labels = self._check_labels(y, x.shape[0]) if self.conditional else None
        if callback is not None and not callable(callback):
            raise TypeError(f"callback must be a callable callback(model, step), got {type(callback).__name__}.")
        callback_every = check_int(callback_every, "callback_every", minimum=1)
        # a fresh game: weights and the noise stream both come from random_state
        self._rng = make_generator(self.random_state)
        self._reset_parameters(self._rng)
        self._optim = None
        n = x.shape[0]
        b = min(self.batch_size, n)
        history: dict[str, list[float]] = {"d_loss": [], "g_loss": [], "d_real": [], "d_fake": []}
        steps = range(self.n_steps)
        if self.verbose:
            from tqdm import tqdm

            steps = tqdm(steps, desc=type(self).__name__)
        order, pos = torch.randperm(n, generator=self._rng), 0
        self.train()
        for step in steps:
            for _ in range(self.d_steps):  # k steps of D per step of G (Goodfellow et al.'s Algorithm 1)
                if pos + b > n:  # a new epoch: reshuffle
                    order, pos = torch.randperm(n, generator=self._rng), 0
                idx = order[pos:pos + b].to(x.device)
                pos += b
                d_out = self._d_step(x[idx], None if labels is None else labels[idx])
            g_labels = self._random_labels(b, self._rng) if self.conditional else None
            g_out = self._g_step(b, g_labels)
            for key, value in {**d_out, **g_out}.items():
                history.setdefault(key, []).append(value)  # a subclass's steps may report more (StackedGAN: kl)
            if callback is not None and (step + 1) % callback_every == 0:
                callback(self, step + 1)
                self.train()  # the callback may have sampled (eval mode)
        self.history_ = history
        self.eval()
        return self

    @torch.no_grad()
    def generate(self, z: Any, labels: Any = None) -> torch.Tensor:
        """Map given latent vectors z (n, latent_dim) to data space: x = G(z).

        Used for latent interpolation; :meth:`sample` draws z itself.
        """
        z = torch.as_tensor(check_array(z, "z", dtype=np.float32)).to(self.device)
        if z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have latent_dim={self.latent_dim} columns, got {z.shape[1]}.")
        y = None
        if self.conditional:
            y = self._random_labels(z.shape[0], self._rng) if labels is None else self._check_labels(labels, z.shape[0], "labels")
        was_training = self.training
        self.eval()  # batch norm uses its running statistics when generating
        try:
            return self._to_user(self._G(z, y))
        finally:
            self.train(was_training)

    @torch.no_grad()
    def _sample(self, n: int, labels: Any, random_state: Any, return_latent: bool):
        self._check_fitted("sample")
        n = check_int(n, "n", minimum=1)
        gen = self._rng if random_state is None else make_generator(random_state)
        z = torch.randn(n, self.latent_dim, generator=gen).to(self.device)
        y = None
        if self.conditional:
            y = self._random_labels(n, gen) if labels is None else self._check_labels(labels, n, "labels")
        was_training = self.training
        self.eval()
        try:
            x = self._to_user(self._G(z, y))
        finally:
            self.train(was_training)
        if return_latent:
            return (x, z, y) if self.conditional else (x, z)
        return x


class GAN(_AdversarialNet):
    """Generative adversarial network with MLP generator and discriminator (Goodfellow et al., 2014).

    Parameters
    ----------
    n_features : int
        Dimension of the data (2 for the chapter's toy sets).
    latent_dim : int
        Dimension of the noise z ~ N(0, I).
    hidden : tuple of int
        Widths of the hidden layers of both networks.
    output : {"linear", "sigmoid", "tanh"}, default "linear"
        The generator's output activation. ``"linear"`` suits unbounded data (the 2-D toy
        sets). For bounded data such as pixels, a bounded output keeps every sample in the
        data's range: ``"sigmoid"`` generates in (0, 1) for data in [0, 1], ``"tanh"`` in
        (-1, 1) for data rescaled to [-1, 1]. ``fit`` then refuses data outside that range.
    n_steps : int
        Training iterations; each makes ``d_steps`` steps of D and one of G.
    batch_size : int
        Data points (and generated points) per step.
    lr_d, lr_g : float
        Adam learning rates of D and G.
    betas : (float, float)
        Adam's betas; beta1 = 0.5 as in the DCGAN paper.
    loss : {"non-saturating", "minimax"}
        The generator's loss (:func:`generator_loss`).
    d_steps : int
        Steps of D per step of G (k in Goodfellow et al.'s Algorithm 1).
    random_state : None, int, numpy or torch Generator
        Seeds the initial weights and the noise; becomes one ``torch.Generator``.
    device : None, "auto" or a torch device
        ``None`` follows the data (a CUDA tensor moves the model to CUDA); ``"auto"``
        picks CUDA when available, once, at construction.
    verbose : bool
        Show a progress bar during ``fit``.

    Attributes
    ----------
    generator, discriminator : nn.Module
        G: z -> x and D: x -> logit (D(x) = sigmoid(logit)).
    history_ : dict of lists
        Per step: ``d_loss``, ``g_loss``, ``d_real`` (mean D(x)) and ``d_fake`` (mean D(G(z))).

    Examples
    --------
    >>> from genlib.datasets import make_rings
    >>> X, _ = make_rings(512, random_state=0)
    >>> gan = GAN(n_features=2, n_steps=50, random_state=0).fit(X)
    >>> gan.sample(5).shape
    torch.Size([5, 2])
    >>> sorted(gan.history_)
    ['d_fake', 'd_loss', 'd_real', 'g_loss']

    Pixels in [0, 1] with a sigmoid output: every sample is a valid grey level.

    >>> from genlib.datasets import load_digits
    >>> X, _ = load_digits()  # (1797, 64) in [0, 1]
    >>> gan = GAN(n_features=64, latent_dim=8, hidden=(32,), output="sigmoid", n_steps=5, random_state=0).fit(X)
    >>> x = gan.sample(100)
    >>> bool(((x > 0) & (x < 1)).all())
    True
    """

    def __init__(self, n_features: int = 2, *, latent_dim: int = 2, hidden=(128, 128), output: str = "linear",
                 n_steps: int = 2000,
                 batch_size: int = 128, lr_d: float = 1e-3, lr_g: float = 1e-3, betas=(0.5, 0.999),
                 loss: str = "non-saturating", d_steps: int = 1, random_state=None, device=None,
                 verbose: bool = False):
        super().__init__(latent_dim=latent_dim, n_steps=n_steps, batch_size=batch_size, lr_d=lr_d, lr_g=lr_g,
                         betas=betas, loss=loss, d_steps=d_steps, random_state=random_state, device=device,
                         verbose=verbose)
        self.n_features = check_int(n_features, "n_features", minimum=1)
        self.hidden = check_hidden(hidden)
        self.generator = MLPGenerator(self.latent_dim, self.n_features, self.hidden, output)  # checks output
        self.output = self.generator.output
        self.discriminator = MLPDiscriminator(self.n_features, self.hidden)
        self._finish_init()

    def _prepare(self, X: Any, name: str = "X") -> torch.Tensor:
        arr = check_array(X, name, dtype=np.float32)  # (N, n_features), finite
        check_n_features(arr, self.n_features, name)
        lo, hi = OUTPUTS[self.output]
        if np.isfinite(lo):
            check_range(arr, name, lo, hi, hint=f"output={self.output!r} generates only in ({lo:g}, {hi:g}), so G could "
                        f"never match it: rescale {name} (pixels in [0, 1]: output='sigmoid'; 2 * pixels - 1: "
                        f"output='tanh') or use output='linear'")
        return torch.from_numpy(arr).to(self.device)

    def fit(self, X: Any, *, callback: Callable | None = None, callback_every: int = 100) -> "GAN":
        """Play the minimax game on data ``X`` (n_samples, n_features) for ``n_steps`` steps.

        Starts afresh from ``random_state`` (weights and noise), so the same seed gives the
        same fit. ``callback(model, step)`` is called every ``callback_every`` steps
        (snapshots for an animation, a metric over training).

        Returns
        -------
        self
        """
        return self._fit(X, None, callback, callback_every)

    def sample(self, n: int, *, random_state: Any = None, return_latent: bool = False):
        """Draw ``n`` points x = G(z), z ~ N(0, I): a tensor (n, n_features), in (0, 1) for
        ``output="sigmoid"`` and in (-1, 1) for ``output="tanh"``.

        Without ``random_state`` the model's own generator is used, so repeated calls give new
        draws; with it, the draws are reproducible. ``return_latent=True`` returns ``(x, z)``.
        """
        return self._sample(n, None, random_state, return_latent)
