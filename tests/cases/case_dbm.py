"""Conformance case of the deep Boltzmann machine (registry key "dbm")."""

from _binary import bad_inputs, make_data  # noqa: F401 (the case's protocol)

KEY = "dbm"


def make_model(random_state):
    from genlib.energy import DeepBoltzmannMachine

    return DeepBoltzmannMachine([16, 8, 6], n_epochs=3, pretrain_epochs=3, batch_size=10, n_chains=20,
                                random_state=random_state, device="cpu")
