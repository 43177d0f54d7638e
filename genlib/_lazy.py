"""Lazy attribute loading for the model subpackages, so importing one model loads only its module."""

from __future__ import annotations

import importlib


def lazy_module(package: str, names: dict[str, str]):
    """Return ``(__getattr__, __dir__)`` for ``package`` that import ``names[attr]`` on first use."""

    def __getattr__(attr):
        if attr in names:
            module = importlib.import_module(f".{names[attr]}", package)
            return getattr(module, attr)
        raise AttributeError(f"module {package!r} has no attribute {attr!r}")

    def __dir__():
        return sorted(names)

    return __getattr__, __dir__
