"""DCGAN and conditional GAN on 28x28 MNIST: sample quality in genlib's digit feature space.

What is measured (all in the penultimate layer of :func:`genlib.metrics.digit_classifier`
trained on MNIST's 50,000 training images; these numbers are comparable with each other,
*not* with Inception-based FIDs of the literature):

- Fréchet distance and improved precision/recall (k = 3) of 10,000 samples against the
  10,000 test images, for: held-out real images (the 10,000 validation images: the floor a
  perfect generator would reach), a DCGAN (:class:`genlib.neural.DCGAN`, ``image_size=28``),
  a conditional GAN (:class:`genlib.neural.ConditionalGAN`, uniform labels) and a VAE
  (:class:`genlib.neural.VAE`, decoder means) as the explicit-density reference;
- the conditional GAN's label accuracy: the share of samples drawn for label y that the
  classifier assigns to y, against the classifier's accuracy on the real test images.

Targets (issue 9): DCGAN's Fréchet distance within 2x of the real-vs-real floor; CGAN label
accuracy >= 95%. Each case records its training budget (device, steps or epochs, seconds).

Run from the repository root with the course MNIST file in ``$GENLIB_DATA`` (default here:
``../shared/data``)::

    python -m benchmarks.gan --quick     # < 1 minute on a CPU: checks the script (small subset, few steps)
    python -m benchmarks.gan --cpu       # full data and evaluation, training cut to ~30 min on 2 CPU cores
    python -m benchmarks.gan             # the full budget: ~20,000 GAN steps each; use a GPU
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import torch

from benchmarks import _common
from genlib.datasets import load_mnist
from genlib.metrics import DigitClassifier, frechet_distance, precision_recall
from genlib.metrics.classifier import digit_classifier

#: The budgets of the full run (a GPU), of --cpu (the full data and evaluation, with the training cut to
#: about half an hour on 2 CPU cores: a narrower DCGAN and fewer steps) and of --quick (checks the script).
FULL = dict(n_eval=10_000, n_train=50_000, dcgan_steps=20_000, dcgan_filters=64, cgan_steps=30_000, vae_epochs=50,
            batch_size=128, clf_subset=None, preset="full")
CPU = dict(FULL, dcgan_steps=3_000, dcgan_filters=32, cgan_steps=10_000, vae_epochs=20, preset="cpu")
QUICK = dict(n_eval=500, n_train=2_000, dcgan_steps=20, dcgan_filters=64, cgan_steps=40, vae_epochs=1,
             batch_size=64, clf_subset=5_000, preset="quick")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes; finishes in under a minute")
    parser.add_argument("--cpu", action="store_true", help="full data, training cut to ~30 minutes on 2 CPU cores")
    parser.add_argument("--out", type=Path, default=None, help="results file (default benchmarks/results/gan.json)")
    parser.add_argument("--device", default="auto", help="'auto' (CUDA when available), 'cpu' or 'cuda'")
    parser.add_argument("--models", default="dcgan,cgan,vae", help="comma-separated: dcgan, cgan, vae")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    return parser.parse_args()


def load_data(quick: bool):
    if not os.environ.get("GENLIB_DATA"):
        default = Path(__file__).resolve().parents[2] / "shared" / "data"
        if default.is_dir():
            os.environ["GENLIB_DATA"] = str(default)
    data = load_mnist(download=False)
    scale = lambda a: (a.reshape(len(a), -1) / 255.0).astype(np.float32)  # (n, 784) in [0, 1]
    return ({k: scale(data[f"x_{k}"]) for k in ("train", "valid", "test")},
            {k: data[f"y_{k}"].astype(np.int64) for k in ("train", "valid", "test")})


def sample_quality(clf, real_feats, samples) -> dict:
    feats = clf.features(samples)
    pr = precision_recall(real_feats, feats, k=3)
    return {"frechet": frechet_distance(real_feats, feats), "precision": pr.precision, "recall": pr.recall}


def batched_samples(model, n, device, **kw) -> np.ndarray:
    out = []
    for s in range(0, n, 1000):
        x = model.sample(min(1000, n - s), random_state=10_000 + s, **kw)
        out.append(x.detach().cpu().reshape(x.shape[0], -1).numpy())
    return np.clip(np.concatenate(out), 0.0, 1.0)


def main() -> None:
    args = parse_args()
    budget = QUICK if args.quick else CPU if args.cpu else FULL
    if args.threads is not None:
        from threadpoolctl import threadpool_limits

        torch.set_num_threads(args.threads)
        threadpool_limits(args.threads)      # the classifier's BLAS too
    device = torch.device("cuda" if (args.device == "auto" and torch.cuda.is_available()) else
                          ("cpu" if args.device == "auto" else args.device))
    models = set(args.models.split(","))
    X, y = load_data(args.quick)
    n_eval, n_train = budget["n_eval"], budget["n_train"]
    X_train, y_train = X["train"][:n_train], y["train"][:n_train]
    X_gpu = torch.as_tensor(X_train, device=device)  # models follow the device of their input

    # the feature extractor: the package's classifier (full), or a small one on a subset (quick)
    t0 = time.perf_counter()
    if budget["clf_subset"] is None:
        clf = digit_classifier(28)
    else:
        m = budget["clf_subset"]
        clf = DigitClassifier(hidden=(256, 64), max_iter=5).fit(X["train"][:m], y["train"][:m])
    clf_seconds = time.perf_counter() - t0
    clf_acc = clf.score(X["test"], y["test"])
    real_feats = clf.features(X["test"][:n_eval])
    floor = sample_quality(clf, real_feats, X["valid"][:n_eval])
    print(f"classifier: test accuracy {clf_acc:.4f} ({clf_seconds:.0f} s); real-vs-real: {floor}")

    common = dict(feature_space="genlib.metrics.digit_classifier(28): MLP 784-256-64-10, penultimate layer",
                  n_eval=n_eval, real_vs_real=floor, classifier_test_accuracy=clf_acc)
    cases = [_common.case("real held-out images (floor)", floor, None, target="reference", met=None, **common)]

    if "dcgan" in models:
        from genlib.neural import DCGAN

        model = DCGAN(image_size=28, latent_dim=100, n_filters=budget["dcgan_filters"], n_steps=budget["dcgan_steps"],
                      batch_size=budget["batch_size"], random_state=0)
        t0 = time.perf_counter()
        model.fit(X_gpu.reshape(-1, 1, 28, 28))
        seconds = time.perf_counter() - t0
        q = sample_quality(clf, real_feats, batched_samples(model, n_eval, device))
        ratio = q["frechet"] / floor["frechet"]
        cases.append(_common.case(
            "DCGAN 28x28: Fréchet distance vs real-vs-real floor", q, floor, ratio=ratio,
            target="Fréchet distance <= 2 x real-vs-real floor", met=bool(ratio <= 2.0),
            budget={"device": str(device), "preset": budget["preset"], "n_filters": budget["dcgan_filters"],
                    "threads": torch.get_num_threads(), "steps": budget["dcgan_steps"], "batch_size": budget["batch_size"],
                    "epochs": budget["dcgan_steps"] * budget["batch_size"] / n_train, "train_seconds": seconds},
            reference="Radford et al. (2016), radford2016; architecture rules of the DCGAN chapter", **common))

    if "cgan" in models:
        from genlib.neural import ConditionalGAN

        model = ConditionalGAN(n_features=784, n_classes=10, latent_dim=100, hidden=(512, 512), lr_d=2e-4,
                               lr_g=2e-4, n_steps=budget["cgan_steps"], batch_size=budget["batch_size"],
                               random_state=0)
        t0 = time.perf_counter()
        model.fit(X_gpu, torch.as_tensor(y_train, device=device))
        seconds = time.perf_counter() - t0
        q = sample_quality(clf, real_feats, batched_samples(model, n_eval, device))
        labels = np.arange(n_eval) % 10
        preds = []
        for s in range(0, n_eval, 1000):
            lab = labels[s:s + 1000]
            x = model.sample(len(lab), labels=lab, random_state=20_000 + s).detach().cpu().numpy()
            preds.append(clf.predict(np.clip(x, 0, 1)))
        acc = float(np.mean(np.concatenate(preds) == labels))
        q["label_accuracy"] = acc
        budget_row = {"device": str(device), "preset": budget["preset"], "threads": torch.get_num_threads(),
                      "steps": budget["cgan_steps"], "batch_size": budget["batch_size"],
                      "epochs": budget["cgan_steps"] * budget["batch_size"] / n_train, "train_seconds": seconds}
        cases.append(_common.case(
            "CGAN 784: label accuracy of class-conditional samples", q, {"label_accuracy": clf_acc},
            ratio=acc / clf_acc, target="label accuracy >= 0.95", met=bool(acc >= 0.95), budget=budget_row,
            reference="Mirza & Osindero (2014), mirza2014", **common))
        cases.append(_common.case(
            "CGAN 784: Fréchet distance vs real-vs-real floor", q, floor, ratio=q["frechet"] / floor["frechet"],
            target="reported (no target)", met=None, budget=budget_row, **common))

    if "vae" in models:
        row: dict = {}
        try:
            from genlib.neural import VAE

            model = VAE(784, latent_dim=20, hidden=(400,), random_state=0)
            t0 = time.perf_counter()
            model.fit(X_gpu, n_epochs=budget["vae_epochs"], batch_size=budget["batch_size"], lr=1e-3)
            seconds = time.perf_counter() - t0
            row = sample_quality(clf, real_feats, batched_samples(model, n_eval, device, mean=True))
            extra = {"budget": {"device": str(device), "preset": budget["preset"], "threads": torch.get_num_threads(),
                                "epochs": budget["vae_epochs"],
                                "train_seconds": seconds},
                     "note": "decoder means E[x|z] (the smooth images usually shown)"}
        except Exception as exc:  # the VAE is another chapter's model: report, do not fail the GAN benchmark
            extra = {"note": f"VAE unavailable: {type(exc).__name__}: {exc}"}
        cases.append(_common.case("VAE 784-400-20: sample quality (explicit-density reference)", row, floor,
                                  ratio=(row["frechet"] / floor["frechet"]) if row else None,
                                  target="reported (no target)", met=None, **extra, **common))

    _common.write("gan", cases, quick=args.quick, out=args.out)


if __name__ == "__main__":
    main()
