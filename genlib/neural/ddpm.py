"""Denoising diffusion probabilistic models (Ho, Jain & Abbeel 2020), chapter ``05_beyond/03_diffusion``.

The forward process adds Gaussian noise in ``T`` small steps, eq. (ddpm-forward),

.. math::  q(x_t \\mid x_{t-1}) = N(x_t;\\ \\sqrt{1 - \\beta_t}\\, x_{t-1},\\ \\beta_t I),

so that, with :math:`\\alpha_t = 1 - \\beta_t` and :math:`\\bar\\alpha_t = \\prod_{s \\le t} \\alpha_s`,
every marginal has a closed form, eq. (ddpm-marginal),

.. math::  q(x_t \\mid x_0) = N(x_t;\\ \\sqrt{\\bar\\alpha_t}\\, x_0,\\ (1 - \\bar\\alpha_t) I),

and so has the posterior of one step back, eq. (ddpm-posterior),
:math:`q(x_{t-1} \\mid x_t, x_0) = N(\\tilde\\mu_t(x_t, x_0), \\tilde\\beta_t I)` with
:math:`\\tilde\\mu_t = \\frac{\\sqrt{\\bar\\alpha_{t-1}}\\beta_t}{1 - \\bar\\alpha_t} x_0 +
\\frac{\\sqrt{\\alpha_t}(1 - \\bar\\alpha_{t-1})}{1 - \\bar\\alpha_t} x_t` and
:math:`\\tilde\\beta_t = \\frac{1 - \\bar\\alpha_{t-1}}{1 - \\bar\\alpha_t}\\beta_t`.

The reverse process :math:`p_\\theta(x_{t-1} \\mid x_t) = N(\\tilde\\mu_t(x_t, \\hat x_0), \\tilde\\beta_t I)`
plugs in the denoised guess :math:`\\hat x_0 = (x_t - \\sqrt{1 - \\bar\\alpha_t}\\,\\epsilon_\\theta(x_t, t)) / \\sqrt{\\bar\\alpha_t}`
of a network :math:`\\epsilon_\\theta` (:class:`~genlib.neural.unet.UNet`) that predicts the noise.
The variational bound on :math:`-\\log p_\\theta(x_0)`, eq. (ddpm-bound),

.. math::  L = \\underbrace{\\mathrm{KL}(q(x_T \\mid x_0) \\| N(0, I))}_{L_T}
    + \\sum_{t=2}^{T} \\underbrace{\\mathbb E_q\\, \\mathrm{KL}(q(x_{t-1} \\mid x_t, x_0) \\| p_\\theta(x_{t-1} \\mid x_t))}_{L_{t-1}}
    \\underbrace{- \\mathbb E_q \\log p_\\theta(x_0 \\mid x_1)}_{L_0},

has KL terms between Gaussians, each a weighted squared error of the predicted noise;
dropping the weights gives the simple objective that is trained, eq. (ddpm-simple),
:math:`\\mathbb E_{t, x_0, \\epsilon} \\lVert \\epsilon - \\epsilon_\\theta(\\sqrt{\\bar\\alpha_t} x_0 + \\sqrt{1 - \\bar\\alpha_t}\\epsilon, t)\\rVert^2`.

Sampling runs the reverse chain from :math:`x_T \\sim N(0, I)` (ancestral sampling), or the
DDIM update of Song, Meng & Ermon (2021) on a sub-sequence of the steps, eq. (ddim-step),

.. math::  x_s = \\sqrt{\\bar\\alpha_s}\\,\\hat x_0 + \\sqrt{1 - \\bar\\alpha_s - \\sigma^2}\\,\\hat\\epsilon + \\sigma z,
    \\qquad \\sigma = \\eta \\sqrt{\\tfrac{1 - \\bar\\alpha_s}{1 - \\bar\\alpha_t}}\\sqrt{1 - \\tfrac{\\bar\\alpha_t}{\\bar\\alpha_s}},

deterministic for :math:`\\eta = 0`, and DDPM's ancestral step for :math:`\\eta = 1` over every step.

Images come in [0, 1] (8x8 digits from :func:`genlib.datasets.load_digits`, MNIST / 255) and
are mapped to [-1, 1] inside; :meth:`DDPM.sample` maps back. The bound is a log-likelihood of
*discrete* images: the data take ``data_levels`` grey levels k / (data_levels - 1) (256 for
8-bit images, 17 for scikit-learn's digits), and the last step is a discretised Gaussian.
"""

from __future__ import annotations

import copy
import math
from typing import Any, Callable, Sequence

import numpy as np
import torch
from torch.nn import functional as F

from .._torch import check_tensor, make_generator, on_model_device, randn
from .._validation import check_array, check_bool, check_float, check_int, check_option, check_range
from ..base import likelihood_summary
from .base import NeuralModel
from .training import train
from .unet import UNet

__all__ = ["DDPM", "beta_schedule", "q_sample", "posterior_moments", "ddim_sigma", "ddim_step", "normal_kl",
           "discretized_gaussian_log_likelihood", "epsilon_loss", "timestep_sequence"]

SCHEDULES = ("linear", "cosine")
METHODS = ("ddpm", "ddim")


# --------------------------------------------------------------------------- the maths' entry checks
def _real(value: Any, name: str) -> torch.Tensor:
    """A finite floating tensor, or a finite real number as a 0-d float64 tensor (it broadcasts)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = torch.tensor(float(value), dtype=torch.float64)
    return check_tensor(value, name)


def _alpha_bar(value: Any, name: str, *, below_one: bool = False, positive: bool = False) -> torch.Tensor:
    """A finite floating tensor of cumulative products alpha_bar in [0, 1] (strictly below 1 / above 0 when asked)."""
    check_tensor(value, name, value_range=(0.0, 1.0),
                 hint="alpha_bar is a product of 1 - beta: take it from DDPM.alpha_bar or beta_schedule")
    if below_one and bool((value >= 1.0).any()):
        raise ValueError(f"{name} must be below 1 (alpha_bar_t for t >= 1; 1 is alpha_bar_0, where no noise was "
                         f"added and the posterior is undefined), got a value of 1; pass alpha_bar[t] with t >= 1.")
    if positive and bool((value <= 0.0).any()):
        raise ValueError(f"{name} must be above 0 (the signal left at the earlier step), got a value of 0; "
                         f"pass alpha_bar[s] of a step s < T.")
    return value


def _broadcast(**tensors: torch.Tensor) -> None:
    """Refuse tensors that do not broadcast against one another, naming each with its shape."""
    try:
        torch.broadcast_shapes(*(t.shape for t in tensors.values()))
    except RuntimeError:
        shapes = ", ".join(f"{k} {tuple(v.shape)}" for k, v in tensors.items())
        raise ValueError(f"{', '.join(tensors)} must broadcast against one another, got {shapes}; give per-image "
                         f"values the shape (B, 1, 1, 1) and images the same shape (B, 1, S, S).") from None


def _ordered(alpha_bar_t: torch.Tensor, alpha_bar_s: torch.Tensor) -> None:
    if bool((alpha_bar_t > alpha_bar_s).any()):
        raise ValueError("alpha_bar_t must be at most alpha_bar_s (step s comes before t, and alpha_bar decreases "
                         "with t), got alpha_bar_t > alpha_bar_s; pass alpha_bar[t] and alpha_bar[s] with s < t.")


# --------------------------------------------------------------------------- the maths
def beta_schedule(n_timesteps: int, kind: str = "linear") -> np.ndarray:
    """The noise levels :math:`\\beta_1, \\dots, \\beta_T` as a float64 array of length ``n_timesteps``.

    ``"linear"``: from 1e-4 to 0.02 for T = 1000 (Ho et al. 2020), the ends scaled by 1000 / T
    for another T so that :math:`\\bar\\alpha_T` stays near 0. ``"cosine"``: Nichol & Dhariwal
    (2021), :math:`\\bar\\alpha_t = f(t) / f(0)`, :math:`f(t) = \\cos^2\\big(\\frac{t/T + s}{1 + s}\\frac\\pi2\\big)`,
    s = 0.008, each :math:`\\beta_t` clipped at 0.999.

    Examples
    --------
    >>> betas = beta_schedule(1000)
    >>> float(betas[0]), float(betas[-1])
    (0.0001, 0.02)
    """
    T = check_int(n_timesteps, "n_timesteps", minimum=1)
    kind = check_option(kind, "kind", SCHEDULES)
    if kind == "linear":
        scale = 1000.0 / T
        return np.linspace(scale * 1e-4, min(scale * 0.02, 0.999), T, dtype=np.float64)
    s = 0.008
    f = np.cos((np.arange(T + 1, dtype=np.float64) / T + s) / (1 + s) * np.pi / 2) ** 2
    alpha_bar = f / f[0]
    return np.clip(1.0 - alpha_bar[1:] / alpha_bar[:-1], 0.0, 0.999)


def q_sample(x0: torch.Tensor, alpha_bar_t: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """A draw of :math:`x_t \\sim q(x_t \\mid x_0)`, eq. (ddpm-marginal): :math:`\\sqrt{\\bar\\alpha_t} x_0 + \\sqrt{1 - \\bar\\alpha_t}\\,\\epsilon`.

    ``alpha_bar_t`` (values in [0, 1]) broadcasts against ``x0`` (one value per image: shape (B, 1, 1, 1));
    ``eps`` is standard normal noise of the shape of ``x0``.

    Examples
    --------
    >>> q_sample(torch.ones(1, 2), torch.tensor([[0.25]]), torch.zeros(1, 2))
    tensor([[0.5000, 0.5000]])
    """
    check_tensor(x0, "x0")
    _alpha_bar(alpha_bar_t, "alpha_bar_t")
    check_tensor(eps, "eps")
    _broadcast(x0=x0, alpha_bar_t=alpha_bar_t, eps=eps)
    return _q_sample(x0, alpha_bar_t, eps)


def _q_sample(x0: torch.Tensor, alpha_bar_t: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """:func:`q_sample` without its checks (the training loop's and the bound's inner calls)."""
    return alpha_bar_t.sqrt() * x0 + (1.0 - alpha_bar_t).sqrt() * eps


def posterior_moments(x0: torch.Tensor, x_t: torch.Tensor, alpha_bar_t: torch.Tensor,
                      alpha_bar_s: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and variance of :math:`q(x_s \\mid x_t, x_0)` for s < t, eq. (ddpm-posterior).

    With s = t - 1 this is :math:`(\\tilde\\mu_t, \\tilde\\beta_t)`; for a gap of several steps the
    same formulas hold with :math:`1 - \\bar\\alpha_t / \\bar\\alpha_s` in the place of :math:`\\beta_t`.
    ``x0`` and ``x_t`` are tensors (or numbers, e.g. 0 to get the variance alone);
    :math:`0 \\le \\bar\\alpha_t < 1`, :math:`0 < \\bar\\alpha_s \\le 1`, :math:`\\bar\\alpha_t \\le \\bar\\alpha_s`.
    """
    x0, x_t = _real(x0, "x0"), _real(x_t, "x_t")
    _alpha_bar(alpha_bar_t, "alpha_bar_t", below_one=True)
    _alpha_bar(alpha_bar_s, "alpha_bar_s", positive=True)
    _broadcast(x0=x0, x_t=x_t, alpha_bar_t=alpha_bar_t, alpha_bar_s=alpha_bar_s)
    _ordered(alpha_bar_t, alpha_bar_s)
    return _posterior_moments(x0, x_t, alpha_bar_t, alpha_bar_s)


def _posterior_moments(x0, x_t, alpha_bar_t, alpha_bar_s):
    """:func:`posterior_moments` without its checks (the sampler's and the bound's inner calls)."""
    a_ts = alpha_bar_t / alpha_bar_s  # alpha_t when s = t - 1
    beta_ts = 1.0 - a_ts  # beta_t when s = t - 1
    mean = (alpha_bar_s.sqrt() * beta_ts / (1.0 - alpha_bar_t)) * x0 \
        + (a_ts.sqrt() * (1.0 - alpha_bar_s) / (1.0 - alpha_bar_t)) * x_t
    var = (1.0 - alpha_bar_s) / (1.0 - alpha_bar_t) * beta_ts  # beta tilde
    return mean, var


def ddim_sigma(alpha_bar_t: torch.Tensor, alpha_bar_s: torch.Tensor, eta: float) -> torch.Tensor:
    """The standard deviation of DDIM's step from t to s < t, eq. (ddim-step).

    :math:`\\sigma = \\eta\\sqrt{(1 - \\bar\\alpha_s)/(1 - \\bar\\alpha_t)}\\sqrt{1 - \\bar\\alpha_t/\\bar\\alpha_s}`:
    0 for the deterministic DDIM (eta = 0); the posterior's :math:`\\sqrt{\\tilde\\beta_t}` for eta = 1.
    ``eta`` in [0, 1]; the alphas as in :func:`posterior_moments`.
    """
    _alpha_bar(alpha_bar_t, "alpha_bar_t", below_one=True)
    _alpha_bar(alpha_bar_s, "alpha_bar_s", positive=True)
    _broadcast(alpha_bar_t=alpha_bar_t, alpha_bar_s=alpha_bar_s)
    _ordered(alpha_bar_t, alpha_bar_s)
    eta = check_float(eta, "eta", minimum=0.0, maximum=1.0)
    return _ddim_sigma(alpha_bar_t, alpha_bar_s, eta)


def _ddim_sigma(alpha_bar_t, alpha_bar_s, eta):
    """:func:`ddim_sigma` without its checks (the sampler's inner call)."""
    return eta * ((1.0 - alpha_bar_s) / (1.0 - alpha_bar_t) * (1.0 - alpha_bar_t / alpha_bar_s)).sqrt()


def ddim_step(x0_hat: torch.Tensor, eps_hat: torch.Tensor, alpha_bar_s: torch.Tensor, sigma: torch.Tensor,
              noise: torch.Tensor | None = None) -> torch.Tensor:
    """DDIM's update, eq. (ddim-step): :math:`\\sqrt{\\bar\\alpha_s}\\hat x_0 + \\sqrt{1 - \\bar\\alpha_s - \\sigma^2}\\hat\\epsilon + \\sigma z`.

    ``noise=None`` gives the mean of the step. ``sigma`` in [0, 1] (:func:`ddim_sigma`; where
    :math:`\\sigma^2 > 1 - \\bar\\alpha_s` the direction term is 0).
    """
    check_tensor(x0_hat, "x0_hat")
    check_tensor(eps_hat, "eps_hat")
    _alpha_bar(alpha_bar_s, "alpha_bar_s")
    check_tensor(sigma, "sigma", value_range=(0.0, 1.0), hint="a standard deviation from ddim_sigma")
    tensors = dict(x0_hat=x0_hat, eps_hat=eps_hat, alpha_bar_s=alpha_bar_s, sigma=sigma)
    if noise is not None:
        tensors["noise"] = check_tensor(noise, "noise")
    _broadcast(**tensors)
    return _ddim_step(x0_hat, eps_hat, alpha_bar_s, sigma, noise)


def _ddim_step(x0_hat, eps_hat, alpha_bar_s, sigma, noise):
    """:func:`ddim_step` without its checks (the sampler's inner call)."""
    direction = (1.0 - alpha_bar_s - sigma ** 2).clamp(min=0.0).sqrt() * eps_hat  # "points to x_t"
    x_s = alpha_bar_s.sqrt() * x0_hat + direction
    return x_s if noise is None else x_s + sigma * noise


def normal_kl(mean1: torch.Tensor, logvar1: torch.Tensor, mean2: torch.Tensor, logvar2: torch.Tensor) -> torch.Tensor:
    """:math:`\\mathrm{KL}(N(\\mu_1, \\sigma_1^2) \\| N(\\mu_2, \\sigma_2^2))` elementwise, in nats (broadcasts).

    :math:`\\tfrac12\\big(\\ln\\sigma_2^2 - \\ln\\sigma_1^2 + (\\sigma_1^2 + (\\mu_1 - \\mu_2)^2)/\\sigma_2^2 - 1\\big)`.

    Returns
    -------
    torch.Tensor
        The KL, >= 0; ``+inf`` where it exceeds the range of the inputs' dtype (never NaN).
    """
    for name, value in dict(mean1=mean1, logvar1=logvar1, mean2=mean2, logvar2=logvar2).items():
        check_tensor(value, name)
    _broadcast(mean1=mean1, logvar1=logvar1, mean2=mean2, logvar2=logvar2)
    return _normal_kl(mean1, logvar1, mean2, logvar2)


def _normal_kl(mean1, logvar1, mean2, logvar2):
    """:func:`normal_kl` without its checks (the bound's inner call)."""
    diff = mean1 - mean2
    # equal means add 0, also where 1 / sigma_2^2 overflows (0 * inf would be NaN)
    spread = torch.where(diff == 0, torch.zeros_like(diff), diff ** 2 * torch.exp(-logvar2))
    return 0.5 * (logvar2 - logvar1 + torch.exp(logvar1 - logvar2) + spread - 1.0)


def _log_normal_cdf_interval(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """:math:`\\log(\\Phi(b) - \\Phi(a))` for a < b, stable in both tails (the upper tail by symmetry)."""
    flip = a > 0  # Phi(b) - Phi(a) = Phi(-a) - Phi(-b): work where the cdf is small
    lo, hi = torch.where(flip, -b, a), torch.where(flip, -a, b)
    log_hi, log_lo = torch.special.log_ndtr(hi), torch.special.log_ndtr(lo)
    gap = torch.log(-torch.expm1((log_lo - log_hi).clamp(max=-1e-12)))  # log(1 - e^d), d < 0
    return torch.where(torch.isneginf(log_hi), log_hi, log_hi + gap)  # no mass left in the dtype: -inf, not NaN


def discretized_gaussian_log_likelihood(x: torch.Tensor, mean: torch.Tensor, log_scale: torch.Tensor,
                                        n_levels: int) -> torch.Tensor:
    """:math:`\\log p(x)` elementwise for grey levels x in [-1, 1] (``n_levels`` of them, evenly spaced).

    The decoder :math:`p_\\theta(x_0 \\mid x_1)` of Ho et al. (2020): the mass that
    :math:`N(\\text{mean}, e^{2\\,\\text{log\\_scale}})` puts on the bin of width ``2 / (n_levels - 1)``
    around x, the two end bins reaching to :math:`\\pm\\infty`.

    Returns
    -------
    torch.Tensor
        The log-probabilities, <= 0; ``-inf`` where a bin's mass is below the range of the inputs' dtype
        (a mean or scale far outside the data's range), never NaN.
    """
    n_levels = check_int(n_levels, "n_levels", minimum=2)
    check_tensor(x, "x", value_range=(-1.0, 1.0), hint="images in net space: 2 * pixel - 1")
    check_tensor(mean, "mean")
    check_tensor(log_scale, "log_scale")
    _broadcast(x=x, mean=mean, log_scale=log_scale)
    return _discretized_gaussian_log_likelihood(x, mean, log_scale, n_levels)


def _discretized_gaussian_log_likelihood(x, mean, log_scale, n_levels):
    """:func:`discretized_gaussian_log_likelihood` without its checks (the bound's inner call)."""
    half = 1.0 / (n_levels - 1)  # half the bin width in [-1, 1]
    inv = torch.exp(-log_scale)
    upper, lower = (x - mean + half) * inv, (x - mean - half) * inv
    first, last = x < -1.0 + half / 2, x > 1.0 - half / 2
    mid = _log_normal_cdf_interval(lower, upper)
    return torch.where(first, torch.special.log_ndtr(upper), torch.where(last, torch.special.log_ndtr(-lower), mid))


def epsilon_loss(eps_model: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], x0: torch.Tensor, t: torch.Tensor,
                 eps: torch.Tensor, alpha_bar: torch.Tensor) -> torch.Tensor:
    """The simple objective, eq. (ddpm-simple): mean of :math:`\\lVert\\epsilon - \\epsilon_\\theta(x_t, t)\\rVert^2 / D`.

    ``x0`` (B, 1, S, S), ``t`` (B,) integer steps in 1..T, ``eps`` like ``x0``, ``alpha_bar`` (T + 1,) with
    :math:`\\bar\\alpha_0 = 1`; ``eps_model(x_t, t)`` returns a tensor of the shape of ``x0``. Averaged over
    images and pixels (a scalar; ``+inf`` where the squared error exceeds the dtype's range).
    """
    if not callable(eps_model):
        raise TypeError(f"eps_model must be a callable eps_model(x_t, t) returning the predicted noise (a UNet), "
                        f"got {type(eps_model).__name__}.")
    check_tensor(x0, "x0")
    if x0.ndim < 2:
        raise ValueError(f"x0 must be a batch of images (B, 1, S, S), got shape {tuple(x0.shape)}.")
    check_tensor(eps, "eps", shape=tuple(x0.shape), hint="noise of the shape of x0")
    _alpha_bar(alpha_bar, "alpha_bar")
    if alpha_bar.ndim != 1 or len(alpha_bar) < 2:
        raise ValueError(f"alpha_bar must be 1-D (T + 1,) with alpha_bar[0] = 1, got shape {tuple(alpha_bar.shape)}; "
                         f"pass DDPM.alpha_bar.")
    if float(alpha_bar[0]) != 1.0 or not bool((alpha_bar[1:] < alpha_bar[:-1]).all()):
        raise ValueError("alpha_bar must start at alpha_bar[0] = 1 and decrease strictly (every beta_t > 0), got "
                         f"alpha_bar[0] = {float(alpha_bar[0]):.6g} and {int((alpha_bar[1:] >= alpha_bar[:-1]).sum())} "
                         "step(s) that do not decrease; pass DDPM.alpha_bar (the cumulative product of 1 - beta).")
    T = len(alpha_bar) - 1
    if not isinstance(t, torch.Tensor) or t.is_floating_point() or t.is_complex() or t.dtype == torch.bool:
        raise TypeError(f"t must be a torch.Tensor of integer time steps 1..{T}, got {type(t).__name__}"
                        + (f" of dtype {t.dtype}" if isinstance(t, torch.Tensor) else "") + ".")
    if t.shape != (len(x0),):
        raise ValueError(f"t must be 1-D with one step per image of x0 ({len(x0)}), got shape {tuple(t.shape)}.")
    if int(t.min()) < 1 or int(t.max()) > T:
        raise ValueError(f"t must hold time steps 1..{T} (len(alpha_bar) - 1), got values in "
                         f"[{int(t.min())}, {int(t.max())}].")
    out = eps_model(_q_sample(x0, alpha_bar[t].to(x0.dtype).view(-1, *([1] * (x0.ndim - 1))), eps), t)
    if not isinstance(out, torch.Tensor) or out.shape != eps.shape:
        raise ValueError(f"eps_model must return a tensor of the shape of x0 {tuple(x0.shape)}, got "
                         f"{type(out).__name__}" + (f" of shape {tuple(out.shape)}" if isinstance(out, torch.Tensor)
                                                     else "") + ".")
    return F.mse_loss(out, eps)


def _epsilon_loss(eps_model, x0, t, eps, alpha_bar):
    """:func:`epsilon_loss` without its checks (the training loop's call on every batch)."""
    ab = alpha_bar[t].to(x0.dtype).view(-1, *([1] * (x0.ndim - 1)))  # (B, 1, 1, 1)
    return F.mse_loss(eps_model(_q_sample(x0, ab, eps), t), eps)


def timestep_sequence(n_timesteps: int, steps: int) -> np.ndarray:
    """``steps`` time steps evenly spread over 1..T, decreasing, from T to 1 (DDIM's sub-sequence tau).

    Examples
    --------
    >>> timestep_sequence(10, 4)
    array([10,  7,  4,  1])
    """
    n_timesteps = check_int(n_timesteps, "n_timesteps", minimum=1)
    steps = check_int(steps, "steps", minimum=1)
    if steps > n_timesteps:
        raise ValueError(f"steps must be at most n_timesteps={n_timesteps}, got {steps}; take fewer steps.")
    grid = np.linspace(1.0, n_timesteps, steps) if steps > 1 else np.array([float(n_timesteps)])
    return np.floor(grid + 0.5).astype(np.int64)[::-1].copy()


# --------------------------------------------------------------------------- the model
class DDPM(NeuralModel):
    """Denoising diffusion probabilistic model on square grey images, with a U-Net noise predictor.

    Parameters
    ----------
    image_size : int
        Side of the images (8 for scikit-learn's digits, 28 for MNIST); divisible by
        ``2 ** (len(channels) - 1)``.
    n_timesteps : int
        T, the number of noising steps (1000 in Ho et al.).
    schedule : {"linear", "cosine"}
        The beta schedule (:func:`beta_schedule`).
    channels : tuple of int
        Feature maps of the U-Net per resolution (:class:`~genlib.neural.unet.UNet`);
        ``(32, 64)`` for 8x8, e.g. ``(32, 64, 128)`` for 28x28.
    emb_dim : int
        Width of the U-Net's time embedding.
    n_classes : int or None
        With an int, the U-Net also takes class labels (``fit(X, y)``, ``sample(n, labels=...)``);
        the extra label index ``n_classes`` means "no label".
    data_levels : int
        Grey levels of the data, k / (data_levels - 1): 256 for 8-bit images, 17 for
        scikit-learn's digits (0..16 / 16), 2 for binary images. Only the bound uses it.
    ema_decay : float in [0, 1)
        Sampling and the bound use an exponential moving average of the weights (0: the
        trained weights themselves).
    random_state : None, int or torch.Generator
        Initial weights, batch order, training noise and the draws of :meth:`sample`.

    Attributes
    ----------
    net : UNet
        :math:`\\epsilon_\\theta`, trained; ``ema`` is its moving average.
    betas, alpha_bar : torch.Tensor (T + 1,)
        :math:`\\beta_t` and :math:`\\bar\\alpha_t` for t = 0..T (:math:`\\beta_0 = 0`, :math:`\\bar\\alpha_0 = 1`).
    history_ : dict
        ``"loss"`` per epoch, ``"seconds"``.

    Examples
    --------
    >>> from genlib.datasets import load_digits
    >>> X, _ = load_digits(as_images=True)
    >>> model = DDPM(8, n_timesteps=50, channels=(8, 16), emb_dim=16, data_levels=17, random_state=0)
    >>> model = model.fit(X[:128], n_epochs=1)
    >>> model.sample(2, steps=10, method="ddim").shape
    torch.Size([2, 1, 8, 8])
    """

    _resume_attributes = ("n_updates_",)

    def __init__(self, image_size: int = 8, *, n_timesteps: int = 1000, schedule: str = "linear",
                 channels: Sequence[int] = (32, 64), emb_dim: int = 64, n_classes: int | None = None,
                 data_levels: int = 256, ema_decay: float = 0.995, random_state: Any = None):
        super().__init__()
        self.image_size = check_int(image_size, "image_size", minimum=1)
        self.n_features = self.image_size ** 2
        self.n_timesteps = check_int(n_timesteps, "n_timesteps", minimum=1)
        self.schedule = check_option(schedule, "schedule", SCHEDULES)
        self.data_levels = check_int(data_levels, "data_levels", minimum=2)
        self.ema_decay = check_float(ema_decay, "ema_decay", minimum=0.0, maximum=1.0)
        if self.ema_decay == 1.0:
            raise ValueError("ema_decay must be below 1 (1 would never move the average); use e.g. 0.995, or 0 for none.")
        self._generator = make_generator(random_state)
        self.net = UNet(self.image_size, channels, emb_dim, n_classes, n_timesteps=self.n_timesteps)  # checks the sizes
        self.channels, self.emb_dim, self.n_classes = self.net.channels, self.net.emb_dim, self.net.n_classes
        _reset_unet(self.net, self._generator)
        self.ema = copy.deepcopy(self.net).requires_grad_(False)  # the moving average; no optimiser sees it
        betas = np.concatenate([[0.0], beta_schedule(self.n_timesteps, self.schedule)])  # (T + 1,), beta_0 = 0
        self.register_buffer("betas", torch.tensor(betas))  # float64: alpha_bar_T is a small product
        self.register_buffer("alpha_bar", torch.tensor(np.cumprod(1.0 - betas)))
        self.n_updates_ = 0
        self.history_: dict | None = None

    # ------------------------------------------------------------------ checks
    def _check_X(self, X: Any, name: str = "X") -> torch.Tensor:
        """Images in [0, 1] as a float tensor (n, S*S) on the model's device."""
        S = self.image_size
        shapes = f"(n, {S}, {S}), (n, 1, {S}, {S}) or flat (n, {S * S})"
        ndim = np.ndim(X)
        if ndim not in (2, 3, 4):
            raise ValueError(f"{name} must be images of shape {shapes}, got {type(X).__name__} of shape {np.shape(X)}.")
        arr = check_array(X, name, ndim=ndim, dtype=np.float32)
        if ndim == 4 and arr.shape[1] != 1:
            raise ValueError(f"{name} must hold grey images with one channel, shape (n, 1, {S}, {S}), got shape "
                             f"{arr.shape}; remove the extra leading axis or convert colour images to grey.")
        if (ndim > 2 and arr.shape[-2:] != (S, S)) or (ndim == 2 and arr.shape[1] != S * S):
            raise ValueError(f"{name} holds images of shape {arr.shape[1:]} but this model was built for "
                             f"image_size={S}, shape {shapes}; build the model with the size of your images.")
        arr = check_range(arr.reshape(len(arr), -1), name,
                          hint="divide 8-bit images by 255 (or scikit-learn's digits by 16) first")
        return on_model_device(torch.from_numpy(arr).to(self.dtype), X, self.device, name).to(self.device)

    def _check_labels(self, y: Any, n: int, name: str = "y") -> torch.Tensor:
        if self.n_classes is None:
            raise TypeError(f"{name} was given but this DDPM is unconditional; build it with n_classes=... to use labels.")
        arr = check_array(y.detach().cpu().numpy() if hasattr(y, "detach") else y, name, ndim=1)
        if arr.shape[0] != n:
            raise ValueError(f"{name} must hold one label per image ({n}), got {arr.shape[0]}.")
        if np.any(arr != np.round(arr)) or arr.min() < 0 or arr.max() >= self.n_classes:
            raise ValueError(f"{name} must hold integer labels 0..{self.n_classes - 1}, got values in "
                             f"[{arr.min():g}, {arr.max():g}].")
        return torch.as_tensor(arr.astype(np.int64), device=self.device)

    def _check_steps(self, steps: Any) -> int:
        if steps is None:
            return self.n_timesteps
        steps = check_int(steps, "steps", minimum=1)
        if steps > self.n_timesteps:
            raise ValueError(f"steps must be at most the trained number of time steps, n_timesteps="
                             f"{self.n_timesteps}, got {steps}; sample with fewer steps or train with more.")
        return steps

    def _to_net(self, x: torch.Tensor) -> torch.Tensor:
        """(B, S*S) in [0, 1] -> (B, 1, S, S) in [-1, 1]."""
        return (2.0 * x - 1.0).view(-1, 1, self.image_size, self.image_size)

    def _ab(self, t: torch.Tensor | int, like: torch.Tensor) -> torch.Tensor:
        """alpha_bar_t in the dtype of ``like``, shaped to broadcast over images."""
        ab = self.alpha_bar[t].to(like.dtype)
        return ab.view(-1, 1, 1, 1) if ab.ndim else ab

    def _eps_model(self, net, y: torch.Tensor | None = None):
        return lambda x_t, t: net._forward(x_t, t, y)  # unchecked: the training loop's inputs are valid

    # ------------------------------------------------------------------ training
    def loss(self, X: Any, y: Any = None) -> torch.Tensor:
        """The simple objective on a batch of images, eq. (ddpm-simple): t ~ U{1..T}, eps ~ N(0, I)."""
        x0 = self._to_net(self._check_batch(X))
        labels = None if y is None else self._check_labels(y, len(x0))  # one pass over a batch of labels
        if labels is None and self.n_classes is not None:
            raise ValueError(f"y is required: this DDPM was built with n_classes={self.n_classes}; pass fit(X, y).")
        g = self._generator
        t = torch.randint(1, self.n_timesteps + 1, (len(x0),), generator=g).to(x0.device)  # (B,)
        eps = randn(*x0.shape, generator=g, device=x0.device, dtype=x0.dtype)
        return _epsilon_loss(self._eps_model(self.net, labels), x0, t, eps, self.alpha_bar)

    @torch.no_grad()
    def update_ema(self) -> None:
        """Move the average weights towards the trained ones (decay warmed up over the first updates)."""
        self.n_updates_ += 1
        decay = min(self.ema_decay, (1.0 + self.n_updates_) / (10.0 + self.n_updates_))
        for avg, p in zip(self.ema.parameters(), self.net.parameters()):
            avg.lerp_(p, 1.0 - decay)

    def train_step(self, X: Any, optimizer: torch.optim.Optimizer, y: Any = None, *, max_grad_norm: float = 1.0) -> float:
        """One gradient step on a batch: loss, backward, gradient clipping (Ho et al.), step, moving average."""
        loss = self.loss(X, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.net.parameters(), max_grad_norm)
        optimizer.step()
        self.update_ema()
        return loss.detach()

    def make_optimizer(self, lr: float = 1e-3) -> torch.optim.Optimizer:
        """Adam on the U-Net's weights (the moving average is not trained)."""
        return torch.optim.Adam(self.net.parameters(), lr=check_float(lr, "lr", minimum=0.0, strict=True))

    def fit(self, X: Any, y: Any = None, *, n_epochs: int = 50, batch_size: int = 64, lr: float = 1e-3,
            verbose: bool = False, callback: Callable | None = None) -> "DDPM":
        """Minimise the simple objective on images ``X`` in [0, 1] for ``n_epochs`` passes.

        Each call continues from the current weights (and moving average) with a fresh Adam.
        ``y``: class labels, for a model built with ``n_classes``. ``callback(model, epoch)``
        runs after every epoch.

        Returns
        -------
        self
        """
        if isinstance(X, torch.Tensor):
            self.to(X.device)  # the device comes from the inputs
        x = self._check_X(X)
        n_epochs = check_int(n_epochs, "n_epochs", minimum=1)
        batch_size = check_int(batch_size, "batch_size", minimum=1)
        check_bool(verbose, "verbose")
        if callback is not None and not callable(callback):
            raise TypeError(f"callback must be a callable callback(model, epoch), got {type(callback).__name__}.")
        if self.n_classes is not None:
            if y is None:
                raise ValueError(f"y is required: this DDPM was built with n_classes={self.n_classes}.")
            data: Any = (x, self._check_labels(y, len(x)))
        else:
            if y is not None:
                self._check_labels(y, len(x))  # raises: unconditional
            data = x
        opt = self.make_optimizer(lr)
        self.history_ = train(self, data, n_epochs=n_epochs, batch_size=batch_size, lr=lr, verbose=verbose,
                              random_state=self._generator, callback=callback,
                              step=lambda *batch: {"loss": self.train_step(batch[0], opt, *batch[1:])})
        return self

    # ------------------------------------------------------------------ sampling
    @torch.no_grad()
    def predict_x0(self, x_t: torch.Tensor, t: int, *, labels: torch.Tensor | None = None, clip: bool = True,
                   ema: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
        """The network's guesses at step t: :math:`(\\hat x_0, \\hat\\epsilon)` for images ``x_t`` (B, 1, S, S) in net space.

        :math:`\\hat x_0 = (x_t - \\sqrt{1 - \\bar\\alpha_t}\\,\\epsilon_\\theta) / \\sqrt{\\bar\\alpha_t}`, clipped to
        [-1, 1] with ``clip`` (the noise guess then recomputed to match, as in Ho et al.'s sampler).
        """
        net = self.ema if (ema and self.ema_decay > 0) else self.net
        tt = torch.full((len(x_t),), int(t), dtype=torch.long, device=x_t.device)
        eps = net(x_t, tt, labels)  # the checked forward: a public call may pass any tensors
        ab = self._ab(int(t), x_t)
        x0 = (x_t - (1.0 - ab).sqrt() * eps) / ab.sqrt()
        if clip:
            x0 = x0.clamp(-1.0, 1.0)
            eps = (x_t - ab.sqrt() * x0) / (1.0 - ab).sqrt()
        return x0, eps

    @torch.no_grad()
    def sample(self, n: int, *, steps: int | None = None, method: str = "ddpm", eta: float = 0.0,
               labels: Any = None, clip: bool = True, random_state: Any = None, return_trajectory: bool = False):
        """Draw ``n`` images in [0, 1]: a tensor (n, 1, image_size, image_size).

        Parameters
        ----------
        n : int
        steps : int, optional
            Network evaluations, at most ``n_timesteps`` (default: all of them). Fewer steps
            use the sub-sequence :func:`timestep_sequence` (DDIM's tau).
        method : {"ddpm", "ddim"}
            ``"ddpm"``: ancestral sampling, :math:`x_{s} \\sim q(x_s \\mid x_t, \\hat x_0)`,
            eq. (ddpm-posterior) (over every step: Ho et al.'s Algorithm 2 with
            :math:`\\sigma_t^2 = \\tilde\\beta_t`); ``"ddim"``: eq. (ddim-step) with ``eta``.
        eta : float in [0, 1]
            DDIM's noise: 0 deterministic, 1 the posterior's variance. Only for ``method="ddim"``.
        labels : array of int, optional
            Class labels of the draws (conditional models; default: uniform at random).
        clip : bool
            Clip :math:`\\hat x_0` to [-1, 1] at every step (``False``: the model the bound scores).
        random_state : None, int or torch.Generator
            None draws from the model's generator (new draws on every call).
        return_trajectory : bool
            Also return a list of ``(t, x_t in [0, 1])`` along the chain (x_T first).
        """
        self._check_fitted("sample")
        n = check_int(n, "n", minimum=1)
        steps = self._check_steps(steps)
        method = check_option(method, "method", METHODS)
        eta = check_float(eta, "eta", minimum=0.0, maximum=1.0)
        if method == "ddpm" and eta != 0.0:
            raise ValueError(f"eta is DDIM's noise level and applies to method='ddim' only; got eta={eta} with "
                             f"method='ddpm' (which always uses the posterior's variance, i.e. eta=1).")
        clip = check_bool(clip, "clip")
        check_bool(return_trajectory, "return_trajectory")
        g = self._generator_for(random_state)
        y = None
        if self.n_classes is not None:
            y = (torch.randint(0, self.n_classes, (n,), generator=g).to(self.device) if labels is None
                 else self._check_labels(labels, n, "labels"))
        elif labels is not None:
            self._check_labels(labels, n, "labels")
        S = self.image_size
        x = randn(n, 1, S, S, generator=g, device=self.device, dtype=self.dtype)  # x_T ~ N(0, I)
        taus = timestep_sequence(self.n_timesteps, steps)
        trajectory = [(int(taus[0]), self._to_user(x))] if return_trajectory else None
        was_training = self.training
        self.eval()
        try:
            for i, t in enumerate(taus):
                s = int(taus[i + 1]) if i + 1 < len(taus) else 0
                x0_hat, eps_hat = self.predict_x0(x, int(t), labels=y, clip=clip)
                ab_t, ab_s = self._ab(int(t), x), self._ab(s, x)
                noise = randn(*x.shape, generator=g, device=x.device, dtype=x.dtype) if s > 0 else None
                if method == "ddpm":  # eq. (ddpm-posterior) with x0 replaced by the guess
                    mean, var = _posterior_moments(x0_hat, x, ab_t, ab_s)
                    x = mean if noise is None else mean + var.sqrt() * noise
                else:  # eq. (ddim-step)
                    x = _ddim_step(x0_hat, eps_hat, ab_s, _ddim_sigma(ab_t, ab_s, eta), noise)
                if return_trajectory:
                    trajectory.append((s, self._to_user(x)))
        finally:
            self.train(was_training)
        out = self._to_user(x)
        return (out, trajectory) if return_trajectory else out

    def _to_user(self, x: torch.Tensor) -> torch.Tensor:
        return ((x + 1.0) / 2.0).clamp(0.0, 1.0)

    # ------------------------------------------------------------------ the bound
    def _check_levels(self, x: torch.Tensor, name: str) -> None:
        k = x * (self.data_levels - 1)
        off = (k - k.round()).abs()
        if bool((off > 1e-4).any()):
            bad = float(x.flatten()[off.flatten().argmax()])
            raise ValueError(
                f"{name} must hold the grey levels k / {self.data_levels - 1} (data_levels={self.data_levels}) to be "
                f"scored as discrete images, found e.g. {bad:.6g}; build the model with the data's number of grey "
                f"levels (8-bit images: 256, scikit-learn's digits: 17) or quantise {name}.")

    @torch.no_grad()
    def bound(self, X: Any, *, batch_size: int = 256, random_state: Any = 0) -> dict[str, torch.Tensor]:
        """The variational bound on :math:`-\\log p_\\theta(x_0)` of every image, eq. (ddpm-bound), in nats.

        Every term is computed (T network evaluations per image), each expectation over
        :math:`x_t \\sim q(x_t \\mid x_0)` with one draw. The reverse process is the one
        ``sample(method="ddpm", clip=False)`` runs: variance :math:`\\tilde\\beta_t` for t >= 2,
        and the discretised Gaussian decoder with variance :math:`\\beta_1` at t = 1.

        Returns
        -------
        dict of tensors
            ``"prior"`` :math:`L_T` (n,), ``"diffusion"`` :math:`\\sum_{t=2}^T L_{t-1}` (n,), ``"decoder"``
            :math:`L_0` (n,), ``"terms"`` (n, T) with column t - 1 holding :math:`L_{t-1}` (column 0 the
            decoder), ``"nats"`` the total (n,) and ``"bits_per_dim"`` = nats / (D ln 2) (n,).
        """
        x_all = self._check_X(X)
        self._check_levels(x_all, "X")
        batch_size = check_int(batch_size, "batch_size", minimum=1)
        g = make_generator(random_state) if random_state is not None else self._generator
        net = self.ema if self.ema_decay > 0 else self.net
        T = self.n_timesteps
        was_training = self.training
        self.eval()
        out: dict[str, list] = {"prior": [], "terms": []}
        try:
            for start in range(0, len(x_all), batch_size):
                x0 = self._to_net(x_all[start:start + batch_size]).to(torch.float64)  # (B, 1, S, S)
                B = len(x0)
                ab_T = self.alpha_bar[T]
                # L_T = KL(q(x_T | x0) || N(0, I)), summed over pixels
                prior = _normal_kl(ab_T.sqrt() * x0, torch.log(1.0 - ab_T), torch.zeros(()), torch.zeros(()))
                out["prior"].append(prior.sum(dim=(1, 2, 3)))
                terms = torch.empty(B, T, dtype=torch.float64, device=x0.device)
                for t in range(1, T + 1):
                    ab_t = self.alpha_bar[t]
                    eps = randn(*x0.shape, generator=g, device=x0.device, dtype=torch.float64)
                    x_t = _q_sample(x0, ab_t, eps)
                    tt = torch.full((B,), t, dtype=torch.long, device=x0.device)
                    eps_hat = net._forward(x_t.to(self.dtype), tt).to(torch.float64)
                    x0_hat = (x_t - (1.0 - ab_t).sqrt() * eps_hat) / ab_t.sqrt()
                    if t == 1:  # L_0 = -log p(x0 | x1): the discretised decoder, mean x0_hat, variance beta_1
                        log_scale = 0.5 * torch.log(self.betas[1])
                        ll = _discretized_gaussian_log_likelihood(x0, x0_hat, log_scale, self.data_levels)
                        terms[:, 0] = -ll.sum(dim=(1, 2, 3))
                    else:  # L_{t-1} = KL(q(x_{t-1} | x_t, x0) || p(x_{t-1} | x_t)), the same variance beta tilde
                        ab_s = self.alpha_bar[t - 1]
                        mean_q, var = _posterior_moments(x0, x_t, ab_t, ab_s)
                        mean_p, _ = _posterior_moments(x0_hat, x_t, ab_t, ab_s)
                        kl = _normal_kl(mean_q, torch.log(var), mean_p, torch.log(var))
                        terms[:, t - 1] = kl.sum(dim=(1, 2, 3))
                out["terms"].append(terms)
        finally:
            self.train(was_training)
        prior, terms = torch.cat(out["prior"]), torch.cat(out["terms"])
        nats = prior + terms.sum(dim=1)
        return {"prior": prior, "diffusion": terms[:, 1:].sum(dim=1), "decoder": terms[:, 0], "terms": terms,
                "nats": nats, "bits_per_dim": nats / (self.n_features * math.log(2.0))}

    def held_out_likelihood(self, X: Any, *, random_state: Any = 0, **options: Any) -> dict:
        """Minus the variational bound of every image, in nats: kind ``"bound"`` (a lower bound on log p(x)).

        The images must take the model's ``data_levels`` grey levels (the bound is that of a
        discrete distribution). Other options of :func:`genlib.metrics.evaluate` are ignored.
        """
        self._check_fitted("held_out_likelihood")
        return likelihood_summary("bound", -self.bound(X, random_state=random_state)["nats"])


def _reset_unet(net: torch.nn.Module, generator: torch.Generator) -> None:
    """Initial weights drawn from the model's generator (PyTorch's default scale), so random_state alone decides them."""
    from .._torch import reset_parameters

    reset_parameters(net, generator)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, torch.nn.Embedding):
                m.weight.copy_(torch.randn(m.weight.shape, generator=generator))
