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


# ------------------------------------------------------------------ Viterbi: the scan engine

@pytest.mark.parametrize("K,T,seed", CASES)
def test_viterbi_scan_equals_recursion_and_brute_force(K, T, seed):
    pi, A, B = random_hmm(K, 4, seed)
    x = np.random.default_rng(seed + 100).integers(0, 4, size=T)
    log_b = np.log(B.T[x])
    *_, path, best = brute_force(pi, A, log_b)
    for kwargs in [{"engine": "recursion"}] + [{"chunk_size": c} for c in (1, 2, 3, None)]:
        p, lp = viterbi(np.log(pi), np.log(A), log_b, **kwargs)
        np.testing.assert_array_equal(p, path)
        np.testing.assert_allclose(lp, [best], rtol=1e-12)


@pytest.mark.parametrize("chunk", [1, 7, 50, None])
def test_viterbi_scan_equals_recursion_on_long_ragged_sequences(chunk):
    pi, A, B = random_hmm(4, 27, 3)
    rng = np.random.default_rng(3)
    lengths = np.array([400, 1, 137, 999, 64, 2])
    log_b = np.log(B.T[rng.integers(0, 27, size=lengths.sum())])
    p_ref, lp_ref = viterbi(np.log(pi), np.log(A), log_b, lengths, engine="recursion")
    p, lp = viterbi(np.log(pi), np.log(A), log_b, lengths, chunk_size=chunk)
    np.testing.assert_array_equal(p, p_ref)
    np.testing.assert_allclose(lp, lp_ref, rtol=1e-12)


def test_viterbi_scan_with_forbidden_moves_and_many_states():
    # Left-to-right chains (log A = -inf below the diagonal) and K = 12 (the (S, K, K, K) branch).
    for K, seed in ((3, 0), (12, 1)):
        rng = np.random.default_rng(seed)
        A = np.triu(rng.random((K, K)) + 0.1)
        A /= A.sum(axis=1, keepdims=True)
        pi = np.r_[1.0, np.zeros(K - 1)]
        log_b = np.log(rng.dirichlet(np.ones(K), size=3000))
        with np.errstate(divide="ignore"):
            log_pi, log_A = np.log(pi), np.log(A)
        p_ref, lp_ref = viterbi(log_pi, log_A, log_b, [1000, 2000], engine="recursion")
        p, lp = viterbi(log_pi, log_A, log_b, [1000, 2000])
        np.testing.assert_array_equal(p, p_ref)
        np.testing.assert_allclose(lp, lp_ref, rtol=1e-12)
        assert np.all(np.diff(p[:1000]) >= 0) and np.all(np.diff(p[1000:]) >= 0)  # never moves back


def test_viterbi_one_million_steps_match_hmmlearn():
    hmm = pytest.importorskip("hmmlearn.hmm")
    pi, A, B = random_hmm(3, 5, 11)
    x = np.random.default_rng(11).integers(0, 5, size=1_000_000)
    ref = hmm.CategoricalHMM(3, n_features=5)
    ref.startprob_, ref.transmat_, ref.emissionprob_ = pi, A, B
    ref_lp, ref_path = ref.decode(x.reshape(-1, 1), algorithm="viterbi")
    log_b = np.log(B.T[x])
    path, lp = viterbi(np.log(pi), np.log(A), log_b)
    np.testing.assert_allclose(lp, [ref_lp], rtol=1e-10)

    def log_joint(z):  # log p(x, z) of a path, summed directly
        return np.log(pi)[z[0]] + log_b[np.arange(len(z)), z].sum() + np.log(A)[z[:-1], z[1:]].sum()

    # Exact ties exist (0 -> 0 -> 2 -> 0 and 0 -> 2 -> 0 -> 0 under two equal symbols have the
    # same probability), and the libraries break them differently: both paths must be optimal.
    np.testing.assert_allclose([log_joint(path), log_joint(ref_path)], [ref_lp, ref_lp], rtol=1e-10)
    assert np.mean(path == ref_path) > 0.9
    # genlib's two engines break the ties alike (the scan is the recursion, reassociated)
    p_rec, lp_rec = viterbi(np.log(pi), np.log(A), log_b[:20_000], engine="recursion")
    p_scan, lp_scan = viterbi(np.log(pi), np.log(A), log_b[:20_000])
    np.testing.assert_array_equal(p_scan, p_rec)
    np.testing.assert_allclose(lp_scan, lp_rec, rtol=1e-12)


# ------------------------------------------------------------------ refused input

def _message(fn, *args, **kwargs):
    with pytest.raises((ValueError, TypeError)) as info:
        fn(*args, **kwargs)
    return str(info.value)


def test_bad_chains_are_refused_by_name():
    pi, A, B = random_hmm(3, 4, 0)
    log_b = np.log(B.T[[0, 1, 2, 3, 1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        bad = {
            "NaN": (np.r_[np.nan, pi[1:]], np.where(np.eye(3) == 1, np.nan, A)),
            "negative": (np.r_[-0.1, pi[0] + 0.1, pi[1:]][:3], np.array([[1.2, -0.2, 0.0]] + A[1:].tolist())),
            "sum to 1": (pi * 1.1, A * 0.9),
        }
    for what, (p, a) in bad.items():
        for name, args in (("pi", (p, A)), ("A", (pi, a))):
            for fn in (log_likelihood, forward_backward):
                msg = _message(fn, *args, log_b)
                assert name in msg and what in msg, msg
            with np.errstate(divide="ignore", invalid="ignore"):
                log_args = (np.log(args[0]), np.log(args[1]))
            msg = _message(viterbi, *log_args, log_b)
            assert "log_" + name in msg, msg
            msg = _message(forward_log, *log_args, log_b)
            assert "log_" + name in msg, msg
    # probabilities passed where log-probabilities are expected: named, with the fix
    assert "np.log" in _message(viterbi, pi, np.log(A), log_b)
    assert "np.exp" in _message(log_likelihood, np.log(pi), A, log_b)
    assert "log_A" in _message(backward_log, np.log(A * 0.5), log_b)
    # K must agree between pi, A and log_b
    pi2, A2, _ = random_hmm(2, 4, 0)
    assert "pi has 2 states but log_b has 3 columns" in _message(forward_backward, pi2, A, log_b)
    assert "A has 2 states but log_b has 3 columns" in _message(log_likelihood, pi, A2, log_b)
    assert "log_A must have shape (K, K)" in _message(viterbi, np.log(pi), np.log(A[:2]), log_b)
    # log_b: NaN and +inf are refused, -inf (an impossible emission) is allowed
    for value in (np.nan, np.inf):
        lb = log_b.copy()
        lb[2, 1] = value
        assert "log_b contains" in _message(forward_backward, pi, A, lb)
    lb = log_b.copy()
    lb[2, :] = -np.inf
    assert log_likelihood(pi, A, lb)[0] == -np.inf
    # a tolerance of 1e-6 on the sums, as hmmlearn: rounding is accepted
    log_likelihood(pi * (1 + 1e-9), A, log_b)


@pytest.mark.parametrize("lengths,match", [
    ([2, 3.5], "whole numbers"), ([6, -1], "must be positive"), ([2, 2], "sums to 4 but log_b has 5 rows"),
    ([True, True], "booleans"), ([2.0, np.nan], "NaN"), (5, "single int"), (["2", "3"], "integer lengths"),
    ([[2, 3]], "1-D"), ([], "empty"),
])
def test_bad_lengths_are_refused_by_name(lengths, match):
    pi, A, B = random_hmm(2, 3, 0)
    log_b = np.log(B.T[[0, 1, 2, 1, 0]])
    for fn, args in ((forward_backward, (pi, A)), (log_likelihood, (pi, A)),
                     (viterbi, (np.log(pi), np.log(A))), (forward_log, (np.log(pi), np.log(A))),
                     (backward_log, (np.log(A),))):
        msg = _message(fn, *args, log_b, lengths)
        assert "lengths" in msg and match in msg, msg
    np.testing.assert_array_equal(viterbi(np.log(pi), np.log(A), log_b, [2.0, 3.0])[0],
                                  viterbi(np.log(pi), np.log(A), log_b, [2, 3])[0])  # whole floats are fine
