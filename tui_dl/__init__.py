"""tui-dl: a deep-learning trainer that lives in the terminal."""

__version__ = "0.1.0"
