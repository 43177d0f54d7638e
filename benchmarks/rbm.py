"""genlib.energy.BernoulliRBM: CD-1 speed against scikit-learn, and MNIST test log-likelihood by AIS.

Speed (issue 6): time of one CD-1 epoch of genlib's BernoulliRBM against
``sklearn.neural_network.BernoulliRBM`` on the same binary data, the same sizes and the same
mini-batches of 100 (plain SGD: genlib with ``momentum=0, weight_decay=0``, as scikit-learn
has neither), alternating runs in one process, median of ``repeat``, wall and CPU time.
Like for like: scikit-learn's ``fit`` is PCD-1 with mean-field hidden units in the negative
phase, which costs what CD-1 costs: five matrix products of the same shapes per batch and
B x (H + D) uniform numbers. Each peer dtype (float64, scikit-learn's default; float32, the
same arithmetic as genlib) is measured with all cores and with one thread each. Target:
ratio genlib / scikit-learn <= 0.5.

(a) binarised 8x8 digits (1797 x 64), 256 hidden units;
(b) binarised MNIST, 60,000 x 784 (train + validation), 500 hidden units.

Quality at paper scale: binarised MNIST (stochastic binarisation, seed 0), 500 hidden units,
trained by CD-1, CD-25 and PCD, each within ``MAX_MINUTES`` of training; test
log-likelihood = mean(-F(v)) - log Z over the 10,000 test images, with log Z from AIS
(14,500 temperatures, 100 runs, base-rate model), as in Salakhutdinov and Murray (2008), who
report about -125.5 (CD-1), -105.5 (CD-3) and -86.3 (CD-25) nats. Target: best >= -86.3.

MNIST comes from ``genlib.datasets.load_mnist`` (set ``GENLIB_DATA`` to the folder of the
course's ``mnist.npz``). Without it the MNIST cases are skipped and say so.

    python -m benchmarks.rbm              # full run -> benchmarks/results/rbm.json (GPU recommended)
    python -m benchmarks.rbm --quick      # small sizes, about a minute -> benchmarks/results/rbm_quick.json
    python -m benchmarks.rbm --only speed # the speed cases alone -> benchmarks/results/rbm_speed.json

What the full run needs: the speed cases train 4 x (3 + 3) one-epoch models on 60,000 x 784
(one epoch: about 2-4 s for genlib and 3-8 s for scikit-learn on a quiet 2-core CPU), about
5 minutes on a quiet machine, much longer on a loaded one. The quality cases
train three 784-500 RBMs for up to ``MAX_MINUTES`` (60) each and run AIS with 14,500
temperatures x 100 chains three times: about 3.5 hours on a GPU at most (training is
cut at the budget), far more on a 2-core CPU (CD-25 alone does 25x the Gibbs work of CD-1).
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from benchmarks import _common

#: Training budget per quality case (minutes) and the published references (nats).
MAX_MINUTES = 60.0
PUBLISHED = {"CD-1": -125.53, "CD-3": -105.50, "CD-25": -86.34}
REFERENCE = "salakhutdinov2008 (Salakhutdinov & Murray, ICML 2008), Table 1, 500 hidden units"


def _mnist(seed: int = 0):
    """Binarised MNIST (stochastic binarisation with a fixed seed): (train+valid 60k, test 10k), or None."""
    from genlib.datasets import binarize, load_mnist

    try:
        data = load_mnist(download=False)
    except FileNotFoundError:
        return None
    x_train = np.concatenate([data["x_train"], data["x_valid"]]).reshape(-1, 784) / 255.0
    x_test = data["x_test"].reshape(-1, 784) / 255.0
    rng = np.random.default_rng(seed)
    return (binarize(x_train, method="sample", random_state=rng).astype(np.float32),
            binarize(x_test, method="sample", random_state=rng).astype(np.float32))


def _alternate(fns: dict, repeat: int) -> dict:
    """``_common.alternate`` that also records the process CPU time (user + system) of every run.

    On a loaded machine the wall time of multi-threaded code swings with the scheduler; the CPU
    time does not count time spent waiting for a core, so it is the steadier of the two.
    """
    runs = {k: {"wall": [], "cpu": []} for k in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            w, c = time.perf_counter(), time.process_time()
            fn()
            runs[name]["wall"].append(time.perf_counter() - w)
            runs[name]["cpu"].append(time.process_time() - c)
    return {k: {"seconds": statistics.median(v["wall"]), "runs": v["wall"],
                "cpu_seconds": statistics.median(v["cpu"]), "cpu_runs": v["cpu"]} for k, v in runs.items()}


def speed_case(name: str, X: np.ndarray, n_hidden: int, repeat: int, *, peer_dtype=np.float64,
               device: str = "cpu", threads: int | None = None) -> dict:
    """One CD-1 epoch, genlib vs scikit-learn, same batches of 100 and learning rate 0.1.

    Like for like: scikit-learn's ``fit`` is PCD-1 whose negative phase keeps the hidden
    samples as the chains' state and uses mean-field hidden probabilities; genlib's CD-1 with
    ``momentum=0, weight_decay=0`` (plain SGD, as scikit-learn) does the same work per batch:
    five matrix products of the same shapes (p(h|v0), p(v|h0), p(h|vk) and the two gradient
    terms), B x (H + D) uniform draws and the sigmoids. genlib also tracks the reconstruction
    error of every batch (history_), which scikit-learn does not. Each timed run builds a
    fresh model and trains it for one epoch (input checks included on both sides); nothing else
    is timed (the reconstruction error reported is computed after the clock stops).

    genlib computes in float32 on ``device``; scikit-learn keeps the dtype it is given
    (``peer_dtype``): float64 is what NumPy pipelines and genlib's loaders hand it by
    default, float32 is the like-for-like arithmetic. ``threads=None`` lets both use every
    core (torch's intra-op threads, OpenBLAS's threads); ``threads=1`` pins both to one thread.
    """
    import torch
    from sklearn.neural_network import BernoulliRBM as SkRBM
    from threadpoolctl import threadpool_info, threadpool_limits

    from genlib.energy import BernoulliRBM

    Xt = torch.as_tensor(X, dtype=torch.float32, device=device)
    Xp = X.astype(peer_dtype)
    models = []

    def fit_genlib(data=Xt):
        m = BernoulliRBM(X.shape[1], n_hidden, k=1, learning_rate=0.1, momentum=0.0, weight_decay=0.0,
                         batch_size=100, n_epochs=1, random_state=0, device=device)
        m.fit(data)
        if m.device.type == "cuda":
            torch.cuda.synchronize()
        models[:] = [m]

    def fit_sklearn(data=Xp):
        SkRBM(n_components=n_hidden, learning_rate=0.1, batch_size=100, n_iter=1, random_state=0).fit(data)

    torch_threads = torch.get_num_threads()
    try:
        if threads is not None:
            torch.set_num_threads(threads)
        with threadpool_limits(limits=threads):
            fit_genlib(Xt[:1000]), fit_sklearn(Xp[:1000])  # warm-up (thread pools, allocators)
            res = _alternate({"genlib": fit_genlib, "peer": fit_sklearn}, repeat)
            used = {"torch_threads": torch.get_num_threads(),
                    "blas_threads": max(i["num_threads"] for i in threadpool_info())}
    finally:
        torch.set_num_threads(torch_threads)
    genlib = {**res["genlib"], "epochs": 1, "device": device, "dtype": "float32",
              "reconstruction_error": models[0].reconstruction_error(Xt), **used}
    peer = {**res["peer"], "epochs": 1, "library": "scikit-learn BernoulliRBM (PCD-1, no momentum)",
            "dtype": np.dtype(peer_dtype).name}
    ratio = genlib["seconds"] / peer["seconds"]
    return _common.case(name, genlib, peer, target="CD-1 epoch time ratio <= 0.5", met=bool(ratio <= 0.5),
                        ratio=ratio, cpu_ratio=genlib["cpu_seconds"] / peer["cpu_seconds"], data_shape=list(X.shape),
                        n_hidden=n_hidden, batch_size=100)


def speed_cases(label: str, X: np.ndarray, n_hidden: int, repeat: int, device: str) -> list[dict]:
    """The speed case against scikit-learn on float64 and float32 input, with all cores and with one
    thread each, and genlib on the GPU when there is one."""
    out = []
    for threads in (None, 1):
        where = "all cores" if threads is None else "1 thread each"
        out += [speed_case(f"{label}, sklearn float64, {where}", X, n_hidden, repeat, threads=threads),
                speed_case(f"{label}, sklearn float32, {where}", X, n_hidden, repeat, peer_dtype=np.float32,
                           threads=threads)]
    if device != "cpu":
        out.append(speed_case(f"{label}, genlib on {device}", X, n_hidden, repeat, device=device))
    return out


def quality_case(method: str, train: np.ndarray, test: np.ndarray, *, n_hidden: int, max_epochs: int,
                 max_minutes: float, n_temperatures: int, n_chains: int, device: str) -> dict:
    """Train one RBM by ``method`` ("CD-k" or "PCD") within a time budget, then estimate test log-likelihood by AIS."""
    import torch

    from genlib.energy import BernoulliRBM
    from genlib.energy.ais import log_partition

    persistent = method == "PCD"
    k = 1 if persistent else int(method.split("-")[1])
    # Hinton (2010)'s recipe: lr 0.05 with momentum 0.5 -> 0.9, small weight decay; PCD decays the rate linearly.
    rbm = BernoulliRBM(784, n_hidden, k=k, persistent=persistent, learning_rate=0.05 if not persistent else 0.01,
                       lr_schedule="linear" if persistent else "constant", momentum=0.5, weight_decay=2e-4,
                       batch_size=100, n_epochs=max_epochs, random_state=0, device=device)
    Xt = torch.as_tensor(train, device=rbm.device)
    t0 = time.perf_counter()
    epochs_done = 0

    def stop_when_out_of_time(model, epoch):
        nonlocal epochs_done
        epochs_done = epoch + 1
        if epoch == 4:
            model.momentum = 0.9
        if (time.perf_counter() - t0) / 60 > max_minutes:
            raise StopIteration

    try:
        rbm.fit(Xt, callback=stop_when_out_of_time)
    except StopIteration:
        pass
    minutes = (time.perf_counter() - t0) / 60
    t1 = time.perf_counter()
    log_z, se = log_partition(rbm, n_temperatures=n_temperatures, n_chains=n_chains, data=train, random_state=0)
    with torch.no_grad():
        test_ll = float(-rbm.free_energy(torch.as_tensor(test, device=rbm.device)).double().mean()) - log_z
        train_ll = float(-rbm.free_energy(Xt[:10000]).double().mean()) - log_z
    published = PUBLISHED.get(method)
    genlib = {"test_log_likelihood": test_ll, "train_log_likelihood_10k": train_ll, "log_z": log_z,
              "log_z_std_err": se, "ais": {"n_temperatures": n_temperatures, "n_chains": n_chains,
                                             "base": "base-rate of the training data", "minutes":
                                             (time.perf_counter() - t1) / 60},
              "budget": {"device": str(rbm.device), "minutes": minutes, "epochs": epochs_done,
                         "max_minutes": max_minutes, "max_epochs": max_epochs},
              "hyper_parameters": {"k": k, "persistent": persistent, "learning_rate": rbm.learning_rate,
                                   "lr_schedule": rbm.lr_schedule, "momentum": "0.5 then 0.9 after 5 epochs",
                                   "weight_decay": rbm.weight_decay, "batch_size": 100, "n_hidden": n_hidden}}
    peer = {"published_test_log_likelihood": published, "reference": REFERENCE} if published else None
    return _common.case(f"MNIST {method}, {n_hidden} hidden, AIS test log-likelihood", genlib, peer,
                        target="test log-likelihood >= -86.3 nats (best of the methods)", met=None, ratio=None,
                        data_shape=list(train.shape))


def parse_args():
    """``_common``'s ``--quick`` and ``--out``, and ``--only`` to run the speed or the quality cases alone."""
    import argparse
    from pathlib import Path

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes; finishes in under a minute")
    parser.add_argument("--out", type=Path, default=None, help="results file (default benchmarks/results/rbm.json)")
    parser.add_argument("--only", choices=("speed", "quality"), default=None,
                        help="only these cases; written to benchmarks/results/rbm_<only>[_quick].json by default")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    quick = args.quick
    from genlib.datasets import load_digits
    from genlib.energy.gibbs import resolve_device

    device = str(resolve_device("auto"))
    speed, quality = args.only in (None, "speed"), args.only in (None, "quality")
    cases = []
    if speed:
        X_digits, _ = load_digits(binary=True)
        cases += speed_cases("(a) CD-1 epoch, binarised digits 1797 x 64, 256 hidden", X_digits, 256,
                             5 if quick else 7, device)
    mnist = _mnist()
    if mnist is None:
        cases.append(_common.case("MNIST cases", {"skipped": "no local mnist.npz; set GENLIB_DATA"}, None,
                                  target="n/a", met=None))
    else:
        train, test = mnist
        if speed and quick:
            cases += speed_cases("(b, quick) CD-1 epoch, binarised MNIST 1000 x 784, 500 hidden", train[:1000], 500,
                                 3, device)
        elif speed:
            cases += speed_cases("(b) CD-1 epoch, binarised MNIST 60000 x 784, 500 hidden", train, 500, 3, device)
        if quality:
            if quick:
                q = dict(n_hidden=50, max_epochs=1, max_minutes=1.0, n_temperatures=100, n_chains=20, device=device)
                methods = ("CD-1", "PCD")
            else:
                q = dict(n_hidden=500, max_epochs=200, max_minutes=MAX_MINUTES, n_temperatures=14500, n_chains=100,
                         device=device)
                methods = ("CD-1", "CD-25", "PCD")
            for method in methods:
                cases.append(quality_case(method, train[:1000] if quick else train, test[:500] if quick else test, **q))
            quality_rows = [c for c in cases if "test_log_likelihood" in c["genlib"]]
            best = max(c["genlib"]["test_log_likelihood"] for c in quality_rows)
            for c in quality_rows:
                c["met"] = bool(best >= -86.3) if not quick else None
    _common.write("rbm" if args.only is None else f"rbm_{args.only}", cases, quick=quick, out=args.out)


if __name__ == "__main__":
    main()
