"""The OpenAI-compatible HTTP API: any program holding a process's key calls the model as that process."""
from .boot import attach
from .calls import Calls
from .keys import KeyTable

__all__ = ["attach", "Calls", "KeyTable"]
