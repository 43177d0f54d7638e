"""VAE and IWAE on binarised MNIST: test log-likelihood by the k=5000 importance-weighted bound.

Reproduces the one-stochastic-layer rows of Burda et al. (2016), Table 1:

- architecture 784-200-200-50 (tanh) for the encoder and its mirror for the decoder, a
  Bernoulli decoder, a diagonal Gaussian encoder, prior N(0, I);
- VAE trained on the ELBO with k = 1 sample, IWAE trained on the k = 50 bound;
- Adam (beta1 0.9, beta2 0.999, eps 1e-4), batches of 20, learning rate 1e-3 * 10^(-i/7)
  for 3^i epochs, i = 0..7 (3,280 epochs in all);
- training images binarised afresh at every batch (pixel ~ Bernoulli(grey level)), test
  images binarised once with a fixed seed; all 60,000 training images (train + valid);
- test log-likelihood: the mean over the 10,000 test images of the k = 5000 bound.

Published: about -86.76 nats (VAE, k = 1) and -84.78 (IWAE, k = 50). A second case times
one epoch of genlib's training against a plain PyTorch loop written as in
pytorch/examples' ``vae`` (same network, same batches), alternating the two.

Run from the repository root, with the course MNIST file in ``$GENLIB_DATA``::

    python -m benchmarks.vae --quick          # < 1 minute on a CPU: checks the script
    python -m benchmarks.vae                  # the paper's budget: many GPU hours
    python -m benchmarks.vae --stages 5       # a shorter schedule (121 epochs)
    OMP_NUM_THREADS=1 python -m benchmarks.vae --models vae --stages 4 --device cpu
                                              # the shipped run: 40 epochs, ~9 + 16 min on one CPU thread
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from benchmarks import _common
from genlib.datasets import binarize, load_mnist
from genlib.neural import VAE
from genlib.neural.training import rand, resolve_device

#: Burda, Grosse & Salakhutdinov (2016), Table 1, MNIST, one stochastic layer.
PUBLISHED = {"vae": -86.76, "iwae": -84.78}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes; finishes in under a minute")
    parser.add_argument("--out", type=Path, default=None, help="results file (default benchmarks/results/vae.json)")
    parser.add_argument("--stages", type=int, default=8, help="schedule stages i = 0..stages-1 of 3^i epochs (8: 3280)")
    parser.add_argument("--k-eval", type=int, default=5000, help="samples of the evaluation bound")
    parser.add_argument("--batch-size", type=int, default=20)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--models", default="vae,iwae", help="comma-separated: vae, iwae")
    return parser.parse_args()


def load_data(quick: bool):
    """Grey training images in [0, 1] (n, 784) and the once-binarised test images."""
    data = load_mnist(download=False)
    train = np.concatenate([data["x_train"], data["x_valid"]]).reshape(-1, 784) / 255.0
    test = data["x_test"].reshape(-1, 784) / 255.0
    if quick:
        train, test = train[:1000], test[:200]
    return train.astype(np.float32), binarize(test, method="sample", random_state=0).astype(np.float32)


def dynamic_binarisation(batch: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """x ~ Bernoulli(grey level), drawn afresh for every batch."""
    return (rand(*batch.shape, generator=generator, device=batch.device) < batch).to(batch.dtype)


def schedule(stages: int):
    """Burda et al.'s learning rates: 1e-3 * 10^(-i/7) for 3^i epochs, i = 0..stages-1."""
    rates = [1e-3 * 10 ** (-i / 7) for i in range(stages) for _ in range(3 ** i)]
    return len(rates), (lambda epoch: rates[epoch])


def make_model(objective: str, seed: int = 0) -> VAE:
    return VAE(784, 50, hidden=(200, 200), activation="tanh", likelihood="bernoulli",
               objective="elbo" if objective == "vae" else "iwae", n_samples=1 if objective == "vae" else 50,
               random_state=seed)


def adam(params):
    return torch.optim.Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-4)


class PlainVAE(nn.Module):
    """The peer: the same VAE written as in pytorch/examples (global RNG, no checks)."""

    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(784, 200), nn.Tanh(), nn.Linear(200, 200), nn.Tanh(), nn.Linear(200, 100))
        self.dec = nn.Sequential(nn.Linear(50, 200), nn.Tanh(), nn.Linear(200, 200), nn.Tanh(), nn.Linear(200, 784))

    def loss(self, x):
        mu, logvar = self.enc(x).chunk(2, dim=-1)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        bce = F.binary_cross_entropy_with_logits(self.dec(z), x, reduction="sum")
        kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return (bce + kld) / len(x)


def one_epoch_genlib(model, x, batch_size, device):
    model.fit(x, n_epochs=1, batch_size=batch_size, optimizer=adam, device=device, transform=dynamic_binarisation)


def one_epoch_plain(model, x, batch_size, opt):
    order = torch.randperm(len(x)).to(x.device)
    for start in range(0, len(x), batch_size):
        batch = torch.bernoulli(x[order[start:start + batch_size]])  # dynamic binarisation
        loss = model.loss(batch)
        opt.zero_grad()
        loss.backward()
        opt.step()


def main() -> None:
    args = parse_args()
    quick = args.quick
    device = resolve_device(args.device)
    stages = 2 if quick else args.stages
    k_eval = 100 if quick else args.k_eval
    train_x, test_x = load_data(quick)
    n_epochs, lr_of_epoch = schedule(stages)
    cases = []
    for name in [m.strip() for m in args.models.split(",") if m.strip()]:
        if name not in PUBLISHED:
            raise SystemExit(f"--models: unknown model {name!r}; use vae and/or iwae.")
        torch.manual_seed(0)  # the script (not the library) may seed globals
        model = make_model(name)
        t0 = time.perf_counter()
        model.fit(train_x, n_epochs=n_epochs, batch_size=args.batch_size, optimizer=adam, scheduler=lr_of_epoch,
                  device=device, transform=dynamic_binarisation, verbose=not quick)
        minutes = (time.perf_counter() - t0) / 60
        t0 = time.perf_counter()
        test_t = torch.as_tensor(test_x, device=device)
        ll = float(model.iwae_bound(test_t, k_eval, batch_size=50 if device.type == "cpu" else 500,
                                    random_state=1).mean())
        elbo = float(model.elbo(test_t, n_samples=10, random_state=1).mean().detach())
        eval_minutes = (time.perf_counter() - t0) / 60
        target = f"test log-likelihood (k={k_eval} bound) >= {PUBLISHED[name]} nats (Burda et al. 2016, Table 1)"
        cases.append(_common.case(
            f"{name} (k={model.n_samples} training) binarised MNIST",
            {"test_log_likelihood": ll, "test_elbo": elbo, "k_eval": k_eval,
             "train_final_loss": model.history_["loss"][-1]},
            {"source": "burda2016", "test_log_likelihood": PUBLISHED[name]},
            target=target, met=None if quick else bool(ll >= PUBLISHED[name]),
            budget={"device": str(device), "threads": torch.get_num_threads(), "minutes": minutes,
                    "train_minutes": minutes, "eval_minutes": eval_minutes, "stages": stages,
                    "stages_of_paper": 8, "epochs": n_epochs, "batch_size": args.batch_size, "n_train": len(train_x),
                    "n_test": len(test_x), "seconds_per_epoch": minutes * 60 / n_epochs},
        ))
        print(f"{name}: test log-likelihood {ll:.2f} nats (ELBO {elbo:.2f}) after {n_epochs} epochs, "
              f"{minutes:.1f} min on {device}")

    # Training speed: one epoch of genlib's fit against the plain loop, alternating.
    x_cpu = torch.as_tensor(train_x[: (2000 if quick else 10000)])
    x_dev = x_cpu.to(device)
    ours, peer = make_model("vae"), PlainVAE().to(device)
    peer_opt = adam(peer.parameters())
    timed = _common.alternate({
        "genlib": lambda: one_epoch_genlib(ours, x_dev, args.batch_size, device),
        "plain": lambda: one_epoch_plain(peer, x_dev, args.batch_size, peer_opt),
    }, repeat=3)
    cases.append(_common.case(
        f"training speed: one epoch of {len(x_cpu)} images, batch {args.batch_size}",
        {"seconds": timed["genlib"]["seconds"], "runs": timed["genlib"]["runs"]},
        {"name": "plain PyTorch loop (pytorch/examples style)", "seconds": timed["plain"]["seconds"],
         "runs": timed["plain"]["runs"]},
        target="ratio <= 1.5 (validation and seeded noise cost little)",
        met=bool(timed["genlib"]["seconds"] <= 1.5 * timed["plain"]["seconds"]),
        device=str(device),
    ))
    out = args.out
    if out is None and not quick:
        out = _common.RESULTS / "vae.json"
    _common.write("vae", cases, quick=quick, out=out)


if __name__ == "__main__":
    main()
