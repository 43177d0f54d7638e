"""Tests of genlib.neural.training: the generic loop and the torch helpers."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import torch

from genlib.neural.training import (as_tensor, make_generator, rand, randn, reset_parameters, resolve_device,
                                    train)


class Mean(torch.nn.Module):
    """loss(x) = mean ||x - theta||^2, minimised by the data mean."""

    def __init__(self, d=3):
        super().__init__()
        self.theta = torch.nn.Parameter(torch.zeros(d, dtype=torch.float64))

    def loss(self, x):
        return ((x - self.theta) ** 2).sum(dim=1).mean()


class Regression(torch.nn.Module):
    """loss(x, y) for (x, y) batches: least squares."""

    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(2, 1)

    def loss(self, x, y):
        return ((self.lin(x)[:, 0] - y) ** 2).mean()


def _data(n=40, d=3, seed=0):
    return np.random.default_rng(seed).normal(size=(n, d)) + np.arange(d)


def test_full_batch_sgd_converges_to_the_data_mean():
    X = _data()
    model = Mean()
    history = train(model, X, n_epochs=300, optimizer="sgd", lr=0.2, batch_size=len(X), device="cpu")
    np.testing.assert_allclose(model.theta.detach().numpy(), X.mean(axis=0), atol=1e-6)
    # at the optimum the loss is the total variance (1/N normalisation)
    assert history["loss"][-1] == pytest.approx(X.var(axis=0).sum(), rel=1e-6)


def test_train_equals_a_hand_written_loop():
    X = _data(n=37)
    a, b = Mean(), Mean()
    train(a, X, n_epochs=3, optimizer="sgd", lr=0.05, batch_size=8, device="cpu", random_state=4)
    # the reference: the loop of the chapter, with the same batch order
    g = torch.Generator().manual_seed(4)
    opt = torch.optim.SGD(b.parameters(), lr=0.05)
    Xt = torch.as_tensor(X, dtype=torch.float32)
    for _ in range(3):
        order = torch.randperm(len(Xt), generator=g)
        for s in range(0, len(Xt), 8):
            loss = b.loss(Xt[order[s:s + 8]])
            opt.zero_grad()
            loss.backward()
            opt.step()
    torch.testing.assert_close(a.theta, b.theta)


def test_same_seed_same_result_and_history_layout():
    X = _data()
    runs = []
    for _ in range(2):
        m = Mean()
        h = train(m, X, n_epochs=4, batch_size=7, random_state=1, valid=X[:5], device="cpu")
        runs.append((m.theta.detach().clone(), h))
    torch.testing.assert_close(runs[0][0], runs[1][0])
    h = runs[0][1]
    assert set(h) == {"loss", "valid_loss", "seconds"}
    assert len(h["loss"]) == len(h["valid_loss"]) == len(h["seconds"]) == 4
    assert h["loss"][-1] < h["loss"][0]


def test_iterable_of_tuple_batches_is_unpacked():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 2, generator=g)
    y = x @ torch.tensor([2.0, -1.0]) + 0.5
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=16)
    model = Regression()
    train(model, loader, n_epochs=200, lr=0.05, device="cpu")
    torch.testing.assert_close(model.lin.weight.detach()[0], torch.tensor([2.0, -1.0]), atol=1e-2, rtol=0)


def test_optimizer_forms():
    X = _data()
    for opt in ("adam", "sgd", functools.partial(torch.optim.SGD, lr=0.1)):
        assert len(train(Mean(), X, n_epochs=2, optimizer=opt, device="cpu")["loss"]) == 2
    m = Mean()
    assert train(m, X, n_epochs=1, optimizer=torch.optim.Adam(m.parameters()), device="cpu")["loss"]
    with pytest.raises(TypeError, match="optimizer"):
        train(Mean(), X, n_epochs=1, optimizer=3)


def test_scheduler_and_transform_are_applied():
    X = _data()
    seen = []

    def transform(batch, generator):
        seen.append(len(batch))
        return batch * 0  # the model then learns theta = 0

    m = Mean()
    opt = torch.optim.SGD(m.parameters(), lr=1.0)
    train(m, X, n_epochs=3, optimizer=opt, scheduler=lambda epoch: 0.1 * (epoch + 1), transform=transform,
          batch_size=len(X), device="cpu")
    assert seen == [len(X)] * 3
    assert opt.param_groups[0]["lr"] == pytest.approx(0.3)
    torch.testing.assert_close(m.theta.detach(), torch.zeros(3, dtype=torch.float64))


def test_global_random_state_is_untouched():
    torch_state, np_state = torch.get_rng_state(), np.random.get_state()
    train(Mean(), _data(), n_epochs=2, random_state=0, device="cpu")
    assert torch.equal(torch_state, torch.get_rng_state())
    assert np.array_equal(np_state[1], np.random.get_state()[1])


def test_verbose_shows_a_progress_bar(capsys):
    train(Mean(), _data(), n_epochs=2, verbose=True, device="cpu")
    assert "training Mean" in capsys.readouterr().err


@pytest.mark.parametrize(
    "kwargs, exc, words",
    [
        (dict(n_epochs=0), ValueError, "epochs"),
        (dict(batch_size=2.5), TypeError, "batch_size"),
        (dict(lr=-1.0), ValueError, "lr"),
        (dict(device="tpu"), ValueError, "device"),
        (dict(device=3), TypeError, "device"),
        (dict(verbose="yes"), TypeError, "verbose"),
    ],
)
def test_bad_arguments_are_refused(kwargs, exc, words):
    with pytest.raises(exc, match=words):
        train(Mean(), _data(), **kwargs)


def test_bad_model_and_data_are_refused():
    with pytest.raises(TypeError, match="nn.Module"):
        train(object(), _data())
    with pytest.raises(TypeError, match="loss"):
        train(torch.nn.Linear(2, 2), _data())
    X = _data()
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match="data contains"):
        train(Mean(), X)
    with pytest.raises(ValueError, match="data must be 2-D"):
        train(Mean(), torch.zeros(2, 3, 3))
    with pytest.raises(TypeError, match="data must be"):
        train(Mean(), 3.0)


def test_diverging_loss_is_reported():
    class Diverge(Mean):
        def loss(self, x):
            return super().loss(x) * float("inf")

    with pytest.raises(FloatingPointError, match="lower the learning rate"):
        train(Diverge(), _data(), n_epochs=1, device="cpu")


def test_helpers():
    assert resolve_device("auto", torch.zeros(1)) == torch.device("cpu")
    if not torch.cuda.is_available():
        assert resolve_device("auto") == torch.device("cpu")
        with pytest.raises(ValueError, match="CUDA is not available"):
            resolve_device("cuda")
    # generators: same seed, same stream; numpy Generator and torch Generator accepted
    assert torch.equal(randn(4, generator=make_generator(3)), randn(4, generator=make_generator(3)))
    g = make_generator(np.random.default_rng(0))
    assert isinstance(g, torch.Generator) and make_generator(g) is g
    u = rand(1000, generator=make_generator(0))
    assert 0 <= float(u.min()) and float(u.max()) < 1
    with pytest.raises(TypeError, match="random_state"):
        make_generator("seed")
    with pytest.raises(ValueError, match="random_state"):
        make_generator(-1)
    # as_tensor: shapes, ranges and the argument's name in every error
    assert as_tensor(np.ones((2, 3)), "Y").dtype == torch.float32
    with pytest.raises(ValueError, match="Y has 3 feature"):
        as_tensor(np.ones((2, 3)), "Y", n_features=4)
    with pytest.raises(ValueError, match=r"Y must lie in \[0, 1\]"):
        as_tensor(torch.full((2, 2), 2.0), "Y", value_range=(0, 1))
    with pytest.raises(ValueError, match="Y contains 1 NaN"):
        as_tensor(torch.tensor([[0.0, float("nan")]]), "Y")


def test_tensor_checks_of_the_building_blocks():
    from genlib._torch import bernoulli, check_generator, check_labels, check_tensor, check_tensor_list

    W = torch.zeros(3, 4)
    assert check_tensor(W, "W", shape=(None, 4)) is W  # returned unchanged, no copy
    with pytest.raises(ValueError, match=r"W must have shape \(n, 5\) \(one column per unit\), got \(3, 4\)"):
        check_tensor(W, "W", shape=(None, 5), hint="one column per unit")
    with pytest.raises(TypeError, match="W must be a floating torch.Tensor, got ndarray"):
        check_tensor(np.zeros((3, 4)), "W")
    with pytest.raises(TypeError, match="W must be a floating torch.Tensor, got Tensor of dtype torch.int64"):
        check_tensor(torch.zeros(3, dtype=torch.long), "W")
    with pytest.raises(ValueError, match="W contains 1 NaN and 1 infinite"):
        check_tensor(torch.tensor([float("nan"), float("inf"), 0.0]), "W")
    assert check_tensor(torch.tensor([float("nan")]), "W", finite=False).isnan().all()
    with pytest.raises(ValueError, match=r"S must hold values in \[0, 1\], got values in \[0, 2\]"):
        check_tensor(torch.tensor([0.0, 2.0]), "S", value_range=(0.0, 1.0))
    with pytest.raises(ValueError, match="W is empty"):
        check_tensor(torch.zeros(0, 4), "W")
    assert check_tensor_list((W, W), "Ws", length=2) == [W, W]
    with pytest.raises(ValueError, match="bs must hold 3 bias vectors, got 2"):
        check_tensor_list([W, W], "bs", length=3, what="bias vectors")
    with pytest.raises(TypeError, match="Ws must be a list of tensors .* got list holding ndarray"):
        check_tensor_list([np.zeros(2)], "Ws")
    y = torch.tensor([0, 2, 1])
    assert check_labels(y, "y", 3, 3) is y
    with pytest.raises(ValueError, match=r"y must hold labels 0..1, got values in \[0, 2\]"):
        check_labels(y, "y", 2)
    with pytest.raises(ValueError, match=r"one label per row of z \(4\)"):
        check_labels(y, "y", 3, 4, rows="z")
    with pytest.raises(TypeError, match="y must be a torch.Tensor of integer class labels"):
        check_labels(y.float(), "y", 3)
    with pytest.raises(TypeError, match="generator must be a torch.Generator, got int"):
        check_generator(0)
    # bernoulli refuses what is not a probability; rand refuses a missing generator
    with pytest.raises(ValueError, match=r"p must hold values in \[0, 1\]"):
        bernoulli(torch.tensor([0.5, 1.5]))
    with pytest.raises(TypeError, match="generator must be a torch.Generator, got NoneType"):
        rand(2, generator=None)
    with pytest.raises(TypeError, match="shape must be an int"):
        randn(2.5, generator=make_generator(0))
    draws = bernoulli(torch.full((20000,), 0.3), make_generator(0))
    assert set(draws.unique().tolist()) <= {0.0, 1.0} and abs(float(draws.mean()) - 0.3) < 0.02  # 0.02: ~6 std


def test_reset_parameters_is_reproducible_and_matches_torch_init_bounds():
    net = torch.nn.Sequential(torch.nn.Linear(50, 20), torch.nn.Conv2d(3, 4, 3), torch.nn.ConvTranspose2d(4, 2, 4))
    a = reset_parameters(net, make_generator(0))
    w1 = [p.detach().clone() for p in a.parameters()]
    reset_parameters(net, make_generator(0))
    for p, q in zip(w1, net.parameters()):
        assert torch.equal(p, q)
    lin = net[0].requires_grad_(False)
    bound = 1 / np.sqrt(50)
    assert float(lin.weight.abs().max()) <= bound
    # uniform on [-b, b]: the standard deviation is b / sqrt(3), as torch's default init
    assert float(lin.weight.std()) == pytest.approx(bound / np.sqrt(3), rel=0.1)
