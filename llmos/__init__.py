"""llmos: an operating system for LLM agents.  This package is the front door: CLI, shell, top, client."""
__version__ = "0.1.0"
