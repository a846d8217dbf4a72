"""LLM engines: llama.cpp in-process, OpenAI-compatible HTTP, and a scripted test model."""
from .base import (Engine, EngineError, EngineStats, FinishReason, GenRequest, GenResult, Generation,
                   Message, Sampling, Token)
from .scripted import ScriptedEngine

__all__ = ["Engine", "EngineError", "EngineStats", "FinishReason", "GenRequest", "GenResult", "Generation",
           "Message", "Sampling", "Token", "ScriptedEngine"]
