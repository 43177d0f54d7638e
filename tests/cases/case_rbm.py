"""Conformance case of the binary RBM (registry key "rbm")."""

from _binary import bad_inputs, make_data  # noqa: F401 (the case's protocol)

KEY = "rbm"


def make_model(random_state):
    from genlib.energy import BernoulliRBM

    return BernoulliRBM(16, 8, n_epochs=5, batch_size=10, learning_rate=0.1, n_sample_steps=50, random_state=random_state,
                        device="cpu")
