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
:func:`viterbi` has the same two engines: ``engine="recursion"`` is eq. ``hmm-viterbi`` step by
step, and the default ``engine="scan"`` runs that recursion as a chunked scan in the max-plus
semiring (max replaces the sum, + the product), then traces back chunk by chunk.

Every public function checks its arguments once per call: ``pi``/``A`` (or their logs)
non-negative, without NaN, rows summing to one within 1e-6; the same number of states K in
``pi``, ``A`` and the columns of ``log_b``; ``log_b`` without NaN or +inf (-inf marks an
impossible emission); ``lengths`` positive whole numbers summing to the rows of ``log_b``.

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

from .._validation import check_int, check_random_state
from ._checks import check_chain, check_lengths, check_log_emissions

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


def _checked(pi, A, log_b, lengths, *, log_space, names=("pi", "A"), has_pi=True):
    """Every check of a public function, once per call: ``log_b`` (no NaN, no +inf), ``lengths``
    (positive whole numbers summing to the rows of ``log_b``), and ``pi``/``A`` (non-negative,
    rows summing to one within 1e-6, or their logs) with the same K as ``log_b``'s columns.
    ``pi=None`` skips ``pi`` (the backward recursion has none)."""
    log_b = check_log_emissions(log_b)
    lengths = check_lengths(lengths, log_b.shape[0], rows="log_b")
    K = log_b.shape[1]
    if pi is None and has_pi:
        raise TypeError(f"{names[0]} must be the initial state distribution, shape ({K},), got None.")
    pi, A = check_chain(pi, A, K, log_space=log_space, names=names)
    return pi, A, log_b, lengths


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
    log_pi, log_A, log_b, lengths = _checked(log_pi, log_A, log_b, lengths, log_space=True,
                                             names=("log_pi", "log_A"))
    return _forward_log(log_pi, log_A, log_b, lengths)


def _forward_log(log_pi, log_A, log_b, lengths):
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
    _, log_A, log_b, lengths = _checked(None, log_A, log_b, lengths, log_space=True, names=("log_pi", "log_A"),
                                        has_pi=False)
    return _backward_log(log_A, log_b, lengths)


def _backward_log(log_A, log_b, lengths):
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


def viterbi(log_pi, log_A, log_b, lengths=None, *, engine="scan", chunk_size=None):
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
    engine : {"scan", "recursion"}, default="scan"
        ``"recursion"``: the recursion above, one Python step per time step, as the chapter
        derives it (:func:`_viterbi_recursion`). ``"scan"``: the same recursion run as a
        chunked scan in the max-plus semiring (:func:`_viterbi_scan`), the same path and
        log-probability (to rounding) many times faster on long sequences.
    chunk_size : int, optional
        Steps per chunk of the scan (default about ``2 sqrt(T)``).

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
    >>> bool(np.array_equal(path, viterbi(np.log([0.5, 0.5]), np.log([[0.9, 0.1], [0.1, 0.9]]),
    ...                                   np.log([[0.2, 0.6], [0.7, 0.1], [0.7, 0.1]]), engine="recursion")[0]))
    True
    """
    if engine not in ("scan", "recursion"):
        raise ValueError(f"engine must be 'scan' or 'recursion', got {engine!r}.")
    log_pi, log_A, log_b, lengths = _checked(log_pi, log_A, log_b, lengths, log_space=True,
                                             names=("log_pi", "log_A"))
    if engine == "recursion":
        return _viterbi_recursion(log_pi, log_A, log_b, lengths)
    return _viterbi_scan(log_pi, log_A, log_b, lengths, _chunk_size(chunk_size, lengths))


def _viterbi_recursion(log_pi, log_A, log_b, lengths):
    """The Viterbi recursion, eq. (hmm-viterbi), one step at a time (vectorised over sequences)."""
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
    if pi is None:
        raise TypeError("pi must be the initial state distribution, shape (K,), got None.")
    pi, A = check_chain(pi, A, None, log_space=False)
    if A.shape[0] != pi.shape[0]:
        raise ValueError(f"pi has {pi.shape[0]} states and A {A.shape[0]}; both must describe the same K states.")
    n_steps = check_int(n_steps, "n_steps", minimum=1)
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


def _chunk_size(chunk_size, lengths):
    if chunk_size is None:
        return _auto_chunk(lengths)
    return check_int(chunk_size, "chunk_size", minimum=1)


def _check_engine_args(pi, A, log_b, lengths, chunk_size):
    pi, A, log_b, lengths = _checked(pi, A, log_b, lengths, log_space=False)
    return pi, A, log_b, lengths, _chunk_size(chunk_size, lengths)


# --------------------------------------------------------------------------------------
# Viterbi as a chunked scan in the max-plus semiring
# --------------------------------------------------------------------------------------

def _maxplus_step(M, log_A, lb_t):
    """``M (x) W_t`` in the max-plus semiring, ``W_t[i, j] = log A_ij + log b_t(j)``, for a stack
    of matrices stored chunk-last, ``M[a, i, s]`` (K, K, S): ``max_i(M[a, i] + log A_ij) + log b_t(j)``.
    (Chunks on the last axis keep every operation on contiguous rows of S numbers.)"""
    K = log_A.shape[0]
    if K <= 8:  # a short loop over i beats a (K, K, K, S) temporary
        out = M[:, 0, None, :] + log_A[0, None, :, None]
        for i in range(1, K):
            np.maximum(out, M[:, i, None, :] + log_A[i, None, :, None], out=out)
    else:
        out = (M[:, :, None, :] + log_A[None, :, :, None]).max(axis=1)
    out += lb_t[None]
    return out


def _viterbi_scan(log_pi, log_A, log_b, lengths, chunk_size):
    """:func:`viterbi` by a two-level scan, eq. (hmm-viterbi) in the max-plus semiring.

    One Viterbi step is the max-plus matrix product ``delta_t = delta_{t-1} (x) W_t`` with
    ``W_t[i, j] = log A_ij + log b_t(j)``; like the ordinary matrix product, it is
    associative, so each chunk of ``L`` steps reduces to one ``K x K`` matrix
    ``W_1 (x) ... (x) W_{L-1}``, all chunks at once (level 1). A short loop over chunk
    numbers then carries ``delta`` across chunk boundaries (level 2). Knowing ``delta`` where
    each chunk starts, the ordinary recursion runs in all chunks at once and records the
    arg-maxes ``psi`` (level 3); every chunk is traced back from each of the ``K`` states it
    can end in (level 4), and a last short loop over chunks, from the end, chooses which
    (level 5). Python loops about ``3 L + 2 T / L`` times instead of ``2 T``. Arrays hold
    the chunks on their last axis, ``(..., K, S)``, so each operation runs on contiguous rows.
    """
    ch = _Chunks(lengths, chunk_size)
    lb = np.ascontiguousarray(ch.pad(log_b, 0.0).transpose(1, 2, 0))  # (L, K, S): step, state, chunk
    L, K, S = lb.shape
    valid = np.ascontiguousarray(ch.mask.T)  # (L, S)
    states = np.arange(K)
    # Level 1, all chunks at once: M_s = W_1 (x) ... (x) W_{size-1} (step 0 enters at level 2).
    M = None
    if ch.c_max > 1:
        ident = np.full((K, K), -np.inf)
        np.fill_diagonal(ident, 0.0)  # the max-plus identity
        M = np.repeat(ident[:, :, None], S, axis=2)  # (K, K, S)
        for t in range(1, L):
            step = _maxplus_step(M, log_A, lb[t])
            M = step if ch.full[t] else np.where(valid[t], step, M)  # padding: identity
    # Level 2, over chunk numbers, vectorised over sequences: delta at each chunk's first step.
    start = np.empty((K, S))  # delta at step 0 of every chunk
    entry_psi = np.zeros((K, S), dtype=np.intp)  # argmax into step 0: the previous chunk's last state
    first = ch.grid[:, 0]
    start[:, first] = log_pi[:, None] + lb[0][:, first]  # delta_1 = log pi + log b_1
    if ch.c_max > 1:
        end = (start[:, None, first] + M[:, :, first]).max(axis=0)  # (K, n_seq): delta at chunk 0's end
        for c in range(1, ch.c_max):
            idx = ch.grid[:, c]
            ok = idx >= 0
            s = idx[ok]
            scores = end[:, ok][:, None, :] + log_A[:, :, None]  # (K_prev, K, n)
            entry_psi[:, s] = scores.argmax(axis=0)
            start[:, s] = scores.max(axis=0) + lb[0][:, s]
            end[:, ok] = (start[:, None, s] + M[:, :, s]).max(axis=0)
    # Level 3, all chunks at once: the recursion of eq. (hmm-viterbi) inside each chunk.
    small = np.min_scalar_type(K - 1)  # state indices as uint8 when K <= 256: less memory to move
    psi = np.empty((L, K, S), dtype=small)
    psi[0] = states[:, None]
    delta = start
    log_A_col = log_A[:, :, None]
    for t in range(1, L):
        scores = delta[:, None, :] + log_A_col  # (K_prev, K, S)
        best = scores.argmax(axis=0)  # (K, S)
        step = scores.max(axis=0)
        step += lb[t]
        if ch.full[t]:
            delta, psi[t] = step, best
        else:  # padding carries delta on and points each state to itself
            delta = np.where(valid[t], step, delta)
            psi[t] = np.where(valid[t], best, states[:, None])
    # Level 4, all chunks and all K possible end states at once: trace back inside the chunk.
    paths = np.empty((L, K, S), dtype=small)  # paths[:, k, s]: chunk s's path if it ends in k
    column = np.arange(S)  # flat index of (state z, chunk s) in a (K, S) block: z * S + s
    z = np.repeat(states[:, None], S, axis=1)  # (K, S)
    for t in range(L - 1, -1, -1):  # z_{t-1} = psi_t(z_t)
        paths[t] = z
        if t:
            z = psi[t].take(np.multiply(z, S, dtype=np.intp) + column)
    link = entry_psi.take(np.multiply(z, S, dtype=np.intp) + column)  # (K, S): last state of the previous chunk
    # Level 5, over chunk numbers from the end: the end state of every chunk.
    n_chunks = -(-lengths // ch.L)
    last = ch.grid[np.arange(ch.n_seq), n_chunks - 1]  # last chunk of each sequence
    final = delta[:, last]  # (K, n_seq): delta_T
    z_end = final.argmax(axis=0)
    log_prob = final[z_end, np.arange(ch.n_seq)]
    end_state = np.empty(S, dtype=np.intp)
    z = z_end.copy()
    for c in range(ch.c_max - 1, -1, -1):
        idx = ch.grid[:, c]
        ok = idx >= 0
        z = np.where(ok & (c == n_chunks - 1), z_end, z)  # a sequence's last chunk ends where Viterbi ends it
        end_state[idx[ok]] = z[ok]
        z[ok] = link[z[ok], idx[ok]]
    path = paths[:, end_state, column].T.astype(np.int64)  # (S, L)
    return ch.unpad(path), log_prob


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
    pi, A, log_b, lengths = _checked(pi, A, log_b, lengths, log_space=False)
    with np.errstate(divide="ignore"):
        log_pi, log_A = np.log(pi), np.log(A)
    log_alpha, ll = _forward_log(log_pi, log_A, log_b, lengths)  # eq. (hmm-forward)
    log_beta = _backward_log(log_A, log_b, lengths)  # eq. (hmm-backward)
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
