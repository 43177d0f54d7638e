"""A tiny character-level transformer (chapter ``05_beyond/04_autoregressive``, the path to transformers).

The same chain rule as the PixelCNN, eq. (ar-chain), on a sequence of characters
:math:`x_1, \\dots, x_T` instead of pixels in raster order:

.. math::  p(x_1, \\dots, x_T) = \\prod_{t=1}^{T} p(x_t \\mid x_1, \\dots, x_{t-1}),

each factor a softmax over the vocabulary. The network that gives the factors is one block of
a GPT-style transformer (Vaswani et al. 2017; Radford et al. 2019), small enough to train on
one CPU core in seconds: token and position embeddings, one causal multi-head self-attention
layer and one MLP (each with layer normalisation and a residual connection), and a linear
read-out. The **causal mask** of the attention, eq. (ar-attention), is the 1-D twin of the
PixelCNN's masked convolution: position t attends to positions <= t only. The input is the
sequence shifted right by one, after a start symbol, so the logits at t predict :math:`x_t`
from :math:`x_{<t}` and the log-likelihood of a window is exact, its first character included.

GPT-2 is this model with 48 blocks, 1,600-dimensional embeddings, a 50,257-token vocabulary and
a 1,024-token context, trained on 40 GB of web text: the same chain rule at scale.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .._torch import as_tensor, make_generator, on_model_device, rand, randn, reset_parameters
from .._validation import check_array, check_int, renamed_arguments
from .base import NeuralModel

__all__ = ["CharModel", "char_windows"]


def char_windows(symbols: Any, context: int) -> np.ndarray:
    """Cut a sequence of symbols (1-D, or (n, 1) as :func:`~genlib.datasets.load_stdlib_characters` returns)
    into non-overlapping windows of ``context`` symbols, shape (n // context, context); the tail is dropped.

    Examples
    --------
    >>> char_windows(np.arange(7), 3)
    array([[0, 1, 2],
           [3, 4, 5]])
    """
    context = check_int(context, "context", minimum=1)
    arr = check_array(symbols, "symbols", ndim=None, dtype=np.float64)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"symbols must be a sequence, 1-D or (n, 1), got shape {arr.shape}; flatten it first.")
    if np.any(arr != np.round(arr)) or arr.min() < 0:
        raise ValueError("symbols must be non-negative integer codes (e.g. 0 = space, 1..26 = a..z).")
    n = len(arr) // context
    if n == 0:
        raise ValueError(f"symbols has {len(arr)} symbol(s), fewer than one window of context={context}; "
                         f"pass a longer sequence or a smaller context.")
    return arr[:n * context].reshape(n, context).astype(np.int64)


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention in which position t sees positions <= t, eq. (ar-attention)."""

    def __init__(self, d_model: int, n_heads: int, context: int):
        super().__init__()
        self.n_heads = n_heads
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        # True above the diagonal: the future, hidden from every query (not saved: it follows from context)
        self.register_buffer("future", torch.triu(torch.ones(context, context, dtype=torch.bool), diagonal=1),
                             persistent=False)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        B, T, d = h.shape
        q, k, v = self.qkv(h).split(d, dim=-1)  # each (B, T, d)
        q, k, v = (a.view(B, T, self.n_heads, d // self.n_heads).transpose(1, 2) for a in (q, k, v))  # (B, nh, T, dh)
        scores = q @ k.transpose(-2, -1) / math.sqrt(d // self.n_heads)  # (B, nh, T, T)
        scores = scores.masked_fill(self.future[:T, :T], float("-inf"))  # softmax weight 0 on the future
        out = torch.softmax(scores, dim=-1) @ v  # (B, nh, T, dh)
        return self.proj(out.transpose(1, 2).reshape(B, T, d))


class CharModel(NeuralModel):
    """A one-block causal transformer over characters, with an exact log-likelihood.

    Parameters
    ----------
    vocab_size : int
        Number of symbols (27 for :func:`~genlib.datasets.load_stdlib_characters`: space, a..z).
    context : int
        Longest window the model reads (position embeddings exist up to it).
    d_model : int
        Width of the embeddings and of the attention.
    n_heads : int
        Attention heads; must divide ``d_model``.
    random_state : None, int or torch.Generator
        Decides the initial weights, the batch order and the draws of :meth:`sample`.

    Data are windows of symbols, shape (n, T) with 1 <= T <= context (:func:`char_windows` cuts
    a text into them); every window starts from an empty past.

    Examples
    --------
    >>> from genlib.datasets import load_stdlib_characters
    >>> X = char_windows(load_stdlib_characters(2000)[0], 32)
    >>> model = CharModel(27, context=32, d_model=16, n_heads=2, random_state=0).fit(X, n_epochs=1)
    >>> model.log_prob(X[:3]).shape
    torch.Size([3])
    >>> model.sample(2, length=10).shape
    torch.Size([2, 10])
    """

    def __init__(self, vocab_size: int = 27, *, context: int = 64, d_model: int = 64, n_heads: int = 4,
                 random_state: Any = None):
        super().__init__()
        self.vocab_size = check_int(vocab_size, "vocab_size", minimum=2)
        self.context = check_int(context, "context", minimum=1)
        self.d_model = check_int(d_model, "d_model", minimum=1)
        self.n_heads = check_int(n_heads, "n_heads", minimum=1)
        if self.d_model % self.n_heads:
            raise ValueError(f"n_heads must divide d_model, got d_model={d_model} and n_heads={n_heads}; "
                             f"pass e.g. n_heads=4 with d_model=64.")
        self.n_features = self.context
        self._generator = make_generator(random_state)
        d = self.d_model
        self.token_embedding = nn.Embedding(self.vocab_size + 1, d)  # + the start symbol, index vocab_size
        self.position_embedding = nn.Parameter(torch.zeros(self.context, d))
        self.ln1, self.ln2, self.ln_f = nn.LayerNorm(d), nn.LayerNorm(d), nn.LayerNorm(d)
        self.attention = CausalSelfAttention(d, self.n_heads, self.context)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))
        self.head = nn.Linear(d, self.vocab_size)
        reset_parameters(self, self._generator)
        with torch.no_grad():  # GPT-2's N(0, 0.02) embeddings, drawn from the model's own generator
            self.token_embedding.weight.copy_(0.02 * randn(*self.token_embedding.weight.shape, generator=self._generator))
            self.position_embedding.copy_(0.02 * randn(*self.position_embedding.shape, generator=self._generator))
        self.history_: dict | None = None

    # ------------------------------------------------------------------ data
    def _check_X(self, X: Any, name: str = "X") -> torch.Tensor:
        """Windows (n, T), 1 <= T <= context, of integer codes 0..vocab_size-1, as floats on the model's device."""
        T = as_tensor(X, name, dtype=self.dtype, value_range=(0, self.vocab_size - 1),
                      range_hint=f"symbols are codes 0..{self.vocab_size - 1}")
        if T.shape[1] > self.context:
            raise ValueError(f"{name} has windows of {T.shape[1]} symbols but the model reads at most context="
                             f"{self.context}; cut the text with char_windows(symbols, {self.context}).")
        if bool((T != torch.round(T)).any()):
            raise ValueError(f"{name} must hold integer symbol codes 0..{self.vocab_size - 1}, found non-integer values.")
        return on_model_device(T, X, self.device, name)

    # ------------------------------------------------------------------ the network
    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The network's input for windows ``x`` (n, T): the start symbol then x_1..x_{T-1}, embedded, (n, T, d)."""
        start = torch.full((x.shape[0], 1), self.vocab_size, dtype=torch.long, device=x.device)
        shifted = torch.cat([start, x[:, :-1].long()], dim=1)  # (n, T): position t holds x_{t-1}
        return self.token_embedding(shifted) + self.position_embedding[:x.shape[1]]

    def logits_from_embeddings(self, h: torch.Tensor) -> torch.Tensor:
        """One transformer block and the read-out: (n, T, d) -> logits (n, T, vocab_size) of p(x_t | x_<t)."""
        h = h + self.attention(self.ln1(h))  # (n, T, d): each position mixes the positions <= t
        h = h + self.mlp(self.ln2(h))  # (n, T, d): position-wise
        return self.head(self.ln_f(h))  # (n, T, V)

    def logits(self, X: Any) -> torch.Tensor:
        """Logits of every conditional :math:`p(x_t \\mid x_{<t})`, shape (n, T, vocab_size)."""
        return self.logits_from_embeddings(self.embed(self._check_X(X)))

    def _log_prob(self, x: torch.Tensor) -> torch.Tensor:
        logp = F.log_softmax(self.logits_from_embeddings(self.embed(x)), dim=-1)  # (n, T, V)
        return logp.gather(-1, x.long()[..., None])[..., 0].sum(dim=1)  # eq. (ar-chain), (n,)

    # ------------------------------------------------------------------ likelihood
    def log_prob(self, X: Any) -> torch.Tensor:
        """Exact :math:`\\log p(x_1, \\dots, x_T)` of every window, nats, shape (n,). Differentiable."""
        return self._log_prob(self._check_X(X))

    def score(self, X: Any) -> float:
        """Mean exact log-likelihood per window (nats)."""
        with torch.no_grad():
            return float(self.log_prob(X).mean())

    def bits_per_char(self, X: Any) -> float:
        """Mean negative log-likelihood per symbol in bits, :math:`-\\sum \\log_2 p(x) / (nT)`, eq. (ar-bits)."""
        x = self._check_X(X)
        with torch.no_grad():
            return -float(self._log_prob(x).sum()) / (x.numel() * math.log(2.0))

    def loss(self, X: Any) -> torch.Tensor:
        """Mean negative log-likelihood per symbol of a batch (nats): next-character cross-entropy."""
        x = self._check_batch(X)
        return -self._log_prob(x).mean() / x.shape[1]

    @renamed_arguments(epochs="n_epochs")
    def fit(self, X: Any, *, n_epochs: int = 5, batch_size: int = 32, lr: float = 3e-3, **train_kwargs: Any):
        """Maximise the exact log-likelihood of windows ``X`` (n, T) with :func:`~genlib.neural.training.train`."""
        return super().fit(X, n_epochs=n_epochs, batch_size=batch_size, lr=lr, **train_kwargs)

    # ------------------------------------------------------------------ sampling
    @torch.no_grad()
    def sample(self, n: int, *, length: int | None = None, random_state: Any = None) -> torch.Tensor:
        """Draw ``n`` windows of ``length`` symbols (default ``context``) one symbol at a time: int64 (n, length)."""
        n = check_int(n, "n", minimum=1)
        length = self.context if length is None else check_int(length, "length", minimum=1, maximum=self.context)
        self._check_fitted("sample")
        g = self._generator_for(random_state)
        x = torch.zeros(n, length, device=self.device, dtype=self.dtype)
        for t in range(length):  # x_t needs x_<t: one network pass per symbol
            logits = self.logits_from_embeddings(self.embed(x[:, :t + 1]))[:, t]  # (n, V)
            cdf = torch.softmax(logits, dim=-1).cumsum(dim=-1)
            u = rand(n, generator=g, device=self.device, dtype=self.dtype)
            x[:, t] = torch.clamp((cdf < u[:, None]).sum(dim=-1), max=self.vocab_size - 1).to(self.dtype)
        return x.long()
