"""Latent Dirichlet allocation: genlib's Gibbs samplers vs scikit-learn's variational Bayes.

Data: the standard-library docstring corpus (``genlib.datasets.load_stdlib_corpus()``),
documents split 80/20 into training and held-out sets with a fixed seed; 20 topics; both
libraries use the same priors, scikit-learn's defaults alpha = beta = 1/K.

Held-out quality is document-completion perplexity (Wallach et al., 2009): half of each
held-out document's tokens estimate its topic proportions with the topics fixed, the other
half is scored. scikit-learn's own ``perplexity`` uses a variational bound and is not
comparable, so its topic-word matrix (``components_``, normalised) is plugged into genlib's
evaluation (``document_completion_perplexity``) with the same split and seed.

Cases
-----
- ``perplexity_at_equal_time``: scikit-learn's batch VB at its default ``max_iter=10``
  against genlib's blocked Gibbs sampler given as many sweeps as fit in 90% of
  scikit-learn's time (rate measured first). Target: genlib's perplexity <= scikit-learn's,
  genlib's time <= scikit-learn's (both medians of alternating runs).
- ``perplexity_converged``: both run long (VB 50 iterations, blocked Gibbs 1000 sweeps).
- ``reference_perplexity``: the exact collapsed sampler (the reference) against the blocked
  sampler; target: the fast sampler reaches the reference's perplexity within 2%.
- ``token_updates_per_second``: both genlib samplers; target >= 1,000,000 wall-clock token
  updates per second for the blocked one (per CPU-second rates are recorded too, since a
  shared machine's load lowers the wall-clock rate).

Run ``python -m benchmarks.lda [--quick]`` from the repository root.
"""

from __future__ import annotations

import os
import time

import numpy as np
from sklearn.decomposition import LatentDirichletAllocation as SklearnLDA

from genlib.classic.lda import LatentDirichletAllocation, document_completion_perplexity
from genlib.datasets import load_stdlib_corpus

from . import _common

K = 20
SEED = 0


def split_corpus(seed: int = SEED):
    X = load_stdlib_corpus()["counts"]
    perm = np.random.default_rng(seed).permutation(X.shape[0])
    n_test = X.shape[0] // 5
    return X[perm[n_test:]], X[perm[:n_test]]


def main() -> None:
    args = _common.parse_args(__doc__.splitlines()[0])
    quick = args.quick
    repeat = 1 if quick else 3
    X_train, X_test = split_corpus()
    n_tokens = int(X_train.sum())
    alpha = beta = 1.0 / K
    ppl = lambda topic_word: document_completion_perplexity(X_test, topic_word, alpha, random_state=SEED)  # noqa: E731

    def genlib_fit(method, n_iter):
        return LatentDirichletAllocation(K, alpha=alpha, beta=beta, method=method, n_iter=n_iter,
                                         random_state=SEED).fit(X_train)

    def sklearn_fit(max_iter):
        return SklearnLDA(K, doc_topic_prior=alpha, topic_word_prior=beta, learning_method="batch",
                          max_iter=max_iter, random_state=SEED).fit(X_train)

    cases = []
    data = {"corpus": "stdlib docstrings", "train_shape": list(X_train.shape), "test_shape": list(X_test.shape),
            "train_tokens": n_tokens, "n_topics": K, "alpha": alpha, "beta": beta,
            # wall-clock rates depend on what else runs: record the machine's load at the start
            "load_average_1min_at_start": os.getloadavg()[0]}

    # ---- token-update rates (blocked, collapsed); also calibrates the equal-time budget
    n_blocked, n_collapsed = (50, 2) if quick else (300, 10)
    rates = {}
    for method, n_iter in (("blocked", n_blocked), ("collapsed", n_collapsed)):
        cpu0 = time.process_time()
        model = genlib_fit(method, n_iter)
        cpu = time.process_time() - cpu0
        wall = model.history_["seconds"][-1]
        rates[method] = {"sweeps": n_iter, "seconds": wall, "cpu_seconds": cpu,
                         "token_updates_per_second": n_tokens * n_iter / wall,
                         "token_updates_per_cpu_second": n_tokens * n_iter / cpu}
    cases.append(_common.case(
        "token_updates_per_second", rates["blocked"], None, ratio=None,
        target="blocked sampler >= 1,000,000 token updates per second",
        met=rates["blocked"]["token_updates_per_second"] >= 1e6, collapsed=rates["collapsed"], data=data))

    # ---- equal wall-clock time: sklearn's default max_iter=10 vs as many blocked sweeps as fit
    sk_max_iter = 5 if quick else 10
    t0 = time.perf_counter()
    sklearn_fit(sk_max_iter)
    sk_seconds_probe = time.perf_counter() - t0
    sweeps_per_second = rates["blocked"]["sweeps"] / rates["blocked"]["seconds"]
    budget_sweeps = max(10, int(0.9 * sk_seconds_probe * sweeps_per_second))
    runs = _common.alternate({
        "genlib": lambda: genlib_fit("blocked", budget_sweeps),
        "peer": lambda: sklearn_fit(sk_max_iter),
    }, repeat=repeat)
    g = {"method": "blocked Gibbs", "sweeps": budget_sweeps, "seconds": runs["genlib"]["seconds"],
         "runs": runs["genlib"]["runs"], "perplexity": ppl(runs["genlib"]["result"].components_)}
    p = {"method": "sklearn batch variational Bayes", "max_iter": sk_max_iter, "seconds": runs["peer"]["seconds"],
         "runs": runs["peer"]["runs"], "perplexity": ppl(runs["peer"]["result"].components_)}
    cases.append(_common.case(
        "perplexity_at_equal_time", g, p,
        target="genlib perplexity <= sklearn's in no more wall-clock time",
        met=bool(g["perplexity"] <= p["perplexity"] and g["seconds"] <= p["seconds"])))

    # ---- long runs: where each method ends up, with genlib's held-out curve against time
    long_sweeps, long_vb = (200, 20) if quick else (1000, 50)
    long_genlib = LatentDirichletAllocation(K, alpha=alpha, beta=beta, method="blocked", n_iter=long_sweeps,
                                            evaluate_every=max(1, long_sweeps // 20),
                                            random_state=SEED).fit(X_train, X_valid=X_test)
    long_genlib_seconds = long_genlib.history_["seconds"][-1]
    sk_curve = []
    for it in (1, 2, 5, 10, 20, 50)[: 5 if quick else 6]:
        t0 = time.perf_counter()
        m = sklearn_fit(it)
        sk_curve.append({"max_iter": it, "seconds": time.perf_counter() - t0, "perplexity": ppl(m.components_)})
    g = {"sweeps": long_sweeps, "seconds": long_genlib_seconds, "perplexity": ppl(long_genlib.components_),
         "curve": {"seconds": [long_genlib.history_["seconds"][s - 1] for s in long_genlib.history_["perplexity_sweep"]],
                   "sweep": long_genlib.history_["perplexity_sweep"],
                   "perplexity_of_current_sample": long_genlib.history_["perplexity"]}}
    p = {"max_iter": sk_curve[-1]["max_iter"], "seconds": sk_curve[-1]["seconds"],
         "perplexity": sk_curve[-1]["perplexity"], "curve": sk_curve}
    cases.append(_common.case("perplexity_converged", g, p, target="report (lower perplexity is better)",
                              met=bool(g["perplexity"] <= p["perplexity"])))

    # ---- the exact collapsed sampler as reference
    ref_sweeps = 20 if quick else 150
    ref = genlib_fit("collapsed", ref_sweeps)
    r = {"method": "collapsed Gibbs (reference)", "sweeps": ref_sweeps, "seconds": ref.history_["seconds"][-1],
         "perplexity": ppl(ref.components_)}
    f = {"method": "blocked Gibbs", "sweeps": long_sweeps, "seconds": long_genlib_seconds,
         "perplexity": g["perplexity"]}
    cases.append(_common.case(
        "reference_perplexity", f, r, ratio=f["perplexity"] / r["perplexity"],
        target="blocked perplexity within 2% of the collapsed reference (ratio <= 1.02)",
        met=bool(f["perplexity"] <= 1.02 * r["perplexity"])))

    _common.write("lda", cases, quick=quick, out=args.out)


if __name__ == "__main__":
    main()
