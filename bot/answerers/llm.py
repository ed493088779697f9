"""LLM answerers: any LangChain chat model, with every sentence checked before the user sees it.

The model's tokens are buffered into sentences; each complete sentence goes through
`CitationChecker` and only accepted sentences are yielded, with their `[n]` markers renumbered
compactly. The first sentences are held back until enough have been checked to trust the answer.
If the model fails, times out (a wall-clock limit on the whole stream), returns nothing, or too
little of its answer survives the check, the extractive answer is returned with a notice instead.
Nothing here raises to the user.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from bot.answerers.base import Answer, Answerer, AnswerRequest, citation_for
from bot.answerers.citation_check import LLM_SUPPORT_THRESHOLD, CitationChecker, Evidence, Verdict
from bot.answerers.prompt import PROMPT_FILE, build_messages, templates
from bot.errors import BackendError, ConfigError
from bot.grounding import CITATION_RE, split_sentences

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from bot.answerers.extractive import SentenceBank
    from bot.embedding import Embedder
    from bot.settings import Settings

log = logging.getLogger(__name__)

MIN_KEPT_SHARE = 0.4  # under this share of checked sentences surviving, the answer is not used
HOLD_SENTENCES = 2  # checked sentences held back before the first one is shown
QUOTE_MAX_CHARS = 600  # a citation quote longer than this shrinks to the single best sentence
OLLAMA_URL = "http://127.0.0.1:11434"

_OWN_WORDS = ", so here are the articles' own words."
NOTICE_UNVERIFIED = "The language model's answer could not be verified against the articles" + _OWN_WORDS
NOTICE_TIMEOUT = "The language model did not respond in time" + _OWN_WORDS
NOTICE_ERROR = "The language model could not be reached" + _OWN_WORDS
NOTICE_EMPTY = "The language model returned no answer" + _OWN_WORDS
NOTICE_UNKNOWN = "The language model found no answer in the articles" + _OWN_WORDS
_UNKNOWN = re.compile(r"\b(?:i\s+(?:do\s+not|don['’]t)\s+know|(?:passages|articles)\s+do(?:\s+not|n['’]t))\b", re.I)


class LLMTimeout(BackendError):
    """The model did not finish within the wall-clock limit."""


class LLMAnswerer(Answerer):
    """Answers with a LangChain chat model, keeping only sentences their cited passages support.

    `model` is any LangChain chat model (tests inject fakes); `fallback` answers when the model
    cannot be used, normally the extractive answerer. `timeout` bounds the whole stream in seconds.
    With an `embedder` and the extractive `bank`, close paraphrases just under the lexical
    threshold are accepted too (see `bot.answerers.citation_check`).
    """

    def __init__(self, model: BaseChatModel, fallback: Answerer, *, name: str = "llm", timeout: float = 30.0,
                 threshold: float = LLM_SUPPORT_THRESHOLD, min_kept_share: float = MIN_KEPT_SHARE,
                 hold: int = HOLD_SENTENCES, embedder: Embedder | None = None,
                 bank: SentenceBank | None = None) -> None:
        if timeout <= 0:
            raise ConfigError(f"timeout={timeout} must be positive")
        if not 0 <= min_kept_share <= 1:
            raise ConfigError(f"min_kept_share={min_kept_share} must be between 0 and 1")
        if hold < 1:
            raise ConfigError(f"hold={hold} must be at least 1")
        try:
            templates()  # a broken or missing prompt file fails at startup, not on every turn
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot load the LLM prompt bot/{PROMPT_FILE}: {exc}") from exc
        self.model = model
        self.fallback = fallback
        self.name = name
        self.timeout = timeout
        self.threshold = threshold
        self.min_kept_share = min_kept_share
        self.hold = hold
        self.embedder = embedder
        self.bank = bank
        self.last_verdicts: list[Verdict] = []  # the latest turn's sentence verdicts (tests, debugging)

    def stream(self, request: AnswerRequest) -> Iterator[str | Answer]:
        if not request.passages:
            yield from self._fallback(request, NOTICE_UNVERIFIED, shown=False)
            return
        checker = CitationChecker(request.passages, threshold=self.threshold, embedder=self.embedder,
                                  bank=self.bank)
        turn = _Turn(checker)
        self.last_verdicts = turn.verdicts
        notice: str | None = None
        try:
            buffer, done = "", 0
            for piece in self._tokens(build_messages(request.question, request.passages, request.history)):
                buffer += piece
                sentences = split_sentences(buffer)
                for sentence in sentences[done:-1]:  # the last one may still be growing
                    turn.judge(sentence)
                done = max(done, len(sentences) - 1)
                yield from turn.release(self.hold, self.min_kept_share)
            for sentence in split_sentences(buffer)[done:]:
                turn.judge(sentence)
            turn.raw = buffer
        except LLMTimeout as exc:
            log.warning("%s: %s", self.name, exc)
            notice = NOTICE_TIMEOUT
        except Exception as exc:  # the provider's errors are many and unknown; the user gets the fallback
            log.warning("%s failed: %s: %s", self.name, type(exc).__name__, exc)
            # LangChain raises this when a stream ends without a single chunk
            notice = NOTICE_EMPTY if "No generation chunks" in str(exc) else NOTICE_ERROR
        if notice is None:
            if not turn.raw.strip():
                notice = NOTICE_EMPTY
            elif not turn.acceptable(self.min_kept_share):
                notice = NOTICE_UNKNOWN if not turn.kept and _UNKNOWN.search(turn.raw) else NOTICE_UNVERIFIED
        if notice is not None:
            log.info("%s: falling back (%s); verdicts: %s", self.name, notice,
                     [(v.reason, round(v.support, 2)) for v in turn.verdicts])
            yield from self._fallback(request, notice, shown=turn.shown > 0)
            return
        yield from turn.release(1, self.min_kept_share, final=True)
        yield Answer(text=turn.text(), citations=turn.citations(request), answerer=self.name,
                     notice=turn.dropped_notice())

    def _tokens(self, messages: list[tuple[str, str]]) -> Iterator[str]:
        """The model's text pieces, from a worker thread, under one wall-clock deadline."""
        pieces: queue.Queue[tuple[str, Any]] = queue.Queue()
        stop = threading.Event()

        def pump() -> None:
            try:
                for chunk in self.model.stream(messages):
                    if stop.is_set():
                        return
                    text = chunk.text if isinstance(chunk.text, str) else str(chunk.content)
                    if text:
                        pieces.put(("text", text))
                pieces.put(("done", None))
            except BaseException as exc:  # handed to the consumer, which decides
                pieces.put(("error", exc))

        worker = threading.Thread(target=pump, name=f"{self.name}-stream", daemon=True)
        deadline = time.monotonic() + self.timeout
        worker.start()
        try:
            while True:
                remaining = deadline - time.monotonic()
                try:
                    if remaining <= 0:
                        raise queue.Empty
                    kind, value = pieces.get(timeout=remaining)
                except queue.Empty:
                    raise LLMTimeout(f"no complete answer within {self.timeout:g} s") from None
                if kind == "done":
                    return
                if kind == "error":
                    raise value
                yield value
        finally:
            stop.set()  # the worker stops at its next chunk; an abandoned HTTP call ends at the client timeout

    def _fallback(self, request: AnswerRequest, notice: str, *, shown: bool) -> Iterator[str | Answer]:
        """The fallback's answer with `notice`; its pieces are streamed only if nothing was shown yet."""
        for item in self.fallback.stream(request):
            if isinstance(item, Answer):
                item.notice = notice
                yield item
            elif not shown:
                yield item


class _Turn:
    """One answer in progress: verdicts so far, kept sentences (renumbered) and what was shown."""

    def __init__(self, checker: CitationChecker) -> None:
        self.checker = checker
        self.verdicts: list[Verdict] = []
        self.kept: list[tuple[str, Verdict]] = []  # (renumbered text, verdict)
        self.numbering: dict[int, int] = {}  # passage number as given to the model -> number shown
        self.shown = 0
        self.raw = ""

    @property
    def counted(self) -> int:
        return sum(v.counted for v in self.verdicts)

    def judge(self, sentence: str) -> None:
        verdict = self.checker.check(sentence)
        self.verdicts.append(verdict)
        if verdict.kept:
            self.kept.append((self._renumber(sentence, verdict.numbers), verdict))

    def acceptable(self, min_share: float) -> bool:
        return bool(self.kept) and len(self.kept) >= min_share * self.counted

    def release(self, hold: int, min_share: float, *, final: bool = False) -> Iterator[str]:
        """Yield kept sentences not shown yet, once `hold` sentences are checked and enough survived."""
        if not final and (self.counted < hold or not self.acceptable(min_share)):
            return
        while self.shown < len(self.kept):
            text = self.kept[self.shown][0]
            yield text if self.shown == 0 else " " + text
            self.shown += 1

    def text(self) -> str:
        return " ".join(text for text, _ in self.kept)

    def dropped_notice(self) -> str | None:
        dropped = self.counted - len(self.kept)
        if not dropped:
            return None
        what = "sentence" if dropped == 1 else "sentences"
        return f"Left out {dropped} {what} of the language model's answer that the articles did not support."

    def citations(self, request: AnswerRequest) -> list:
        by_passage: dict[int, list[Evidence]] = {}
        for _, verdict in self.kept:
            for ev in verdict.evidence:
                by_passage.setdefault(ev.passage, []).append(ev)
        out = []
        for number, shown in sorted(self.numbering.items(), key=lambda item: item[1]):
            passage = request.passages[number - 1]
            text = passage.chunk.text
            spans = by_passage.get(number - 1) or [Evidence(number - 1, 0, len(text), 0.0)]
            lo, hi = min(e.start for e in spans), max(e.end for e in spans)
            if hi - lo > QUOTE_MAX_CHARS:
                best = max(spans, key=lambda e: e.score)
                lo, hi = best.start, best.end
            out.append(citation_for(shown, passage, text[lo:hi]))
        return out

    def _renumber(self, sentence: str, valid: tuple[int, ...]) -> str:
        """Map the model's valid [n] to compact numbers in order of first use; drop the others."""
        def sub(match: re.Match[str]) -> str:
            numbers: list[int] = []
            for part in match.group(1).split(","):
                n = int(part)
                if n in valid:
                    shown = self.numbering.setdefault(n, len(self.numbering) + 1)
                    if shown not in numbers:
                        numbers.append(shown)
            return "".join(f"[{k}]" for k in numbers)

        text = CITATION_RE.sub(sub, sentence)
        text = re.sub(r"[ \t]+([.,;:!?])", r"\1", text)
        return re.sub(r"[ \t]{2,}", " ", text).strip()


# -- factories (registered in bot/answerers/__init__.py) -------------------------------------------
def _model_name(settings: Settings, backend: str, example: str) -> str:
    if not settings.llm_model:
        raise ConfigError(f"the {backend} answerer needs a model name: set BACKTRACK_LLM_MODEL={example} "
                          f"or pass --llm-model {example}")
    return settings.llm_model


def _answerer(model: BaseChatModel, context: dict[str, Any], name: str) -> LLMAnswerer:
    settings: Settings = context["settings"]
    fallback = context.get("fallback")
    if fallback is None:
        from bot.answerers.extractive import ExtractiveAnswerer

        fallback = ExtractiveAnswerer(context["bank"])
    return LLMAnswerer(model, fallback, name=name, timeout=settings.llm_timeout,
                       embedder=context.get("embedder"), bank=context.get("bank"))


def openai_answerer(context: dict[str, Any]) -> LLMAnswerer:
    """Any OpenAI-compatible server (OpenAI, llama.cpp, vLLM, LM Studio) at settings.llm_base_url."""
    settings: Settings = context["settings"]
    model_name = _model_name(settings, "openai", "gpt-4o-mini")
    api_key = settings.llm_api_key
    if not api_key:
        if not settings.llm_base_url:
            raise ConfigError("the openai answerer needs an API key: set BACKTRACK_LLM_API_KEY (or OPENAI_API_KEY), "
                              "or point BACKTRACK_LLM_BASE_URL / --llm-base-url at a local server")
        api_key = "not-needed"  # local servers ignore it, but the client insists on one
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as exc:
        raise ConfigError("the openai answerer needs langchain-openai: run `pip install langchain-openai`") from exc
    model = ChatOpenAI(model=model_name, base_url=settings.llm_base_url, api_key=api_key,
                       timeout=settings.llm_timeout, max_retries=0, temperature=0.1)
    return _answerer(model, context, "openai")


def ollama_answerer(context: dict[str, Any]) -> LLMAnswerer:
    """A model served by Ollama at settings.llm_base_url (default http://127.0.0.1:11434)."""
    settings: Settings = context["settings"]
    model_name = _model_name(settings, "ollama", "llama3.2")
    try:
        from langchain_ollama import ChatOllama
    except ImportError as exc:
        raise ConfigError("the ollama answerer needs langchain-ollama: run `pip install langchain-ollama`") from exc
    model = ChatOllama(model=model_name, base_url=settings.llm_base_url or OLLAMA_URL, temperature=0.1,
                       client_kwargs={"timeout": settings.llm_timeout})
    return _answerer(model, context, "ollama")
