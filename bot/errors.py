"""Backtrack's errors. Raised inside the stages, turned into messages only at the edges.

    BacktrackError                 base; str(error) is a message a user can act on
    ├── ConfigError                a setting has a bad value
    ├── CorpusError                a corpus file cannot be used (names the file)
    ├── IndexNotReady              no complete index yet, or the store is unreachable
    │   └── IndexUnavailable       the store was serving and has become unreachable or unreadable
    ├── ModelError                 the embedding model cannot be loaded
    ├── InputError                 a user message or request is unusable
    └── BackendError               an answerer backend (LLM) failed or timed out
"""

from __future__ import annotations


class BacktrackError(Exception):
    """Base class; the message says what went wrong and how to fix it."""


class ConfigError(BacktrackError):
    """A setting has a value that cannot be used."""


class CorpusError(BacktrackError):
    """A corpus file is unusable; the message names the file and the problem."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class IndexNotReady(BacktrackError):
    """There is no complete index to read, or the vector store cannot be reached."""


class IndexUnavailable(IndexNotReady):
    """The vector store was serving and now cannot be reached or read; retrying later may succeed."""


class ModelError(BacktrackError):
    """The embedding model cannot be loaded from the configured name or path."""


class InputError(BacktrackError):
    """A user message or API request cannot be processed as given."""


class BackendError(BacktrackError):
    """An answerer backend failed, returned nothing usable, or timed out."""
