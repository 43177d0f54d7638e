"""The variational autoencoder (chapter 03_dl/06_vae), after Kingma & Welling (2014).

A latent-variable model :math:`p_\\theta(x, z) = p(z)\\, p_\\theta(x \\mid z)` with prior
:math:`p(z) = N(0, I)` and a decoder network giving the parameters of
:math:`p_\\theta(x \\mid z)` (Bernoulli probabilities, or a Gaussian mean). An encoder
network gives :math:`q_\\phi(z \\mid x) = N(\\mu_\\phi(x), \\operatorname{diag}\\sigma^2_\\phi(x))`.
Both are trained by maximising the evidence lower bound, eq. (vae-elbo),

.. math::
    \\log p_\\theta(x) \\ge \\mathcal L(x) =
    \\mathbb E_{q_\\phi(z|x)}[\\log p_\\theta(x \\mid z)] - \\mathrm{KL}(q_\\phi(z \\mid x) \\,\\|\\, p(z)),

i.e. minimising the seminar's *reconstruction error + regularisation*. The KL term has the
closed form, eq. (vae-kl), :math:`\\tfrac12 \\sum_j (\\mu_j^2 + \\sigma_j^2 - \\ln \\sigma_j^2 - 1)`,
and the expectation is estimated with the reparameterisation trick
:math:`z = \\mu + \\sigma \\odot \\varepsilon`, :math:`\\varepsilon \\sim N(0, I)`, eq. (vae-reparam).

The importance-weighted bound of Burda et al. (2016), eq. (vae-iwae),

.. math::  \\mathcal L_k(x) = \\mathbb E\\Big[\\log \\frac1k \\sum_{i=1}^k
    \\frac{p_\\theta(x, z_i)}{q_\\phi(z_i \\mid x)}\\Big], \\quad z_i \\sim q_\\phi(z \\mid x),

is tighter (:math:`\\mathcal L = \\mathcal L_1 \\le \\mathcal L_k \\le \\mathcal L_{k+1} \\le \\log p(x)`)
and tends to :math:`\\log p_\\theta(x)` as :math:`k \\to \\infty`: it is how the held-out
log-likelihood of a VAE is estimated. With ``objective="iwae"`` it is also the training
objective (the IWAE).

The likelihood is only bounded, never exact, so the model has no ``log_prob``/``score``.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import torch
from torch import nn

from .._torch import ACTIVATIONS, CHUNK_FLOATS, check_tensors, as_tensor, log_bernoulli, check_hidden, make_generator, mlp, rand, randn, reset_parameters
from .._validation import check_float, check_int, check_option, renamed_arguments
from ..base import likelihood_summary
from .base import NeuralModel

__all__ = ["VAE", "gaussian_kl", "log_normal", "log_standard_normal", "log_bernoulli"]

_LOG_2PI = math.log(2.0 * math.pi)
#: The learned Gaussian decoder's sigma is kept above this floor: pixels that are always
#: 0 (the borders of digits) would otherwise drive sigma -> 0 and the likelihood -> infinity.
MIN_SIGMA = 1e-3


# --------------------------------------------------------------------------- the maths
def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Closed-form :math:`\\mathrm{KL}(N(\\mu, \\operatorname{diag}\\sigma^2) \\,\\|\\, N(0, I))`, eq. (vae-kl).

    :math:`\\tfrac12 \\sum_j (\\mu_j^2 + \\sigma_j^2 - \\ln \\sigma_j^2 - 1)`, summed over the
    last axis; ``logvar`` is :math:`\\ln \\sigma^2`.

    Examples
    --------
    >>> float(gaussian_kl(torch.zeros(1, 3), torch.zeros(1, 3))[0])
    0.0
    """
    check_tensors(mu=mu, logvar=logvar)
    return 0.5 * (mu.pow(2) + logvar.exp() - logvar - 1.0).sum(dim=-1)


def log_normal(x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """:math:`\\log N(x \\mid \\mu, \\operatorname{diag} e^{\\text{logvar}})`, summed over the last axis (broadcasts)."""
    check_tensors(x=x, mu=mu, logvar=logvar)
    return -0.5 * (_LOG_2PI + logvar + (x - mu).pow(2) * torch.exp(-logvar)).sum(dim=-1)


def log_standard_normal(z: torch.Tensor) -> torch.Tensor:
    """:math:`\\log N(z \\mid 0, I)`, summed over the last axis: the prior :math:`\\log p(z)`."""
    check_tensors(z=z)
    return -0.5 * (_LOG_2PI + z.pow(2)).sum(dim=-1)


# --------------------------------------------------------------------------- the model
class VAE(NeuralModel):
    """Variational autoencoder with a Gaussian encoder and a Bernoulli or Gaussian decoder.

    Parameters
    ----------
    n_features : int
        Length of a (flattened) data vector, e.g. 64 for 8x8 digits, 784 for MNIST.
    latent_dim : int
        Dimension of :math:`z` (2 for the latent-space plots, 50 in Burda et al.).
    hidden : tuple of int
        Hidden widths of the encoder MLP; the decoder mirrors them. ``()`` gives linear
        maps (with a Gaussian decoder: probabilistic PCA).
    activation : {"tanh", "relu", "elu", "softplus", "leaky_relu"}
        Hidden non-linearity (Burda et al. use tanh).
    likelihood : {"bernoulli", "gaussian"}
        :math:`p_\\theta(x \\mid z)`. ``"bernoulli"``: pixels in [0, 1], the reconstruction
        term is the binary cross-entropy (a proper likelihood for binary data);
        ``"gaussian"``: :math:`N(x \\mid \\mu_\\theta(z), \\sigma^2 I)`, the reconstruction term
        is the squared error scaled by :math:`1/(2\\sigma^2)` plus a constant.
    sigma : "learned" or float
        The Gaussian decoder's standard deviation: one learned scalar (kept above
        ``MIN_SIGMA``) or a fixed value (``sigma=1`` gives plain MSE/2).
    beta : float
        Weight of the KL term in :meth:`loss` (beta-VAE, Higgins et al. 2017); the bounds
        :meth:`elbo` and :meth:`iwae_bound` always use 1.
    objective : {"elbo", "iwae"}
        What :meth:`loss` maximises: the ELBO averaged over ``n_samples`` draws, or the
        ``n_samples``-sample importance-weighted bound (the IWAE).
    n_samples : int
        Draws of :math:`z` per example in :meth:`loss` (the "k" of training).
    random_state : None, int or torch.Generator
        Decides the initial weights, batch order, the training noise and the draws of
        :meth:`sample` (one ``torch.Generator``, drawn from repeatedly).

    Attributes
    ----------
    history_ : dict
        Training history from :func:`genlib.neural.training.train` (``"loss"`` per epoch).

    Examples
    --------
    >>> from genlib.datasets import load_digits
    >>> X, _ = load_digits(binary=True)
    >>> vae = VAE(64, 2, hidden=(64,), random_state=0).fit(X[:200], n_epochs=2)
    >>> vae.elbo(X[:3]).shape
    torch.Size([3])
    >>> vae.sample(4).shape
    torch.Size([4, 64])
    """


    @renamed_arguments(n_input="n_features", n_latent="latent_dim")
    def __init__(self, n_features: int, latent_dim: int = 2, *, hidden: Sequence[int] = (200, 200),
                 activation: str = "tanh", likelihood: str = "bernoulli", sigma: Any = "learned",
                 beta: float = 1.0, objective: str = "elbo", n_samples: int = 1, random_state: Any = None):
        super().__init__()
        self.n_features = check_int(n_features, "n_features", minimum=1)
        self.latent_dim = check_int(latent_dim, "latent_dim", minimum=1)
        self.hidden = check_hidden(hidden, allow_empty=True)
        self.activation = check_option(activation, "activation", tuple(ACTIVATIONS))
        self.likelihood = check_option(likelihood, "likelihood", ("bernoulli", "gaussian"))
        self.beta = beta
        self.objective = check_option(objective, "objective", ("elbo", "iwae"))
        self.n_samples = check_int(n_samples, "n_samples", minimum=1)
        if self.objective == "iwae" and self.beta != 1.0:
            raise ValueError(f"objective='iwae' bounds log p(x) and has no KL weight; use beta=1, got {self.beta}.")
        self._generator = make_generator(random_state)
        # encoder: x -> (mu, log sigma^2), each (B, latent_dim)
        self.encoder = mlp([self.n_features, *self.hidden, 2 * self.latent_dim], activation)
        # decoder: z -> Bernoulli logits or Gaussian mean, (B, n_features)
        self.decoder = mlp([self.latent_dim, *self.hidden[::-1], self.n_features], activation)
        reset_parameters(self, self._generator)
        if self.likelihood == "gaussian":
            if isinstance(sigma, str):
                check_option(sigma, "sigma", ("learned",))
                self.log_sigma = nn.Parameter(torch.zeros(()))
            else:
                sigma = check_float(sigma, "sigma", minimum=0.0, strict=True)
                self.register_buffer("log_sigma", torch.tensor(math.log(sigma)))
        elif sigma != "learned":
            raise ValueError("sigma is the Gaussian decoder's standard deviation; it needs likelihood='gaussian'.")
        self.history_: dict | None = None

    # ------------------------------------------------------------------ helpers
    @property
    def beta(self) -> float:
        """The weight of the KL term in :meth:`loss` (1 = the ELBO)."""
        return self._beta

    @beta.setter
    def beta(self, value: float) -> None:
        self._beta = check_float(value, "beta", minimum=0.0)

    def _value_range(self):
        if self.likelihood == "bernoulli":
            return (0.0, 1.0), ("likelihood='bernoulli' needs pixels in [0, 1] (ideally binary): rescale or "
                                "binarise X, or use likelihood='gaussian'")
        return None

    def _decoder_sigma_logvar(self) -> torch.Tensor:
        # ln sigma^2 of the Gaussian decoder, with sigma >= MIN_SIGMA
        return 2.0 * torch.clamp(self.log_sigma, min=math.log(MIN_SIGMA))

    @property
    def sigma(self) -> float | None:
        """The Gaussian decoder's standard deviation (None for a Bernoulli decoder)."""
        if self.likelihood != "gaussian":
            return None
        return float(torch.exp(0.5 * self._decoder_sigma_logvar().detach()))

    # ------------------------------------------------------------------ encoder / decoder
    def encode(self, X: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """Parameters of :math:`q_\\phi(z \\mid x)`: the mean :math:`\\mu` and :math:`\\ln\\sigma^2`, each (n, latent_dim)."""
        return self._encode(self._check_X(X))

    def _encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.encoder(x).chunk(2, dim=-1)  # (B, L), (B, L)
        return mu, logvar

    def reparameterize(self, mu: torch.Tensor, logvar: torch.Tensor, *, n_samples: int | None = None,
                       random_state: Any = None) -> torch.Tensor:
        """The reparameterisation trick, eq. (vae-reparam): :math:`z = \\mu + \\sigma \\odot \\varepsilon`.

        The noise :math:`\\varepsilon \\sim N(0, I)` carries the randomness, so gradients
        flow through :math:`\\mu` and :math:`\\sigma`. Returns (n, L), or (n_samples, n, L).
        """
        g = self._generator_for(random_state)
        shape = tuple(mu.shape) if n_samples is None else (check_int(n_samples, "n_samples", minimum=1), *mu.shape)
        eps = randn(*shape, generator=g, device=mu.device, dtype=mu.dtype)
        return mu + torch.exp(0.5 * logvar) * eps

    def forward(self, X: Any) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Encode, draw one z ~ q(z | x) by :meth:`reparameterize`, decode: ``(decoder mean, mu, logvar)``.

        The pass that training differentiates (as in PyTorch's VAE example); the loss itself is
        :meth:`loss`.
        """
        mu, logvar = self._encode(self._check_X(X))
        return self.decode(self.reparameterize(mu, logvar)), mu, logvar

    def decoder_params(self, z: torch.Tensor) -> torch.Tensor:
        """The decoder's raw output: Bernoulli logits or the Gaussian mean, shape (..., n_features)."""
        return self.decoder(z)

    def decode(self, z: Any) -> torch.Tensor:
        """The mean of :math:`p_\\theta(x \\mid z)`: pixel probabilities (Bernoulli) or the Gaussian mean."""
        if not isinstance(z, torch.Tensor) or z.ndim == 2:
            z = as_tensor(z, "z", n_features=self.latent_dim, dtype=self.dtype,
                          device=None if isinstance(z, torch.Tensor) else self.device)
        out = self.decoder(z)
        return torch.sigmoid(out) if self.likelihood == "bernoulli" else out

    def log_likelihood(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """:math:`\\log p_\\theta(x \\mid z)`, summed over pixels; broadcasts ``x`` (n, D) against ``z`` (..., n, L).

        Bernoulli: minus the binary cross-entropy, eq. (vae-bce); Gaussian:
        :math:`-\\frac{1}{2\\sigma^2}\\lVert x - \\mu_\\theta(z)\\rVert^2 - D \\ln \\sigma - \\frac D2 \\ln 2\\pi`,
        eq. (vae-mse).
        """
        out = self.decoder(z)
        if self.likelihood == "bernoulli":
            return log_bernoulli(x, out)
        return log_normal(x, out, self._decoder_sigma_logvar())

    # ------------------------------------------------------------------ the bounds
    def elbo_terms(self, X: Any, *, n_samples: int = 1, random_state: Any = None) -> dict[str, torch.Tensor]:
        """The two terms of the ELBO for every example, eq. (vae-elbo).

        Returns
        -------
        dict with
            ``"reconstruction"``: :math:`\\mathbb E_q[\\log p_\\theta(x \\mid z)]`, estimated
            with ``n_samples`` reparameterised draws, shape (n,) (the seminar's
            reconstruction error is its negative);
            ``"kl"``: :math:`\\mathrm{KL}(q_\\phi(z \\mid x) \\| p(z))` in closed form, shape (n,).
        """
        return self._elbo_terms(self._check_X(X), n_samples, random_state)

    def _elbo_terms(self, x: torch.Tensor, n_samples: int, random_state: Any) -> dict[str, torch.Tensor]:
        mu, logvar = self._encode(x)
        z = self.reparameterize(mu, logvar, n_samples=n_samples, random_state=random_state)  # (S, n, L)
        return {"reconstruction": self.log_likelihood(x, z).mean(dim=0), "kl": gaussian_kl(mu, logvar)}

    def elbo(self, X: Any, *, n_samples: int = 1, random_state: Any = None) -> torch.Tensor:
        """The evidence lower bound :math:`\\mathcal L(x) \\le \\log p_\\theta(x)` of every example, shape (n,).

        Reconstruction minus KL (the KL weight is always 1 here; ``beta`` only enters
        :meth:`loss`). Differentiable: ``-model.elbo(x).mean()`` is the training loss.
        """
        terms = self.elbo_terms(X, n_samples=n_samples, random_state=random_state)
        return terms["reconstruction"] - terms["kl"]

    def _log_weights(self, x: torch.Tensor, k: int, generator: torch.Generator) -> torch.Tensor:
        """Importance log-weights :math:`\\log p(x, z_i) - \\log q(z_i \\mid x)`, shape (k, n)."""
        mu, logvar = self._encode(x)
        z = self.reparameterize(mu, logvar, n_samples=k, random_state=generator)  # (k, n, L)
        return self.log_likelihood(x, z) + log_standard_normal(z) - log_normal(z, mu, logvar)

    def _iwae(self, x: torch.Tensor, k: int, generator: torch.Generator) -> torch.Tensor:
        # eq. (vae-iwae): log (1/k) sum_i w_i, in log space
        return torch.logsumexp(self._log_weights(x, k, generator), dim=0) - math.log(k)

    def iwae_bound(self, X: Any, k: int = 50, *, batch_size: int = 100, random_state: Any = None) -> torch.Tensor:
        """The importance-weighted bound :math:`\\mathcal L_k(x)` of every example, eq. (vae-iwae), shape (n,).

        A stochastic lower bound on :math:`\\log p_\\theta(x)` that tightens as ``k`` grows
        (k = 1 is a one-sample ELBO estimate); with k = 5000 it is the standard estimate
        of a VAE's test log-likelihood (Burda et al. 2016). Evaluated without gradients,
        in chunks of examples (``batch_size``) and of samples, so large ``k`` fits in memory.
        """
        k = check_int(k, "k", minimum=1)
        batch_size = check_int(batch_size, "batch_size", minimum=1)
        x = self._check_X(X)
        g = self._generator_for(random_state)
        out = []
        with torch.no_grad():
            for start in range(0, len(x), batch_size):
                xb = x[start:start + batch_size]  # (b, D)
                # samples per chunk: about CHUNK_FLOATS floats of activations at a time
                width = self.n_features + sum(self.hidden) + self.latent_dim
                chunk = max(1, min(k, CHUNK_FLOATS // max(1, len(xb) * width)))
                logw = torch.cat([self._log_weights(xb, min(chunk, k - s), g) for s in range(0, k, chunk)])  # (k, b)
                out.append(torch.logsumexp(logw, dim=0) - math.log(k))
        return torch.cat(out)

    def held_out_likelihood(self, X, *, iwae_k=100, random_state=0, **options):
        """Mean importance-weighted bound with ``iwae_k`` samples: kind ``"bound"``.

        A Bernoulli decoder's bound is a log-likelihood only for binary data; grey levels are
        refused rather than reported as one.
        """
        self._check_fitted("held_out_likelihood")
        x = self._check_X(X)
        if self.likelihood == "bernoulli":
            grey = x[(x != 0) & (x != 1)]
            if grey.numel():
                raise ValueError(
                    f"X must be binary (0/1) to report {type(self).__name__}'s Bernoulli bound as a log-likelihood, "
                    f"but {grey.numel()} of its {x.numel()} values are grey levels (e.g. {float(grey[0]):.3g}); "
                    f"binarise it (genlib.datasets.binarize) for a model trained on binary data, or train with "
                    f"likelihood='gaussian' on dequantised data.")
        return likelihood_summary("bound", self.iwae_bound(x, iwae_k, random_state=random_state))

    def loss(self, X: Any) -> torch.Tensor:
        """The training loss of a batch (a scalar): the negative of the objective, averaged over examples.

        ``objective="elbo"``: :math:`-\\frac1B\\sum_n \\big(\\mathbb E_q[\\log p(x_n \\mid z)]
        - \\beta\\,\\mathrm{KL}_n\\big)`, the seminar's *reconstruction error + regularisation*;
        ``objective="iwae"``: :math:`-\\frac1B \\sum_n \\mathcal L_k(x_n)` with k = ``n_samples``.

        A tensor batch already on the model's device (as ``fit`` passes them) is not scanned
        for NaN or range again; anything else is validated like in :meth:`elbo`.
        """
        x = self._check_batch(X)
        if self.objective == "iwae":
            return -self._iwae(x, self.n_samples, self._generator).mean()
        terms = self._elbo_terms(x, self.n_samples, None)
        return -(terms["reconstruction"] - self.beta * terms["kl"]).mean()

    # ------------------------------------------------------------------ fit / sample
    @torch.no_grad()
    def sample(self, n: int, *, random_state: Any = None, return_latent: bool = False, mean: bool = False):
        """Draw from the model: :math:`z \\sim N(0, I)`, then :math:`x \\sim p_\\theta(x \\mid z)`.

        Parameters
        ----------
        n : int
            Number of draws.
        random_state : None, int or torch.Generator
            None draws from the model's generator (new draws on every call).
        return_latent : bool
            Also return ``z``.
        mean : bool
            Return the decoder's mean :math:`\\mathbb E[x \\mid z]` (pixel probabilities,
            the smooth images usually shown) instead of a draw from :math:`p_\\theta(x \\mid z)`
            (binary images for Bernoulli, mean plus pixel noise for Gaussian).

        Returns
        -------
        X : torch.Tensor (n, n_features), and ``z`` (n, latent_dim) when ``return_latent``.
        """
        self._check_fitted("sample")
        n = check_int(n, "n", minimum=1)
        g = self._generator_for(random_state)
        z = randn(n, self.latent_dim, generator=g, device=self.device, dtype=self.dtype)  # z ~ p(z) = N(0, I)
        m = self.decode(z)
        if mean:
            x = m
        elif self.likelihood == "bernoulli":
            x = (rand(*m.shape, generator=g, device=m.device, dtype=m.dtype) < m).to(m.dtype)
        else:
            x = m + self.sigma * randn(*m.shape, generator=g, device=m.device, dtype=m.dtype)
        return (x, z) if return_latent else x
