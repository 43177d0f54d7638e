"""FCC-GAN against DCGAN on 8x8 digits at equal training time: Fréchet distance and precision/recall.

The claim under test (Barua et al., 2019, barua2019fccgan): fully connected layers before G's
convolutions and after D's make a GAN learn faster and give better samples than DCGAN's
convolution-only networks. Here both models are genlib's (:class:`genlib.neural.DCGAN`,
:class:`genlib.neural.FCCGAN`, the same game, optimiser, batch size and initialisation of the
convolutions; FCCGAN's fully connected widths are its defaults, (64, 512)), trained on all
1,797 of scikit-learn's 8x8 digits, one CPU thread.

Equal training time: the CPU seconds per training step of each model are measured first
(short fits, the two models alternating, median of 3; CPU time of the one-threaded process,
so that other work on a shared machine does not count); each budget is a number of DCGAN
steps, and FCCGAN gets the number of steps that takes the same CPU time
(``steps * t_dcgan / t_fccgan``). The CPU seconds each run really took are recorded beside it.

Scoring, as ``benchmarks/gan.py`` and the DCGAN chapter score samples: the Fréchet distance
and the improved precision/recall (k = 3) of ``n_eval`` samples against ``n_eval`` real
digits, in the penultimate layer of :func:`genlib.metrics.digit_classifier` (8); the
real-vs-real floor is a second, disjoint set of real digits. Numbers are comparable with each
other, not with Inception FIDs.

Run from the repository root::

    python -m benchmarks.fccgan --quick            # < 1 minute: checks the script (one seed, few steps)
    nohup python -m benchmarks.fccgan --threads 1 > fccgan.log 2>&1 &   # the full run (10 minutes idle, an hour on a loaded CPU)
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

from benchmarks import _common
from genlib.datasets import load_digits
from genlib.metrics import digit_classifier, frechet_distance, precision_recall

#: The full run: DCGAN step budgets (FCCGAN gets the same time), seeds, evaluation size.
FULL = dict(budgets=(600, 1500), seeds=(0, 1, 2, 3), n_eval=800, timing_steps=100, preset="full")
QUICK = dict(budgets=(30,), seeds=(0,), n_eval=200, timing_steps=10, preset="quick")

#: The shared settings of both models: the DCGAN chapter's (latent 32, 32 filters, batch 64, Adam 2e-4, beta1 0.5).
SETTINGS = dict(image_size=8, latent_dim=32, n_filters=32, batch_size=64)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes; finishes in under a minute")
    parser.add_argument("--out", type=Path, default=None, help="results file (default benchmarks/results/fccgan.json)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    return parser.parse_args()


def make(name: str, n_steps: int, seed: int):
    from genlib.neural import DCGAN, FCCGAN

    return {"DCGAN": DCGAN, "FCCGAN": FCCGAN}[name](n_steps=n_steps, random_state=seed, **SETTINGS)


def seconds_per_step(X: np.ndarray, n_steps: int, repeat: int = 3) -> dict[str, float]:
    """Median CPU seconds per training step of each model, the two alternating after one warm-up fit each.

    CPU time of this (single-threaded) process, not wall-clock time: on a shared machine the wall clock
    counts the other processes' work too, and the two models would be timed under different loads.
    """
    names = ("DCGAN", "FCCGAN")
    for name in names:  # warm-up: first calls allocate and pick kernels
        make(name, 5, 0).fit(X)
    times: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(repeat):
        for name in names:
            t0 = time.process_time()
            make(name, n_steps, 0).fit(X)
            times[name].append((time.process_time() - t0) / n_steps)
    return {name: statistics.median(v) for name, v in times.items()}


def score(clf, real_feats, samples) -> dict:
    feats = clf.features(samples)
    pr = precision_recall(real_feats, feats, k=3)
    return {"frechet": frechet_distance(real_feats, feats), "precision": pr.precision, "recall": pr.recall}


def summary(rows: list[dict]) -> dict:
    out = {}
    for key in ("frechet", "precision", "recall"):
        v = np.array([r[key] for r in rows])
        out[key] = {"mean": float(v.mean()), "std": float(v.std()), "min": float(v.min()), "max": float(v.max()),
                    "per_seed": v.tolist()}
    return out


def main() -> None:
    args = parse_args()
    budget = QUICK if args.quick else FULL
    torch.set_num_threads(args.threads)
    from threadpoolctl import threadpool_limits

    threadpool_limits(args.threads)
    X, _ = load_digits(as_images=True)  # (1797, 8, 8) in [0, 1]
    n_eval = budget["n_eval"]
    order = np.random.default_rng(0).permutation(len(X))
    ref_a, ref_b = X[order[:n_eval]], X[order[n_eval:2 * n_eval]]
    clf = digit_classifier(8)
    real_feats = clf.features(ref_a.reshape(n_eval, -1))
    floor = score(clf, real_feats, ref_b.reshape(n_eval, -1))
    print(f"real-vs-real floor: {floor}", flush=True)

    rate = seconds_per_step(X, budget["timing_steps"])
    ratio = rate["DCGAN"] / rate["FCCGAN"]  # FCCGAN steps per DCGAN step in the same time
    print(f"CPU seconds per step: {rate}; FCCGAN gets {ratio:.3f} steps per DCGAN step", flush=True)

    command = "python -m benchmarks.fccgan " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    common = dict(feature_space="genlib.metrics.digit_classifier(8): penultimate layer", n_eval=n_eval,
                  real_vs_real=floor, seeds=list(budget["seeds"]), settings=SETTINGS,
                  cpu_seconds_per_step=rate, command=command.strip(),
                  reference="Barua, Erfani & Bailey (2019), barua2019fccgan: FCC-GAN learns faster and gives "
                            "higher-quality samples than the convolution-only (DCGAN) architecture")
    cases = [_common.case("real held-out digits (floor)", floor, None, target="reference", met=None,
                          **{k: v for k, v in common.items() if k != "reference"})]
    for dc_steps in budget["budgets"]:
        steps = {"DCGAN": dc_steps, "FCCGAN": max(1, round(dc_steps * ratio))}
        rows: dict[str, list[dict]] = {"DCGAN": [], "FCCGAN": []}
        seconds: dict[str, list[float]] = {"DCGAN": [], "FCCGAN": []}
        for seed in budget["seeds"]:
            for name in ("DCGAN", "FCCGAN"):
                model = make(name, steps[name], seed)
                t0 = time.process_time()
                model.fit(X)
                seconds[name].append(time.process_time() - t0)
                samples = model.sample(n_eval, random_state=10_000 + seed).reshape(n_eval, -1).numpy()
                rows[name].append(score(clf, real_feats, samples))
                print(f"budget {dc_steps}, seed {seed}, {name} ({steps[name]} steps, {seconds[name][-1]:.0f} CPU s): "
                      f"{rows[name][-1]}", flush=True)
        fcc, dc = summary(rows["FCCGAN"]), summary(rows["DCGAN"])
        better = sum(f["frechet"] < d["frechet"] for f, d in zip(rows["FCCGAN"], rows["DCGAN"]))
        cases.append(_common.case(
            f"8x8 digits, the time of {dc_steps} DCGAN steps: FCCGAN vs DCGAN", fcc, dc,
            ratio=fcc["frechet"]["mean"] / dc["frechet"]["mean"],
            target="FCCGAN's mean Fréchet distance below DCGAN's (the paper's claim of better samples)",
            met=bool(fcc["frechet"]["mean"] < dc["frechet"]["mean"]),
            seeds_fccgan_better=int(better),
            budget={"device": "cpu", "threads": torch.get_num_threads(), "preset": budget["preset"],
                    "steps": steps, "batch_size": SETTINGS["batch_size"],
                    "train_cpu_seconds": {k: {"median": statistics.median(v), "per_seed": v} for k, v in seconds.items()}},
            **common))
    _common.write("fccgan", cases, quick=args.quick, out=args.out)


if __name__ == "__main__":
    main()
