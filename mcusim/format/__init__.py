"""The packed model file (model.bin): writer, validating reader, byte accounting.

    write_model(model) -> bytes      pack a Model (raises FormatError if it cannot be represented)
    read_model(data, path=None)      validate every rule of docs/format.md, return a Model
    load_model(path)                 read_model on a file; file errors are FormatErrors too
    account(data) -> Accounting      every byte of the file in one category, per layer, vs INT8

The layout itself is in :mod:`mcusim.format.spec`; the normative description,
including the list of validation rules, is docs/format.md.

The names are resolved lazily: ``mcusim.model`` imports ``mcusim.format.spec``
while it is being initialised, so this package must not import the model at
import time.
"""

from __future__ import annotations

__all__ = ["write_model", "read_model", "load_model", "account", "Accounting", "LayerBytes",
           "SectionBytes"]

_WHERE = {
    "write_model": "writer",
    "read_model": "reader",
    "load_model": "reader",
    "account": "accounting",
    "Accounting": "accounting",
    "LayerBytes": "accounting",
    "SectionBytes": "accounting",
}


def __getattr__(name: str) -> object:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'mcusim.format' has no attribute {name!r}")
    import importlib
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
