"""mcusim: what a compressed TinyML model computes on a microcontroller, how many
cycles it takes, and how much flash and SRAM it uses, before anything is flashed."""

__version__ = "0.1.0"
