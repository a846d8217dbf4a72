"""LLM engines: llama.cpp in-process, OpenAI-compatible HTTP, and a scripted test model."""
from .base import (
    Engine,
    EngineError,
    EngineStats,
    FinishReason,
    Generation,
    GenRequest,
    GenResult,
    Message,
    Sampling,
    ScoreRequest,
    ScoreResult,
    Token,
)
from .factory import open_engine
from .llama_engine import LlamaEngine
from .model import default_model_path
from .openai import OpenAIEngine
from .scripted import ScriptedEngine

__all__ = [
    "Engine",
    "EngineError",
    "EngineStats",
    "FinishReason",
    "GenRequest",
    "GenResult",
    "Generation",
    "LlamaEngine",
    "Message",
    "OpenAIEngine",
    "Sampling",
    "ScoreRequest",
    "ScoreResult",
    "ScriptedEngine",
    "Token",
    "default_model_path",
    "open_engine",
]
