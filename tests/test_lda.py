"""Tests of genlib.classic.lda against independent references.

- the collapsed joint p(w, z) against the Pólya-urn chain rule in exact rational arithmetic;
- the collapsed conditional p(z_i = k | z_-i, w) against the normalised brute-force joint;
- both samplers against the exact posterior p(z | w) enumerated on a tiny corpus
  (with a wrong sampler as a negative control);
- recovery of the known topics of the bars data set (Hungarian matching), both samplers;
- held-out perplexity: falls during training, the fast sampler reaches the reference's,
  the uniform model scores exactly V; same seed, same result;
- learned priors: Minka's fixed points against a general-purpose optimiser of an independently
  written Dirichlet-multinomial likelihood, recovery of known concentrations from synthetic
  counts, the fitted alpha_ of the bars near the truth; n_init keeps the best chain.
"""

from __future__ import annotations

import itertools
import sys
from fractions import Fraction

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import linear_sum_assignment, minimize, minimize_scalar
from scipy.special import gammaln

from genlib.base import NotFittedError
from genlib.classic import LatentDirichletAllocation
from genlib.classic.lda import (
    _CollapsedLogJoint,
    _collapsed_sweep_loop,
    _compiled_sweep,
    blocked_gibbs_sweep,
    collapsed_conditional,
    collapsed_gibbs_sweep,
    collapsed_log_joint,
    counts_to_tokens,
    dirichlet_multinomial_log_likelihood,
    document_completion_perplexity,
    minka_alpha_update,
    minka_beta_update,
    topic_counts,
)
from genlib.datasets import bars_topics, make_bars

# A tiny corpus: 2 documents, vocabulary of 3 words, 5 tokens.
TINY = np.array([[2, 1, 0], [0, 1, 1]])
TINY_K = 2
ALPHA, BETA = Fraction(1, 2), Fraction(1, 3)


def urn_joint(doc, word, z, K, V, alpha, beta) -> Fraction:
    """p(w, z | alpha, beta) by the chain rule of the Pólya urns, in exact rationals.

    Token by token, p(z_i = k | z_<i) = (n_dk + alpha) / (n_d + K alpha) and
    p(w_i = w | z_i = k, ...) = (n_kw + beta) / (n_k + V beta), counting earlier tokens only:
    no Gamma functions, so it checks eq. (lda-collapsed-joint) independently.
    """
    p = Fraction(1)
    n_dk, n_d, n_kw, n_k = {}, {}, {}, {}
    for d, w, k in zip(doc, word, z):
        p *= (n_dk.get((d, k), 0) + alpha) / (n_d.get(d, 0) + K * alpha)
        p *= (n_kw.get((k, w), 0) + beta) / (n_k.get(k, 0) + V * beta)
        n_dk[d, k] = n_dk.get((d, k), 0) + 1
        n_d[d] = n_d.get(d, 0) + 1
        n_kw[k, w] = n_kw.get((k, w), 0) + 1
        n_k[k] = n_k.get(k, 0) + 1
    return p


def exact_posterior(X, K, alpha, beta):
    """Every assignment z of the tokens of X and its exact posterior p(z | w) (enumeration)."""
    doc, word = counts_to_tokens(sp.csr_matrix(X))
    V = X.shape[1]
    states = list(itertools.product(range(K), repeat=doc.size))
    joint = [urn_joint(doc.tolist(), word.tolist(), z, K, V, alpha, beta) for z in states]
    total = sum(joint)
    return doc, word, states, np.array([float(j / total) for j in joint])


# ------------------------------------------------------------------ the collapsed maths
def test_collapsed_log_joint_matches_polya_urn():
    rng = np.random.default_rng(0)
    doc, word = counts_to_tokens(sp.csr_matrix(TINY))
    for _ in range(5):
        z = rng.integers(TINY_K, size=doc.size)
        n_dk, n_kw = topic_counts(doc, word, z, 2, 3, TINY_K)
        exact = urn_joint(doc.tolist(), word.tolist(), z.tolist(), TINY_K, 3, ALPHA, BETA)
        got = collapsed_log_joint(n_dk, n_kw, float(ALPHA), float(BETA))
        np.testing.assert_allclose(got, np.log(float(exact)), rtol=1e-12)
        table = _CollapsedLogJoint(n_dk.sum(axis=1), 3, TINY_K, float(ALPHA), float(BETA))
        np.testing.assert_allclose(table(n_dk, n_kw), got, rtol=1e-12)


def test_collapsed_log_joint_with_an_asymmetric_alpha_matches_polya_urn():
    alpha = [Fraction(1, 4), Fraction(3, 2)]  # one concentration per topic
    doc, word = counts_to_tokens(sp.csr_matrix(TINY))
    for z in ([0, 1, 1, 0, 1], [1, 1, 1, 1, 0]):
        # Pólya urns token by token: (n_dk + a_k) / (n_d + sum_k a_k) and (n_kw + b) / (n_k + V b)
        p, n_dk_, n_d, n_kw_, n_k = Fraction(1), {}, {}, {}, {}
        for d, w, k in zip(doc.tolist(), word.tolist(), z):
            p *= (n_dk_.get((d, k), 0) + alpha[k]) / (n_d.get(d, 0) + sum(alpha))
            p *= (n_kw_.get((k, w), 0) + BETA) / (n_k.get(k, 0) + 3 * BETA)
            for counter, key in ((n_dk_, (d, k)), (n_d, d), (n_kw_, (k, w)), (n_k, k)):
                counter[key] = counter.get(key, 0) + 1
        n_dk, n_kw = topic_counts(doc, word, np.array(z), 2, 3, TINY_K)
        a = np.array([float(x) for x in alpha])
        got = collapsed_log_joint(n_dk, n_kw, a, float(BETA))
        np.testing.assert_allclose(got, np.log(float(p)), rtol=1e-12)
        table = _CollapsedLogJoint(n_dk.sum(axis=1), 3, TINY_K, a, float(BETA))
        np.testing.assert_allclose(table(n_dk, n_kw), got, rtol=1e-12)


def test_collapsed_conditional_equals_normalised_brute_force_joint():
    doc, word = counts_to_tokens(sp.csr_matrix(TINY))
    K = 3
    rng = np.random.default_rng(1)
    z = rng.integers(K, size=doc.size)
    for i in range(doc.size):
        joint = []
        for k in range(K):  # the joint with z_i = k and every other assignment fixed
            zk = z.copy()
            zk[i] = k
            joint.append(urn_joint(doc.tolist(), word.tolist(), zk.tolist(), K, 3, ALPHA, BETA))
        brute = np.array([float(j / sum(joint)) for j in joint])
        got = collapsed_conditional(i, doc, word, z, K, 3, float(ALPHA), float(BETA))
        np.testing.assert_allclose(got, brute, rtol=1e-12)


def _run_chain(method, X, K, alpha, beta, n_sweeps, seed, wrong=False):
    """Frequencies of every assignment z visited by a sampler, in the order of itertools.product."""
    X = sp.csr_matrix(X)
    D, V = X.shape
    doc, word = counts_to_tokens(X)
    rng = np.random.default_rng(seed)
    z = rng.integers(K, size=doc.size)
    n_dk, n_kw = topic_counts(doc, word, z, D, V, K)
    doc_topic, word_topic, topic_total = n_dk + alpha, n_kw.T + beta, n_kw.sum(axis=1) + V * beta
    freq = np.zeros(K ** doc.size)
    codes = K ** np.arange(doc.size)[::-1]
    for _ in range(n_sweeps):
        if method == "collapsed":  # the compiled sweep (numba), as fit runs it
            collapsed_gibbs_sweep(doc, word, z, doc_topic, word_topic, topic_total, rng.random(doc.size))
        elif method == "blocked":
            z = blocked_gibbs_sweep(doc, word, n_dk, n_kw, alpha, beta, rng)
            n_dk, n_kw = topic_counts(doc, word, z, D, V, K)
        elif wrong:  # negative control: forgets to remove token i (uses n instead of n^-i)
            for i in range(doc.size):
                p = (n_dk[doc[i]] + alpha) * (n_kw[:, word[i]] + beta) / (n_kw.sum(axis=1) + V * beta)
                k = rng.choice(K, p=p / p.sum())
                n_dk[doc[i], z[i]] -= 1
                n_kw[z[i], word[i]] -= 1
                z[i] = k
                n_dk[doc[i], k] += 1
                n_kw[k, word[i]] += 1
        freq[int(z @ codes)] += 1
    return freq / n_sweeps


def _sweep_state(seed, n_docs=80):
    """A random assignment of a bars corpus and its count arrays, as the sweep takes them."""
    X = sp.csr_matrix(make_bars(n_docs, random_state=seed)["counts"])
    doc, word = counts_to_tokens(X)
    alpha, beta, K, (D, V) = np.linspace(0.1, 1.0, 10), 0.05, 10, X.shape
    z = np.random.default_rng(seed).integers(K, size=doc.size)
    n_dk, n_kw = topic_counts(doc, word, z, D, V, K)
    return [doc, word, z, n_dk + alpha, np.ascontiguousarray(n_kw.T) + beta, n_kw.sum(axis=1) + V * beta], alpha, beta


def test_compiled_sweep_is_the_python_function_and_gives_the_same_assignments():
    numba = pytest.importorskip("numba")
    compiled = _compiled_sweep()  # what collapsed_gibbs_sweep and fit run
    assert isinstance(compiled, numba.core.registry.CPUDispatcher) and compiled.py_func is _collapsed_sweep_loop
    python, alpha, beta = _sweep_state(seed=3)
    fast = [a.copy() for a in python]
    rng = np.random.default_rng(4)
    for _ in range(5):  # the same uniforms for both: the same floating-point operations in the same order
        u = rng.random(python[0].size)
        collapsed_gibbs_sweep(*python, u, compiled=False)  # the loop, run as Python
        collapsed_gibbs_sweep(*fast, u)  # the same loop, compiled
        for a, b in zip(python, fast):
            np.testing.assert_array_equal(a, b)
    # and the counts are those of the new assignment: every token was removed and put back
    doc, word, z, doc_topic, word_topic, topic_total = fast
    n_dk, n_kw = topic_counts(doc, word, z, doc_topic.shape[0], word_topic.shape[0], 10)
    np.testing.assert_allclose(doc_topic, n_dk + alpha, atol=1e-9)
    np.testing.assert_allclose(word_topic, n_kw.T + beta, atol=1e-9)
    np.testing.assert_allclose(topic_total, n_kw.sum(axis=1) + word_topic.shape[0] * beta, atol=1e-9)
    assert not np.array_equal(z, _sweep_state(seed=3)[0][2])  # the sweep moved tokens


def test_without_numba_the_python_function_runs_and_fit_warns(monkeypatch):
    _compiled_sweep.cache_clear()
    monkeypatch.setitem(sys.modules, "numba", None)  # `import numba` raises ImportError
    try:
        assert _compiled_sweep() is _collapsed_sweep_loop
        with pytest.warns(RuntimeWarning, match="numba"):
            slow = LatentDirichletAllocation(2, n_iter=3, random_state=0).fit(TINY)
    finally:
        _compiled_sweep.cache_clear()
    monkeypatch.undo()
    fast = LatentDirichletAllocation(2, n_iter=3, random_state=0).fit(TINY)
    np.testing.assert_array_equal(slow.assignments_, fast.assignments_)  # same seed, same chain
    np.testing.assert_array_equal(slow.components_, fast.components_)


def test_sweep_refuses_counts_that_do_not_hold_its_tokens_and_changes_nothing():
    state, alpha, beta = _sweep_state(seed=5)
    doc, word, z, doc_topic, word_topic, topic_total = state
    u = np.random.default_rng(0).random(doc.size)
    broken = doc_topic - alpha - 0.5  # alpha removed and more: some count of z is missing
    before = [a.copy() for a in (z, broken, word_topic, topic_total)]
    with pytest.raises(ValueError, match="counts of z"):
        collapsed_gibbs_sweep(doc, word, z, broken, word_topic, topic_total, u)
    for a, b in zip(before, (z, broken, word_topic, topic_total)):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="u must hold"):
        collapsed_gibbs_sweep(doc, word, z, doc_topic, word_topic, topic_total, u + 1.0)
    with pytest.raises(TypeError, match="z must be"):
        collapsed_gibbs_sweep(doc, word, z.tolist(), doc_topic, word_topic, topic_total, u)
    # a part of the corpus (whole documents) with the counts of all of it, as AD-LDA sweeps: accepted
    part = doc < 40
    collapsed_gibbs_sweep(doc[part], word[part], z[part].copy(), doc_topic, word_topic, topic_total, u[part])


# Total-variation bound for 20,000 sweeps over 32 states: with an effective sample size of
# M >= 5,000 (autocorrelation of a few sweeps at most on this tiny corpus), the expected TV of
# the empirical distribution is <= 0.5 * sum_s sqrt(2 p_s / (pi M)) <= 0.5 * sqrt(2 * 32 / (pi M))
# = 0.032; 0.05 leaves room, while a sampler that forgets to remove token i lands above it.
TV_BOUND = 0.05


@pytest.mark.parametrize("method", ["collapsed", "blocked"])
def test_sampler_targets_the_exact_posterior(method):
    _, _, _, exact = exact_posterior(TINY, TINY_K, ALPHA, BETA)
    freq = _run_chain(method, TINY, TINY_K, float(ALPHA), float(BETA), 20_000, seed=2)
    tv = 0.5 * np.abs(freq - exact).sum()
    assert tv < TV_BOUND, f"{method}: total variation {tv:.3f} from the exact posterior"


def test_posterior_check_can_fail():
    _, _, _, exact = exact_posterior(TINY, TINY_K, ALPHA, BETA)
    freq = _run_chain("wrong", TINY, TINY_K, float(ALPHA), float(BETA), 5_000, seed=2, wrong=True)
    assert 0.5 * np.abs(freq - exact).sum() > TV_BOUND


# ------------------------------------------------------------------ topic recovery on bars
N_BARS_DOCS, BARS_LENGTH, BARS_ALPHA = 200, 50, 0.5


@pytest.fixture(scope="module")
def bars():
    train = make_bars(N_BARS_DOCS, doc_length=BARS_LENGTH, alpha=BARS_ALPHA, random_state=0)
    valid = make_bars(100, doc_length=BARS_LENGTH, alpha=BARS_ALPHA, random_state=1)
    return train, valid


def matched_l1(estimated, truth):
    """L1 distance of every true topic to its estimated match (Hungarian algorithm)."""
    cost = np.abs(truth[:, None, :] - estimated[None, :, :]).sum(axis=2)  # (K_true, K_est)
    rows, cols = linear_sum_assignment(cost)
    return cost[rows, cols], cols


# Recovery bound on the L1 distance between a true bar and its matched estimate. Exact
# recovery is 0; the nearest failure, a topic that mixes two crossing bars half and half, is
# at L1 = 0.8 from either (4 pixels at 0.1 instead of 0.2, 4 at 0.1 instead of 0). The bound
# is the midpoint, 0.4: every topic must put at least 80% of its mass on its own bar. The
# statistical floor is far below: from n = 10,000 / 10 tokens per topic, the frequencies of a
# bar's 5 pixels alone err by 5 * 0.8 * sqrt(2/pi) * sqrt(0.2 * 0.8 / n) = 0.04 in L1, and the
# uncertainty of which topic made each token (documents mix ~3 bars) adds a few times that.
RECOVERY_BOUND = 0.4


@pytest.fixture(scope="module")
def fitted(bars):
    """One fitted model per method, each run well past its burn-in.

    From a random start, Gibbs chains on the bars first lock into a local mode (two bars merged
    in one topic, another split in two) and leave it after tens to hundreds of sweeps: 60-180
    sweeps for collapsed chains on this corpus (seeds 0 and 1; a stuck chain is visible as a
    log joint ~1,000 nats lower), within 100 sweeps for blocked ones. The estimates average
    the sweeps after burn-in, so burn-in must cover the escape.
    """
    train, valid = bars
    kw = dict(alpha=BARS_ALPHA, beta=0.1, random_state=0, evaluate_every=5)
    models = {
        "collapsed": LatentDirichletAllocation(10, method="collapsed", n_iter=250, burn_in=200, **kw),
        "blocked": LatentDirichletAllocation(10, method="blocked", n_iter=400, burn_in=200, **kw),
    }
    for m in models.values():
        m.fit(train["counts"], X_valid=valid["counts"])
    return models


@pytest.mark.parametrize("method", ["collapsed", "blocked"])
def test_recovers_the_bars(bars, fitted, method):
    train, _ = bars
    errors, _ = matched_l1(fitted[method].components_, train["topics"])
    assert errors.max() < RECOVERY_BOUND, f"{method}: matched L1 errors {np.round(errors, 3)}"


def test_recovery_check_can_fail(bars):
    train, _ = bars
    one_sweep = LatentDirichletAllocation(10, alpha=BARS_ALPHA, beta=0.1, n_iter=1, burn_in=0, method="blocked",
                                          random_state=0).fit(train["counts"])
    errors, _ = matched_l1(one_sweep.components_, train["topics"])
    assert errors.max() > RECOVERY_BOUND


def test_transform_recovers_topic_proportions(bars, fitted):
    train, valid = bars
    model = fitted["collapsed"]
    _, match = matched_l1(model.components_, train["topics"])
    theta = model.transform(valid["counts"])[:, match]  # columns in the order of the true topics
    assert theta.shape == (100, 10)
    np.testing.assert_allclose(theta.sum(axis=1), 1.0)
    # 50 words per document: the posterior mean of theta is within a few 1/sqrt(50) of the truth
    assert np.abs(theta - valid["theta"]).sum(axis=1).mean() < 0.5
    np.testing.assert_array_equal(theta, model.transform(valid["counts"])[:, match])  # deterministic


# ------------------------------------------------------------------ perplexity
def test_uniform_topics_score_exactly_the_vocabulary_size(bars):
    _, valid = bars
    ppl = document_completion_perplexity(valid["counts"], np.ones((4, 25)), 0.5, random_state=0)
    assert ppl == pytest.approx(25.0, rel=1e-9)


@pytest.mark.parametrize("method", ["collapsed", "blocked"])
def test_perplexity_falls_during_training(bars, fitted, method):
    truth = document_completion_perplexity(bars[1]["counts"], bars[0]["topics"], BARS_ALPHA, random_state=0)
    ppl = fitted[method].history_["perplexity"]  # every 5 sweeps, topics of the current sample
    # the chain closes most of the gap between its first checkpoint and the true topics
    assert ppl[0] - ppl[-1] > 0.5 * (ppl[0] - truth) > 0
    log_joint = fitted[method].history_["log_joint"]
    assert np.mean(log_joint[-10:]) > log_joint[0]


def test_fast_sampler_reaches_the_reference_perplexity(bars, fitted):
    _, valid = bars
    truth = document_completion_perplexity(valid["counts"], bars[0]["topics"], BARS_ALPHA, random_state=0)
    ref = fitted["collapsed"].perplexity(valid["counts"], random_state=0)
    fast = fitted["blocked"].perplexity(valid["counts"], random_state=0)
    # both within 3% of the perplexity of the true topics, and of each other
    assert abs(ref - truth) < 0.03 * truth and abs(fast - truth) < 0.03 * truth
    assert abs(fast - ref) < 0.03 * ref


@pytest.mark.parametrize("method", ["collapsed", "blocked"])
def test_same_seed_same_result(bars, method):
    X = bars[0]["counts"][:60]
    fits = [LatentDirichletAllocation(10, alpha=1.0, beta=0.1, method=method, n_iter=6, random_state=s).fit(X)
            for s in (5, 5, 6)]
    np.testing.assert_array_equal(fits[0].components_, fits[1].components_)
    assert fits[0].history_["log_joint"] == fits[1].history_["log_joint"]
    np.testing.assert_array_equal(fits[0].transform(X), fits[1].transform(X))
    assert fits[0].perplexity(X) == fits[1].perplexity(X)
    assert not np.array_equal(fits[0].components_, fits[2].components_)


# ------------------------------------------------------------------ the generative story
def test_sample_follows_the_generative_story(fitted):
    model = fitted["blocked"]
    counts, theta = model.sample(4000, doc_length=20, random_state=0, return_latent=True)
    assert counts.shape == (4000, 25) and counts.dtype == np.int64
    assert np.all(counts.sum(axis=1) == 20)
    np.testing.assert_allclose(theta.sum(axis=1), 1.0)
    # E[w] = E[theta] phi = mean of the topics (symmetric alpha); CLT tolerance, 5 standard errors
    expected = model.components_.mean(axis=0)
    freq = counts.sum(axis=0) / counts.sum()
    se = np.sqrt(expected * (1 - expected) / counts.sum()) * np.sqrt(1 + 20)  # document clustering
    assert np.all(np.abs(freq - expected) < 5 * se)
    assert model.sample(3).sum(axis=1).tolist() == [BARS_LENGTH] * 3  # default: mean training length


def test_make_bars():
    topics = bars_topics(5)
    assert topics.shape == (10, 25)
    assert np.all((topics > 0).sum(axis=1) == 5)
    images = topics.reshape(10, 5, 5)
    assert np.all(images[2, 2] == 0.2) and np.all(images[7][:, 2] == 0.2)
    bars = make_bars(30, doc_length=40, random_state=3)
    assert bars["counts"].shape == (30, 25) and np.all(bars["counts"].sum(axis=1) == 40)
    np.testing.assert_array_equal(bars["counts"], make_bars(30, doc_length=40, random_state=3)["counts"])


def test_sparse_and_dense_input_agree(bars):
    X = bars[0]["counts"][:40]
    kw = dict(alpha=1.0, beta=0.1, n_iter=4, random_state=0)
    a = LatentDirichletAllocation(10, **kw).fit(X)
    b = LatentDirichletAllocation(10, **kw).fit(sp.csr_matrix(X))
    np.testing.assert_array_equal(a.components_, b.components_)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "X, words",
    [
        (np.array([[1, -1], [2, 0]]), ["negative"]),
        (np.array([[1.5, 0.0], [2.0, 1.0]]), ["non-integer"]),
        (np.array([[1, 2], [0, 0]]), ["empty document"]),
        (np.zeros((3, 0)), ["empty vocabulary"]),
        (np.array([[1.0, np.nan]]), ["NaN"]),
        (np.array([1, 2, 3]), ["2-D"]),
    ],
)
def test_bad_counts_are_refused(X, words):
    with pytest.raises((ValueError, TypeError)) as info:
        LatentDirichletAllocation(2, n_iter=2).fit(X)
    for w in words:
        assert w in str(info.value)


@pytest.mark.parametrize(
    "params, words",
    [
        (dict(alpha=0.0), ["alpha"]),
        (dict(alpha=-1.0), ["alpha"]),
        (dict(beta=0.0), ["beta"]),
        (dict(n_components=0), ["n_components"]),
        (dict(method="variational"), ["method"]),
        (dict(n_iter=10, burn_in=10), ["burn_in", "n_iter"]),
        (dict(optimize_every=0), ["optimize_every"]),
        (dict(n_init=0), ["n_init"]),
        (dict(alpha=[0.1, 0.2, 0.3]), ["alpha", "one per topic"]),
        (dict(alpha=[0.1, -1.0]), ["alpha"]),
    ],
)
def test_bad_parameters_are_refused(params, words):
    with pytest.raises((ValueError, TypeError)) as info:
        LatentDirichletAllocation(**{"n_iter": 2, **params}).fit(TINY)
    for w in words:
        assert w in str(info.value)


def test_not_fitted_and_wrong_vocabulary():
    model = LatentDirichletAllocation(2, n_iter=2)
    for call in (lambda: model.transform(TINY), lambda: model.perplexity(TINY), lambda: model.sample(2)):
        with pytest.raises(NotFittedError):
            call()
    model.fit(TINY)
    with pytest.raises(ValueError, match="fitted on 3"):
        model.transform(np.ones((2, 4), dtype=int))
    with pytest.raises(ValueError, match="doc_length"):
        model.sample(2, doc_length=0)
    with pytest.raises(ValueError, match="vocabulary"):
        model.top_words(["a", "b"])
    assert model.top_words(["a", "b", "c"], n=2)[0][0] in {"a", "b", "c"}


# ------------------------------------------------------------------ learning the priors (Minka)
def dm_log_likelihood(counts, a):
    """sum_d log DirMult(n_d | a), written out for the tests (not genlib's function)."""
    counts = np.asarray(counts, dtype=float)
    total = 0.0
    for n in counts:
        total += gammaln(a.sum()) - gammaln(n.sum() + a.sum()) + np.sum(gammaln(n + a) - gammaln(a))
    return total


def synthetic_counts(concentration, n_draws, length, seed):
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(concentration, size=n_draws)
    return np.array([rng.multinomial(length, row) for row in p])


def test_dirichlet_multinomial_log_likelihood_matches_the_written_out_sum():
    counts = synthetic_counts([0.3, 1.0, 2.0], 20, 7, seed=0)
    a = np.array([0.3, 1.0, 2.0])
    assert dirichlet_multinomial_log_likelihood(counts, a) == pytest.approx(dm_log_likelihood(counts, a), rel=1e-12)


def test_minka_alpha_is_the_maximum_likelihood_found_by_a_generic_optimiser():
    counts = synthetic_counts([0.2, 0.5, 1.5, 3.0], 400, 25, seed=1)
    fixed_point = minka_alpha_update(counts, 1.0, n_iter=5000, tol=1e-12)
    # the reference: L-BFGS on log a of the written-out likelihood, from another start
    res = minimize(lambda log_a: -dm_log_likelihood(counts, np.exp(log_a)), np.zeros(4), method="L-BFGS-B",
                   options=dict(ftol=1e-15, gtol=1e-10))
    np.testing.assert_allclose(fixed_point, np.exp(res.x), rtol=1e-3)
    assert dm_log_likelihood(counts, fixed_point) >= -res.fun - 1e-6


def test_minka_beta_is_the_maximum_likelihood_found_by_a_generic_optimiser():
    counts = synthetic_counts(np.full(30, 0.05), 60, 150, seed=2)
    fixed_point = minka_beta_update(counts, 1.0, n_iter=5000, tol=1e-12)
    V = counts.shape[1]
    res = minimize_scalar(lambda log_b: -dm_log_likelihood(counts, np.full(V, np.exp(log_b))), bounds=(-10, 3),
                          method="bounded", options=dict(xatol=1e-10))
    assert fixed_point == pytest.approx(np.exp(res.x), rel=1e-4)


def test_minka_updates_never_lower_the_likelihood():
    counts = synthetic_counts([0.1, 0.4, 2.0], 100, 30, seed=3)
    alpha, previous = np.array([5.0, 5.0, 5.0]), -np.inf
    for _ in range(30):  # one fixed-point step at a time
        alpha = minka_alpha_update(counts, alpha, n_iter=1)
        ll = dm_log_likelihood(counts, alpha)
        assert ll >= previous - 1e-9
        previous = ll


@pytest.mark.parametrize("truth", [[2.0, 0.5, 0.5], [0.05, 0.1, 0.3, 0.8]])
def test_minka_alpha_recovers_a_known_concentration(truth):
    # 4000 documents of 40 tokens: the maximum-likelihood estimate is within a few percent
    counts = synthetic_counts(truth, 4000, 40, seed=4)
    np.testing.assert_allclose(minka_alpha_update(counts, 1.0), truth, rtol=0.1)


def test_minka_beta_recovers_a_known_concentration():
    counts = synthetic_counts(np.full(40, 0.02), 300, 300, seed=5)
    assert minka_beta_update(counts, 1.0) == pytest.approx(0.02, rel=0.1)


def test_unused_topics_keep_a_positive_alpha():
    counts = np.array([[3, 0], [5, 0], [2, 0]])  # topic 1 never used: its fixed point is alpha_1 -> 0
    alpha = minka_alpha_update(counts, 1.0)
    assert np.all(alpha > 0) and np.all(np.isfinite(alpha)) and alpha[1] < 1e-3


@pytest.fixture(scope="module")
def learned(bars):
    """The defaults: priors learned, blocked sampler, n_iter long enough for the small corpus."""
    return LatentDirichletAllocation(10, n_iter=400, random_state=0).fit(bars[0]["counts"])


def test_defaults_learn_the_priors_of_the_bars(bars, learned):
    # the bars were drawn with a symmetric alpha = 0.5; the reference for what 200 documents of 50 words can
    # tell is Minka's estimate on the TRUE topic counts (no inference): the learned alpha is close to it
    assert learned.alpha_.shape == (10,) and np.shape(learned.history_["alpha"]) == (400, 10)
    assert 0.35 < learned.alpha_.mean() < 0.65, learned.alpha_
    from_true_counts = minka_alpha_update(bars[0]["doc_topic_counts"], 1.0).mean()
    assert abs(learned.alpha_.mean() - from_true_counts) < 0.1, (learned.alpha_.mean(), from_true_counts)
    assert learned.beta_ < 0.1  # below its starting value
    errors, _ = matched_l1(learned.components_, bars[0]["topics"])
    assert errors.max() < RECOVERY_BOUND, np.round(errors, 3)


def test_given_priors_stay_fixed(bars):
    X = bars[0]["counts"][:60]
    model = LatentDirichletAllocation(10, alpha=0.3, beta=0.2, n_iter=30, random_state=0).fit(X)
    np.testing.assert_array_equal(model.alpha_, np.full(10, 0.3))
    assert model.beta_ == 0.2 and np.all(np.array(model.history_["beta"]) == 0.2)
    only_alpha = LatentDirichletAllocation(10, beta=0.2, n_iter=30, random_state=0).fit(X)
    assert only_alpha.beta_ == 0.2 and not np.allclose(only_alpha.alpha_, 1.0)
    asymmetric = np.linspace(0.1, 1.0, 10)
    model = LatentDirichletAllocation(10, alpha=asymmetric, beta=0.2, n_iter=5, random_state=0).fit(X)
    np.testing.assert_array_equal(model.alpha_, asymmetric)


@pytest.mark.parametrize("method", ["collapsed", "blocked"])
def test_priors_are_updated_every_optimize_every_sweeps(bars, method):
    X = bars[0]["counts"][:80]
    model = LatentDirichletAllocation(10, method=method, n_iter=20, optimize_every=5, random_state=0).fit(X)
    alpha, beta = np.array(model.history_["alpha"]), np.array(model.history_["beta"])  # (20, 10), (20,)
    changed = np.flatnonzero(np.any(alpha[1:] != alpha[:-1], axis=1) | (beta[1:] != beta[:-1])) + 1
    assert changed.tolist() == [4, 9, 14, 19]  # after sweeps 5, 10, 15, 20
    assert np.all(alpha[:4] == 1.0) and np.all(beta[:4] == 0.1)  # the starting values
    # the last update is the fixed point of the last sample's counts (the maths the tests above check)
    np.testing.assert_allclose(minka_beta_update(model.topic_word_counts_, beta[-2]), model.beta_, rtol=1e-5)


def test_n_init_keeps_the_chain_with_the_best_log_joint(bars):
    X = bars[0]["counts"][:80]
    model = LatentDirichletAllocation(10, n_init=3, n_iter=40, random_state=0).fit(X)
    assert len(model.log_joints_) == 3 and len(set(model.log_joints_)) == 3
    assert np.mean(model.history_["log_joint"][20:]) == max(model.log_joints_)
    again = LatentDirichletAllocation(10, n_init=3, n_iter=40, random_state=0).fit(X)
    np.testing.assert_array_equal(model.components_, again.components_)
