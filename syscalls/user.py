"""The ``user`` family: ask the person, ask for confirmation, notify."""
from __future__ import annotations

from .base import Reply, Request, Text


class Ask(Request, tag="user.ask"):
    question: Text


class Confirm(Request, tag="user.confirm"):
    question: Text


class Notify(Request, tag="user.notify"):
    text: Text


class Answer(Reply):
    text: str


class Confirmed(Reply):
    yes: bool
