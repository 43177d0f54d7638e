"""Conformance case of the deep belief network (registry key "dbn")."""

from _binary import bad_inputs, make_data  # noqa: F401 (the case's protocol)

KEY = "dbn"


def make_model(random_state):
    from genlib.energy import DeepBeliefNetwork

    return DeepBeliefNetwork([16, 8, 6], n_epochs=5, batch_size=10, learning_rate=0.1, random_state=random_state,
                             device="cpu")
