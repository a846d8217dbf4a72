"""The OpenAI-compatible HTTP API: any program holding a process's key calls the model as that process."""
from kernel.api.openai.boot import attach
from kernel.api.openai.calls import Calls
from kernel.api.openai.keys import KeyTable

__all__ = ["attach", "Calls", "KeyTable"]
