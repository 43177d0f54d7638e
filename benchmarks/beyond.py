"""Part 5's models on 8x8 digits at equal training time; DDIM's quality against its number of steps.

Every model of :data:`MODELS` is trained for the same time budget (``--budget`` CPU seconds of
one thread: on a shared machine the wall clock would also count the other processes' turns),
by a step loop that stops at the budget, then scored on the same held-out digits:

- Fréchet distance and improved precision/recall (k = 3) of ``n_eval`` samples against the
  held-out test digits, in the feature space of :func:`genlib.metrics.digit_classifier`
  (comparable with each other only, not with Inception FIDs); the floor is a set of real
  training digits of the same size;
- the log-likelihood where the model defines one (the DDPM's variational bound, in nats per
  image and bits per dimension, on the test digits' 17 grey levels), next to two exact
  references: the uniform distribution over the 17 levels and independent per-pixel
  categoricals fitted to the training digits.

Then one trained DDPM is sampled with DDIM (eta = 0) at 10, 20, 50, 100 and 1000 steps and
with ancestral DDPM sampling at 1000 steps (sampling time not counted in the training budget).

Targets (issue 20): the DDPM's Fréchet distance below the DCGAN's at equal training time;
DDIM with 50 steps within 10% of DDPM with 1000 steps.

Other models join through :data:`MODELS` (name -> factory); a factory gets the training
images and a seed and returns a :class:`Entry`: one training step, a sampler, and optionally
a held-out log-likelihood.

Run from the repository root::

    python -m benchmarks.beyond --quick                # < 1 minute: checks the script
    nohup python -m benchmarks.beyond --budget 240 &   # 4 CPU minutes of training per model, one thread
"""

from __future__ import annotations

import argparse
import math
import os
import shlex
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from benchmarks import _common
from genlib.datasets import load_digits
from genlib.metrics import digit_classifier, digit_frechet_distance, digit_precision_recall

N_LEVELS = 17  # scikit-learn's digits: grey levels 0..16 / 16


@dataclass
class Entry:
    """What the harness needs from a model: a training step, a sampler, an optional likelihood."""

    model: Any
    step: Callable[[], None]  # one training step
    sample: Callable[[int, int], np.ndarray]  # (n, seed) -> (n, 64) images in [0, 1]
    likelihood: Callable[[np.ndarray], dict] | None = None  # test images -> {"nats", "bits_per_dim", "kind"}
    settings: dict = field(default_factory=dict)


def _batches(X: torch.Tensor, batch_size: int, gen: torch.Generator):
    """Endless mini-batches, reshuffled every epoch."""
    while True:
        order = torch.randperm(len(X), generator=gen)
        for s in range(0, len(X) - batch_size + 1, batch_size):
            yield X[order[s:s + batch_size]]


def make_dcgan(X: np.ndarray, seed: int, quick: bool) -> Entry:
    """The DCGAN of chapter 03_dl/08_dcgan, with its settings (Adam 2e-4, beta1 0.5, batch 64)."""
    from genlib.neural import DCGAN

    settings = dict(image_size=8, latent_dim=32, n_filters=32, batch_size=64)
    model = DCGAN(**settings, random_state=seed)
    batches = _batches(torch.as_tensor(X, dtype=torch.float32), settings["batch_size"], torch.Generator().manual_seed(seed))

    def step():
        model.discriminator_step(next(batches))
        model.generator_step()

    def sample(n, s):
        return model.sample(n, random_state=s).reshape(n, -1).numpy()

    return Entry(model, step, sample, None, settings)


def make_ddpm(X: np.ndarray, seed: int, quick: bool) -> Entry:
    """The DDPM of chapter 05_beyond/03_diffusion: a U-Net (32, 64), T = 1000 (50 in --quick), Adam 1e-3."""
    from genlib.neural import DDPM

    settings = dict(image_size=8, n_timesteps=50 if quick else 1000, schedule="linear", channels=(32, 64),
                    emb_dim=64, data_levels=N_LEVELS, ema_decay=0.995)
    model = DDPM(**settings, random_state=seed)
    opt = model.make_optimizer(lr=1e-3)
    batch_size = 64
    batches = _batches(torch.as_tensor(X.reshape(len(X), -1), dtype=torch.float32), batch_size,
                       torch.Generator().manual_seed(seed))
    model.train()

    def step():
        model.train_step(next(batches), opt)

    def sample(n, s, **kw):
        return model.sample(n, random_state=s, **kw).reshape(n, -1).numpy()

    def likelihood(X_test):
        b = model.bound(X_test, random_state=seed)
        return {"kind": "bound", "nats": float(b["nats"].mean()), "nats_std_err": float(b["nats"].std() / math.sqrt(len(X_test))),
                "bits_per_dim": float(b["bits_per_dim"].mean()), "prior_nats": float(b["prior"].mean()),
                "diffusion_nats": float(b["diffusion"].mean()), "decoder_nats": float(b["decoder"].mean())}

    return Entry(model, step, sample, likelihood, dict(settings, lr=1e-3, batch_size=batch_size, sampler=f"ddpm, {settings['n_timesteps']} steps"))


#: name -> factory(X_train, seed, quick) -> Entry. Other Part 5 models are added here.
MODELS: dict[str, Callable[[np.ndarray, int, bool], Entry]] = {
    "DCGAN": make_dcgan,
    "DDPM": make_ddpm,
}


def train_for(entry: Entry, seconds: float) -> dict:
    """Run training steps until this process has used ``seconds`` of CPU time; the steps and times taken.

    The budget is CPU time of one thread (the process runs one torch thread), not wall-clock time:
    on a shared machine the wall clock also counts the other processes' turns, so equal CPU time
    is what gives two models the same compute. One warm-up step (torch's first calls are slow)
    runs before the clock starts and is counted.
    """
    entry.step()
    load_before = os.getloadavg()[0]
    c0, t0, steps = time.process_time(), time.perf_counter(), 1
    while time.process_time() - c0 < seconds:
        entry.step()
        steps += 1
    # the machine's load (1-minute average) around the run: on a shared machine it sets the wall time a budget takes
    return {"steps": steps, "cpu_seconds": time.process_time() - c0, "wall_seconds": time.perf_counter() - t0,
            "load_average": [load_before, os.getloadavg()[0]]}


def quality(clf, real, samples) -> dict:
    pr = digit_precision_recall(real, samples, classifier=clf)
    return {"frechet": digit_frechet_distance(real, samples, classifier=clf), "precision": pr.precision,
            "recall": pr.recall}


def exact_references(X_train: np.ndarray, X_test: np.ndarray) -> dict:
    """Two exact explicit models of the 17-level digits: uniform levels, and independent per-pixel categoricals."""
    D = X_test.shape[1]
    k_train = np.rint(X_train * (N_LEVELS - 1)).astype(int)
    k_test = np.rint(X_test * (N_LEVELS - 1)).astype(int)
    counts = np.stack([np.bincount(k_train[:, j], minlength=N_LEVELS) for j in range(D)]) + 1.0  # Laplace smoothing
    logp = np.log(counts / counts.sum(axis=1, keepdims=True))  # (D, 17)
    ll = logp[np.arange(D), k_test].sum(axis=1)  # (n,)
    nats_uniform = D * math.log(N_LEVELS)
    return {"uniform": {"kind": "exact", "nats": nats_uniform, "bits_per_dim": math.log2(N_LEVELS)},
            "independent_pixels": {"kind": "exact", "nats": float(-ll.mean()),
                                   "bits_per_dim": float(-ll.mean() / (D * math.log(2)))}}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny budget and T = 50; finishes in under a minute")
    parser.add_argument("--budget", type=float, default=300.0, help="training CPU seconds per model, one thread (default 300)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    parser.add_argument("--models", default=",".join(MODELS), help=f"comma-separated, from {list(MODELS)}")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="results file (default benchmarks/results/beyond.json)")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    budget = 4.0 if args.quick else args.budget
    n_eval = 100 if args.quick else 500
    ddim_steps = (5, 10, 20, 50) if args.quick else (10, 20, 50, 100, 1000)
    torch.set_num_threads(args.threads)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)
    except ImportError:  # pragma: no cover
        pass
    names = [m for m in args.models.split(",") if m]
    unknown = sorted(set(names) - set(MODELS))
    if unknown:
        raise SystemExit(f"unknown models {unknown}; choose from {list(MODELS)}")
    X, _ = load_digits(as_images=True)
    X = X.reshape(len(X), -1)  # (1797, 64) in [0, 1], 17 grey levels
    order = np.random.default_rng(args.seed).permutation(len(X))
    X_test, X_train = X[order[:500]], X[order[500:]]  # 500 held out, 1297 to train on
    clf = digit_classifier(8)
    floor = quality(clf, X_test, X_train[:n_eval])
    common = dict(feature_space="genlib.metrics.digit_classifier(8), penultimate layer", n_eval=n_eval,
                  n_train=len(X_train), n_test=len(X_test), real_vs_real=floor,
                  budget={"train_cpu_seconds_per_model": budget, "device": "cpu", "threads": torch.get_num_threads(),
                          "seed": args.seed},
                  command="python -m benchmarks.beyond " + " ".join(shlex.quote(a) for a in sys.argv[1:]))
    print(f"floor (real train vs real test): {floor}", flush=True)
    refs = exact_references(X_train, X_test)
    cases = [_common.case("real held-out digits (floor)", floor, None, target="reference", met=None, **common),
             _common.case("exact references: log-likelihood of the test digits", refs, None, target="reference",
                          met=None, **common)]
    rows: dict[str, dict] = {}
    entries: dict[str, Entry] = {}
    for name in names:
        entry = MODELS[name](X_train, args.seed, args.quick)
        run = train_for(entry, budget)
        c0 = time.process_time()
        row = dict(quality(clf, X_test, entry.sample(n_eval, 10_000 + args.seed)), **run,
                   sample_cpu_seconds=time.process_time() - c0, settings=entry.settings)
        if entry.likelihood is not None:
            row["log_likelihood"] = entry.likelihood(X_test)
        rows[name], entries[name] = row, entry
        print(f"{name}: {row}", flush=True)
        cases.append(_common.case(f"{name}: equal training time ({budget:g} CPU seconds)", row, None, target="reported",
                                  met=None, **common))
    if "DCGAN" in rows and "DDPM" in rows:
        fd_dd, fd_dc = rows["DDPM"]["frechet"], rows["DCGAN"]["frechet"]
        cases.append(_common.case("DDPM vs DCGAN at equal training time: Fréchet distance", rows["DDPM"], rows["DCGAN"],
                                  ratio=fd_dd / fd_dc, target="DDPM's Fréchet distance below DCGAN's",
                                  met=bool(fd_dd < fd_dc), **common))
    if "DDPM" in entries:
        entry = entries["DDPM"]
        T = entry.model.n_timesteps
        curve = []
        for steps in [s for s in ddim_steps if s <= T]:
            c0 = time.process_time()
            q = quality(clf, X_test, entry.sample(n_eval, 10_000 + args.seed, steps=steps, method="ddim"))
            curve.append(dict(q, steps=steps, method="ddim", eta=0.0, sample_cpu_seconds=time.process_time() - c0))
            print(f"DDIM {steps} steps: {curve[-1]}", flush=True)
        # the ancestral sampler with every step: the DDPM row above (same samples, same seed)
        ddpm_full = dict({k: rows["DDPM"][k] for k in ("frechet", "precision", "recall")}, steps=T, method="ddpm",
                         sample_cpu_seconds=rows["DDPM"]["sample_cpu_seconds"])
        curve.append(ddpm_full)
        target_steps = 5 if args.quick else 50
        at = next((c for c in curve if c["method"] == "ddim" and c["steps"] == target_steps), None)
        if at is not None:
            ratio = at["frechet"] / ddpm_full["frechet"]
            cases.append(_common.case(f"DDIM {target_steps} steps vs DDPM {T} steps: Fréchet distance", at, ddpm_full,
                                      ratio=ratio, target=f"DDIM with {target_steps} steps within 10% of DDPM with {T}",
                                      met=bool(ratio <= 1.10), curve=curve, **common))
    _common.write("beyond", cases, quick=args.quick, out=args.out)


if __name__ == "__main__":
    main()
