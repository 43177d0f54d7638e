"""Deep belief network and deep Boltzmann machine on binarised MNIST: AIS likelihood bounds, few-label fine-tuning.

Cases (issue 7):

(a) DBN 784-500-2000, trained greedily (CD-k per layer); test log-likelihood *bound*
    (dbn-bound) with log Z of the top RBM from AIS. Published: about -86.22 nats
    (Salakhutdinov & Murray, 2008, ``salakhutdinov2008``).
(b) DBM 784-500-1000, pre-trained with doubled weights then trained by mean field + PCD;
    test mean-field bound (dbm-bound) with log Z from AIS (odd layer summed out).
    Published: about -84.62 nats (Salakhutdinov & Hinton, 2009, ``salakhutdinov2009dbm``).
(c) Few labels: 1% of the training labels (600 images, class-balanced sample). Test accuracy
    of the DBN of (a) fine-tuned by ``to_classifier`` + ``train_classifier``, against
    scikit-learn's logistic regression and two MLPs trained from scratch on the same 600
    labelled images (the DBN's own architecture with sigmoid units, and 784-500-10 ReLU),
    all with the same optimiser and epochs.

Data: ``genlib.datasets.load_mnist`` (set ``GENLIB_DATA`` to the folder of ``mnist.npz``),
train + validation = 60,000 training images, 10,000 test images, stochastic binarisation
with seed 0 (as in the RBM benchmark). Each training phase has a time budget (minutes);
the JSON records the device, minutes and epochs used.

    python -m benchmarks.dbn_dbm            # paper scale -> benchmarks/results/dbn_dbm.json (GPU advised)
    python -m benchmarks.dbn_dbm --quick    # 2,000 images, small layers, under a minute
"""

from __future__ import annotations

import time

import numpy as np

from benchmarks import _common

PUBLISHED = {"dbn": -86.22, "dbm": -84.62}
REFERENCES = {"dbn": "salakhutdinov2008 (Salakhutdinov & Murray, ICML 2008): DBN 500-2000, AIS bound",
              "dbm": "salakhutdinov2009dbm (Salakhutdinov & Hinton, AISTATS 2009): DBM 500-1000, AIS bound"}

FULL = dict(
    n_train=None, n_test=None, label_fraction=0.01,
    dbn=dict(sizes=[784, 500, 2000], k=25, epochs=100, learning_rate=0.05, minutes=40.0),
    dbm=dict(sizes=[784, 500, 1000], pretrain_epochs=100, epochs=300, learning_rate=0.005, n_chains=100,
             n_mean_field=10, minutes=60.0),
    ais=dict(dbn_temperatures=14500, dbm_temperatures=20000, n_chains=100, n_samples=10),
    finetune=dict(n_epochs=200, learning_rate=1e-3, batch_size=32),
)
QUICK = dict(
    n_train=2000, n_test=500, label_fraction=0.1,
    dbn=dict(sizes=[784, 100, 200], k=1, epochs=3, learning_rate=0.05, minutes=0.3),
    dbm=dict(sizes=[784, 100, 200], pretrain_epochs=2, epochs=3, learning_rate=0.005, n_chains=50,
             n_mean_field=5, minutes=0.3),
    ais=dict(dbn_temperatures=100, dbm_temperatures=100, n_chains=20, n_samples=2),
    finetune=dict(n_epochs=10, learning_rate=1e-3, batch_size=32),
)


def _mnist(seed: int = 0):
    """Binarised MNIST (stochastic binarisation, fixed seed): train+valid (60k), test (10k), labels; or None."""
    from genlib.datasets import binarize, load_mnist

    try:
        data = load_mnist(download=False)
    except FileNotFoundError:
        return None
    x_train = np.concatenate([data["x_train"], data["x_valid"]]).reshape(-1, 784) / 255.0
    y_train = np.concatenate([data["y_train"], data["y_valid"]]).astype(np.int64)
    x_test = data["x_test"].reshape(-1, 784) / 255.0
    rng = np.random.default_rng(seed)
    return (binarize(x_train, method="sample", random_state=rng).astype(np.float32), y_train,
            binarize(x_test, method="sample", random_state=rng).astype(np.float32), data["y_test"].astype(np.int64))


class _LayerDone(Exception):
    """Raised after the one layer a greedy training call should train."""


class _Budget:
    """Epoch callback that stops training (StopIteration) once ``minutes`` have passed."""

    def __init__(self, minutes: float):
        self.minutes, self.t0, self.epochs = minutes, time.perf_counter(), 0

    def elapsed(self) -> float:
        return (time.perf_counter() - self.t0) / 60

    def __call__(self, model, epoch):
        self.epochs += 1
        if epoch == 4 and hasattr(model, "momentum"):
            model.momentum = 0.9                   # Hinton (2010): momentum 0.5, then 0.9
        if self.elapsed() > self.minutes:
            raise StopIteration


def dbn_case(train, test, cfg, ais, device):
    import torch

    from genlib.energy import DeepBeliefNetwork

    c = cfg["dbn"]
    dbn = DeepBeliefNetwork(c["sizes"], k=c["k"], n_epochs=c["epochs"], learning_rate=c["learning_rate"],
                            momentum=0.5, weight_decay=2e-4, batch_size=100, random_state=0, device=device)
    Xt = torch.as_tensor(train, device=dbn.device)
    budgets = []
    for layer in range(dbn.n_layers):            # greedy, one layer per call, each with its own time budget
        budget = _Budget(c["minutes"] / dbn.n_layers)

        def done(model, k, layer=layer):
            if k == layer:
                raise _LayerDone

        try:
            dbn.fit(Xt, start_layer=layer, epoch_callback=budget, callback=done)
        except (StopIteration, _LayerDone):
            pass
        budgets.append({"minutes": budget.elapsed(), "epochs": budget.epochs})
    t1 = time.perf_counter()
    bound, se = dbn.ais_bound(test, data=train, n_temperatures=ais["dbn_temperatures"], n_chains=ais["n_chains"],
                              n_samples=ais["n_samples"], random_state=0)
    genlib = {"test_log_likelihood_bound": bound, "std_err": se,
              "ais": {"n_temperatures": ais["dbn_temperatures"], "n_chains": ais["n_chains"],
                      "recognition_samples": ais["n_samples"], "minutes": (time.perf_counter() - t1) / 60},
              "budget": {"device": str(dbn.device), "per_layer": budgets,
                         "minutes": sum(b["minutes"] for b in budgets), "max_minutes": c["minutes"]},
              "hyper_parameters": {k: v for k, v in c.items() if k != "minutes"}}
    peer = {"published_test_log_likelihood_bound": PUBLISHED["dbn"], "reference": REFERENCES["dbn"]}
    row = _common.case(f"(a) DBN {'-'.join(map(str, c['sizes'][1:]))}, AIS test bound", genlib, peer,
                       target=f"bound >= {PUBLISHED['dbn']} nats within the time budget", met=None,
                       ratio=None, data_shape=list(train.shape))
    return row, dbn


def dbm_case(train, test, cfg, ais, device):
    import torch

    from genlib.energy import DeepBoltzmannMachine

    c = cfg["dbm"]
    dbm = DeepBoltzmannMachine(c["sizes"], n_epochs=c["epochs"], learning_rate=c["learning_rate"],
                               pretrain_epochs=c["pretrain_epochs"], n_chains=c["n_chains"],
                               n_mean_field=c["n_mean_field"], weight_decay=2e-4, batch_size=100, random_state=0,
                               device=device)
    Xt = torch.as_tensor(train, device=dbm.device)
    t0 = time.perf_counter()
    dbm.pretrain(Xt)
    pre_minutes = (time.perf_counter() - t0) / 60
    budget = _Budget(c["minutes"])
    try:
        dbm.fit(Xt, callback=budget)
    except StopIteration:
        pass
    t1 = time.perf_counter()
    bound, se = dbm.ais_bound(test, data=train, n_temperatures=ais["dbm_temperatures"], n_chains=ais["n_chains"],
                              random_state=0)
    genlib = {"test_log_likelihood_bound": bound, "std_err": se,
              "ais": {"n_temperatures": ais["dbm_temperatures"], "n_chains": ais["n_chains"],
                      "minutes": (time.perf_counter() - t1) / 60},
              "budget": {"device": str(dbm.device), "pretrain_minutes": pre_minutes,
                         "joint_minutes": budget.elapsed(), "joint_epochs": budget.epochs,
                         "minutes": pre_minutes + budget.elapsed(), "max_joint_minutes": c["minutes"]},
              "hyper_parameters": {k: v for k, v in c.items() if k != "minutes"}}
    peer = {"published_test_log_likelihood_bound": PUBLISHED["dbm"], "reference": REFERENCES["dbm"]}
    return _common.case(f"(b) DBM {'-'.join(map(str, c['sizes'][1:]))}, AIS test bound", genlib, peer,
                        target=f"bound >= {PUBLISHED['dbm']} nats within the time budget", met=None, ratio=None,
                        data_shape=list(train.shape))


def few_labels_case(dbn, train, y_train, test, y_test, cfg):
    import torch
    from sklearn.linear_model import LogisticRegression
    from torch import nn

    from genlib.energy.dbn import train_classifier

    rng = np.random.default_rng(0)
    n_per_class = max(1, int(round(cfg["label_fraction"] * len(y_train) / 10)))
    idx = np.concatenate([rng.choice(np.flatnonzero(y_train == c), n_per_class, replace=False) for c in range(10)])
    X_lab, y_lab = train[idx], y_train[idx]
    ft = cfg["finetune"]
    device = dbn.device
    Xte = torch.as_tensor(test, device=device)

    def accuracy(net):
        with torch.no_grad():
            return float((net(Xte).argmax(1).cpu().numpy() == y_test).mean())

    results = {}
    t0 = time.perf_counter()
    clf = dbn.to_classifier(10, random_state=0)
    train_classifier(clf, X_lab, y_lab, random_state=0, **ft)
    results["dbn_fine_tuned"] = {"test_accuracy": accuracy(clf), "minutes": (time.perf_counter() - t0) / 60}
    torch.manual_seed(0)                      # the scratch nets' default init (a script may seed globals)
    sizes = dbn.layer_sizes
    same = nn.Sequential(*[m for a, b in zip(sizes[:-1], sizes[1:]) for m in (nn.Linear(a, b), nn.Sigmoid())],
                         nn.Linear(sizes[-1], 10)).to(device)
    train_classifier(same, X_lab, y_lab, random_state=0, **ft)
    results["mlp_same_architecture_from_scratch"] = {"test_accuracy": accuracy(same)}
    relu = nn.Sequential(nn.Linear(784, 500), nn.ReLU(), nn.Linear(500, 10)).to(device)
    train_classifier(relu, X_lab, y_lab, random_state=0, **ft)
    results["mlp_784_500_10_relu_from_scratch"] = {"test_accuracy": accuracy(relu)}
    lr = LogisticRegression(max_iter=2000, C=1.0).fit(X_lab, y_lab)
    results["logistic_regression"] = {"test_accuracy": float((lr.predict(test) == y_test).mean())}
    best_peer = max(v["test_accuracy"] for k, v in results.items() if k != "dbn_fine_tuned")
    return _common.case(f"(c) {len(idx)} labels ({100 * cfg['label_fraction']:g}%): DBN fine-tuned vs from scratch",
                        results["dbn_fine_tuned"], {k: v for k, v in results.items() if k != "dbn_fine_tuned"},
                        target="DBN fine-tuned accuracy > every from-scratch peer", ratio=None,
                        met=bool(results["dbn_fine_tuned"]["test_accuracy"] > best_peer),
                        n_labels=int(len(idx)), fine_tuning=ft)


def main() -> None:
    args = _common.parse_args(__doc__.splitlines()[0])
    quick = args.quick
    from genlib.energy.gibbs import resolve_device

    device = str(resolve_device("auto"))
    cfg = QUICK if quick else FULL
    mnist = _mnist()
    if mnist is None:
        cases = [_common.case("MNIST cases", {"skipped": "no local mnist.npz; set GENLIB_DATA"}, None,
                              target="n/a", met=None)]
    else:
        train, y_train, test, y_test = mnist
        if cfg["n_train"]:
            train, y_train = train[:cfg["n_train"]], y_train[:cfg["n_train"]]
            test, y_test = test[:cfg["n_test"]], y_test[:cfg["n_test"]]
        row, dbn = dbn_case(train, test, cfg, cfg["ais"], device)
        cases = [row, dbm_case(train, test, cfg, cfg["ais"], device),
                 few_labels_case(dbn, train, y_train, test, y_test, cfg)]
        if not quick:
            for c, key in zip(cases[:2], ("dbn", "dbm")):
                c["met"] = bool(c["genlib"]["test_log_likelihood_bound"] >= PUBLISHED[key])
    _common.write("dbn_dbm", cases, quick=quick, out=args.out)


if __name__ == "__main__":
    main()
