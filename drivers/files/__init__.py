"""The files driver: a process's workspace, with every path confined inside it."""
from .workspace import Workspace

__all__ = ["Workspace"]
