"""genlib.classic HMMs vs hmmlearn: time per Baum-Welch iteration and log-likelihood.

Both libraries run in one process on the same data from the same initial parameters, for
the same number of iterations (tolerance disabled), alternating runs (median of
``repeat``). hmmlearn's loops are compiled C++; genlib's are NumPy, made fast by the
chunked scan of :mod:`genlib.classic.hmm_inference`. Cases (issue 4):

(a) CategoricalHMM, 4 states, 27 symbols, one sequence of 200,000 characters of the
    standard-library docstring corpus;
(b) the same characters as 1,000 sequences of length 200;
(c) GaussianHMM, 3 states, full covariances, 100,000 x 2 points sampled from a known HMM;
(d) Viterbi decoding (``decode``) of one sequence of 1,000,000 steps, CategoricalHMM with 3
    states and 5 symbols at fixed parameters: genlib's max-plus chunked scan against hmmlearn's
    compiled Viterbi; target ratio <= 10 with the same maximal log-probability (the paths may
    differ only where two paths are exactly equally probable: both must be optimal).

The peer is hmmlearn with its default ``implementation="log"``; hmmlearn's
``implementation="scaling"`` (the same recursion genlib uses) is timed too and reported as
``peer_scaling``. Ratios are genlib / hmmlearn-default seconds per iteration; the target
is <= 1.0 on (b) and (c), "as close as possible" on (a). The final log-likelihoods must
agree (relative difference <= 1e-6), so the timings compare like with like.

    python -m benchmarks.hmm            # full run -> benchmarks/results/hmm.json
    python -m benchmarks.hmm --quick    # smaller sizes, under a minute
"""

from __future__ import annotations

import warnings

import numpy as np

from benchmarks import _common


def _characters(n_chars: int) -> np.ndarray:
    from genlib.datasets import load_stdlib_characters

    X, _ = load_stdlib_characters(n_chars)
    return X


def _gaussian_data(n_samples: int) -> np.ndarray:
    from genlib.classic import GaussianHMM

    truth = GaussianHMM.from_parameters(
        [0.5, 0.3, 0.2], [[0.95, 0.03, 0.02], [0.05, 0.9, 0.05], [0.04, 0.06, 0.9]],
        [[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]],
        [[[1.0, 0.3], [0.3, 0.6]], [[0.5, 0.0], [0.0, 1.0]], [[0.8, -0.3], [-0.3, 0.8]]],
        random_state=0,
    )
    return truth.sample(n_samples)


def _run(name, make_genlib, make_peer, X, lengths, n_iter, repeat, target, require_met, **extra):
    """Time both libraries' ``fit`` and compare their final log-likelihoods."""
    models = {}

    def fit(side, factory):
        def go():
            m = factory()
            m.fit(X, lengths)
            models[side] = m
            return m
        return go

    fns = {"genlib": fit("genlib", make_genlib), "peer": fit("peer", lambda: make_peer("log")),
           "peer_scaling": fit("peer_scaling", lambda: make_peer("scaling"))}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tol is disabled on purpose: no convergence
        for fn in fns.values():
            fn()  # warm-up
        res = _common.alternate(fns, repeat=repeat)
    ll_g = float(models["genlib"].log_prob(X, lengths).sum())
    out = {}
    for side in fns:
        m = models[side]
        iters = m.n_iter_ if side == "genlib" else m.monitor_.iter
        ll = ll_g if side == "genlib" else float(m.score(X, lengths))
        out[side] = {"seconds": res[side]["seconds"], "runs": res[side]["runs"], "n_iter": int(iters),
                     "seconds_per_iter": res[side]["seconds"] / iters, "final_total_loglik": ll}
    out["peer"]["library"] = "hmmlearn (implementation='log', default)"
    out["peer_scaling"]["library"] = "hmmlearn (implementation='scaling')"
    rel = abs(ll_g - out["peer"]["final_total_loglik"]) / abs(out["peer"]["final_total_loglik"])
    ratio = out["genlib"]["seconds_per_iter"] / out["peer"]["seconds_per_iter"]
    return _common.case(
        name, out["genlib"], out["peer"], target=target,
        met=bool((ratio <= 1.0 or not require_met) and rel <= 1e-6), ratio=ratio,
        peer_scaling=out["peer_scaling"],
        ratio_vs_scaling=out["genlib"]["seconds_per_iter"] / out["peer_scaling"]["seconds_per_iter"],
        loglik_rel_diff=rel, **extra,
    )


def categorical_case(name, X, lengths, n_iter, repeat, require_met):
    from hmmlearn.hmm import CategoricalHMM as PeerHMM

    from genlib.classic import CategoricalHMM

    K, M = 4, 27
    rng = np.random.default_rng(0)
    pi0 = rng.dirichlet(np.ones(K))
    A0 = rng.dirichlet(np.ones(K), size=K)
    B0 = rng.dirichlet(np.ones(M) * 5, size=K)

    def make_genlib():
        return CategoricalHMM(K, n_features=M, max_iter=n_iter, tol=0.0, startprob_init=pi0, transmat_init=A0,
                              emissionprob_init=B0, random_state=0)

    def make_peer(impl):
        p = PeerHMM(K, n_features=M, n_iter=n_iter, tol=-np.inf, init_params="", implementation=impl)
        p.startprob_, p.transmat_, p.emissionprob_ = pi0, A0, B0
        return p

    target = ("time per Baum-Welch iteration ratio <= 1.0 at equal log-likelihood" if require_met
              else "as close to hmmlearn as possible (reported, not required), equal log-likelihood")
    return _run(name, make_genlib, make_peer, X, lengths, n_iter, repeat, target, require_met,
                n_components=K, n_symbols=M, n_samples=int(X.shape[0]),
                n_sequences=1 if lengths is None else len(lengths))


def gaussian_case(name, X, n_iter, repeat):
    from hmmlearn.hmm import GaussianHMM as PeerHMM
    from sklearn.cluster import kmeans_plusplus

    from genlib.classic import GaussianHMM

    K = 3
    rng = np.random.default_rng(0)
    pi0 = rng.dirichlet(np.ones(K))
    A0 = rng.dirichlet(np.ones(K), size=K)
    m0, _ = kmeans_plusplus(X, K, random_state=0)
    c0 = np.repeat(np.cov(X.T)[None], K, axis=0)

    def make_genlib():
        return GaussianHMM(K, covariance_type="full", max_iter=n_iter, tol=0.0, reg_covar=0.0,
                           startprob_init=pi0, transmat_init=A0, means_init=m0, covars_init=c0, random_state=0)

    def make_peer(impl):
        # Plain maximum likelihood on both sides: hmmlearn's default covars_prior=1e-2 is a
        # (small) prior that genlib does not have, so it is switched off (genlib: reg_covar=0).
        p = PeerHMM(K, covariance_type="full", n_iter=n_iter, tol=-np.inf, init_params="", covars_prior=0.0,
                    implementation=impl)
        p.startprob_, p.transmat_, p.means_, p.covars_ = pi0, A0, m0, c0
        return p

    return _run(name, make_genlib, make_peer, X, None, n_iter, repeat,
                "time per Baum-Welch iteration ratio <= 1.0 at equal log-likelihood", True,
                n_components=K, data_shape=list(X.shape))


def viterbi_case(name, n_steps, repeat):
    from hmmlearn.hmm import CategoricalHMM as PeerHMM

    from genlib.classic import CategoricalHMM

    K, M = 3, 5
    rng = np.random.default_rng(11)
    pi, A, B = rng.dirichlet(np.ones(K)), rng.dirichlet(np.ones(K), size=K), rng.dirichlet(np.ones(M), size=K)
    X = rng.integers(0, M, size=(n_steps, 1))
    ours = CategoricalHMM.from_parameters(pi, A, B)
    peer = PeerHMM(K, n_features=M)
    peer.startprob_, peer.transmat_, peer.emissionprob_ = pi, A, B
    fns = {"genlib": lambda: ours.decode(X), "peer": lambda: peer.decode(X, algorithm="viterbi")}
    for fn in fns.values():
        fn()  # warm-up
    res = _common.alternate(fns, repeat=repeat)
    (lp_g, path_g), (lp_p, path_p) = res["genlib"]["result"], res["peer"]["result"]
    x = X[:, 0]

    def log_joint(z):  # log p(x, z) of a path, summed directly
        return float(np.log(pi)[z[0]] + np.log(B)[z, x].sum() + np.log(A)[z[:-1], z[1:]].sum())

    lp_g, lp_p = float(lp_g.sum()), float(lp_p)
    rel = abs(lp_g - lp_p) / abs(lp_p)
    both_optimal = abs(log_joint(path_g) - lp_p) <= 1e-10 * abs(lp_p)
    ratio = res["genlib"]["seconds"] / res["peer"]["seconds"]
    out = {side: {"seconds": res[side]["seconds"], "runs": res[side]["runs"]} for side in fns}
    out["genlib"]["log_prob"], out["peer"]["log_prob"] = lp_g, lp_p
    out["peer"]["library"] = "hmmlearn CategoricalHMM.decode(algorithm='viterbi')"
    return _common.case(
        name, out["genlib"], out["peer"], target="decode time ratio <= 10 at equal maximal log-probability",
        met=bool(ratio <= 10.0 and rel <= 1e-10 and both_optimal), ratio=ratio, log_prob_rel_diff=rel,
        genlib_path_is_optimal=bool(both_optimal), path_agreement=float(np.mean(path_g == path_p)),
        n_components=K, n_symbols=M, n_steps=n_steps,
    )


def main() -> None:
    args = _common.parse_args(__doc__.splitlines()[0])
    quick = args.quick
    n_chars, seq_len, n_gauss, iters, repeat = (40_000, 200, 20_000, 5, 3) if args.quick else \
        (200_000, 200, 100_000, 20, 3)
    n_viterbi = 100_000 if args.quick else 1_000_000
    chars = _characters(n_chars)
    cases = [
        categorical_case(f"(a) CategoricalHMM 4 states x 27 symbols, 1 sequence of {n_chars} characters",
                         chars, None, iters, repeat, require_met=False),
        categorical_case(f"(b) CategoricalHMM 4 x 27, {n_chars // seq_len} sequences of length {seq_len}",
                         chars, [seq_len] * (n_chars // seq_len), iters, repeat, require_met=True),
        gaussian_case(f"(c) GaussianHMM 3 states, full, {n_gauss} x 2", _gaussian_data(n_gauss), iters, repeat),
    ]
    viterbi = viterbi_case(f"(d) Viterbi decode, CategoricalHMM 3 states x 5 symbols, 1 sequence of {n_viterbi} "
                           f"steps", n_viterbi, 5)
    for c in cases:
        print(
            f"  {c['case']}: genlib {1e3 * c['genlib']['seconds_per_iter']:.1f} ms/iter, "
            f"hmmlearn {1e3 * c['peer']['seconds_per_iter']:.1f} ms/iter "
            f"(scaling {1e3 * c['peer_scaling']['seconds_per_iter']:.1f}); total log-lik "
            f"{c['genlib']['final_total_loglik']:.3f} vs {c['peer']['final_total_loglik']:.3f} "
            f"(rel. diff {c['loglik_rel_diff']:.1e})"
        )
    print(f"  {viterbi['case']}: genlib {viterbi['genlib']['seconds']:.3f} s, hmmlearn "
          f"{viterbi['peer']['seconds']:.3f} s, ratio {viterbi['ratio']:.1f} (target <= 10); log-prob "
          f"{viterbi['genlib']['log_prob']:.3f} vs {viterbi['peer']['log_prob']:.3f}")
    _common.write("hmm", cases + [viterbi], quick=quick, out=args.out)


if __name__ == "__main__":
    main()
