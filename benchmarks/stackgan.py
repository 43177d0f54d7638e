"""StackGAN on captioned 8x8 digits: does the generated image match its caption?

Data: :func:`genlib.datasets.captions.load_digit_captions` (scikit-learn's 1,797 digits, each with
a caption such as "a thick slanted seven"), split as the cGAN chapter splits it: 1,000 images train
the StackGAN, the other 797 train the *judge*, a :class:`genlib.metrics.DigitClassifier` that the
StackGAN never influences. For each seed, one :class:`genlib.neural.StackedGAN` is trained, then
asked for 20 images of each of the 90 captions (1,800 images), and measured:

- **label accuracy**: the share of images the judge reads as the digit the caption names;
- **attribute agreement** (:func:`genlib.datasets.captions.caption_agreement`): the share of images
  whose measured ink (thickness) and slant fall in the third of their class that the caption asks
  for (thresholds from the training images); chance is about 1/3 each;
- **ordering**: in how many of the 10 digits the images asked "thick" carry more ink on average than
  those asked "thin", and those asked "slanted" lean more than those asked "upright".

Against baselines built from the same model, so that only the pairing with the caption differs:

- *random caption*: the same model's images for a random permutation of the captions, scored
  against the original captions (what an image unrelated to its caption scores);
- *attribute-blind*: images for captions whose digit is kept but whose attribute words are
  shuffled among the captions of that digit (what a model that reads only the digit scores);
- *stage I*: the stage-I (4x4) images of the same draws, up-sampled to 8x8, for label accuracy;
- *real*: the judge on the held-out real digits (its accuracy, the ceiling of label accuracy).

Run from the repository root::

    python -m benchmarks.stackgan --quick   # < 1 minute: checks the script (2 seeds, a few steps)
    OMP_NUM_THREADS=1 python -m benchmarks.stackgan --threads 1   # the full run (3 seeds), ~10 min per seed on a loaded CPU
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

from benchmarks import _common
from genlib.datasets.captions import (DIGIT_WORDS, SLANT_WORDS, THICKNESS_WORDS, caption_agreement,
                                      load_digit_captions, measure_attributes, parse_captions)
from genlib.metrics import DigitClassifier, label_accuracy
from genlib.neural import StackedGAN

#: Training budget of the full run and of --quick; the model's other settings are StackedGAN's defaults.
FULL = dict(seeds=(0, 1, 2), n_steps=6000, stage1_steps=4000, per_caption=20, preset="full")
QUICK = dict(seeds=(0, 1), n_steps=20, stage1_steps=10, per_caption=2, preset="quick")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 seeds, a few steps; finishes in under a minute")
    parser.add_argument("--out", type=Path, default=None, help="results file (default benchmarks/results/stackgan.json)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    return parser.parse_args()


def all_captions() -> list[str]:
    """The 90 captions: every digit with every thickness level and every slant level."""
    out = []
    for k, digit in enumerate(DIGIT_WORDS):
        for thick in ("", *THICKNESS_WORDS):
            for slant in ("", *SLANT_WORDS):
                words = [w for w in (thick, slant) if w] + [digit]
                out.append(" ".join(["an" if words[0] in ("upright", "eight") else "a"] + words))
    return out


def attribute_blind(captions: list[str], rng: np.random.Generator) -> list[str]:
    """The captions with their attribute words shuffled among the captions of the same digit."""
    label = parse_captions(captions)["label"]
    out = list(captions)
    for k in range(10):
        idx = np.flatnonzero(label == k)
        for i, j in zip(idx, rng.permutation(idx)):
            out[i] = captions[j]
    return out


def ordering(images: np.ndarray, captions: list[str]) -> dict:
    """In how many digits do "thick" images carry more ink than "thin" ones, "slanted" lean more than "upright"."""
    asked = parse_captions(captions)
    ink, slant = measure_attributes(images)
    out = {}
    for key, values in (("ink", ink), ("slant", slant)):
        wins = 0
        for k in range(10):
            hi = values[(asked["label"] == k) & (asked[key] == 1)]
            lo = values[(asked["label"] == k) & (asked[key] == -1)]
            wins += int(hi.mean() > lo.mean())
        out[f"{key}_ordered_digits"] = wins
    return out


def scores(images: np.ndarray, captions: list[str], judge, thresholds) -> dict:
    label = parse_captions(captions)["label"]
    flat = images.reshape(len(images), -1)
    return {"label_accuracy": label_accuracy(flat, label, classifier=judge),
            **{f"agreement_{k}": v for k, v in caption_agreement(images, captions, thresholds).items()},
            **ordering(images, captions)}


def main() -> None:
    args = parse_args()
    budget = QUICK if args.quick else FULL
    torch.set_num_threads(args.threads)
    from threadpoolctl import threadpool_limits

    threadpool_limits(args.threads)
    data = load_digit_captions()
    X, y, caps, thresholds = data["images"], data["labels"], data["captions"], data["thresholds"]
    split = np.random.default_rng(0).permutation(len(X))
    train, held = split[:1000], split[1000:]
    judge = DigitClassifier(random_state=0).fit(X[held].reshape(len(held), -1), y[held])
    ceiling = judge.score(X[train].reshape(len(train), -1), y[train])  # real digits the judge never saw

    asked = [c for c in all_captions() for _ in range(budget["per_caption"])]
    per_seed = []
    for seed in budget["seeds"]:
        model = StackedGAN(8, n_steps=budget["n_steps"], stage1_steps=budget["stage1_steps"], random_state=seed)
        t0 = time.perf_counter()
        model.fit(X[train], [caps[i] for i in train])
        seconds = time.perf_counter() - t0
        rng = np.random.default_rng(seed + 1000)
        conditional = model.sample(1, asked, random_state=seed + 1).numpy()[:, 0]
        stage1 = model.sample(1, asked, random_state=seed + 1, stage=1)
        stage1_up = torch.nn.functional.interpolate(stage1, scale_factor=2, mode="nearest").numpy()[:, 0]
        random_caption = model.sample(1, list(rng.permutation(asked)), random_state=seed + 1).numpy()[:, 0]
        blind = model.sample(1, attribute_blind(asked, rng), random_state=seed + 1).numpy()[:, 0]
        row = {"seed": seed, "train_seconds": seconds,
               "stackgan": scores(conditional, asked, judge, thresholds),
               "stage1_upsampled": {"label_accuracy": label_accuracy(stage1_up.reshape(len(asked), -1),
                                                                     parse_captions(asked)["label"],
                                                                     classifier=judge)},
               "random_caption": scores(random_caption, asked, judge, thresholds),
               "attribute_blind": scores(blind, asked, judge, thresholds)}
        per_seed.append(row)
        print(f"seed {seed}: {seconds:.0f} s, {row['stackgan']}", flush=True)

    def summary(kind: str, metric: str) -> dict:
        values = [r[kind][metric] for r in per_seed]
        return {"mean": float(np.mean(values)), "min": float(np.min(values)), "max": float(np.max(values)),
                "per_seed": values}

    metrics = ("label_accuracy", "agreement_ink", "agreement_slant", "agreement_words", "ink_ordered_digits",
               "slant_ordered_digits")
    budget_info = {"device": "cpu", "threads": torch.get_num_threads(), "preset": budget["preset"],
                   "n_steps": budget["n_steps"], "stage1_steps": budget["stage1_steps"],
                   "seeds": list(budget["seeds"]), "train_seconds": [r["train_seconds"] for r in per_seed],
                   "command": "OMP_NUM_THREADS=1 python -m benchmarks.stackgan " + " ".join(sys.argv[1:])}
    common = {"budget": budget_info, "n_images": len(asked), "captions": "the 90 captions, "
              f"{budget['per_caption']} images each", "judge": "DigitClassifier trained on the 797 digits the "
              "StackGAN never sees", "judge_accuracy_on_real_unseen": ceiling}
    stackgan = {m: summary("stackgan", m) for m in metrics}
    random_caption = {m: summary("random_caption", m) for m in metrics}
    blind = {m: summary("attribute_blind", m) for m in metrics}
    lab, agree = stackgan["label_accuracy"], stackgan["agreement_words"]
    cases = [
        _common.case("label accuracy: StackGAN vs random caption (and stage I, real digits)", stackgan["label_accuracy"],
                     {"random_caption": random_caption["label_accuracy"],
                      "stage1_upsampled": summary("stage1_upsampled", "label_accuracy"), "real_unseen": ceiling},
                     target="every seed above the random-caption baseline", ratio=None,
                     met=bool(lab["min"] > random_caption["label_accuracy"]["max"]), **common),
        _common.case("attribute agreement: StackGAN vs attribute-blind captions",
                     {m: stackgan[m] for m in metrics if m != "label_accuracy"},
                     {m: blind[m] for m in metrics if m != "label_accuracy"},
                     target="every seed's word agreement above the attribute-blind baseline's", ratio=None,
                     met=bool(agree["min"] > blind["agreement_words"]["max"]), **common),
    ]
    _common.write("stackgan", cases, quick=args.quick, out=args.out)


if __name__ == "__main__":
    main()
