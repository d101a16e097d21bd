"""mcusim: what a compressed TinyML model computes on a microcontroller, how many
cycles it takes, and how much flash and SRAM it uses, before anything is flashed."""

__version__ = "0.1.0"

__all__ = ["load", "__version__"]


def __getattr__(name: str):
    # ``mcusim.load`` (mcusim.runtime.load), imported on first use so that
    # ``import mcusim`` stays light.
    if name == "load":
        from mcusim.runtime import load
        return load
    raise AttributeError(f"module 'mcusim' has no attribute {name!r}")
