"""Answerer backends, registered by name; the extractive one is registered like the LLM ones."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.answerers.base import Answer, Answerer, AnswerRequest
from bot.errors import ConfigError

# name -> factory(context) where context carries settings, bank, embedder, fallback answerer
REGISTRY: dict[str, Callable[[dict[str, Any]], Answerer]] = {}


def register(name: str) -> Callable[[Callable[[dict[str, Any]], Answerer]], Callable[[dict[str, Any]], Answerer]]:
    def wrap(factory: Callable[[dict[str, Any]], Answerer]) -> Callable[[dict[str, Any]], Answerer]:
        REGISTRY[name] = factory
        return factory
    return wrap


def make_answerer(name: str, context: dict[str, Any]) -> Answerer:
    if name not in REGISTRY:
        raise ConfigError(f"unknown answerer {name!r}; choose one of: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[name](context)


@register("extractive")
def _extractive(context: dict[str, Any]) -> Answerer:
    from bot.answerers.extractive import ExtractiveAnswerer

    return ExtractiveAnswerer(context["bank"])


@register("openai")
def _openai(context: dict[str, Any]) -> Answerer:
    from bot.answerers.llm import openai_answerer  # provider packages load only when chosen

    return openai_answerer(context)


@register("ollama")
def _ollama(context: dict[str, Any]) -> Answerer:
    from bot.answerers.llm import ollama_answerer

    return ollama_answerer(context)


__all__ = ["Answer", "Answerer", "AnswerRequest", "REGISTRY", "make_answerer", "register"]
