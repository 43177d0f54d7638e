"""genlib.exercises: a correct answer passes, the typical wrong answers fail with a hint, no answer leaks."""

import re

import numpy as np
import pytest
from scipy.special import logsumexp, log_expit

from genlib import exercises as ex


# --- correct answers, written as a student would ------------------------------------------

def bayes(log_prior, log_lik):
    joint = log_prior + log_lik
    return joint - logsumexp(joint, axis=1, keepdims=True)


def gauss(X, mu, Sigma):
    d = X.shape[1]
    L = np.linalg.cholesky(Sigma)
    z = np.linalg.solve(L, (X - mu).T)
    return -0.5 * (z**2).sum(0) - np.log(np.diag(L)).sum() - 0.5 * d * np.log(2 * np.pi)


def resp(X, weights, means, covs):
    lj = np.stack([np.log(w) + gauss(X, m, S) for w, m, S in zip(weights, means, covs)], axis=1)
    return np.exp(lj - logsumexp(lj, axis=1, keepdims=True))


def forward(startprob, transmat, emission, obs):
    la = np.log(startprob) + np.log(emission[:, obs[0]])
    for o in obs[1:]:
        la = np.log(emission[:, o]) + logsumexp(la[:, None] + np.log(transmat), axis=0)
    return logsumexp(la)


def lda(n_dk, n_kw, n_k, w, alpha, beta):
    p = (n_dk + alpha) * (n_kw[:, w] + beta) / (n_k + n_kw.shape[1] * beta)
    return p / p.sum()


def free_energy(V, W, b, c):
    return -V @ b - np.logaddexp(0, V @ W.T + c).sum(1)


def kl(mu, log_var):
    return 0.5 * (mu**2 + np.exp(log_var) - log_var - 1).sum(1)


def gan(real, fake):
    return -(log_expit(real).mean() + log_expit(-fake).mean()), -log_expit(fake).mean()


CORRECT = {
    "check_bayes_posterior": bayes,
    "check_gaussian_log_density": gauss,
    "check_responsibilities": resp,
    "check_hmm_forward": forward,
    "check_lda_conditional": lda,
    "check_rbm_free_energy": free_energy,
    "check_gaussian_kl": kl,
    "check_gan_losses": gan,
}

# --- typical mistakes ------------------------------------------------------------------------

WRONG = {
    "check_bayes_posterior": [
        lambda lp, ll: lp + ll,  # not normalised
        lambda lp, ll: np.log(np.exp(lp + ll) / np.exp(lp + ll).sum(1, keepdims=True)),  # underflows at -1000
        lambda lp, ll: (lp + ll) - logsumexp(lp + ll, axis=0, keepdims=True),  # wrong axis
    ],
    "check_gaussian_log_density": [
        lambda X, mu, S: gauss(X, mu, S) - 0.5 * np.log(2 * np.pi),  # wrong normaliser
        lambda X, mu, S: -((X - mu) @ S * (X - mu)).sum(1) / 2
        - 0.5 * np.linalg.slogdet(S)[1] - X.shape[1] / 2 * np.log(2 * np.pi),  # Sigma instead of its inverse
        lambda X, mu, S: -0.5 * (((X - mu) @ np.linalg.inv(S)) * (X - mu)).sum(1)
        - 0.5 * np.log(np.linalg.det(S)) - np.log(2 * np.pi),  # D hard-coded to 2
    ],
    "check_responsibilities": [
        lambda X, w, m, C: np.stack([gauss(X, mk, Ck) for mk, Ck in zip(m, C)], 1),  # unnormalised, no weights
        lambda X, w, m, C: (lambda P: P / P.sum(1, keepdims=True))(
            np.stack([wk * np.exp(gauss(X, mk, Ck)) for wk, mk, Ck in zip(w, m, C)], 1)),  # NaN when far away
    ],
    "check_hmm_forward": [
        lambda s, A, B, o: forward(s, A.T, B, o),  # transposed transitions
        lambda s, A, B, o: np.log(np.prod([B[:, x].max() for x in o])),  # not a sum over paths
        lambda s, A, B, o: (lambda a: np.log(a.sum()))(  # plain products underflow at T = 2000
            __import__("functools").reduce(lambda a, x: (a @ A) * B[:, x], o[1:], s * B[:, o[0]])),
    ],
    "check_lda_conditional": [
        lambda n_dk, n_kw, n_k, w, a, b: (n_dk + a) * (n_kw[:, w] + b),  # no denominator, unnormalised
        lambda n_dk, n_kw, n_k, w, a, b: lda(n_dk, n_kw, n_k, w, b, a),  # alpha and beta swapped
    ],
    "check_rbm_free_energy": [
        lambda V, W, b, c: -V @ b - np.log(1 + np.exp(V @ W.T + c)).sum(1),  # overflows with large weights
        lambda V, W, b, c: -V @ b - np.logaddexp(0, V @ W + c[: W.shape[1]]).sum(1),  # wrong orientation
        lambda V, W, b, c: -np.logaddexp(0, V @ W.T + c).sum(1),  # visible bias forgotten
    ],
    "check_gaussian_kl": [
        lambda mu, lv: 0.5 * (mu**2 + np.exp(lv) - lv).sum(1),  # the -1 forgotten
        lambda mu, lv: 0.5 * (mu**2 + lv - np.log(lv + 1e-12) - 1).sum(1),  # log_var used as variance
        lambda mu, lv: 0.5 * (mu**2 + np.exp(lv) - lv - 1),  # not summed
    ],
    "check_gan_losses": [
        lambda r, f: (gan(r, f)[0], np.log1p(-1 / (1 + np.exp(-f))).mean()),  # saturating G loss
        lambda r, f: (-(np.log(1 / (1 + np.exp(-r))).mean() + np.log(1 - 1 / (1 + np.exp(-f))).mean()),
                      -np.log(1 / (1 + np.exp(-f))).mean()),  # naive sigmoid: inf at large logits
    ],
}


def test_every_check_is_covered():
    assert set(CORRECT) == set(ex.CHECKS) == set(WRONG)


@pytest.mark.parametrize("name", sorted(ex.CHECKS))
def test_reference_answer_passes(name, capsys):
    assert ex.CHECKS[name](CORRECT[name]) is True
    out = capsys.readouterr().out
    assert out.startswith("✓") and "all" in out


@pytest.mark.parametrize("name, index", [(n, i) for n in sorted(WRONG) for i in range(len(WRONG[n]))])
def test_typical_mistake_fails_with_a_hint(name, index, capsys):
    with np.errstate(all="ignore"):
        assert ex.CHECKS[name](WRONG[name][index]) is False
    out = capsys.readouterr().out
    assert out.startswith("✗") and ("Hint:" in out or "raised" in out)


@pytest.mark.parametrize("name", sorted(ex.CHECKS))
def test_feedback_for_missing_answers(name, capsys):
    def stub(*args):
        raise NotImplementedError

    assert ex.CHECKS[name](stub) is False
    assert "not implemented yet" in capsys.readouterr().out
    assert ex.CHECKS[name](lambda *args: None) is False
    assert "forget `return`" in capsys.readouterr().out
    with pytest.raises(TypeError, match="pass your function"):
        ex.CHECKS[name](42)


@pytest.mark.parametrize("name", sorted(ex.CHECKS))
def test_messages_never_print_numbers_of_the_answer(name, capsys):
    with np.errstate(all="ignore"):
        ex.CHECKS[name](WRONG[name][0])
    out = capsys.readouterr().out
    assert not re.search(r"\d\.\d{3}", out), out  # hints name the mistake, never a value
