"""Tests of genlib.datasets.captions and genlib.neural.stackgan: the captions against their measurements,
the conditioning augmentation's KL against its closed form and torch.distributions, the matching-aware loss
against its formula, the shapes of both stages, the bag-of-words encoder's invariance, bad input, seeds and
resuming."""

import io

import numpy as np
import pytest
import torch
from torch.distributions import Normal, kl_divergence

from genlib.datasets.captions import (DIGIT_WORDS, VOCABULARY, caption_agreement, caption_thresholds,
                                      decode_captions, encode_captions, load_digit_captions, make_captions,
                                      measure_attributes, parse_captions)
from genlib.neural import StackedGAN
from genlib.neural.stackgan import (LAYOUTS, ConditioningAugmentation, TextEncoder, matching_aware_loss)
from genlib.neural.vae import gaussian_kl


@pytest.fixture(scope="module")
def data():
    return load_digit_captions()


def _small(**kw):
    args = dict(latent_dim=4, embed_dim=4, cond_dim=3, text_dim=2, n_filters=2, n_steps=6, batch_size=16,
                random_state=0)
    args.update(kw)
    return StackedGAN(**args)


def _trained(**kw):
    """A small model after a short game on random images: sample() refuses an untrained model."""
    model = _small(**kw)
    X = np.random.default_rng(0).random((16, model.image_size, model.image_size))
    return model.fit(X, ["a seven", "a thin one"] * 8)


# ---- the captions -----------------------------------------------------------------------------------

def test_measurements_on_hand_made_images():
    # a "/" stroke leans right by one column per row: slant 1; "\" -1; a vertical bar 0; ink = mean grey level
    img = np.zeros((3, 5, 5))
    img[0, np.arange(5), 4 - np.arange(5)] = 1.0  # "/"
    img[1, np.arange(5), np.arange(5)] = 1.0  # "\"
    img[2, :, 2] = 0.5  # "|", grey
    ink, slant = measure_attributes(img)
    np.testing.assert_allclose(ink, [5 / 25, 5 / 25, 2.5 / 25])
    np.testing.assert_allclose(slant, [1.0, -1.0, 0.0], atol=1e-12)
    # a shear of the image by 1/2 column per row adds 1/2 to the slant (the second-moment definition)
    rng = np.random.default_rng(0)
    base = np.zeros((1, 12, 12))
    base[0, 2:10, 5:7] = rng.random((8, 2))
    sheared = np.zeros_like(base)
    for r in range(12):
        sheared[0, r] = np.roll(base[0, r], (11 - r) // 2)  # integer shifts: slope only approximately 1/2
    assert 0.3 < measure_attributes(sheared)[1][0] - measure_attributes(base)[1][0] < 0.7


def test_captions_are_deterministic_and_match_their_measurement(data):
    again = load_digit_captions()
    assert again["captions"] == data["captions"]
    np.testing.assert_array_equal(again["tokens"], data["tokens"])
    # every caption states the label and the third of the class that each measurement falls in
    X, y = data["images"], data["labels"]
    ink, slant = measure_attributes(X)
    asked = parse_captions(data["captions"])
    np.testing.assert_array_equal(asked["label"], y)
    for values, key in ((ink, "ink"), (slant, "slant")):
        for k in range(10):
            v, a = values[y == k], asked[key][y == k]
            lo, hi = np.quantile(v, [1 / 3, 2 / 3])  # independent of caption_thresholds: numpy directly
            np.testing.assert_array_equal(a, np.where(v < lo, -1, np.where(v > hi, 1, 0)))
            # a third of each class in each level (up to ties and rounding)
            assert all(abs(np.mean(a == level) - 1 / 3) < 0.03 for level in (-1, 0, 1))
    assert caption_agreement(X, data["captions"], data["thresholds"]) == {"ink": 1.0, "slant": 1.0, "words": 1.0}


def test_caption_words_and_grammar(data):
    caps = data["captions"]
    assert len(set(caps)) == 90  # 10 digits x 3 thickness levels x 3 slant levels
    assert "a thick slanted two" in caps and "a seven" in caps and "an eight" in caps and "an upright one" in caps
    assert not any(c.startswith("a eight") or c.startswith("a upright") for c in caps)
    assert all(w in VOCABULARY for c in caps for w in c.split())
    assert set(DIGIT_WORDS) < set(VOCABULARY) and VOCABULARY[0] == "<pad>"


def test_agreement_of_shuffled_attributes_is_near_a_third(data):
    # images that ignore the attribute words (a random image of the right class) agree about a third of the time
    rng = np.random.default_rng(1)
    X, y, caps = data["images"], data["labels"], np.array(data["captions"])
    perm = np.concatenate([rng.permutation(np.flatnonzero(y == k)) for k in range(10)])
    order = np.concatenate([np.flatnonzero(y == k) for k in range(10)])
    agree = caption_agreement(X[perm], list(caps[order]), data["thresholds"])
    assert abs(agree["ink"] - 1 / 3) < 0.06 and abs(agree["slant"] - 1 / 3) < 0.06


def test_encode_decode_round_trip_and_padding():
    caps = ["a seven", "a thick slanted one", "AN eight"]
    tokens = encode_captions(caps)
    assert tokens.shape == (3, 4) and tokens[0, 2:].tolist() == [0, 0]
    assert decode_captions(tokens) == ["a seven", "a thick slanted one", "an eight"]
    assert encode_captions("a one", max_length=6).shape == (1, 6)


@pytest.mark.parametrize("bad, words", [
    ("a purple seven", ["purple", "vocabulary"]),
    ("", ["empty"]),
    ("   ", ["empty"]),
    ([], ["empty"]),
    ([3], ["captions[0]", "string"]),
    ("<pad> seven", ["<pad>"]),
])
def test_encode_refuses_bad_captions(bad, words):
    with pytest.raises((ValueError, TypeError)) as info:
        encode_captions(bad)
    for w in words:
        assert w in str(info.value)


def test_bad_inputs_of_the_caption_functions(data):
    X, y = data["images"], data["labels"]
    with pytest.raises(ValueError, match="labels"):
        make_captions(X, y[:-1])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        measure_attributes(X * 16)
    with pytest.raises(ValueError, match="at least 3"):
        caption_thresholds(X[:20], y[:20])
    with pytest.raises(ValueError, match="exactly one digit"):
        parse_captions(["a thick"])
    with pytest.raises(ValueError, match="one caption per image"):
        caption_agreement(X[:3], ["a seven"], data["thresholds"])
    with pytest.raises(TypeError, match="thresholds"):
        caption_agreement(X[:1], ["a seven"], {"ink": 1})
    with pytest.raises(ValueError, match="empty caption"):
        decode_captions([[0, 0]])


def test_mnist_captions_when_the_file_is_present():
    from pathlib import Path

    home = Path(__file__).resolve().parents[2] / "shared" / "data"
    if not (home / "mnist.npz").is_file():
        pytest.skip("no local MNIST file")
    d = load_digit_captions("mnist", data_home=str(home))
    assert d["images"].shape == (50000, 28, 28) and len(d["captions"]) == 50000
    assert caption_agreement(d["images"][:500], d["captions"][:500], d["thresholds"])["words"] == 1.0


# ---- the conditioning augmentation and the losses ----------------------------------------------------

def test_conditioning_kl_equals_closed_form_and_torch_distributions():
    gen = torch.Generator().manual_seed(0)
    ca = ConditioningAugmentation(5, 3).double()
    phi = torch.randn(7, 5, generator=gen, dtype=torch.float64)
    c, mu, logvar = ca(phi, torch.randn(7, 3, generator=gen, dtype=torch.float64))
    kl = gaussian_kl(mu, logvar)  # what StackedGAN adds to the generator's loss, eq. (stackgan-kl)
    sigma2 = logvar.exp()
    closed = 0.5 * (mu ** 2 + sigma2 - torch.log(sigma2) - 1).sum(1)
    reference = kl_divergence(Normal(mu, sigma2.sqrt()), Normal(torch.zeros_like(mu), torch.ones_like(mu))).sum(1)
    torch.testing.assert_close(kl, closed, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(kl, reference, rtol=1e-10, atol=1e-12)
    # c = mu + sigma * eps: with eps None the condition is mu itself
    torch.testing.assert_close(ca(phi)[0], mu)


def test_conditioning_draws_have_the_augmented_distribution():
    ca = ConditioningAugmentation(2, 2).double()
    phi = torch.tensor([[0.3, -1.0]], dtype=torch.float64).expand(20000, 2)
    gen = torch.Generator().manual_seed(1)
    c, mu, logvar = ca(phi, torch.randn(20000, 2, generator=gen, dtype=torch.float64))
    np.testing.assert_allclose(c.mean(0).detach(), mu[0].detach(), atol=0.05)
    np.testing.assert_allclose(c.var(0).detach(), logvar[0].exp().detach(), rtol=0.05)


def test_matching_aware_loss_matches_its_formula():
    real = torch.tensor([2.0, -0.5, 0.0], dtype=torch.float64)
    fake = torch.tensor([-1.0, 0.3], dtype=torch.float64)
    wrong = torch.tensor([0.7, -3.0, 1.5, 0.1], dtype=torch.float64)
    s = lambda t: 1 / (1 + np.exp(-t.numpy()))  # noqa: E731
    expected = -(np.log(s(real)).mean() + 0.5 * np.log(1 - s(fake)).mean() + 0.5 * np.log(1 - s(wrong)).mean())
    assert float(matching_aware_loss(real, fake, wrong)) == pytest.approx(expected, rel=1e-12)
    plain = -(np.log(s(real)).mean() + np.log(1 - s(fake)).mean())
    assert float(matching_aware_loss(real, fake, wrong[:0])) == pytest.approx(plain, rel=1e-12)
    assert torch.isfinite(matching_aware_loss(real * 100, fake * 100, wrong * 100))


def test_text_encoder_is_a_bag_of_words():
    enc = TextEncoder(len(VOCABULARY), 5)
    torch.nn.init.normal_(enc.embedding.weight)
    a = torch.tensor(encode_captions(["a thick slanted seven"]))
    b = torch.tensor(encode_captions(["seven slanted a thick"]))
    padded = torch.tensor(encode_captions(["a thick slanted seven"], max_length=7))
    torch.testing.assert_close(enc(a), enc(b))
    torch.testing.assert_close(enc(a), enc(padded))  # padding does not count
    # the mean of the word vectors, by hand
    torch.testing.assert_close(enc(a)[0], enc.embedding.weight[a[0]].mean(0))
    other = torch.tensor(encode_captions(["a thin slanted seven"]))
    assert not torch.allclose(enc(a), enc(other))


def test_whole_model_ignores_word_order():
    model = _trained()
    a = model.sample(3, "a thick slanted seven", random_state=5)
    b = model.sample(3, "slanted seven a thick", random_state=5)
    torch.testing.assert_close(a, b)


# ---- shapes and sizes --------------------------------------------------------------------------------

@pytest.mark.parametrize("size", sorted(LAYOUTS))
def test_shapes_of_both_stages(size):
    low = LAYOUTS[size][0]
    model = _trained(image_size=size, n_steps=2)
    caps = ["a seven", "a thin one"]
    assert model.sample(2, caps, stage=1).shape == (4, 1, low, low)
    x = model.sample(2, caps)
    assert x.shape == (4, 1, size, size) and float(x.min()) >= 0 and float(x.max()) <= 1
    tokens = torch.tensor(encode_captions(caps))
    logits = model.discriminator(x * 2 - 1, tokens.repeat_interleave(2, 0), stage=2)
    assert logits.shape == (4,)
    assert model.discriminator(torch.zeros(4, 1, low, low), tokens.repeat(2, 1), stage=1).shape == (4,)


def test_stage_one_and_two_share_their_noise(data):
    model = _small(n_steps=4).fit(data["images"][:64], data["captions"][:64])
    low = model.sample(2, ["a seven", "a two"], random_state=3, stage=1)
    high, z, tokens = model.sample(2, ["a seven", "a two"], random_state=3, return_latent=True)
    model.eval()
    with torch.no_grad():  # stage II of that very stage-I image (conditions drawn in the same order)
        gen = torch.Generator().manual_seed(3)
        z2, e1, e2 = model._noise(4, gen)
        again_low, again_high, _ = model.generator.run(z2, tokens, e1, e2)
    torch.testing.assert_close(z, z2)
    torch.testing.assert_close(low, (again_low + 1) / 2)
    torch.testing.assert_close(high, (again_high + 1) / 2)


def test_sample_without_captions_draws_training_captions(data):
    model = _small()
    with pytest.raises(ValueError, match="not fitted"):
        model.sample(2)  # not fitted: no weights, and no captions to draw from
    model.fit(data["images"][:64], data["captions"][:64])
    x, _, tokens = model.sample(5, return_latent=True)
    assert x.shape == (5, 1, 8, 8)
    assert set(decode_captions(tokens)) <= set(data["captions"][:64])


# ---- bad input ---------------------------------------------------------------------------------------

def test_bad_inputs_are_refused_and_change_nothing(data):
    X, caps = data["images"][:32], data["captions"][:32]
    model = _small(n_steps=2).fit(X, caps)
    before = {k: v.clone() for k, v in model.state_dict().items() if isinstance(v, torch.Tensor)}
    cases = [
        (lambda: model.fit(X, caps[:-1]), ["captions", "31", "32"]),
        (lambda: model.fit(X, ["a purple seven"] * 32), ["purple", "vocabulary"]),
        (lambda: model.fit(X, [""] * 32), ["empty"]),
        (lambda: model.fit(X, None), ["captions"]),
        (lambda: model.fit(np.zeros((32, 28, 28)), caps), ["X", "image_size=8"]),
        (lambda: model.fit(X * 16, caps), ["X", "[0, 1]"]),
        (lambda: model.fit(X, np.full((32, 3), len(VOCABULARY))), ["captions", "vocabulary"]),
        (lambda: model.fit(X, np.zeros((32, 3), dtype=int)), ["empty"]),
        (lambda: model.sample(2, "a thick cat"), ["cat"]),
        (lambda: model.sample(2, []), ["empty"]),
        (lambda: model.sample(2, "a seven", stage=3), ["stage"]),
        (lambda: model.sample(0, "a seven"), ["n"]),
    ]
    for call, words in cases:
        with pytest.raises((ValueError, TypeError)) as info:
            call()
        for w in words:
            assert w in str(info.value), (w, str(info.value))
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)


@pytest.mark.parametrize("kw, name", [(dict(image_size=12), "image_size"), (dict(stage1_steps=7), "stage1_steps"),
                                      (dict(vocabulary=("a", "b")), "vocabulary"), (dict(kl_weight=-1.0), "kl_weight"),
                                      (dict(vocabulary="a b"), "vocabulary"), (dict(cond_dim=0), "cond_dim")])
def test_settings_are_validated(kw, name):
    with pytest.raises((ValueError, TypeError), match=name):
        _small(**kw)


# ---- seeds, training records, resuming -------------------------------------------------------------

def test_same_seed_same_result_and_history(data):
    X, caps = data["images"][:64], data["captions"][:64]
    a = _small(n_steps=6, stage1_steps=2).fit(X, caps)
    b = _small(n_steps=6, stage1_steps=2).fit(X, caps)
    torch.testing.assert_close(a.sample(4, "a seven", random_state=1), b.sample(4, "a seven", random_state=1))
    assert a.history_["stage"] == [1, 1, 2, 2, 2, 2]
    for key in ("d_loss", "g_loss", "d_real", "d_fake", "d_wrong", "kl"):
        assert len(a.history_[key]) == 6
    c = _small(n_steps=6, stage1_steps=2, random_state=1).fit(X, caps)
    assert not torch.equal(a.sample(4, "a seven", random_state=1), c.sample(4, "a seven", random_state=1))


def test_stage_two_training_leaves_stage_one_unchanged(data):
    X, caps = data["images"][:64], data["captions"][:64]
    snap = {}

    def grab(model, step):
        if step == 2:
            snap.update({k: v.clone() for k, v in model.generator.state_dict().items()
                         if k.startswith(("text.", "ca1.", "stage1."))})

    model = _small(n_steps=5, stage1_steps=2).fit(X, caps, callback=grab, callback_every=1)
    after = model.generator.state_dict()
    assert snap and all(torch.equal(snap[k], after[k]) for k in snap)
    assert not torch.equal(model.discriminator.stage2.joint[-1].weight, _small().discriminator.stage2.joint[-1].weight)


def test_load_then_fit_continues_as_fitting_on(data):
    X, caps = data["images"][:64], data["captions"][:64]
    continuous = _small().fit(X, caps)
    saved = _small().fit(X, caps)
    buffer = io.BytesIO()
    torch.save(saved.state_dict(), buffer)
    buffer.seek(0)
    resumed = _small(random_state=99)
    resumed.load_state_dict(torch.load(buffer, weights_only=True))
    # the loaded model samples the saved captions as the saved one does
    torch.testing.assert_close(resumed.sample(3, random_state=2), saved.sample(3, random_state=2))
    continuous.fit(X, caps)
    resumed.fit(X, caps)
    a, b = continuous.state_dict(), resumed.state_dict()
    for k, v in a.items():
        if isinstance(v, torch.Tensor):
            torch.testing.assert_close(b[k], v)


def test_a_short_stage_one_learns_to_reject_wrong_captions(data):
    # the matching-aware discriminator: after 150 steps, real images with a wrong caption get a much lower
    # D than real images with their own (both start near 1/2)
    X, caps = data["images"][:600], data["captions"][:600]
    model = StackedGAN(n_steps=150, stage1_steps=150, random_state=0).fit(X, caps)
    h = model.history_
    assert np.all(np.array(h["stage"]) == 1)
    assert abs(np.nanmean(h["d_wrong"][:10]) - 0.5) < 0.2
    assert np.nanmean(h["d_wrong"][-30:]) < np.nanmean(h["d_real"][-30:]) - 0.3
