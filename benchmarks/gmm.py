"""genlib.classic.GaussianMixture vs sklearn.mixture.GaussianMixture: time per EM iteration.

Both run in one process on the same data from the same initial parameters (k-means++
seeded k-means labels turned into weights, means and covariances by one M-step), with
``tol=0`` so both do exactly ``max_iter`` EM iterations, alternating runs (median of
``repeat``). Cases (issue 3):

(a) 100,000 x 2 points from a 10-component mixture, 10 components, full covariance,
    100 iterations;
(b) scikit-learn's 8x8 digits projected to 16 dimensions by PCA, 10 components, full
    covariance, 100 iterations.

scikit-learn is timed twice: as installed (BLAS default threads; the ``ratio``) and with BLAS
capped at one thread like genlib (``ratio_vs_peer_one_blas_thread``), which isolates the
algorithmic difference from the threading effect.

Reported per case: seconds per EM iteration for each library, their ratio
(genlib / scikit-learn, target <= 1.0), and the final mean log-likelihood of each, which
must agree (relative difference <= 1e-6) for the timing to compare like with like.

    python -m benchmarks.gmm            # full run -> benchmarks/results/gmm.json (about 150 s
                                        # of CPU time; most of it is scikit-learn)
    python -m benchmarks.gmm --quick    # 20,000 points, 20 iterations: under a minute

genlib's ``fit`` runs BLAS on one thread for data with at most 64 features (see
``genlib/classic/gmm.py``); scikit-learn runs with the BLAS defaults. Both are what a user
of each library gets.
"""

from __future__ import annotations

import warnings

import numpy as np

from benchmarks import _common


def _mixture_data(n_samples: int, seed: int = 0) -> np.ndarray:
    """``n_samples`` points in the plane from 10 Gaussians with random shapes."""
    from genlib.datasets import make_blobs

    rng = np.random.default_rng(seed)
    centers = rng.uniform(-10, 10, size=(10, 2))
    A = rng.normal(size=(10, 2, 2))
    covariances = A @ np.swapaxes(A, 1, 2) + 0.2 * np.eye(2)
    X, _ = make_blobs(n_samples, centers=centers, covariances=covariances, random_state=seed)
    return X


def _digits_pca(n_dims: int = 16) -> np.ndarray:
    from sklearn.decomposition import PCA

    from genlib.datasets import load_digits

    X, _ = load_digits()
    return PCA(n_dims, random_state=0).fit_transform(X)


def _initial_parameters(X: np.ndarray, k: int, seed: int = 0):
    """Weights, means, covariances from k-means labels (genlib's own init path)."""
    from genlib.classic.gmm import estimate_parameters, kmeans, kmeans_plusplus

    rng = np.random.default_rng(seed)
    _, labels = kmeans(X, kmeans_plusplus(X, k, rng))
    resp = np.eye(k)[labels]
    return estimate_parameters(X, resp, 1e-6, "full")


def run_case(name: str, X: np.ndarray, k: int, max_iter: int, repeat: int) -> dict:
    from sklearn.mixture import GaussianMixture as SkGMM
    from threadpoolctl import threadpool_limits

    from genlib.classic import GaussianMixture

    w0, m0, c0 = _initial_parameters(X, k)
    p0 = np.linalg.inv(c0)
    common = dict(covariance_type="full", max_iter=max_iter, tol=0.0, reg_covar=1e-6)
    models = {}

    def fit_genlib():
        g = GaussianMixture(k, weights_init=w0, means_init=m0, covariances_init=c0, random_state=0, **common)
        models["genlib"] = g.fit(X)
        return g.n_iter_

    def fit_sklearn():
        s = SkGMM(k, weights_init=w0, means_init=m0, precisions_init=p0, random_state=0, **common)
        models["peer"] = s.fit(X)
        return s.n_iter_

    def fit_sklearn_one_thread():
        # the same, with BLAS capped at one thread as genlib does: separates the algorithm
        # from the threading effect (on a loaded or small machine BLAS threads can dominate)
        with threadpool_limits(limits=1, user_api="blas"):
            s = SkGMM(k, weights_init=w0, means_init=m0, precisions_init=p0, random_state=0, **common)
            return s.fit(X).n_iter_

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # both warn that tol=0 was not met, by design
        # warm-up (imports, BLAS thread pools, caches) with a short fit of each
        GaussianMixture(k, weights_init=w0, means_init=m0, covariances_init=c0, **{**common, "max_iter": 2}).fit(X)
        SkGMM(k, weights_init=w0, means_init=m0, precisions_init=p0, **{**common, "max_iter": 2}).fit(X)
        res = _common.alternate({"genlib": fit_genlib, "peer": fit_sklearn, "peer_1": fit_sklearn_one_thread},
                                repeat=repeat)
    ll_g = models["genlib"].score(X)
    ll_p = models["peer"].score(X)
    rel = abs(ll_g - ll_p) / abs(ll_p)
    out = {}
    for side, ll in (("genlib", ll_g), ("peer", ll_p)):
        n_iter = res[side]["result"]
        out[side] = {
            "seconds": res[side]["seconds"],
            "runs": res[side]["runs"],
            "n_iter": n_iter,
            "seconds_per_iter": res[side]["seconds"] / n_iter,
            "final_mean_loglik": ll,
        }
    out["peer"]["library"] = "scikit-learn GaussianMixture"
    one = res["peer_1"]
    out["peer"]["one_blas_thread"] = {"seconds": one["seconds"], "runs": one["runs"],
                                      "seconds_per_iter": one["seconds"] / one["result"]}
    ratio = out["genlib"]["seconds_per_iter"] / out["peer"]["seconds_per_iter"]
    ratio_one = out["genlib"]["seconds_per_iter"] / out["peer"]["one_blas_thread"]["seconds_per_iter"]
    equal = rel <= 1e-6
    return _common.case(
        name,
        out["genlib"],
        out["peer"],
        target="time per EM iteration ratio <= 1.0 at equal log-likelihood (rel. diff <= 1e-6)",
        met=bool(ratio <= 1.0 and equal),
        ratio=ratio,
        ratio_vs_peer_one_blas_thread=ratio_one,
        data_shape=list(X.shape),
        blas_threads="genlib fit: 1 (n_features <= 64); scikit-learn: BLAS default",
        n_components=k,
        loglik_rel_diff=rel,
    )


def main() -> None:
    args = _common.parse_args(__doc__.splitlines()[0])
    quick = args.quick
    n_a, iters, repeat = (20_000, 20, 3) if quick else (100_000, 100, 3)
    cases = [
        run_case(f"(a) {n_a} x 2, 10 components, full, {iters} iterations", _mixture_data(n_a), 10, iters, repeat),
        run_case(f"(b) digits PCA-16 (1797 x 16), 10 components, full, {iters} iterations", _digits_pca(16), 10,
                 iters, repeat),
    ]
    for c in cases:
        print(
            f"  {c['case']}: genlib {1e3 * c['genlib']['seconds_per_iter']:.2f} ms/iter, "
            f"scikit-learn {1e3 * c['peer']['seconds_per_iter']:.2f} ms/iter "
            f"({1e3 * c['peer']['one_blas_thread']['seconds_per_iter']:.2f} with one BLAS thread; "
            f"ratio {c['ratio_vs_peer_one_blas_thread']:.2f}); mean log-lik "
            f"{c['genlib']['final_mean_loglik']:.6f} vs {c['peer']['final_mean_loglik']:.6f} "
            f"(rel. diff {c['loglik_rel_diff']:.1e})"
        )
    _common.write("gmm", cases, quick=quick, out=args.out)


if __name__ == "__main__":
    main()
