"""The in-process llama.cpp engine (public face of the ``llama_*`` modules)."""
from .llama_engine import LlamaEngine
from .model import default_model_path

__all__ = ["LlamaEngine", "default_model_path"]
