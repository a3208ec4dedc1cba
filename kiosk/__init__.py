"""The visitor-facing pygame exhibit runtime. Knows nothing about the network."""

__version__ = "0.1.0"
