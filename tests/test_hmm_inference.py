"""The HMM inference functions against independent references.

- brute-force enumeration over all K**T state paths (T <= 6, K in {2, 3});
- forward_backward's two engines (the log-space recursion and the chunked scan) against each other;
- hmmlearn (test-only dependency) on the same parameters;
- a 1,000,000-step sequence, where the exact answer is known in closed form.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.special import logsumexp

from genlib.classic.hmm_inference import (
    backward_log,
    forward_backward,
    forward_log,
    log_likelihood,
    sample_states,
    viterbi,
)


def random_hmm(K, M, seed):
    rng = np.random.default_rng(seed)
    pi = rng.dirichlet(np.ones(K))
    A = rng.dirichlet(np.ones(K), size=K)
    B = rng.dirichlet(np.ones(M), size=K)
    return pi, A, B


def brute_force(pi, A, log_b):
    """log p(x), gamma, summed xi and the best path of ONE sequence by listing every path."""
    T, K = log_b.shape
    paths = np.array(list(itertools.product(range(K), repeat=T)))  # (K**T, T)
    # log p(x, z) = log pi_{z_1} + sum_t log A_{z_{t-1} z_t} + sum_t log b_t(z_t)
    lj = np.log(pi)[paths[:, 0]] + log_b[np.arange(T), paths].sum(axis=1)
    lj += np.log(A)[paths[:, :-1], paths[:, 1:]].sum(axis=1)
    ll = logsumexp(lj)
    w = np.exp(lj - ll)  # p(z | x)
    gamma = np.stack([np.bincount(paths[:, t], weights=w, minlength=K) for t in range(T)])
    xi = np.zeros((T, K, K))
    for t in range(1, T):
        np.add.at(xi[t], (paths[:, t - 1], paths[:, t]), w)
    return ll, gamma, xi, paths[np.argmax(lj)], lj.max()


CASES = [(K, T, seed) for K in (2, 3) for T in (1, 2, 5, 6) for seed in (0, 1)]


@pytest.mark.parametrize("K,T,seed", CASES)
def test_textbook_functions_match_brute_force(K, T, seed):
    pi, A, B = random_hmm(K, 4, seed)
    x = np.random.default_rng(seed + 100).integers(0, 4, size=T)
    log_b = np.log(B.T[x])
    ll, gamma, xi, path, best = brute_force(pi, A, log_b)

    log_alpha, ll_fwd = forward_log(np.log(pi), np.log(A), log_b)
    np.testing.assert_allclose(ll_fwd, [ll], rtol=1e-12)
    np.testing.assert_allclose(logsumexp(log_alpha[-1]), ll, rtol=1e-12)
    # p(x) = sum_k pi_k b_1(k) beta_1(k)
    log_beta = backward_log(np.log(A), log_b)
    np.testing.assert_allclose(logsumexp(np.log(pi) + log_b[0] + log_beta[0]), ll, rtol=1e-12)

    p, lp = viterbi(np.log(pi), np.log(A), log_b)
    np.testing.assert_array_equal(p, path)
    np.testing.assert_allclose(lp, [best], rtol=1e-12)

    engines = [{"engine": "recursion"}] + [{"chunk_size": chunk} for chunk in (1, 2, 3, None)]
    for kwargs in engines:  # the chapter's recursion and the scan, each against the brute force
        ll_e, g_e, xi_sum = forward_backward(pi, A, log_b, **kwargs)
        np.testing.assert_allclose(ll_e, [ll], rtol=1e-12)
        np.testing.assert_allclose(g_e, gamma, atol=1e-12)
        np.testing.assert_allclose(xi_sum, xi.sum(axis=0), atol=1e-12)
        np.testing.assert_allclose(log_likelihood(pi, A, log_b, chunk_size=kwargs.get("chunk_size")), [ll],
                                   rtol=1e-12)


def test_several_sequences_equal_each_sequence_alone():
    pi, A, B = random_hmm(3, 5, 7)
    rng = np.random.default_rng(7)
    lengths = np.array([1, 6, 3, 5, 2])
    x = rng.integers(0, 5, size=lengths.sum())
    log_b = np.log(B.T[x])
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    gamma_all, xi_all = [], []
    lls, best = [], []
    path_all = []
    for s, n in zip(starts, lengths):
        ll, gamma, xi, path, b = brute_force(pi, A, log_b[s:s + n])
        lls.append(ll), best.append(b), gamma_all.append(gamma), xi_all.append(xi), path_all.append(path)
    gamma_all, xi_all, path_all = np.concatenate(gamma_all), np.concatenate(xi_all), np.concatenate(path_all)

    _, ll = forward_log(np.log(pi), np.log(A), log_b, lengths)
    np.testing.assert_allclose(ll, lls, rtol=1e-12)
    p, lp = viterbi(np.log(pi), np.log(A), log_b, lengths)
    np.testing.assert_array_equal(p, path_all)
    np.testing.assert_allclose(lp, best, rtol=1e-12)
    for kwargs in [{"engine": "recursion"}] + [{"chunk_size": chunk} for chunk in (1, 2, 4, None)]:
        ll_e, g_e, xi_sum = forward_backward(pi, A, log_b, lengths, **kwargs)
        np.testing.assert_allclose(ll_e, lls, rtol=1e-12)
        np.testing.assert_allclose(g_e, gamma_all, atol=1e-12)
        np.testing.assert_allclose(xi_sum, xi_all.sum(axis=0), atol=1e-12)


@pytest.mark.parametrize("chunk", [7, 50, None])
def test_chunked_engine_equals_log_space_recursions_on_long_ragged_sequences(chunk):
    pi, A, B = random_hmm(4, 27, 3)
    rng = np.random.default_rng(3)
    lengths = np.array([400, 1, 137, 999, 64])
    x = rng.integers(0, 27, size=lengths.sum())
    log_b = np.log(B.T[x])
    ll, gamma, xi = forward_backward(pi, A, log_b, lengths, engine="recursion")
    ll_e, g_e, xi_sum = forward_backward(pi, A, log_b, lengths, chunk_size=chunk)
    np.testing.assert_allclose(ll_e, ll, rtol=1e-10)
    np.testing.assert_allclose(g_e, gamma, atol=1e-9)
    np.testing.assert_allclose(xi_sum, xi, rtol=1e-9)


def test_zero_probabilities_give_minus_inf_not_nan():
    pi = np.array([1.0, 0.0])
    A = np.array([[1.0, 0.0], [0.0, 1.0]])
    B = np.array([[1.0, 0.0], [0.0, 1.0]])  # state 0 only ever emits symbol 0
    x = np.array([0, 0, 1, 0])
    with np.errstate(divide="ignore"):
        log_pi, log_A, log_b = np.log(pi), np.log(A), np.log(B.T[x])
    ll = log_likelihood(pi, A, log_b)
    assert ll[0] == -np.inf
    _, ll_log = forward_log(log_pi, log_A, log_b)
    assert ll_log[0] == -np.inf


def test_one_million_steps_do_not_underflow():
    # Emissions independent of the state make the answer exact: log p(x) = sum_t log B[x_t].
    rng = np.random.default_rng(0)
    T = 1_000_000
    pi = np.array([0.3, 0.7])
    A = np.array([[0.9, 0.1], [0.2, 0.8]])
    row = np.array([0.1, 0.2, 0.3, 0.4])
    x = rng.integers(0, 4, size=T)
    log_b = np.log(np.stack([row, row]).T[x])  # (T, 2)
    ll = log_likelihood(pi, A, log_b)
    exact = np.log(row)[x].sum()
    assert np.isfinite(ll[0]) and ll[0] < -1e6
    np.testing.assert_allclose(ll, [exact], rtol=1e-10)
    # A naive product of probabilities is 0.0 after ~600 steps; the scaled recursion is not.
    assert np.prod(row[x[:1000]]) == 0.0


def test_one_million_steps_match_hmmlearn():
    hmm = pytest.importorskip("hmmlearn.hmm")
    pi, A, B = random_hmm(3, 5, 11)
    x = np.random.default_rng(11).integers(0, 5, size=1_000_000)
    ref = hmm.CategoricalHMM(3, n_features=5)
    ref.startprob_, ref.transmat_, ref.emissionprob_ = pi, A, B
    ll = log_likelihood(pi, A, np.log(B.T[x]))
    np.testing.assert_allclose(ll, [ref.score(x.reshape(-1, 1))], rtol=1e-9)


def test_against_hmmlearn_viterbi_and_posteriors():
    hmm = pytest.importorskip("hmmlearn.hmm")
    pi, A, B = random_hmm(4, 6, 5)
    rng = np.random.default_rng(5)
    lengths = [300, 50, 1, 200]
    x = rng.integers(0, 6, size=sum(lengths))
    ref = hmm.CategoricalHMM(4, n_features=6)
    ref.startprob_, ref.transmat_, ref.emissionprob_ = pi, A, B
    X = x.reshape(-1, 1)
    log_b = np.log(B.T[x])
    ref_lp, ref_path = ref.decode(X, lengths, algorithm="viterbi")
    path, lp = viterbi(np.log(pi), np.log(A), log_b, lengths)
    np.testing.assert_array_equal(path, ref_path)
    np.testing.assert_allclose(lp.sum(), ref_lp, rtol=1e-10)
    ll, gamma, _ = forward_backward(pi, A, log_b, lengths)
    np.testing.assert_allclose(ll.sum(), ref.score(X, lengths), rtol=1e-10)
    np.testing.assert_allclose(gamma, ref.predict_proba(X, lengths), atol=1e-9)


def test_sample_states_follows_the_chain():
    pi = np.array([0.2, 0.8])
    A = np.array([[0.7, 0.3], [0.4, 0.6]])
    z = sample_states(pi, A, 200_000, random_state=0)
    # Empirical transition frequencies vs A; standard error <= sqrt(0.25 / 60000) ~ 0.002.
    counts = np.zeros((2, 2))
    np.add.at(counts, (z[:-1], z[1:]), 1)
    np.testing.assert_allclose(counts / counts.sum(axis=1, keepdims=True), A, atol=0.01)
    starts = np.array([sample_states(pi, A, 1, random_state=s)[0] for s in range(2000)])
    assert abs(starts.mean() - 0.8) < 0.05  # sd of the mean is 0.009
    np.testing.assert_array_equal(sample_states(pi, A, 50, random_state=3), sample_states(pi, A, 50, random_state=3))


def test_bad_lengths_and_shapes_are_refused():
    pi, A, B = random_hmm(2, 3, 0)
    log_b = np.log(B.T[[0, 1, 2, 1]])
    with pytest.raises(ValueError, match="lengths sums to 5"):
        forward_backward(pi, A, log_b, [2, 3])
    with pytest.raises(ValueError, match="lengths must be positive"):
        forward_log(np.log(pi), np.log(A), log_b, [4, 0])
    with pytest.raises(ValueError, match="log_b must be 2-D"):
        viterbi(np.log(pi), np.log(A), log_b[:, 0])
    with pytest.raises(ValueError, match="chunk_size"):
        log_likelihood(pi, A, log_b, chunk_size=0)
    with pytest.raises(ValueError, match="engine must be"):
        forward_backward(pi, A, log_b, engine="fast")
