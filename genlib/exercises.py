"""Self-checking exercises: ``check_<name>(student_fn)`` runs hidden tests against a reference.

A chapter asks the student to write a function in the notebook and then call, e.g.::

    from genlib.exercises import check_gaussian_log_density
    check_gaussian_log_density(my_log_density)

The check calls the function on several hidden cases (small, then harder: larger
dimensions, extreme values that need log-space arithmetic) and prints one line per failed
case with a hint that points at the usual mistake, never the answer. It returns ``True``
when every case passes, so a notebook can ``assert`` it.

Each check compares against an independent reference (SciPy, brute force), not against
genlib's own implementation of the same formula.
"""

from __future__ import annotations

import itertools
import traceback
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

__all__ = [
    "check_bayes_posterior",
    "check_gaussian_log_density",
    "check_responsibilities",
    "check_hmm_forward",
    "check_lda_conditional",
    "check_rbm_free_energy",
    "check_gaussian_kl",
    "check_gan_losses",
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


# --- Part 3: RBM, VAE, GAN ---------------------------------------------------------------

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


#: name -> check, for the instructor page and the tests.
CHECKS = {name: globals()[name] for name in __all__ if name.startswith("check_")}
