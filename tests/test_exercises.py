"""genlib.exercises: a correct answer passes, the typical wrong answers fail with a hint, no answer leaks."""

import itertools
import re
from collections import Counter

import numpy as np
import pytest
from scipy.special import logsumexp, log_expit

from genlib import exercises as ex


# --- correct answers, written as a student would ------------------------------------------

def per_decade(milestones):
    return dict(sorted(Counter(year // 10 * 10 for year, *_ in milestones).items()))


def taxonomy(model):
    if model["formula"]:
        return "explicit", "tractable" if model["exact"] else "variational" if model["bound"] else "markov chain"
    if model["samples"]:
        return "implicit", "markov chain" if model["chain"] else "direct"
    return "none", "none"


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


def bm_neg_energies(W, b):
    S = np.array(list(itertools.product([0, 1], repeat=len(b))), dtype=float)  # every state
    return S @ b + 0.5 * ((S @ W) * S).sum(1)


def log_partition(W, b):
    return logsumexp(bm_neg_energies(W, b))


def dbn_log_joint(x, hiddens, rbms, log_z, *, recognition=False, with_log_z=True, naive=False):
    layers = [x, *hiddens]
    total = 0.0
    for k in range(len(rbms) - 1):
        W, b, c = rbms[k]
        # the generative conditional P(h^k | h^{k+1}), or (a typical mistake) the recognition q(h^{k+1} | h^k)
        target, a = (layers[k + 1], c + W @ layers[k]) if recognition else (layers[k], b + W.T @ layers[k + 1])
        if naive:
            p = 1 / (1 + np.exp(-a))
            total += (target * np.log(p) + (1 - target) * np.log(1 - p)).sum()
        else:
            total += (target * log_expit(a) + (1 - target) * log_expit(-a)).sum()
    W, b, c = rbms[-1]
    below, top = layers[-2], layers[-1]
    return total + below @ b + top @ c + top @ W @ below - (log_z if with_log_z else 0.0)


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def dbm_mean_field(V, W1, W2, b1, b2, n_iter, *, start_doubling=2.0, sweep_doubling=1.0, parallel=False,
                   top_down=True):
    mu1 = sigmoid(b1 + start_doubling * V @ W1.T)
    mu2 = sigmoid(b2 + mu1 @ W2.T)
    for _ in range(n_iter):
        new_mu1 = sigmoid(b1 + sweep_doubling * V @ W1.T + (mu2 @ W2 if top_down else 0.0))
        mu2 = sigmoid(b2 + (mu1 if parallel else new_mu1) @ W2.T)
        mu1 = new_mu1
    return mu1, mu2


def bce(X, logits):
    return -(X * log_expit(logits) + (1 - X) * log_expit(-logits)).sum(1)


def conv_size(n, k, s, p, transposed):
    return (n - 1) * s - 2 * p + k if transposed else (n + 2 * p - k) // s + 1


def layer_parameters(layer, n_in, n_out, kernel_size, bias):
    weights = n_in * n_out * (1 if layer == "linear" else kernel_size**2)
    return weights + (n_out if bias else 0)


def cgan_inputs(z, x, labels, n_classes):
    code = np.eye(n_classes)[labels]
    return np.concatenate([z, code], axis=1), np.concatenate([x, code], axis=1)


def free_energy(V, W, b, c):
    return -V @ b - np.logaddexp(0, V @ W.T + c).sum(1)


def kl(mu, log_var):
    return 0.5 * (mu**2 + np.exp(log_var) - log_var - 1).sum(1)


def gan(real, fake):
    return -(log_expit(real).mean() + log_expit(-fake).mean()), -log_expit(fake).mean()


def log_mean_exp(log_w):
    top = log_w.max(axis=1, keepdims=True)
    return top[:, 0] + np.log(np.exp(log_w - top).mean(axis=1))


def bits_per_symbol(log_lik, n_symbols):
    return -np.sum(log_lik) / (np.sum(n_symbols) * np.log(2))


def sq_dist(A, B):
    return ((A[:, None, :] - B[None, :, :]) ** 2).sum(-1)


def parzen(samples, X, h, *, normaliser=True, mean=True, variance=None, naive=False):
    var = h**2 if variance is None else variance
    a = -sq_dist(X, samples) / (2 * var)
    log_sum = np.log(np.exp(a).sum(1)) if naive else logsumexp(a, axis=1)
    return (log_sum - (np.log(len(samples)) if mean else 0.0)
            - (X.shape[1] / 2 * np.log(2 * np.pi * var) if normaliser else 0.0))


def nn_ratio(samples, X_train, X_test, *, summary=np.median, squared=False, own_set=False):
    def nearest(A, B):
        return np.sqrt(sq_dist(A, B)).min(1) ** (2 if squared else 1)

    ref = X_test if own_set else X_train  # own_set: the test points against themselves (distance 0)
    return summary(nearest(samples, X_train)) / summary(nearest(X_test, ref))


def roc_auc(normal, anomalous, *, tie=0.5):
    diff = anomalous[:, None] - normal[None, :]
    return ((diff > 0) + tie * (diff == 0)).mean()


def matching_aware(real, fake, wrong):
    return -(log_expit(real).mean() + 0.5 * log_expit(-fake).mean() + 0.5 * log_expit(-wrong).mean())


def diffusion_marginal(betas, x0, t, *, upto=0, variance=False, last_only=False):
    ab = (1 - betas[t - 1]) if last_only else np.prod(1 - betas[:t + upto])
    return np.sqrt(ab) * x0, (1 - ab) if variance else np.sqrt(1 - ab)


def causal_mask(k, mask_type):
    m = np.zeros((k, k))
    m[: k // 2] = 1
    m[k // 2, : k // 2] = 1
    m[k // 2, k // 2] = mask_type == "B"
    return m


CORRECT = {
    "check_causal_mask": causal_mask,
    "check_milestones_per_decade": per_decade,
    "check_taxonomy_position": taxonomy,
    "check_boltzmann_log_partition": log_partition,
    "check_dbn_log_joint": dbn_log_joint,
    "check_dbm_mean_field": dbm_mean_field,
    "check_reconstruction_bce": bce,
    "check_conv_output_size": conv_size,
    "check_layer_parameters": layer_parameters,
    "check_conditional_inputs": cgan_inputs,
    "check_matching_aware_loss": matching_aware,
    "check_bayes_posterior": bayes,
    "check_gaussian_log_density": gauss,
    "check_responsibilities": resp,
    "check_hmm_forward": forward,
    "check_lda_conditional": lda,
    "check_rbm_free_energy": free_energy,
    "check_gaussian_kl": kl,
    "check_gan_losses": gan,
    "check_log_mean_exp": log_mean_exp,
    "check_bits_per_symbol": bits_per_symbol,
    "check_parzen_log_density": parzen,
    "check_nearest_neighbour_ratio": nn_ratio,
    "check_roc_auc": roc_auc,
    "check_diffusion_marginal": diffusion_marginal,
}

# --- typical mistakes ------------------------------------------------------------------------

WRONG = {
    "check_milestones_per_decade": [
        lambda ms: dict(sorted(Counter(int(round(m[0], -1)) for m in ms).items())),  # rounds to the nearest ten
        lambda ms: dict(sorted(Counter(m[0] // 10 for m in ms).items())),  # 196 instead of 1960
        lambda ms: dict(Counter(m[0] // 10 * 10 for m in ms)),  # not sorted
        lambda ms: {d: sum(m[0] // 10 * 10 == d for m in ms)  # empty decades listed
                    for d in range(min(m[0] for m in ms) // 10 * 10, max(m[0] for m in ms) + 1, 10)},
    ],
    "check_taxonomy_position": [
        lambda m: ("explicit", "markov chain") if m["formula"] and m["chain"] else taxonomy(m),  # chain first
        lambda m: ("explicit", "tractable") if m["formula"] else taxonomy(m),  # every explicit model tractable
        lambda m: taxonomy(m) if m["formula"] else ("implicit", "markov chain" if m["chain"] else "direct"),
        # the plain autoencoder filed as implicit
    ],
    "check_boltzmann_log_partition": [
        lambda W, b: log_partition(2 * W, b),  # s'Ws without the 1/2: every pair counted twice
        lambda W, b: np.log(np.exp(bm_neg_energies(W, b)).sum()),  # exp overflows with large weights
        lambda W, b: log_partition(W, 0 * b),  # biases forgotten
    ],
    "check_dbn_log_joint": [
        lambda x, hs, rbms, log_z: dbn_log_joint(x, hs, rbms, log_z, recognition=True),  # q instead of P
        lambda x, hs, rbms, log_z: dbn_log_joint(x, hs, rbms, log_z, with_log_z=False),  # -log Z forgotten
        lambda x, hs, rbms, log_z: dbn_log_joint(x, hs, rbms, log_z, naive=True),  # log(1 - 1) at large weights
        lambda x, hs, rbms, log_z: dbn_log_joint(x, hs, [(W, 0 * b, c) for W, b, c in rbms[:-1]] + rbms[-1:],
                                                 log_z),  # visible biases dropped below the top
    ],
    "check_dbm_mean_field": [
        lambda *args: dbm_mean_field(*args, start_doubling=1.0),  # no doubling at the start
        lambda *args: dbm_mean_field(*args, parallel=True),  # both layers from the old values
        lambda *args: dbm_mean_field(*args, top_down=False),  # h^1 ignores h^2 (a DBN's up-pass)
        lambda *args: dbm_mean_field(*args, sweep_doubling=2.0),  # doubling kept in every sweep
    ],
    "check_reconstruction_bce": [
        lambda X, L: bce(X, L) / X.shape[1],  # averaged over the pixels
        lambda X, L: -(X * np.log(sigmoid(L)) + (1 - X) * np.log(1 - sigmoid(L))).sum(1),  # log(0) when saturated
        lambda X, L: bce((X > 0.5).astype(float), L),  # grey levels rounded
        lambda X, L: ((X - sigmoid(L)) ** 2).sum(1),  # squared error instead
    ],
    "check_causal_mask": [
        lambda k, t: causal_mask(k, "B" if t == "A" else "A"),  # A and B swapped
        lambda k, t: np.tril(np.ones((k, k)), -1) + (t == "B") * np.eye(k),  # lower triangle, not raster order
        lambda k, t: np.pad(np.ones((k // 2, k)), ((0, k - k // 2), (0, 0))),  # the centre row forgotten
    ],
    "check_conv_output_size": [
        lambda n, k, s, p, t: (n - 1) * s - 2 * p + k if t else (n + 2 * p - k) / s + 1,  # no rounding down
        lambda n, k, s, p, t: (n - 1) * s - p + k if t else (n + p - k) // s + 1,  # padding on one side only
        lambda n, k, s, p, t: (n + 2 * p - k) // s + 1,  # the convolution's formula for both
    ],
    "check_conditional_inputs": [
        lambda z, x, y, K: cgan_inputs(z, x, y, int(y.max()) + 1),  # code as wide as the batch's largest label
        lambda z, x, y, K: (cgan_inputs(z, x, y, K)[0], x),  # the discriminator does not see the label
        lambda z, x, y, K: tuple(np.concatenate([np.eye(K)[y], a], axis=1) for a in (z, x)),  # label first
        lambda z, x, y, K: (np.c_[z, y], np.c_[x, y]),  # the label's value instead of its one-hot code
    ],
    "check_matching_aware_loss": [
        lambda r, f, w: -(log_expit(r).mean() + log_expit(-f).mean() + log_expit(-w).mean()),  # weights 1, not 1/2
        lambda r, f, w: -(log_expit(r).mean() + log_expit(-np.r_[f, w]).mean()),  # one mean over both negatives
        lambda r, f, w: -(np.log(1 / (1 + np.exp(-r))).mean() + 0.5 * np.log(1 - 1 / (1 + np.exp(-f))).mean()
                          + 0.5 * np.log(1 - 1 / (1 + np.exp(-w))).mean()),  # naive sigmoid: inf at large logits
        lambda r, f, w: -(log_expit(r).mean() + log_expit(-f).mean()),  # the wrong captions forgotten
    ],
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
    "check_log_mean_exp": [
        lambda lw: np.log(np.exp(lw).mean(1)),  # exp overflows (or underflows) at extreme log-weights
        lambda lw: logsumexp(lw, axis=1),  # the 1/k forgotten
        lambda lw: lw.max(1),  # the largest weight instead of the average
    ],
    "check_bits_per_symbol": [
        lambda ll, n: -np.sum(ll) / np.sum(n) / np.log(10),  # decimal digits, not bits
        lambda ll, n: np.sum(ll) / (np.sum(n) * np.log(2)),  # sign: a negative cost
        lambda ll, n: -np.sum(ll) / np.sum(n) * np.log(2),  # multiplied by ln 2
        lambda ll, n: np.mean(-ll / (n * np.log(2))),  # the mean of per-sequence rates
    ],
    "check_parzen_log_density": [
        lambda S, X, h: parzen(S, X, h, normaliser=False),  # the Gaussian's normaliser forgotten
        lambda S, X, h: parzen(S, X, h, mean=False),  # a sum of kernels, no -log N
        lambda S, X, h: parzen(S, X, h, variance=h),  # h used as the variance
        lambda S, X, h: parzen(S, X, h, naive=True),  # exp underflows for a narrow kernel
    ],
    "check_nearest_neighbour_ratio": [
        lambda S, tr, te: nn_ratio(S, tr, te, summary=np.mean),  # means: one outlier moves them
        lambda S, tr, te: nn_ratio(S, tr, te, squared=True),  # squared distances
        lambda S, tr, te: nn_ratio(S, tr, te, own_set=True),  # test points against themselves
    ],
    "check_layer_parameters": [
        lambda l, i, o, k, b: layer_parameters(l, i, o, k, True),  # bias counted even when there is none
        lambda l, i, o, k, b: i * o * (1 if l == "linear" else k),  # kernel side instead of its area; no bias
        lambda l, i, o, k, b: layer_parameters(l, i, o, k, False) + (i if b else 0),  # one bias per input
    ],
    "check_roc_auc": [
        lambda n, a: roc_auc(n, a, tie=0.0),  # ties ignored
        lambda n, a: roc_auc(a, n),  # direction reversed
        lambda n, a: (lambda t: ((a > t).sum() + (n <= t).sum()) / (len(a) + len(n)))(
            np.median(np.r_[n, a])),  # accuracy at a threshold
    ],
    "check_diffusion_marginal": [
        lambda b, x0, t: diffusion_marginal(b, x0, t, last_only=True),  # only the step t's own beta
        lambda b, x0, t: diffusion_marginal(b, x0, t, upto=-1),  # off by one: stops at beta_{t-1}
        lambda b, x0, t: diffusion_marginal(b, x0, t, variance=True),  # the variance instead of the std
    ],
}


def test_every_check_is_covered():
    assert set(CORRECT) == set(ex.CHECKS) == set(WRONG)


@pytest.mark.parametrize("name", sorted(ex.CHECKS))
def test_reference_answer_passes(name, capsys):
    import torch

    np_state, torch_state = np.random.get_state()[1].copy(), torch.get_rng_state().clone()
    assert ex.CHECKS[name](CORRECT[name]) is True
    out = capsys.readouterr().out
    assert out.startswith("✓") and "all" in out
    # a check runs inside the student's notebook: it must not move the global random streams
    assert np.array_equal(np.random.get_state()[1], np_state) and torch.equal(torch.get_rng_state(), torch_state)


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
