"""Inference in hidden Markov models: forward, backward, posteriors, Viterbi, sampling.

Notation follows the chapter ``book/02_ml/02_hmm`` (and Rabiner's tutorial):

- ``K`` hidden states, transition matrix ``A[i, j] = p(z_t = j | z_{t-1} = i)``,
  initial distribution ``pi[k] = p(z_1 = k)``;
- emissions enter only through the matrix ``log_b[t, k] = log p(x_t | z_t = k)`` of shape
  ``(n_samples, K)``, so the same functions serve categorical and Gaussian HMMs;
- several sequences are concatenated along the first axis and split by ``lengths``,
  as in hmmlearn (``None`` means one sequence).

The recursions are written to be read next to the equations: :func:`forward_log`,
:func:`backward_log` (log space, eqs. ``hmm-forward``/``hmm-backward``), :func:`viterbi` and
:func:`sample_states`. They loop over time and are vectorised over states and over sequences
(sequences are padded to a common length and advanced together).

:func:`forward_backward` is the E-step of Baum-Welch, the one function that the estimators,
the chapter and the tests call. ``engine="recursion"`` computes it from :func:`forward_log`
and :func:`backward_log`, exactly as the chapter derives it; the default ``engine="scan"``
computes the same quantities with Rabiner's scaled recursions (eq. ``hmm-scaling``) but
replaces the loop over ``T`` time steps by a two-level *chunked scan*: each sequence is cut
into chunks of about ``sqrt(T)`` steps; the forward map of a chunk is the matrix product
``prod_t A diag(b_t)``, and matrix products are associative, so all chunks are processed at
once (vectorised), a short loop links chunk boundaries, and a last vectorised pass fills in
every step. Python then loops about ``3 sqrt(T)`` times instead of ``T`` times, which is what
lets NumPy compete with compiled loops. :func:`log_likelihood` is the scan's forward half.

Examples
--------
>>> import numpy as np
>>> pi = np.array([0.5, 0.5]); A = np.array([[0.9, 0.1], [0.2, 0.8]])
>>> log_b = np.log([[0.5, 0.1], [0.5, 0.1], [0.5, 0.9]])
>>> log_alpha, loglik = forward_log(np.log(pi), np.log(A), log_b)
>>> path, best = viterbi(np.log(pi), np.log(A), log_b)
>>> path
array([0, 0, 0])
>>> bool(np.isclose(log_likelihood(pi, A, log_b)[0], loglik[0]))
True
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import logsumexp

from .._validation import check_lengths, check_random_state

__all__ = [
    "forward_log",
    "backward_log",
    "viterbi",
    "sample_states",
    "forward_backward",
    "log_likelihood",
]


# --------------------------------------------------------------------------------------
# Layout helpers: concatenated sequences <-> padded (n_sequences, T_max, ...) arrays
# --------------------------------------------------------------------------------------

def _starts(lengths: np.ndarray) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)


def _pad(values: np.ndarray, lengths: np.ndarray, fill: float) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``values`` (concatenated sequences) as ``(n_seq, T_max, ...)`` plus a validity mask."""
    n_seq, t_max = len(lengths), int(lengths.max())
    mask = np.arange(t_max)[None, :] < lengths[:, None]  # (n_seq, T_max)
    out = np.full((n_seq, t_max) + values.shape[1:], fill, dtype=values.dtype)
    out[mask] = values  # row-major order of the mask is the concatenation order
    return out, mask


def _prepare(log_b, lengths):
    log_b = np.asarray(log_b, dtype=np.float64)
    if log_b.ndim != 2:
        raise ValueError(f"log_b must be 2-D (n_samples, n_states), got shape {log_b.shape}.")
    return log_b, check_lengths(lengths, log_b.shape[0])


# --------------------------------------------------------------------------------------
# Textbook recursions in log space
# --------------------------------------------------------------------------------------

def forward_log(log_pi, log_A, log_b, lengths=None):
    """Forward recursion in log space.

    ``log alpha_1(k) = log pi_k + log b_1(k)`` and, eq. (hmm-forward),
    ``log alpha_t(j) = logsumexp_i(log alpha_{t-1}(i) + log A_ij) + log b_t(j)``;
    ``log p(x_{1:T}) = logsumexp_k log alpha_T(k)``.

    Parameters
    ----------
    log_pi : ndarray of shape (K,)
        Log initial probabilities.
    log_A : ndarray of shape (K, K)
        Log transition matrix, rows index the previous state.
    log_b : ndarray of shape (n_samples, K)
        Log emission likelihoods ``log p(x_t | z_t = k)``.
    lengths : array-like of int, optional
        Lengths of the concatenated sequences (default: one sequence).

    Returns
    -------
    log_alpha : ndarray of shape (n_samples, K)
        ``log p(x_1..x_t, z_t = k)`` within each sequence.
    log_likelihood : ndarray of shape (n_sequences,)
        ``log p(x)`` of each sequence.

    Examples
    --------
    >>> import numpy as np
    >>> log_alpha, ll = forward_log(np.log([0.5, 0.5]), np.log([[0.9, 0.1], [0.1, 0.9]]),
    ...                             np.log([[0.2, 0.6], [0.2, 0.6]]))
    >>> round(float(ll[0]), 4)
    -1.6503
    """
    log_b, lengths = _prepare(log_b, lengths)
    lb, mask = _pad(log_b, lengths, 0.0)  # (S, T, K)
    n_seq, t_max, _ = lb.shape
    out = np.empty_like(lb)
    out[:, 0] = log_pi + lb[:, 0]
    for t in range(1, t_max):
        # (S, K, 1) + (K, K) -> logsumexp over the previous state i
        step = logsumexp(out[:, t - 1, :, None] + log_A, axis=1) + lb[:, t]
        out[:, t] = np.where(mask[:, t, None], step, out[:, t - 1])  # padding carries alpha_T on
    return out[mask], logsumexp(out[:, -1], axis=1)


def backward_log(log_A, log_b, lengths=None):
    """Backward recursion in log space.

    ``log beta_T(k) = 0`` and, eq. (hmm-backward),
    ``log beta_t(i) = logsumexp_j(log A_ij + log b_{t+1}(j) + log beta_{t+1}(j))``.

    Parameters
    ----------
    log_A : ndarray of shape (K, K)
    log_b : ndarray of shape (n_samples, K)
    lengths : array-like of int, optional

    Returns
    -------
    log_beta : ndarray of shape (n_samples, K)
        ``log p(x_{t+1}..x_T | z_t = k)`` within each sequence.

    Examples
    --------
    >>> import numpy as np
    >>> backward_log(np.log([[0.9, 0.1], [0.1, 0.9]]), np.log([[0.2, 0.6], [0.2, 0.6]]))[-1]
    array([0., 0.])
    """
    log_b, lengths = _prepare(log_b, lengths)
    # Reverse every sequence, then run a forward-style loop over the padded layout.
    lb, mask = _pad(log_b, lengths, 0.0)
    n_seq, t_max, k = lb.shape
    out = np.zeros_like(lb)
    last = lengths - 1
    for t in range(t_max - 2, -1, -1):
        nxt = lb[:, t + 1] + out[:, t + 1]  # (S, K): log b_{t+1}(j) + log beta_{t+1}(j)
        step = logsumexp(log_A[None, :, :] + nxt[:, None, :], axis=2)
        out[:, t] = np.where((t < last)[:, None], step, 0.0)  # beta at and after the end is 1
    return out[mask]


def viterbi(log_pi, log_A, log_b, lengths=None):
    """Most probable state path of each sequence (max-product in log space).

    ``delta_1(k) = log pi_k + log b_1(k)``,
    ``delta_t(j) = max_i(delta_{t-1}(i) + log A_ij) + log b_t(j)`` (eq. hmm-viterbi),
    keeping the arg-max ``psi_t(j)`` to trace the path back from ``argmax_k delta_T(k)``.

    Parameters
    ----------
    log_pi : ndarray of shape (K,)
    log_A : ndarray of shape (K, K)
    log_b : ndarray of shape (n_samples, K)
    lengths : array-like of int, optional

    Returns
    -------
    path : ndarray of int64, shape (n_samples,)
    log_prob : ndarray of shape (n_sequences,)
        ``max_z log p(x, z)`` of each sequence.

    Examples
    --------
    >>> import numpy as np
    >>> path, lp = viterbi(np.log([0.5, 0.5]), np.log([[0.9, 0.1], [0.1, 0.9]]),
    ...                    np.log([[0.2, 0.6], [0.7, 0.1], [0.7, 0.1]]))
    >>> path
    array([0, 0, 0])
    """
    log_b, lengths = _prepare(log_b, lengths)
    lb, mask = _pad(log_b, lengths, 0.0)
    n_seq, t_max, k = lb.shape
    keep = np.broadcast_to(np.arange(k), (n_seq, k))
    psi = np.empty((n_seq, t_max, k), dtype=np.int64)
    psi[:, 0] = keep
    delta = log_pi + lb[:, 0]
    for t in range(1, t_max):
        scores = delta[:, :, None] + log_A  # (S, K_prev, K)
        best = scores.argmax(axis=1)  # (S, K)
        step = np.take_along_axis(scores, best[:, None, :], axis=1)[:, 0] + lb[:, t]
        valid = mask[:, t, None]
        delta = np.where(valid, step, delta)  # padding carries delta_T on unchanged ...
        psi[:, t] = np.where(valid, best, keep)  # ... and points each state to itself
    state = delta.argmax(axis=1)
    log_prob = delta[np.arange(n_seq), state]
    path = np.empty((n_seq, t_max), dtype=np.int64)
    rows = np.arange(n_seq)
    for t in range(t_max - 1, -1, -1):  # trace back: z_{t-1} = psi_t(z_t)
        path[:, t] = state
        state = psi[rows, t, state]
    return path[mask], log_prob


def sample_states(pi, A, n_steps, random_state=None):
    """Draw one state path ``z_1 ~ pi``, ``z_t ~ A[z_{t-1}]`` (ancestral sampling).

    Parameters
    ----------
    pi : ndarray of shape (K,)
    A : ndarray of shape (K, K)
    n_steps : int
    random_state : None, int or numpy.random.Generator

    Returns
    -------
    states : ndarray of int64, shape (n_steps,)

    Examples
    --------
    >>> import numpy as np
    >>> sample_states(np.array([1.0, 0.0]), np.array([[0.0, 1.0], [1.0, 0.0]]), 5, random_state=0)
    array([0, 1, 0, 1, 0])
    """
    rng = check_random_state(random_state)
    u = rng.random(n_steps)
    # Inverse-CDF draws; clip guards against cumulative sums ending just below 1.
    cum_pi = np.cumsum(pi)
    cum_A = np.cumsum(A, axis=1)
    k = len(pi)
    states = np.empty(n_steps, dtype=np.int64)
    if n_steps == 0:
        return states
    z = min(int(np.searchsorted(cum_pi, u[0], side="right")), k - 1)
    states[0] = z
    # Markov chains are sequential; a plain Python loop over floats is the fastest here.
    rows = [list(r) for r in cum_A]
    import bisect

    for t in range(1, n_steps):
        z = min(bisect.bisect_right(rows[z], u[t]), k - 1)
        states[t] = z
    return states


# --------------------------------------------------------------------------------------
# The fast engine: scaled forward-backward as a chunked (two-level associative) scan
# --------------------------------------------------------------------------------------

# Sequences up to this length stay one chunk (the scan's bookkeeping would cost more than it saves).
_WHOLE_MAX_LENGTH = 64
# Longer ones are cut into chunks of about 2 sqrt(T) steps, never fewer than this.
_MIN_CHUNK = 32


def _auto_chunk(lengths: np.ndarray) -> int:
    t_max = int(lengths.max())
    if t_max <= _WHOLE_MAX_LENGTH:
        return t_max
    target = int(min(t_max, max(_MIN_CHUNK, math.ceil(2.0 * math.sqrt(t_max)))))
    if np.all(lengths == t_max):
        # Equal lengths: prefer a divisor of the length near the target, so nothing is padded.
        divisors = [d for d in range(target // 2, 2 * target + 1) if t_max % d == 0]
        if divisors:
            return min(divisors, key=lambda d: abs(d - target))
    return target


class _Chunks:
    """Concatenated sequences cut into chunks of ``L`` steps, padded to ``(S, L)``.

    Chunks never straddle two sequences; only the last chunk of a sequence is padded.
    ``grid[n, c]`` is the chunk index of chunk ``c`` of sequence ``n`` (or -1).
    """

    def __init__(self, lengths: np.ndarray, chunk_size: int):
        L = int(chunk_size)
        n_chunks = -(-lengths // L)  # ceil
        self.L = L
        self.n_seq = len(lengths)
        self.seq = np.repeat(np.arange(self.n_seq), n_chunks)  # (S,)
        first = np.concatenate([[0], np.cumsum(n_chunks)[:-1]])
        self.pos = np.arange(len(self.seq)) - np.repeat(first, n_chunks)  # chunk number in its sequence
        self.size = np.minimum(L, lengths[self.seq] - self.pos * L)  # valid steps of each chunk
        self.mask = np.arange(L)[None, :] < self.size[:, None]  # (S, L)
        self.is_first = self.pos == 0
        self.full = self.mask.all(axis=0)  # (L,): no chunk is padded at this step
        self.no_padding = bool(self.full.all())
        self.n = int(lengths.sum())
        self.flat = np.flatnonzero(self.mask.ravel())  # padded position of every sample
        self.prefix = bool(self.flat[-1] == self.n - 1)  # only the very last chunk is padded
        self.c_max = int(n_chunks.max())
        self.grid = -np.ones((self.n_seq, self.c_max), dtype=np.int64)
        self.grid[self.seq, self.pos] = np.arange(len(self.seq))

    def pad(self, values: np.ndarray, fill: float) -> np.ndarray:
        """``(n_samples, ...)`` -> ``(S, L, ...)``, padding with ``fill``."""
        if self.no_padding:
            return values.reshape(self.mask.shape + values.shape[1:])
        out = np.empty((self.mask.size,) + values.shape[1:], dtype=values.dtype)
        if self.prefix:
            out[:self.n], out[self.n:] = values, fill
        else:
            out.fill(fill)
            out[self.flat] = values
        return out.reshape(self.mask.shape + values.shape[1:])

    def unpad(self, padded: np.ndarray) -> np.ndarray:
        """``(S, L, ...)`` -> ``(n_samples, ...)``, the inverse of :meth:`pad`."""
        flat = padded.reshape((self.mask.size,) + padded.shape[2:])
        if self.no_padding:
            return flat
        return flat[:self.n] if self.prefix else flat[self.flat]


def _normalise(v: np.ndarray) -> np.ndarray:
    s = v.sum(axis=-1, keepdims=True)
    return v / np.where(s > 0, s, 1.0)


def _emission_scaled(log_b):
    # b_t(k) = exp(log b_t(k) - m_t) with m_t = max_k log b_t(k): the largest entry of every
    # row is 1, so nothing underflows unless it is negligible next to that state.
    m = log_b.max(axis=1)
    m = np.where(np.isfinite(m), m, 0.0)
    return np.exp(log_b - m[:, None]), m


def _forward_pass(pi, A, b_pad, ch: _Chunks):
    """Levels 1-3 of the chunked scan for the forward direction.

    Returns the normalised alphas ``(S, L, K)``, the scale factors ``(S, L)``, and, for
    every chunk, the filtered distribution at the end of the previous chunk ``(S, K)``
    (unused for first chunks), plus the chunk transfer matrices for the backward pass.
    """
    S, L, K = b_pad.shape
    M = None
    prev_end = np.zeros((S, K))
    if ch.c_max > 1:
        # Level 1, all chunks at once: M_s = prod_{t=1}^{L-1} A diag(b_t), up to a scalar
        # (associativity of the matrix product lets each chunk be reduced on its own).
        M = np.broadcast_to(np.eye(K), (S, K, K)).copy()
        for t in range(1, L):
            step = (M.reshape(S * K, K) @ A).reshape(S, K, K) * b_pad[:, t, None, :]
            step /= np.maximum(step.max(axis=(1, 2), keepdims=True), 1e-300)
            M = step if ch.full[t] else np.where(ch.mask[:, t, None, None], step, M)  # padding: M unchanged
        # Level 2, a short loop over chunk numbers, vectorised over sequences:
        # filtered distribution at each chunk's end, p(z | x up to there).
        end = np.zeros((ch.n_seq, K))
        for c in range(ch.c_max):
            idx = ch.grid[:, c]
            ok = idx >= 0
            s = idx[ok]
            pred = pi[None, :] if c == 0 else end[ok] @ A  # p(z at chunk start | the past)
            v = np.einsum("nk,nkl->nl", pred * b_pad[s, 0], M[s])
            if c + 1 < ch.c_max:
                nxt = ch.grid[ok, c + 1]
                has = nxt >= 0
                prev_end[nxt[has]] = _normalise(v[has])
            end[ok] = _normalise(v)
    # Level 3, all chunks at once: the ordinary scaled recursion within each chunk,
    # started from the exact predictive distribution at its first step.
    pred = np.where(ch.is_first[:, None], pi[None, :], prev_end @ A)
    alpha = np.empty_like(b_pad)
    scale = np.empty((S, L))
    a = pred * b_pad[:, 0]
    with np.errstate(invalid="ignore", divide="ignore"):  # c = 0 only for impossible data
        for t in range(L):
            if t > 0:
                a = (a @ A) * b_pad[:, t]
            c = a.sum(axis=1)
            a /= c[:, None]
            alpha[:, t], scale[:, t] = a, c
    return alpha, scale, prev_end, M


def _backward_pass(A, b_pad, ch: _Chunks, M):
    """Levels 2-3 of the chunked scan backwards; betas are normalised per step (any
    positive per-step factor cancels in gamma and xi)."""
    S, L, K = b_pad.shape
    end_beta = np.ones((S, K))  # beta at the last valid step of every chunk
    if ch.c_max > 1:
        nxt_beta = np.ones((ch.n_seq, K))
        for c in range(ch.c_max - 1, 0, -1):
            idx = ch.grid[:, c]
            ok = idx >= 0
            s = idx[ok]
            end_beta[s] = nxt_beta[ok]
            # beta at the end of chunk c-1 = A (b_first * (M_c beta_end_c)), eq. (hmm-backward)
            v = np.einsum("nkl,nl->nk", M[s], nxt_beta[ok]) * b_pad[s, 0]
            nxt_beta[ok] = _normalise(v @ A.T)
        end_beta[ch.grid[:, 0]] = nxt_beta
    beta = np.empty_like(b_pad)
    v = end_beta
    last = ch.size - 1
    beta[:, L - 1] = v
    for t in range(L - 2, -1, -1):
        step = _normalise((b_pad[:, t + 1] * v) @ A.T)
        # A chunk's own end restarts the recursion (only partial chunks end before L - 1).
        v = step if ch.full[t + 1] else np.where((t < last)[:, None], step, end_beta)
        beta[:, t] = v
    return beta


def _check_engine_args(pi, A, log_b, lengths, chunk_size):
    log_b, lengths = _prepare(log_b, lengths)
    pi = np.asarray(pi, dtype=np.float64)
    A = np.asarray(A, dtype=np.float64)
    if chunk_size is None:
        chunk_size = _auto_chunk(lengths)
    elif int(chunk_size) < 1:
        raise ValueError(f"chunk_size must be a positive int, got {chunk_size}.")
    return pi, A, log_b, lengths, int(chunk_size)


def _sum_log_c(log_c, lengths):
    # After an impossible step (c_t = 0) the recursion holds NaN: the sequence has p(x) = 0.
    return np.add.reduceat(np.where(np.isnan(log_c), -np.inf, log_c), _starts(lengths))


def log_likelihood(pi, A, log_b, lengths=None, *, chunk_size=None):
    """``log p(x)`` of each sequence by the scaled forward recursion (fast engine).

    Safe for arbitrarily long sequences: ``log p(x) = sum_t (log c_t + m_t)`` where
    ``m_t`` is the shift taken out of ``log_b`` row ``t``; no product of probabilities is
    ever formed.

    Parameters
    ----------
    pi : ndarray of shape (K,)
    A : ndarray of shape (K, K)
    log_b : ndarray of shape (n_samples, K)
    lengths : array-like of int, optional
    chunk_size : int, optional
        Steps per chunk of the chunked scan (default about ``2 sqrt(T)``); it changes
        speed, never the result beyond rounding.

    Returns
    -------
    ndarray of shape (n_sequences,)
        ``-inf`` for a sequence that is impossible under the model.

    Examples
    --------
    >>> import numpy as np
    >>> ll = log_likelihood(np.array([0.5, 0.5]), np.array([[0.9, 0.1], [0.1, 0.9]]),
    ...                     np.log([[0.2, 0.6], [0.2, 0.6]]))
    >>> round(float(ll[0]), 4)
    -1.6503
    """
    pi, A, log_b, lengths, L = _check_engine_args(pi, A, log_b, lengths, chunk_size)
    b, m = _emission_scaled(log_b)
    ch = _Chunks(lengths, L)
    _, scale, _, _ = _forward_pass(pi, A, ch.pad(b, 1.0), ch)
    with np.errstate(divide="ignore"):
        log_c = np.log(ch.unpad(scale)) + m  # (n_samples,)
    return _sum_log_c(log_c, lengths)


def forward_backward(pi, A, log_b, lengths=None, *, engine="scan", chunk_size=None):
    """The E-step of Baum-Welch: ``log p(x)``, the state posteriors and the expected transitions.

    ``gamma_t(k) = p(z_t = k | x) = alpha_t(k) beta_t(k) / p(x)`` (eq. hmm-gamma) and
    ``xi_t(i, j) = p(z_{t-1} = i, z_t = j | x) = alpha_{t-1}(i) A_ij b_t(j) beta_t(j) / p(x)``
    (eq. hmm-xi), summed over the steps ``t`` that a transition leads to.

    Parameters
    ----------
    pi : ndarray of shape (K,)
        Initial state distribution.
    A : ndarray of shape (K, K)
        Transition matrix.
    log_b : ndarray of shape (n_samples, K)
        Log emission likelihoods.
    lengths : array-like of int, optional
    engine : {"scan", "recursion"}, default="scan"
        ``"recursion"``: :func:`forward_log` and :func:`backward_log` in log space, the
        chapter's derivation, one Python step per time step. ``"scan"``: the same numbers
        (to rounding) by the chunked scaled scan of the module docstring, many times faster
        on long sequences.
    chunk_size : int, optional
        Steps per chunk of the scan (default about ``2 sqrt(T)``); it changes speed, never
        the result beyond rounding.

    Returns
    -------
    log_likelihood : ndarray of shape (n_sequences,)
    gamma : ndarray of shape (n_samples, K)
        ``p(z_t = k | x)``, eq. (hmm-gamma).
    xi_sum : ndarray of shape (K, K)
        ``sum_t xi_t(i, j)``, the expected number of ``i -> j`` transitions, eq. (hmm-xi).

    Examples
    --------
    >>> import numpy as np
    >>> pi, A = np.array([0.5, 0.5]), np.array([[0.9, 0.1], [0.1, 0.9]])
    >>> log_b = np.log([[0.2, 0.6], [0.2, 0.6], [0.7, 0.1]])
    >>> ll, gamma, xi_sum = forward_backward(pi, A, log_b, engine="recursion")
    >>> np.allclose(gamma.sum(axis=1), 1.0), np.allclose(xi_sum.sum(axis=1), gamma[:-1].sum(axis=0))
    (True, True)
    >>> [np.allclose(a, b) for a, b in zip(forward_backward(pi, A, log_b), (ll, gamma, xi_sum))]
    [True, True, True]
    """
    if engine == "scan":
        return _scan_forward_backward(pi, A, log_b, lengths, chunk_size)
    if engine != "recursion":
        raise ValueError(f"engine must be 'scan' or 'recursion', got {engine!r}.")
    log_b, lengths = _prepare(log_b, lengths)
    with np.errstate(divide="ignore"):
        log_pi, log_A = np.log(pi), np.log(A)
    log_alpha, ll = forward_log(log_pi, log_A, log_b, lengths)  # eq. (hmm-forward)
    log_beta = backward_log(log_A, log_b, lengths)  # eq. (hmm-backward)
    seq_ll = np.repeat(ll, lengths)  # (n_samples,): log p(x) of the sequence each step is in
    gamma = np.exp(log_alpha + log_beta - seq_ll[:, None])  # eq. (hmm-gamma)
    first = np.zeros(log_b.shape[0], dtype=bool)
    first[_starts(lengths)] = True
    t = np.flatnonzero(~first)  # steps reached by a transition
    xi = np.exp(log_alpha[t - 1, :, None] + log_A + (log_b[t] + log_beta[t])[:, None, :]
                - seq_ll[t, None, None])  # eq. (hmm-xi), (len(t), K, K)
    return ll, gamma, xi.sum(axis=0)


def _scan_forward_backward(pi, A, log_b, lengths, chunk_size):
    """:func:`forward_backward` by the chunked scaled scan (the fast engine)."""
    pi, A, log_b, lengths, L = _check_engine_args(pi, A, log_b, lengths, chunk_size)
    b, m = _emission_scaled(log_b)
    ch = _Chunks(lengths, L)
    b_pad = ch.pad(b, 1.0)  # (S, L, K)
    alpha, scale, prev_end, M = _forward_pass(pi, A, b_pad, ch)
    beta = _backward_pass(A, b_pad, ch, M)
    with np.errstate(divide="ignore"):
        log_c = np.log(ch.unpad(scale)) + m
    ll = _sum_log_c(log_c, lengths)

    # gamma_t ∝ alpha_hat_t * beta_t, eq. (hmm-gamma)
    gamma = ch.unpad(_normalise(alpha * beta))  # (n_samples, K)

    # xi_t(i, j) ∝ alpha_hat_{t-1}(i) A_ij b_t(j) beta_t(j), eq. (hmm-xi), summed over t.
    # The step before t = 0 of a chunk is the end of the previous chunk (prev_end).
    S, L, K = b_pad.shape
    prev = np.empty_like(alpha)
    prev[:, 0], prev[:, 1:] = prev_end, alpha[:, :-1]
    prev, w = prev.reshape(-1, K), (b_pad * beta).reshape(-1, K)  # (S * L, K)
    valid = ch.mask.copy()
    valid[ch.is_first, 0] = False  # no transition into a sequence's first step
    # (einsum: OpenBLAS is slow on tall-and-skinny products such as (N, K) @ (K, K))
    norm = np.einsum("nj,nj->n", np.einsum("nk,kj->nj", prev, A), w)  # sum_ij of each unnormalised xi_t
    weight = np.where(valid.ravel() & (norm > 0), 1.0 / np.where(norm > 0, norm, 1.0), 0.0)
    xi_sum = A * ((prev * weight[:, None]).T @ w)  # (K, K)
    return ll, gamma, xi_sum
