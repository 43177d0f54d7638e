"""Self-checking exercises: ``check_<name>(student_fn)`` runs hidden tests against a reference.

A chapter asks the student to write a function in the notebook and then call, e.g.::

    from genlib.exercises import check_gaussian_log_density
    check_gaussian_log_density(my_log_density)

The check calls the function on several hidden cases (small, then harder: larger
dimensions, extreme values that need log-space arithmetic) and prints one line per failed
case with a hint that points at the usual mistake, never the answer. It returns ``True``
when every case passes, so a notebook can ``assert`` it.

Each check compares against an independent reference (SciPy, PyTorch's layers, brute-force
enumeration), not against genlib's own implementation of the same formula.
"""

from __future__ import annotations

import itertools
import traceback
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

__all__ = [
    "check_milestones_per_decade",
    "check_bayes_posterior",
    "check_taxonomy_position",
    "check_gaussian_log_density",
    "check_responsibilities",
    "check_hmm_forward",
    "check_lda_conditional",
    "check_boltzmann_log_partition",
    "check_rbm_free_energy",
    "check_dbn_log_joint",
    "check_dbm_mean_field",
    "check_reconstruction_bce",
    "check_gaussian_kl",
    "check_gan_losses",
    "check_conv_output_size",
    "check_conditional_inputs",
    "check_matching_aware_loss",
    "check_log_mean_exp",
    "check_bits_per_symbol",
    "check_parzen_log_density",
    "check_nearest_neighbour_ratio",
    "check_roc_auc",
    "check_layer_parameters",
    "check_diffusion_marginal",
    "check_causal_mask",
    "CHECKS",
]


@dataclass
class _Case:
    name: str
    args: tuple
    expected: Any
    hint: str


def _as_array(value) -> np.ndarray:
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=float)


def _run(title: str, fn: Callable, cases: list[_Case], *, rtol: float = 1e-6, atol: float = 1e-8,
         compare: Callable[[Any, Any], bool] | None = None, verbose: bool = True) -> bool:
    if not callable(fn):
        raise TypeError(f"pass your function itself, e.g. check(my_function), not {type(fn).__name__}.")
    failures = []
    for case in cases:
        try:
            got = fn(*case.args)
        except NotImplementedError:
            failures.append(f"{case.name}: not implemented yet.")
            continue
        except Exception as exc:  # the student's code raised: show where, not the answer
            last = traceback.extract_tb(exc.__traceback__)[-1]
            failures.append(f"{case.name}: your function raised {type(exc).__name__}: {exc} (line {last.lineno}).")
            continue
        if got is None:
            failures.append(f"{case.name}: your function returned None; did you forget `return`?")
            continue
        try:
            ok = compare(got, case.expected) if compare else _close(got, case.expected, rtol, atol)
        except Exception as exc:  # wrong type or shape
            ok = False
            case = _Case(case.name, case.args, case.expected, f"{case.hint} ({type(exc).__name__}: {exc})")
        if not ok:
            failures.append(f"{case.name}: wrong result. Hint: {case.hint}")
    if verbose:
        if failures:
            print(f"✗ {title}: {len(cases) - len(failures)} of {len(cases)} checks passed.")
            for line in failures:
                print(f"  - {line}")
        else:
            print(f"✓ {title}: all {len(cases)} checks passed.")
    return not failures


def _close(got, expected, rtol, atol) -> bool:
    if isinstance(expected, tuple):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            raise ValueError(f"expected {len(expected)} return values")
        return all(_close(g, e, rtol, atol) for g, e in zip(got, expected))
    g, e = _as_array(got), _as_array(expected)
    if g.shape != e.shape:
        raise ValueError(f"expected shape {e.shape}, got {g.shape}")
    return bool(np.all(np.isfinite(g)) and np.allclose(g, e, rtol=rtol, atol=atol))


def _spd(rng, d, scale=1.0):
    A = rng.normal(size=(d, d))
    return scale * (A @ A.T / d + 0.5 * np.eye(d))


# --- Part 1: the timeline ----------------------------------------------------------------

def check_milestones_per_decade(fn: Callable, *, verbose: bool = True) -> bool:
    """Check ``fn(milestones) -> {decade: count}``.

    ``milestones`` is a list of tuples whose first entry is the year, like the timeline
    chapter's ``MILESTONES``; the answer maps the first year of each decade that has at least
    one milestone (1960 for 1960-1969) to its number of milestones, decades in increasing order.
    """
    from collections import Counter

    from .base import REGISTRY

    def table(years):
        return [(int(year), f"milestone {i}", "lane", f"key{i}", None) for i, year in enumerate(years)]

    rng = np.random.default_rng(8)
    registry = table(sorted(info.year for info in REGISTRY.values()))
    cases = []
    for name, milestones, hint in [
        ("five milestones, 1966 to 1986", table([1966, 1970, 1977, 1985, 1986]),
         "a decade is named by its first year, and 1966 and 1969 both belong to the 1960s: "
         "round the year down to the decade, never to the nearest ten."),
        ("the course registry", registry,
         "list only the decades that have at least one milestone; leave the empty ones out."),
        ("a shuffled table", [registry[i] for i in rng.permutation(len(registry))],
         "return the decades in increasing order, whatever the order of the table (sort the keys)."),
        ("years at decade boundaries", table([1989, 1990, 1999, 2000, 2009, 2010, 2019]),
         "a year ending in 0 opens its decade and a year ending in 9 closes it."),
    ]:
        counts = Counter(year - year % 10 for year, *_ in milestones)
        cases.append(_Case(name, (milestones,), dict(sorted(counts.items())), hint))

    def same_items_in_order(got, expected):
        return [(int(k), int(v)) for k, v in dict(got).items()] == list(expected.items())

    return _run("Milestones per decade", fn, cases, compare=same_items_in_order, verbose=verbose)


# --- Part 1: Bayes' rule --------------------------------------------------------------

def check_bayes_posterior(fn: Callable, *, verbose: bool = True) -> bool:
    """Check ``fn(log_prior, log_likelihood) -> log_posterior``.

    ``log_prior`` has shape (K,) (log p(y = k)), ``log_likelihood`` shape (N, K)
    (log p(x_n | y = k)); the answer is log p(y = k | x_n), shape (N, K), rows normalised.
    """
    from scipy.special import logsumexp

    rng = np.random.default_rng(0)
    cases = []
    for name, N, K, scale, hint in [
        ("two classes", 3, 2, 1.0, "multiply prior and likelihood (add in log space), then normalise each row."),
        ("five classes", 6, 5, 3.0, "normalise over the classes (axis=1), not over the data points."),
        ("log-likelihoods near -1000", 4, 3, 1.0,
         "exp(-1000) underflows to 0: normalise in log space with logsumexp."),
    ]:
        log_prior = np.log(rng.dirichlet(np.ones(K)))
        log_lik = scale * rng.normal(size=(N, K)) - (1000.0 if "1000" in name else 0.0)
        joint = log_prior + log_lik
        cases.append(_Case(name, (log_prior, log_lik), joint - logsumexp(joint, axis=1, keepdims=True), hint))
    return _run("Bayes' rule in log space", fn, cases, verbose=verbose)


# --- Part 1: the taxonomy ----------------------------------------------------------------

def check_taxonomy_position(fn: Callable, *, verbose: bool = True) -> bool:
    """Check ``fn(model) -> (density, approximation)``, the model's cell on the taxonomy's map.

    ``model`` is a dict of yes/no facts: ``"formula"`` (it writes p(x) down, perhaps up to a
    normalising constant), ``"exact"`` (that formula, with every sum over latent variables and
    its normaliser, can be evaluated exactly), ``"bound"`` (it maximises a lower bound on
    log p(x) with an approximate posterior), ``"chain"`` (its samples or gradients come from
    a Markov chain) and ``"samples"`` (it can generate new data at all). The answer uses the
    words of ``genlib.base.ModelInfo``: density in {"explicit", "implicit", "none"},
    approximation in {"tractable", "variational", "markov chain", "direct", "none"}.
    """
    def facts(formula, exact, bound, chain, samples=True):
        return {"formula": formula, "exact": exact, "bound": bound, "chain": chain, "samples": samples}

    cases = [
        _Case("a Gaussian mixture", (facts(True, True, False, False),), ("explicit", "tractable"),
              "a density that can be evaluated exactly is explicit and tractable."),
        _Case("a variational autoencoder", (facts(True, False, True, False),), ("explicit", "variational"),
              "a model that writes p(x) down but cannot evaluate it is still explicit: ask how it approximates "
              "log p(x)."),
        _Case("a restricted Boltzmann machine", (facts(True, False, False, True),), ("explicit", "markov chain"),
              "a model that writes p(x) down is explicit even when its normaliser is out of reach and its samples "
              "need a Markov chain."),
        _Case("a deep Boltzmann machine", (facts(True, False, True, True),), ("explicit", "variational"),
              "a model that uses a variational bound and Markov chains is filed under its bound (see the remark "
              "on DBN versus DBM): ask about the bound before the chain."),
        _Case("a GAN", (facts(False, False, False, False),), ("implicit", "direct"),
              "no formula for p(x) but a way to draw samples is an implicit density; then ask how the samples "
              "are drawn."),
        _Case("a generative stochastic network", (facts(False, False, False, True),), ("implicit", "markov chain"),
              "an implicit model can also draw its samples with a Markov chain."),
        _Case("a plain autoencoder", (facts(False, False, False, False, samples=False),), ("none", "none"),
              "a model that defines no distribution at all is neither explicit nor implicit: use the registry's "
              "word for that, in both places."),
    ]

    def same_words(got, expected):
        if isinstance(got, str) or len(got) != 2:
            raise ValueError("return a pair (density, approximation)")
        return tuple(str(g).strip().lower() for g in got) == expected

    return _run("Position on the taxonomy's map", fn, cases, compare=same_words, verbose=verbose)


# --- Part 2: GMM -------------------------------------------------------------------------

def check_gaussian_log_density(fn: Callable, *, verbose: bool = True) -> bool:
    """Check ``fn(X, mu, Sigma) -> log N(x_n | mu, Sigma)`` for every row of X (shape (N,))."""
    from scipy.stats import multivariate_normal

    rng = np.random.default_rng(1)
    cases = []
    for name, d, scale, hint in [
        ("1-D", 1, 1.0, "the normaliser is (2 pi)^(D/2) |Sigma|^(1/2); remember the factor 1/2 in the exponent."),
        ("2-D correlated", 2, 1.0, "use the inverse of Sigma in the quadratic form, (x - mu)^T Sigma^-1 (x - mu)."),
        ("10-D", 10, 1.0, "the normaliser has (2 pi)^(D/2): use the dimension D = X.shape[1]."),
        ("tiny variances", 3, 1e-4, "take log|Sigma| with np.linalg.slogdet (or a Cholesky factor), "
                                     "not log(det(Sigma)), which can underflow."),
    ]:
        mu = rng.normal(size=d)
        Sigma = _spd(rng, d, scale)
        X = rng.multivariate_normal(mu, Sigma, size=5)
        cases.append(_Case(name, (X, mu, Sigma), multivariate_normal(mu, Sigma).logpdf(X).reshape(5), hint))
    return _run("Gaussian log-density", fn, cases, verbose=verbose)


def check_responsibilities(fn: Callable, *, verbose: bool = True) -> bool:
    """Check the E-step ``fn(X, weights, means, covariances) -> R`` of a GMM.

    ``R[n, k] = pi_k N(x_n | mu_k, Sigma_k) / sum_j pi_j N(x_n | mu_j, Sigma_j)``, shape (N, K).
    """
    from scipy.stats import multivariate_normal

    rng = np.random.default_rng(2)
    cases = []
    for name, K, d, far, hint in [
        ("two components", 2, 2, 0.0, "weight each density by its pi_k before normalising."),
        ("four components in 3-D", 4, 3, 0.0, "each row of R must sum to one over the components."),
        ("points far from every component", 3, 2, 60.0,
         "the densities underflow to 0 and 0/0 is NaN: compute log pi_k + log N in log space and normalise "
         "with logsumexp."),
    ]:
        weights = rng.dirichlet(np.ones(K))
        means = rng.normal(scale=3, size=(K, d))
        covs = np.stack([_spd(rng, d) for _ in range(K)])
        X = rng.normal(scale=3, size=(6, d)) + far
        log_joint = np.stack([np.log(weights[k]) + multivariate_normal(means[k], covs[k]).logpdf(X)
                              for k in range(K)], axis=1)
        R = np.exp(log_joint - log_joint.max(axis=1, keepdims=True))
        R /= R.sum(axis=1, keepdims=True)
        cases.append(_Case(name, (X, weights, means, covs), R, hint))
    return _run("GMM responsibilities (E-step)", fn, cases, atol=1e-6, verbose=verbose)


# --- Part 2: HMM -------------------------------------------------------------------------

def _brute_force_hmm(startprob, transmat, emission, obs) -> float:
    K, T = len(startprob), len(obs)
    total = 0.0
    for path in itertools.product(range(K), repeat=T):
        p = startprob[path[0]] * emission[path[0], obs[0]]
        for t in range(1, T):
            p *= transmat[path[t - 1], path[t]] * emission[path[t], obs[t]]
        total += p
    return float(np.log(total))


def check_hmm_forward(fn: Callable, *, verbose: bool = True) -> bool:
    """Check ``fn(startprob, transmat, emissionprob, obs) -> log p(obs)`` (the forward algorithm).

    ``obs`` is a 1-D integer array of symbols; the reference sums over every hidden path.
    """
    rng = np.random.default_rng(3)
    cases = []
    for name, K, M, T, hint in [
        ("one step", 2, 3, 1, "alpha_1(i) = pi_i b_i(o_1); the likelihood is the sum over i."),
        ("two states, five steps", 2, 3, 5, "alpha_t(j) = b_j(o_t) sum_i alpha_{t-1}(i) a_ij: sum over the previous "
                                            "state i, i.e. alpha @ transmat, not transmat @ alpha."),
        ("three states, six steps", 3, 4, 6, "return the log of the sum of the last alphas."),
    ]:
        startprob = rng.dirichlet(np.ones(K))
        transmat = rng.dirichlet(np.ones(K), size=K)
        emission = rng.dirichlet(np.ones(M), size=K)
        obs = rng.integers(0, M, size=T)
        cases.append(_Case(name, (startprob, transmat, emission, obs),
                           _brute_force_hmm(startprob, transmat, emission, obs), hint))
    # a long sequence: the reference is the brute force's recursion in log space, checked above
    K, M, T = 2, 2, 2000
    startprob, transmat = np.array([0.6, 0.4]), np.array([[0.9, 0.1], [0.2, 0.8]])
    emission = np.array([[0.7, 0.3], [0.1, 0.9]])
    obs = rng.integers(0, M, size=T)
    from scipy.special import logsumexp

    log_alpha = np.log(startprob) + np.log(emission[:, obs[0]])
    for t in range(1, T):
        log_alpha = np.log(emission[:, obs[t]]) + logsumexp(log_alpha[:, None] + np.log(transmat), axis=0)
    cases.append(_Case("2,000 steps", (startprob, transmat, emission, obs), float(logsumexp(log_alpha)),
                       "products of 2,000 probabilities underflow to 0: rescale alpha at each step "
                       "(and add the log scales) or work with log alpha and logsumexp."))
    return _run("HMM forward algorithm", fn, cases, rtol=1e-8, verbose=verbose)


# --- Part 2: LDA -------------------------------------------------------------------------

def check_lda_conditional(fn: Callable, *, verbose: bool = True) -> bool:
    """Check the collapsed Gibbs conditional of LDA.

    ``fn(n_dk, n_kw, n_k, w, alpha, beta) -> p`` where the counts *exclude* the current word,
    ``n_dk`` (K,) topic counts of its document, ``n_kw`` (K, V) topic-word counts, ``n_k`` (K,)
    topic totals, ``w`` the word's id; returns p(z = k | rest), shape (K,), summing to one.
    """
    rng = np.random.default_rng(4)
    cases = []
    for name, K, V, alpha, beta, hint in [
        ("three topics", 3, 5, 0.5, 0.1, "p(z=k) ∝ (n_dk + alpha) (n_kw + beta) / (n_k + V beta); normalise at the end."),
        ("small beta", 4, 20, 0.1, 0.01, "the denominator uses V * beta, V = number of words in the vocabulary."),
        ("large alpha", 2, 8, 5.0, 0.5, "alpha is added to the document's topic counts, beta to the topic's word counts."),
    ]:
        n_kw = rng.integers(0, 10, size=(K, V)).astype(float)
        n_k = n_kw.sum(axis=1)
        n_dk = rng.integers(0, 6, size=K).astype(float)
        w = int(rng.integers(0, V))
        p = (n_dk + alpha) * (n_kw[:, w] + beta) / (n_k + V * beta)
        cases.append(_Case(name, (n_dk, n_kw, n_k, w, alpha, beta), p / p.sum(), hint))
    return _run("LDA collapsed Gibbs conditional", fn, cases, verbose=verbose)


# --- Part 3: Boltzmann machine -----------------------------------------------------------

def _brute_force_log_z(W, b) -> float:
    """log sum_s exp(b's + sum_{i<j} W_ij s_i s_j) over every binary s, pair by pair (no matrix form)."""
    from scipy.special import logsumexp

    n = len(b)
    neg_energies = [sum(b[i] * s[i] for i in range(n))
                    + sum(W[i, j] * s[i] * s[j] for i, j in itertools.combinations(range(n), 2))
                    for s in itertools.product([0.0, 1.0], repeat=n)]
    return float(logsumexp(neg_energies))


def check_boltzmann_log_partition(fn: Callable, *, verbose: bool = True) -> bool:
    """Check ``fn(W, b) -> log Z`` of a Boltzmann machine by enumeration of its states.

    ``W`` (n, n) is symmetric with a zero diagonal, ``b`` (n,); the energy is
    E(s) = -b's - sum_{i<j} W_ij s_i s_j and Z = sum over all 2^n binary s of exp(-E(s)).
    The reference sums the pairs one by one.
    """
    rng = np.random.default_rng(9)
    cases = [_Case("two units, by hand", (np.array([[0.0, 2.0], [2.0, 0.0]]), np.array([1.0, -1.0])),
                   _brute_force_log_z(np.array([[0.0, 2.0], [2.0, 0.0]]), np.array([1.0, -1.0])),
                   "enumerate every state s in {0, 1}^n and sum exp(-E(s)); E has a bias term and a pair term.")]
    for name, n, scale, hint in [
        ("five units", 5, 1.0, "s'Ws counts every pair i < j twice (W is symmetric): the pair term of E is "
                               "half of it."),
        ("ten units, large weights", 10, 300.0, "exp(-E) overflows to inf once -E passes about 709: sum in "
                                                "log space with logsumexp."),
    ]:
        A = scale * rng.normal(size=(n, n))
        W = np.triu(A, 1) + np.triu(A, 1).T
        b = scale * rng.normal(size=n)
        cases.append(_Case(name, (W, b), _brute_force_log_z(W, b), hint))
    return _run("Boltzmann machine: log Z by enumeration", fn, cases, verbose=verbose)


# --- Part 3: RBM, DBN, DBM, autoencoder, VAE, GAN, DCGAN, cGAN ---------------------------

def check_rbm_free_energy(fn: Callable, *, verbose: bool = True) -> bool:
    """Check ``fn(V, W, b, c) -> F(v)`` for a Bernoulli RBM with E(v, h) = -b'v - c'h - h'Wv.

    ``V`` (N, n_visible), ``W`` (n_hidden, n_visible), ``b`` (n_visible,), ``c`` (n_hidden,);
    the reference sums exp(-E) over every hidden vector (brute force).
    """
    from scipy.special import logsumexp

    rng = np.random.default_rng(5)
    cases = []
    for name, nv, nh, scale, hint in [
        ("one hidden unit", 3, 1, 1.0, "F(v) = -b'v - sum_j log(1 + exp(c_j + W_j v))."),
        ("four hidden units", 5, 4, 1.0, "W has shape (n_hidden, n_visible): the hidden input is V @ W.T + c."),
        ("large weights", 4, 3, 300.0, "log(1 + exp(x)) overflows for large x: use np.logaddexp(0, x)."),
    ]:
        W = scale * rng.normal(size=(nh, nv))
        b, c = rng.normal(size=nv), rng.normal(size=nh)
        V = rng.integers(0, 2, size=(4, nv)).astype(float)
        H = np.array(list(itertools.product([0.0, 1.0], repeat=nh)))  # (2^nh, nh)
        neg_E = (V @ b)[:, None] + (H @ c)[None, :] + V @ W.T @ H.T  # (N, 2^nh)
        cases.append(_Case(name, (V, W, b, c), -logsumexp(neg_E, axis=1), hint))
    return _run("RBM free energy", fn, cases, verbose=verbose)


def check_dbn_log_joint(fn: Callable, *, verbose: bool = True) -> bool:
    """Check ``fn(x, hiddens, rbms, log_z) -> log P(x, h^1, ..., h^l)`` of a deep belief network.

    ``x`` (D,) and ``hiddens = [h^1, ..., h^l]`` are binary vectors; ``rbms = [(W, b, c), ...]``
    holds the l RBMs of the stack, RBM k between layers k-1 and k (layer 0 is x), with
    ``W`` (n_k, n_{k-1}), visible bias ``b`` and hidden bias ``c``; ``log_z`` is the top RBM's
    log partition function. The joint is eq. (dbn-joint): directed sigmoid layers
    P(h^k | h^{k+1}) below an undirected top RBM P(h^{l-1}, h^l).
    """
    from scipy.special import log_expit

    rng = np.random.default_rng(10)
    cases = []
    for name, sizes, scale, hint in [
        ("one hidden layer (an RBM)", [4, 3], 1.0,
         "with one hidden layer the DBN is its RBM: log P = -E(x, h) - log Z."),
        ("two hidden layers", [5, 4, 3], 1.0,
         "below the top RBM the generative conditionals point down: P(h^k | h^{k+1}) uses W' h^{k+1} and the "
         "RBM's visible bias b, not the recognition pass q(h^{k+1} | h^k)."),
        ("three hidden layers", [6, 4, 3, 2], 1.0,
         "one directed factor per layer below the top, each a product of Bernoulli terms, plus the top RBM's "
         "log-probability (with -log Z)."),
        ("large weights", [5, 4, 3], 60.0,
         "sigmoid(60) rounds to 1 and log(1 - 1) = -inf: write log sigmoid(a) as -logaddexp(0, -a) and "
         "log(1 - sigmoid(a)) as log sigmoid(-a)."),
    ]:
        rbms = [(scale * rng.normal(size=(n_up, n_down)), rng.normal(size=n_down), rng.normal(size=n_up))
                for n_down, n_up in zip(sizes[:-1], sizes[1:])]
        layers = [rng.integers(0, 2, size=n).astype(float) for n in sizes]
        W, b, c = rbms[-1]
        log_z = _brute_force_log_z(  # the top RBM as a Boltzmann machine on (h^{l-1}, h^l)
            np.block([[np.zeros((len(b), len(b))), W.T], [W, np.zeros((len(c), len(c)))]]), np.r_[b, c])
        below, top = layers[-2], layers[-1]
        total = below @ b + top @ c + top @ W @ below - log_z
        for k in range(len(sizes) - 2):  # directed factors P(h^k | h^{k+1}), unit by unit
            W_k, b_k, _ = rbms[k]
            for j, a in enumerate(b_k + W_k.T @ layers[k + 1]):
                total += log_expit(a) if layers[k][j] == 1 else log_expit(-a)
        cases.append(_Case(name, (layers[0], layers[1:], rbms, log_z), float(total), hint))
    return _run("DBN joint log-probability", fn, cases, verbose=verbose)


def check_dbm_mean_field(fn: Callable, *, verbose: bool = True) -> bool:
    """Check ``fn(V, W1, W2, b1, b2, n_iter) -> (mu1, mu2)``, mean field in a two-hidden-layer DBM.

    ``V`` (N, D) binary rows, ``W1`` (H1, D), ``W2`` (H2, H1), hidden biases ``b1``, ``b2``. The start
    is the bottom-up pass with doubled input to h^1, mu1 = sigmoid(b1 + 2 W1 v), mu2 = sigmoid(b2 + W2 mu1);
    each of the ``n_iter`` sweeps then updates mu1 from both neighbours and then mu2 from the new mu1.
    """
    from scipy.special import expit

    rng = np.random.default_rng(11)
    cases = []
    for name, (N, D, H1, H2), n_iter, hint in [
        ("the start (no sweep)", (4, 6, 5, 3), 0,
         "before any sweep h^1 has no input from above: the doubled input from below, 2 W1 v, stands in for it."),
        ("one sweep", (4, 6, 5, 3), 1,
         "update the layers one after the other: the update of mu2 uses the mu1 just computed in this sweep."),
        ("ten sweeps, a larger model", (6, 10, 8, 6), 10,
         "in a sweep h^1 hears both neighbours, W1 v from below and W2' mu2 from above, with no doubling; "
         "the doubling is for the start only."),
    ]:
        V = rng.integers(0, 2, size=(N, D)).astype(float)
        W1, W2 = 1.5 * rng.normal(size=(H1, D)), 1.5 * rng.normal(size=(H2, H1))
        b1, b2 = rng.normal(size=H1), rng.normal(size=H2)
        mu1 = expit(b1 + 2.0 * np.einsum("hd,nd->nh", W1, V))
        mu2 = expit(b2 + np.einsum("gh,nh->ng", W2, mu1))
        for _ in range(n_iter):
            mu1 = expit(b1 + np.einsum("hd,nd->nh", W1, V) + np.einsum("gh,ng->nh", W2, mu2))
            mu2 = expit(b2 + np.einsum("gh,nh->ng", W2, mu1))
        cases.append(_Case(name, (V, W1, W2, b1, b2, n_iter), (mu1, mu2), hint))
    return _run("DBM mean-field inference", fn, cases, verbose=verbose)


def check_reconstruction_bce(fn: Callable, *, verbose: bool = True) -> bool:
    """Check ``fn(X, logits) -> loss``, an autoencoder's cross-entropy per example, eq. (ae-loss).

    ``X`` (N, D) holds pixel intensities in [0, 1], ``logits`` (N, D) the decoder's outputs
    before the sigmoid, x_hat = sigmoid(logits); the answer has shape (N,). The reference is
    PyTorch's ``binary_cross_entropy_with_logits``.
    """
    import torch
    import torch.nn.functional as F

    rng = np.random.default_rng(12)
    cases = []
    for name, grey, scale, hint in [
        ("binary pixels", False, 1.0,
         "l = -sum_j [x_j log x_hat_j + (1 - x_j) log(1 - x_hat_j)] with x_hat = sigmoid(logits): one value per "
         "image, summed over its pixels (axis=1), not averaged."),
        ("grey levels", True, 2.0,
         "the targets are grey levels in [0, 1], not only 0 and 1: keep both terms for every pixel and do not "
         "round x."),
        ("saturated logits", False, 50.0,
         "sigmoid(50) rounds to 1 and log(1 - 1) = -inf: use log sigmoid(a) = -logaddexp(0, -a) for both "
         "terms, with log(1 - sigmoid(a)) = log sigmoid(-a)."),
    ]:
        X = rng.random(size=(5, 8)) if grey else rng.integers(0, 2, size=(5, 8)).astype(float)
        logits = scale * rng.normal(size=(5, 8))
        loss = F.binary_cross_entropy_with_logits(torch.from_numpy(logits), torch.from_numpy(X), reduction="none")
        cases.append(_Case(name, (X, logits), loss.sum(dim=1).numpy(), hint))
    return _run("Autoencoder reconstruction loss (cross-entropy)", fn, cases, verbose=verbose)


def check_gaussian_kl(fn: Callable, *, verbose: bool = True) -> bool:
    """Check ``fn(mu, log_var) -> KL(N(mu, diag(exp(log_var))) || N(0, I))``, one value per row."""
    rng = np.random.default_rng(6)
    cases = []
    for name, N, J, spread, hint in [
        ("standard normal posterior", 2, 3, 0.0, "KL(q||p) is 0 when q = p: check the '- 1' and the '- log sigma^2' terms."),
        ("random posteriors", 4, 5, 1.0, "KL = 1/2 sum_j (mu_j^2 + sigma_j^2 - log sigma_j^2 - 1), with sigma^2 = exp(log_var)."),
        ("sum over latent dimensions", 3, 8, 2.0, "return one value per example: sum over the latent axis (axis=1) only."),
    ]:
        mu = spread * rng.normal(size=(N, J))
        log_var = spread * rng.normal(size=(N, J))
        var = np.exp(log_var)
        # independent reference: the general formula for two Gaussians, per dimension
        kl = 0.5 * (np.log(1.0 / var) + (var + mu**2) / 1.0 - 1.0).sum(axis=1)
        cases.append(_Case(name, (mu, log_var), kl, hint))
    return _run("Gaussian KL divergence", fn, cases, verbose=verbose)


def check_gan_losses(fn: Callable, *, verbose: bool = True) -> bool:
    """Check ``fn(d_real_logits, d_fake_logits) -> (loss_D, loss_G)``.

    ``loss_D`` is the discriminator's binary cross-entropy (real labelled 1, fake 0), averaged;
    ``loss_G`` the non-saturating generator loss -mean log D(G(z)). Inputs are logits.
    """
    rng = np.random.default_rng(7)

    def log_sigmoid(x):
        return -np.logaddexp(0.0, -x)

    cases = []
    for name, n, scale, hint in [
        ("balanced discriminator", 6, 0.1, "D's loss is -mean log D(x) - mean log(1 - D(G(z))) with D = sigmoid(logit)."),
        ("confident discriminator", 8, 3.0, "the non-saturating G loss is -mean log D(G(z)), not mean log(1 - D(G(z)))."),
        ("a fooled, saturated discriminator", 5, -60.0,
         "sigmoid(60) rounds to 1 and log(1 - 1) = -inf: use log-sigmoid identities, "
         "log(1 - sigmoid(x)) = log_sigmoid(-x)."),
    ]:
        # scale < 0: the discriminator is confidently wrong (real logits very negative, fake very positive)
        real = abs(scale) * rng.normal(size=n) + scale
        fake = abs(scale) * rng.normal(size=n) - scale
        loss_d = -(log_sigmoid(real).mean() + log_sigmoid(-fake).mean())
        loss_g = -log_sigmoid(fake).mean()
        cases.append(_Case(name, (real, fake), (loss_d, loss_g), hint))
    return _run("GAN losses", fn, cases, verbose=verbose)


def check_conv_output_size(fn: Callable, *, verbose: bool = True) -> bool:
    """Check ``fn(n, kernel_size, stride, padding, transposed) -> side`` of a square feature map.

    ``n`` is the input's side; with ``transposed=False`` the layer is a convolution
    (``torch.nn.Conv2d``), with ``transposed=True`` a transposed ("fractionally-strided")
    convolution (``torch.nn.ConvTranspose2d``). The reference pushes a tensor through PyTorch's
    convolution (with a fixed zero kernel, so no random number is drawn).
    """
    import torch
    import torch.nn.functional as F

    cases = []
    for name, (n, k, s, p, transposed), hint in [
        ("stride-1 convolution, no padding", (8, 3, 1, 0, False),
         "count the positions a k-wide kernel can take inside the input."),
        ("stride-2 convolution with padding", (28, 4, 2, 1, False),
         "padding p adds p pixels on each side of the input, and a stride s moves the kernel s pixels at a time."),
        ("stride-2 convolution, odd input", (7, 4, 2, 1, False),
         "a last step that does not fit is dropped: round down with integer division, and return an int."),
        ("transposed convolution from a 1x1 map", (1, 7, 1, 0, True),
         "a transposed convolution runs the convolution's size formula backwards: solve it for the input side."),
        ("stride-2 transposed convolution with padding", (7, 4, 2, 1, True),
         "in a transposed convolution the padding is cut from the output, on each side."),
    ]:
        conv = F.conv_transpose2d if transposed else F.conv2d
        side = conv(torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k), stride=s, padding=p).shape[-1]
        cases.append(_Case(name, (n, k, s, p, transposed), side, hint))

    def same_int(got, expected):
        return float(got) == expected

    return _run("Convolution output size", fn, cases, compare=same_int, verbose=verbose)


def check_conditional_inputs(fn: Callable, *, verbose: bool = True) -> bool:
    """Check ``fn(z, x, labels, n_classes) -> (generator_input, discriminator_input)`` of a cGAN.

    ``z`` (N, latent_dim) noise, ``x`` (N, D) images, ``labels`` (N,) integers in
    [0, n_classes); the inputs are [z, e_y] and [x, e_y], with e_y the one-hot code of the label
    (eq. (cgan-value): both networks see the label).
    """
    rng = np.random.default_rng(13)
    cases = []
    for name, labels, n_classes, hint in [
        ("ten classes, every label present", rng.permutation(10), 10,
         "G's input is the noise followed by the one-hot label, D's the image followed by the same code "
         "(the discriminator must see the label too); concatenate along the feature axis (axis=1)."),
        ("a batch without the highest classes", np.array([0, 3, 1, 4, 2, 0]), 10,
         "the one-hot code has n_classes entries, whichever labels the batch happens to contain."),
        ("three classes, repeated labels", np.array([2, 2, 0, 1, 2]), 3,
         "each row gets a one in the column of its own label and zeros elsewhere, not the label's value."),
    ]:
        N = len(labels)
        z, x = rng.normal(size=(N, 4)), rng.random(size=(N, 6))
        code = np.zeros((N, n_classes))
        for row, label in enumerate(labels):
            code[row, label] = 1.0
        cases.append(_Case(name, (z, x, labels, n_classes), (np.hstack([z, code]), np.hstack([x, code])), hint))
    return _run("Conditional GAN inputs", fn, cases, verbose=verbose)


def check_matching_aware_loss(fn: Callable, *, verbose: bool = True) -> bool:
    """Check ``fn(real_logits, fake_logits, wrong_logits) -> loss`` of a matching-aware discriminator.

    The three arrays hold D's logits l (D = sigmoid(l)) on real images with their captions, on
    generated images with theirs, and on real images with wrong captions, possibly of different
    lengths; the answer is the float
    -(mean log D(real) + 1/2 mean log(1 - D(fake)) + 1/2 mean log(1 - D(wrong))), eq. (stackgan-d).
    The reference uses log D = -log(1 + e^{-l}) and log(1 - D) = -log(1 + e^{l}) through ``np.logaddexp``.
    """
    rng = np.random.default_rng(21)

    def reference(real, fake, wrong):
        return float(np.logaddexp(0, -real).mean() + 0.5 * np.logaddexp(0, fake).mean()
                     + 0.5 * np.logaddexp(0, wrong).mean())

    cases = []
    for name, sizes, scale, hint in [
        ("three batches of four", (4, 4, 4), 1.0,
         "a real image with its caption is the positive; the generated image and the real image with a wrong "
         "caption are both negatives, each term with weight 1/2."),
        ("batches of different sizes", (6, 3, 5), 2.0,
         "average each term over its own batch: the three kinds of pairs need not come in the same number."),
        ("confident discriminator (logits near +-800)", (5, 5, 5), 400.0,
         "sigmoid(800) rounds to 1 and log(1 - 1) = -inf: write log D = -log(1 + exp(-l)) and "
         "log(1 - D) = -log(1 + exp(l)) with np.logaddexp(0, .)."),
    ]:
        real, fake, wrong = (scale * rng.normal(size=k) for k in sizes)
        cases.append(_Case(name, (real, fake, wrong), reference(real, fake, wrong), hint))
    return _run("Matching-aware discriminator loss", fn, cases, verbose=verbose)


# --- Part 4: evaluating generative models ------------------------------------------------

def check_log_mean_exp(fn: Callable, *, verbose: bool = True) -> bool:
    """Check ``fn(log_w) -> log (1/k) sum_j exp(log_w[:, j])``, the importance-weighted bound.

    ``log_w`` (n, k) holds the log importance weights log p(x_i, z_ij) - log q(z_ij | x_i) of
    k draws for each of n points; the answer, shape (n,), is the bound L_k of each point. The
    reference shifts moderate weights by a constant c, using log mean exp(w + c) = c + log mean exp(w).
    """
    rng = np.random.default_rng(14)
    cases = []
    for name, n, k, offset, hint in [
        ("five weights per point", 3, 5, 0.0,
         "L_k = log((1/k) sum_j exp(log w_ij)): every weight counts, not only the largest; one value per point "
         "(reduce over axis=1)."),
        ("a hundred weights per point", 4, 100, 0.0,
         "the bound averages the weights: log of the mean, which is the log of the sum minus log k."),
        ("log-weights near -1000", 3, 10, -1000.0,
         "exp(-1000) underflows to 0 and log(0) = -inf: factor out each row's largest log-weight before "
         "exponentiating (logsumexp)."),
        ("log-weights near +800", 3, 10, 800.0,
         "exp(800) overflows to inf: factor out each row's largest log-weight before exponentiating (logsumexp)."),
    ]:
        moderate = 2.0 * rng.normal(size=(n, k))
        cases.append(_Case(name, (moderate + offset,), np.log(np.mean(np.exp(moderate), axis=1)) + offset, hint))
    return _run("Importance-weighted bound: log-mean-exp", fn, cases, verbose=verbose)


def check_bits_per_symbol(fn: Callable, *, verbose: bool = True) -> bool:
    """Check ``fn(log_likelihood_nats, n_symbols) -> bits per symbol`` of a held-out corpus.

    ``log_likelihood_nats`` (S,) holds the natural-log likelihood log p(x) of each of S sequences,
    ``n_symbols`` (S,) their lengths; the answer is the float -sum(log p) / (sum(lengths) ln 2),
    the average code length in bits of one symbol of the corpus.
    """
    rng = np.random.default_rng(15)
    lengths = rng.integers(5, 200, size=6)
    cases = []
    for name, n_symbols, ll, hint in [
        ("one sequence, uniform over four symbols", np.array([100]), np.array([100 * np.log(0.25)]),
         "a bit is a base-2 unit: -log2 p = -(log p in nats) / ln 2, then divide by the number of symbols; "
         "bits per symbol are a positive cost."),
        ("ten sequences of equal length", np.full(10, 50), rng.uniform(-120.0, -60.0, size=10),
         "add the log-likelihoods of all sequences and divide by the total number of symbols; 1 bit = ln 2 nats."),
        ("sequences of different lengths", lengths, -lengths * rng.uniform(1.0, 3.0, size=6),
         "a long sequence weighs more than a short one: divide the corpus's total log-likelihood by its total "
         "number of symbols, do not average the rates of the sequences."),
    ]:
        cases.append(_Case(name, (ll, n_symbols), -float(np.sum(ll)) / float(np.sum(n_symbols)) / np.log(2.0), hint))
    return _run("Bits per symbol", fn, cases, verbose=verbose)


def check_parzen_log_density(fn: Callable, *, verbose: bool = True) -> bool:
    """Check ``fn(samples, X, bandwidth) -> log p(x)`` for each row of X (shape (len(X),)).

    p is the Parzen window on ``samples`` (N, d): p(x) = (1/N) sum_i N(x | s_i, h^2 I) with
    h = ``bandwidth``. The reference sums SciPy's Gaussian densities one kernel at a time
    (log-densities and ``logsumexp`` for the narrow kernel, whose densities underflow).
    """
    from scipy.special import logsumexp
    from scipy.stats import multivariate_normal

    rng = np.random.default_rng(16)
    cases = []
    for name, N, d, h, hint in [
        ("1-D, three samples", 3, 1, 0.5,
         "p(x) is the mean of N Gaussian kernels, one centred on each sample: log (1/N) sum_i N(x | s_i, h^2 I), "
         "with its -log N."),
        ("2-D, five samples", 5, 2, 0.3,
         "each kernel is a normalised Gaussian with variance h^2 per coordinate: the normaliser "
         "(2 pi h^2)^(d/2) and the exponent -||x - s_i||^2 / (2 h^2)."),
        ("5-D, a wide kernel", 8, 5, 2.0,
         "the bandwidth h is a standard deviation: use h^2 in the exponent and the normaliser, and the power "
         "d/2 with d = X.shape[1]."),
        ("3-D, a narrow kernel", 6, 3, 0.01,
         "exp(-||x - s||^2 / (2 h^2)) underflows to 0 for a narrow kernel and log(0) = -inf: sum the kernels "
         "in log space with logsumexp."),
    ]:
        samples = rng.random(size=(N, d))
        X = rng.random(size=(4, d))
        kernels = [multivariate_normal(s, h**2 * np.eye(d)) for s in samples]
        if h > 0.1:  # brute force: the plain average of the N densities
            expected = np.log(np.mean([k.pdf(X).reshape(-1) for k in kernels], axis=0))
        else:
            expected = logsumexp([k.logpdf(X).reshape(-1) for k in kernels], axis=0) - np.log(N)
        cases.append(_Case(name, (samples, X, h), expected, hint))
    return _run("Parzen-window log-density", fn, cases, verbose=verbose)


def check_nearest_neighbour_ratio(fn: Callable, *, verbose: bool = True) -> bool:
    """Check ``fn(samples, X_train, X_test) -> ratio``, the memorisation check.

    ratio = median over samples of the Euclidean distance to the nearest row of ``X_train``,
    divided by the same median for the rows of ``X_test``. The reference measures every pair
    of points one at a time.
    """
    import math
    import statistics

    def median_nearest(points, train):
        return statistics.median(min(math.dist(p, t) for t in train) for p in points)

    rng = np.random.default_rng(17)
    cases = []
    for name, d, (n_samples, n_train, n_test), hint in [
        ("2-D, a few points", 2, (5, 6, 4),
         "for each sample, the Euclidean distance to its nearest training point; the same for each test point; "
         "divide the median of the first by the median of the second."),
        ("samples near copies of training points", 3, (8, 8, 7),
         "measure both sets against the training set: a point's nearest neighbour in its own set is itself, "
         "at distance 0."),
        ("10-D, one sample far away", 10, (9, 12, 6),
         "use medians: one far-away sample must not move the ratio, and Euclidean distances, with the square "
         "root (squared distances square the ratio)."),
    ]:
        X_train, X_test = rng.normal(size=(n_train, d)), rng.normal(size=(n_test, d))
        if "copies" in name:
            samples = X_train[rng.integers(0, n_train, n_samples)] + 0.05 * rng.normal(size=(n_samples, d))
        else:
            samples = rng.normal(size=(n_samples, d))
        if "far" in name:
            samples[0] += 100.0
        expected = median_nearest(samples, X_train) / median_nearest(X_test, X_train)
        cases.append(_Case(name, (samples, X_train, X_test), expected, hint))
    return _run("Nearest-neighbour ratio", fn, cases, verbose=verbose)


def check_roc_auc(fn: Callable, *, verbose: bool = True) -> bool:
    """Check ``fn(scores_normal, scores_anomalous) -> AUC`` of an anomaly score (higher = more anomalous).

    AUC = P(s_a > s_n) + P(s_a = s_n) / 2 for a random anomalous score s_a and a random normal
    score s_n. The reference is scikit-learn's ``roc_auc_score``.
    """
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(18)
    cases = []
    for name, normal, anomalous, hint in [
        ("well separated scores", rng.normal(size=6), rng.normal(2.0, 1.0, size=6),
         "the AUC is the probability that a random anomalous point scores higher than a random normal one: "
         "compare every anomalous score with every normal score, not with a threshold."),
        ("overlapping scores, unequal sizes", rng.normal(size=9), rng.normal(0.5, 1.0, size=5),
         "a higher score means more anomalous: count the pairs in which the anomalous score is the larger, "
         "out of n_normal * n_anomalous pairs."),
        ("integer scores with ties", rng.integers(0, 4, size=12).astype(float),
         rng.integers(1, 5, size=10).astype(float),
         "a tie is a coin flip: it counts as half a pair, AUC = P(s_a > s_n) + P(s_a = s_n) / 2."),
    ]:
        labels = np.r_[np.zeros(len(normal)), np.ones(len(anomalous))]
        cases.append(_Case(name, (normal, anomalous), float(roc_auc_score(labels, np.r_[normal, anomalous])), hint))
    return _run("ROC AUC of an anomaly score", fn, cases, verbose=verbose)


def check_layer_parameters(fn: Callable, *, verbose: bool = True) -> bool:
    """Check ``fn(layer, n_in, n_out, kernel_size, bias) -> number of parameters`` of one layer.

    ``layer`` is ``"linear"`` (``torch.nn.Linear(n_in, n_out)``; ``kernel_size`` is ``None``),
    ``"conv"`` (``torch.nn.Conv2d(n_in, n_out, kernel_size)``: ``n_in`` and ``n_out`` are
    channels) or ``"conv_transpose"`` (``torch.nn.ConvTranspose2d``); ``bias`` says whether the
    layer has one. The reference counts the parameters of PyTorch's layers, built on the
    ``meta`` device (shapes only: no memory, no random number drawn).
    """
    import torch
    from torch import nn

    cases = []
    for name, (layer, n_in, n_out, k, bias), hint in [
        ("a fully connected layer", ("linear", 64, 512, None, True),
         "a fully connected layer has one weight per (input, output) pair, plus one bias per output."),
        ("the projection of z without bias", ("linear", 512, 256, None, False),
         "with bias=False there is no bias term: only the weight matrix."),
        ("a 4x4 convolution", ("conv", 32, 64, 4, True),
         "each output channel has a kernel_size x kernel_size filter for every input channel, plus one bias."),
        ("a transposed convolution", ("conv_transpose", 64, 32, 4, False),
         "a transposed convolution has as many weights as the convolution it runs backwards: "
         "n_in x n_out x kernel_size x kernel_size."),
        ("the output layer of G", ("conv_transpose", 32, 1, 4, True),
         "the bias has one value per output channel (not per input channel)."),
    ]:
        build = {"linear": lambda: nn.Linear(n_in, n_out, bias=bias, device="meta"),
                 "conv": lambda: nn.Conv2d(n_in, n_out, k, bias=bias, device="meta"),
                 "conv_transpose": lambda: nn.ConvTranspose2d(n_in, n_out, k, bias=bias, device="meta")}[layer]
        with torch.random.fork_rng(devices=[]):  # belt and braces: the student's global streams stay untouched
            count = sum(p.numel() for p in build().parameters())
        cases.append(_Case(name, (layer, n_in, n_out, k, bias), count, hint))

    def same_int(got, expected):
        return float(got) == expected

    return _run("Parameters of a layer", fn, cases, compare=same_int, verbose=verbose)


# --- Part 5: beyond the survey ---------------------------------------------------------------

def check_diffusion_marginal(fn: Callable, *, verbose: bool = True) -> bool:
    """Check ``fn(betas, x0, t) -> (mean, std)`` of the diffusion marginal q(x_t | x_0).

    ``betas`` (T,) holds beta_1..beta_T (``betas[0]`` is beta_1), ``x0`` an array of pixel
    values, ``t`` an int in 1..T; the answer is the mean (shaped like ``x0``) and the standard
    deviation (a float) of x_t given x_0. The reference runs the one-step recursion of the mean
    and the variance, m_t = sqrt(1 - beta_t) m_{t-1}, v_t = (1 - beta_t) v_{t-1} + beta_t, not
    the closed form.
    """
    rng = np.random.default_rng(19)
    cases = []
    for name, T, t, kind, hint in [
        ("a few steps", 10, 3, "linear",
         "x_t depends on every step before it: alpha_bar_t is the product of (1 - beta_s) over s = 1..t, "
         "not (1 - beta_t) alone."),
        ("the first step", 10, 1, "linear",
         "t counts from 1 and betas[0] is beta_1: alpha_bar_1 = 1 - betas[0]; check for an off-by-one in the "
         "slice of betas."),
        ("the last of many steps", 1000, 1000, "linear",
         "the mean is sqrt(alpha_bar_t) x0 and the standard deviation sqrt(1 - alpha_bar_t): return the "
         "standard deviation, not the variance."),
        ("a cosine schedule", 200, 57, "cosine",
         "use exactly the betas you are given, whatever their schedule; mean sqrt(alpha_bar_t) x0, "
         "standard deviation sqrt(1 - alpha_bar_t)."),
    ]:
        if kind == "linear":
            betas = np.linspace(1e-4 * 1000 / T, 0.02 * 1000 / T, T)
        else:
            f = np.cos((np.arange(T + 1) / T + 0.008) / 1.008 * np.pi / 2) ** 2
            betas = np.clip(1 - f[1:] / f[:-1], 0, 0.999)
        x0 = rng.uniform(-1, 1, size=5)
        m, v = x0.copy(), 0.0
        for b in betas[:t]:  # the chain, one step at a time
            m, v = np.sqrt(1 - b) * m, (1 - b) * v + b
        cases.append(_Case(name, (betas.copy(), x0.copy(), t), (m, np.sqrt(v)), hint))
    return _run("Diffusion marginal q(x_t | x_0)", fn, cases, verbose=verbose)


# --- Part 5: autoregressive models -------------------------------------------------------

def check_causal_mask(fn: Callable, *, verbose: bool = True) -> bool:
    """Check ``fn(kernel_size, mask_type) -> (kernel_size, kernel_size)`` 0/1 mask of a PixelCNN layer.

    Raster order reads a kernel row by row, left to right; the mask keeps the positions that come
    before the centre (``"A"``, the first layer) or before it and the centre itself (``"B"``).
    The reference compares raster indices: position (r, s) has index r * k + s.
    """
    cases = []
    for name, (k, mask_type), hint in [
        ("a 3x3 kernel, mask A", (3, "A"),
         "keep every position of the rows above the centre, and in the centre row the positions left of it."),
        ("a 3x3 kernel, mask B", (3, "B"),
         "mask B is mask A with the centre kept: the later layers may see their own position, whose features "
         "only summarise the past."),
        ("a 5x5 kernel, mask A", (5, "A"),
         "the rows above the centre are kept in full, right of the centre column too: they come earlier in raster "
         "order."),
        ("a 1x1 kernel, mask A", (1, "A"),
         "a 1x1 kernel has only the centre, which mask A hides: every weight is masked."),
        ("a 7x7 kernel, mask B", (7, "B"),
         "the rows below the centre, and the centre row right of the centre, are the future: zero there."),
    ]:
        c = k // 2
        index = np.arange(k * k).reshape(k, k)
        expected = (index < c * k + c) | ((index == c * k + c) & (mask_type == "B"))
        cases.append(_Case(name, (k, mask_type), expected.astype(float), hint))
    return _run("Causal mask", fn, cases, verbose=verbose)


#: name -> check, for the instructor page and the tests.
CHECKS = {name: globals()[name] for name in __all__ if name.startswith("check_")}
