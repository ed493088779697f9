"""The entry object: triage first, then retrieval, scope and a cited answer, with per-stage timings.

Index lifecycle (see README "Scale-out"): everything built from one index generation lives in a
`LoadedIndex` that is swapped as a whole. At most every `refresh_seconds` a turn reads the index
pointer (one small Chroma read); a new generation is loaded in a background thread while the old one
keeps serving. When Chroma fails (server down, files deleted or corrupt) ordinary questions raise
`IndexUnavailable` ("the article index is unreachable right now; try again shortly") and the next
turns reconnect with a growing back-off; triage never touches the index, so red-flag cards keep
working throughout.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
import time
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot import passage_questions
from bot.answerers import Answer, Answerer, AnswerRequest, make_answerer
from bot.answerers.base import citation_for
from bot.answerers.extractive import SentenceBank
from bot.embedding import Embedder, shared_embedder
from bot.errors import IndexUnavailable, InputError
from bot.retrieval import UNREACHABLE, LayTerms, LazySentenceBank, Retriever
from bot.scope import ScopeJudge
from bot.settings import Settings
from bot.spelling import Speller
from bot.store import IndexSnapshot, connect, current_manifest
from bot.text import tokens
from bot.triage import Triage, render_card
from bot.types import Citation, Passage, Reply, TriageResult

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 4000
MAX_HISTORY_TURNS = 50
RETRIEVED = 10
# Follow-ups ("what about for beginners?") are retrieved together with the previous user turn.
FOLLOWUP_MAX_WORDS = 4
LAY_TERMS = LayTerms()
ANAPHORA = re.compile(
    r"^(and|or|but|so|also|what about|how about|what if|then|same|why|how long|how often|how many|is that|"
    r"does that|would that|should i|can i|for how)\b|\b(it|that|this|those|these|them|they|there|one|ones)\b",
    re.I,
)
WHEN_TO_SEE_DOCTOR = "when should I see a doctor or specialist about back pain"
# Above this many chunks, sentence embeddings are computed per candidate pool instead of at start-up
# (an eager bank of 2,000 chunks took 64 s to embed on a first start; 1,000 chunks is about 20 s).
LAZY_BANK_CHUNKS = 1000
REFRESH_SECONDS = 5.0  # how often a turn checks the index pointer for a new generation
RETRY_SECONDS = 0.5  # first reconnect delay after a store error; doubles per failure ...
RETRY_MAX_SECONDS = 5.0  # ... up to this
_MARKUP = re.compile(r"<[^<>]{0,500}>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\ufeff]")


def strip_markup(text: str) -> str:
    """Drop HTML tags for processing; the user's text is still shown (escaped) as typed."""
    return re.sub(r"\s+", " ", _MARKUP.sub(" ", text)).strip()


def clean_message(message: object, *, what: str = "message") -> str:
    """Validate and tidy one user message; raises InputError with a message for the user."""
    if not isinstance(message, str):
        raise InputError(f"the {what} must be text, not {type(message).__name__}")
    text = _CONTROL.sub("", unicodedata.normalize("NFC", message)).strip()
    if not text:
        raise InputError(f"the {what} is empty: type a question about lower back pain")
    if len(text) > MAX_MESSAGE_CHARS:
        raise InputError(f"the {what} is {len(text)} characters long; the limit is {MAX_MESSAGE_CHARS}")
    return text


@dataclass
class LoadedIndex:
    """Everything built from one index generation; replaced as a whole when a new one is loaded."""

    snapshot: IndexSnapshot
    bank: SentenceBank | LazySentenceBank
    retriever: Retriever
    speller: Speller
    extractive: Answerer
    answerer: Answerer
    doctor_passages: list[Passage]


class _CachedEncoder:
    """The embedder seen by an eager SentenceBank: unit texts embedded for an earlier generation are reused,
    so a reload embeds only new sentences and holds the model lock briefly. Anything else is delegated."""

    def __init__(self, embedder: Embedder, cache: dict[str, np.ndarray]) -> None:
        self.embedder = embedder
        self.cache = cache

    def __getattr__(self, name: str) -> Any:
        return getattr(self.embedder, name)

    def encode_cached(self, texts: list[str], cache_dir: Path | None) -> np.ndarray:
        if not self.cache:  # first load: exactly the embedder's own path (and its disk cache)
            vectors = self.embedder.encode_cached(texts, cache_dir)
            self.cache.update(zip(texts, vectors, strict=True))
            return vectors
        missing = list(dict.fromkeys(t for t in texts if t not in self.cache))
        if missing:
            self.cache.update(zip(missing, self.embedder.encode(missing), strict=True))
        if not texts:
            return np.zeros((0, self.embedder.dimension), dtype=np.float32)
        return np.stack([self.cache[t] for t in texts])


class Assistant:
    """Loads the index and model once; `ask()` answers one turn, `stream()` yields text as it comes.

    `refresh_seconds` (None = never) is how often a turn checks for a new index generation;
    `retry_seconds` is the first reconnect delay after a store error. Both default from the module
    constants; an injected `snapshot` turns the periodic check off (errors still reconnect).
    """

    def __init__(self, settings: Settings | None = None, *, answerer: str | Answerer | None = None,
                 embedder: Embedder | None = None, snapshot: IndexSnapshot | None = None,
                 refresh_seconds: float | None | bool = True, retry_seconds: float = RETRY_SECONDS) -> None:
        self.settings = settings or Settings.from_env()
        started = time.perf_counter()
        self.embedder = embedder or shared_embedder(self.settings.model, self.settings.embedding_backend,
                                                    self.settings.data_dir / "cache")
        if refresh_seconds is True:
            refresh_seconds = REFRESH_SECONDS if snapshot is None else None
        self.refresh_seconds = None if refresh_seconds is None or refresh_seconds is False else float(refresh_seconds)
        self.retry_seconds = retry_seconds
        self._client: Any | None = None
        if snapshot is None:
            self._client = connect(self.settings)
            snapshot = IndexSnapshot.open(self.settings, self._client)
        self.scope = ScopeJudge()
        self.triage = Triage(self.embedder, cache_dir=self.settings.data_dir / "cache")
        self._answerer_choice = answerer
        self._questions = passage_questions.load(self.settings.questions_file)
        self._unit_cache: dict[str, np.ndarray] = {}
        self._state_lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        self._checked_at = time.monotonic()
        self._down_since: float | None = None
        self._failures = 0
        self._retry_at = 0.0
        self._reload: threading.Thread | None = None
        self._loaded = self._load(snapshot)
        self.load_seconds = time.perf_counter() - started

    # -- the loaded generation --------------------------------------------------------------------
    @property
    def snapshot(self) -> IndexSnapshot:
        return self._loaded.snapshot

    @property
    def bank(self) -> SentenceBank | LazySentenceBank:
        return self._loaded.bank

    @property
    def retriever(self) -> Retriever:
        return self._loaded.retriever

    @property
    def speller(self) -> Speller:
        return self._loaded.speller

    @property
    def extractive(self) -> Answerer:
        return self._loaded.extractive

    @property
    def answerer(self) -> Answerer:
        return self._loaded.answerer

    @answerer.setter
    def answerer(self, value: Answerer) -> None:
        """Swap the answer backend (kept across index reloads)."""
        with self._state_lock:
            self._answerer_choice = value
            self._loaded = dataclasses.replace(self._loaded, answerer=value)

    @property
    def _doctor_passages(self) -> list[Passage]:
        return self._loaded.doctor_passages

    def _load(self, snapshot: IndexSnapshot) -> LoadedIndex:
        """Build retrieval, sentence bank, speller and answerers for one generation."""
        if len(snapshot.chunks) > LAZY_BANK_CHUNKS:
            bank: SentenceBank | LazySentenceBank = LazySentenceBank(snapshot.chunks, self.embedder,
                                                                     cache=self._unit_cache)
        else:
            bank = SentenceBank(snapshot.chunks, _CachedEncoder(self.embedder, self._unit_cache),  # type: ignore[arg-type]
                                cache_dir=self._vector_cache_dir)
            self._unit_cache = dict(zip((u.display for u in bank.units), bank.vectors, strict=True))
        retriever = Retriever(snapshot, self.embedder, sentence_vectors=bank.chunk_vectors(),
                              question_vectors=self._question_vectors(snapshot))
        speller = Speller([c.text for c in snapshot.chunks],
                          extra_words=self.scope.config.domain_terms | set(retriever.synonyms) | LAY_TERMS.words(),
                          known_words=self.embedder.known_words())
        extractive = make_answerer("extractive", {"bank": bank})
        if isinstance(self._answerer_choice, Answerer):
            answerer = self._answerer_choice
        else:
            answerer = make_answerer(self._answerer_choice or self.settings.answerer, {
                "settings": self.settings, "bank": bank, "embedder": self.embedder, "fallback": extractive})
        doctor = retriever.search(WHEN_TO_SEE_DOCTOR, k=3)
        return LoadedIndex(snapshot, bank, retriever, speller, extractive, answerer, doctor)

    @property
    def _vector_cache_dir(self) -> Path | None:
        """Where embeddings of fixed texts are cached: beside an embedded index, nowhere for a server."""
        return None if self.settings.chroma_url else self.settings.index_path

    def _question_vectors(self, snapshot: IndexSnapshot) -> dict[str, np.ndarray]:
        """Chunk id -> embeddings of the hand-written questions its paragraphs answer (cached on disk)."""
        questions = passage_questions.by_chunk(self._questions, snapshot.chunks)
        texts = list(dict.fromkeys(q for qs in questions.values() for q in qs))
        if not texts:
            return {}
        vectors = dict(zip(texts, self.embedder.encode_cached(texts, self._vector_cache_dir), strict=True))
        return {cid: np.stack([vectors[q] for q in qs]) for cid, qs in questions.items()}

    def index_status(self) -> dict[str, Any]:
        """For health checks: the generation being served and whether the store is reachable."""
        down = self._down_since is not None
        return {"generation": self.snapshot.generation, "chunks": len(self.snapshot.chunks),
                "index": "unreachable" if down else "ok", "reloading": self._reload is not None}

    def _index(self) -> LoadedIndex:
        """The generation to answer from; checks the store when due. Raises IndexUnavailable while down."""
        now = time.monotonic()
        with self._state_lock:
            down = self._down_since is not None
            if down and now < self._retry_at:
                raise IndexUnavailable(UNREACHABLE)
            due = down or (self.refresh_seconds is not None and now - self._checked_at >= self.refresh_seconds)
        if due and self._refresh_lock.acquire(blocking=False):  # one checker at a time; others go on
            try:
                self._checked_at = now
                self._refresh(wait=False)
            finally:
                self._refresh_lock.release()
        elif due and down:
            raise IndexUnavailable(UNREACHABLE)
        return self._loaded

    def refresh(self, *, wait: bool = True) -> int:
        """Check the store now: reconnect after an error and load a new generation (in the background
        unless `wait`). Returns the generation being served; raises IndexUnavailable if unreachable."""
        with self._refresh_lock:
            self._checked_at = time.monotonic()
            self._refresh(wait=wait)
        reload = self._reload
        if wait and reload is not None:
            reload.join(timeout=600)
        return self.snapshot.generation

    def _refresh(self, *, wait: bool) -> None:
        down = self._down_since is not None
        try:
            if self._client is None or down:
                self._client = connect(self.settings, fresh=down)
            manifest = current_manifest(self._client, self.settings)
            loaded = self._loaded
            if manifest == loaded.snapshot.manifest:
                if down:  # same generation: only the collection handle is stale
                    collection = self._client.get_collection(manifest["collection"], embedding_function=None)
                    fresh = IndexSnapshot(manifest, collection, loaded.snapshot.chunks)
                    loaded.retriever.snapshot = fresh
                    loaded.snapshot = fresh
            elif down or wait:  # nothing good to serve meanwhile (or asked to wait): load now
                self._loaded = self._load(IndexSnapshot.open(self.settings, self._client))
                log.info("index generation %s loaded", self.snapshot.generation)
            else:
                self._reload_in_background()
        except Exception as exc:
            self._went_down(exc)
            raise IndexUnavailable(UNREACHABLE) from exc
        if down:
            with self._state_lock:
                self._down_since, self._failures = None, 0
            log.warning("article index reachable again (generation %s)", self.snapshot.generation)

    def _reload_in_background(self) -> None:
        with self._state_lock:
            if self._reload is not None:
                return
            client = self._client

            def run() -> None:
                try:
                    self._loaded = self._load(IndexSnapshot.open(self.settings, client))
                    log.info("index generation %s loaded in the background", self.snapshot.generation)
                except Exception as exc:  # keep serving the old generation; the next check retries
                    log.warning("could not load the new index generation: %s", exc)
                finally:
                    self._reload = None

            self._reload = threading.Thread(target=run, name="backtrack-index-reload", daemon=True)
            self._reload.start()

    def _went_down(self, exc: BaseException) -> None:
        now = time.monotonic()
        with self._state_lock:
            if self._down_since is None:
                self._down_since = now
                log.warning("article index unreachable: %s: %s", type(exc).__name__, exc)
            self._failures += 1
            delay = min(RETRY_MAX_SECONDS, self.retry_seconds * 2 ** min(self._failures - 1, 10))
            self._retry_at = now + delay

    # -- conversation helpers -------------------------------------------------------------------
    def retrieval_query(self, question: str, history: Sequence[str] = ()) -> str:
        """Plain text for retrieval: markup removed, short or anaphoric follow-ups restated with the
        previous user turn, runner slang put in plain words, typos fixed."""
        question = strip_markup(question)
        if history:
            content = tokens(question)
            if len(content) <= FOLLOWUP_MAX_WORDS or (ANAPHORA.search(question) and len(content) <= 8):
                question = f"{strip_markup(history[-1])} {question}"
        # spelling first, so a typo of a slang word ("hammeis") still reaches its plain wording
        speller = getattr(self, "speller", None)
        if speller:
            question = speller.correct(question)
        return LAY_TERMS.plain(question)

    # -- one turn ---------------------------------------------------------------------------------
    def ask(self, question: str, history: Sequence[str] | None = None) -> Reply:
        reply: Reply | None = None
        for item in self.stream(question, history):
            if isinstance(item, Reply):
                reply = item
        assert reply is not None
        return reply

    def stream(self, question: str, history: Sequence[str] | None = None) -> Iterator[str | Reply]:
        """Yield answer text pieces, then the final Reply. Triage and guardrail cards come whole."""
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        question = clean_message(question)
        if history is None:
            history = []
        if not isinstance(history, list | tuple):
            raise InputError("history must be a list of earlier user messages")
        if len(history) > MAX_HISTORY_TURNS:
            raise InputError(f"history has {len(history)} turns; the limit is {MAX_HISTORY_TURNS}")
        history = [clean_message(h, what="history message") for h in history]

        t = time.perf_counter()
        vector = self.embedder.encode_query(question)
        timings["embed"] = _ms(t)
        t = time.perf_counter()
        verdict = self.triage.assess([*history, question], query_vector=vector)
        timings["triage"] = _ms(t)

        # Safety gate: nothing below this point runs for an escalated or dose-request turn.
        if verdict.escalated or verdict.dose_request:
            reply = self._card_reply(verdict, timings, t0)
            yield reply.text
            yield reply
            return

        t = time.perf_counter()
        loaded = self._index()
        query = self.retrieval_query(question, history)
        qvec = vector if query == question else self.embedder.encode_query(query)
        try:
            passages = loaded.retriever.search(query, k=RETRIEVED, query_vector=qvec)
        except IndexUnavailable as exc:
            self._went_down(exc.__cause__ or exc)
            raise
        timings["retrieve"] = _ms(t)
        route = self.scope.judge(query, passages)
        if route != "answer":
            text = self.scope.out_of_scope_text() if route == "out_of_scope" else self.scope.no_answer_text(passages)
            reply = Reply(route=route, text=text, triage=verdict, passages=passages, timings=timings)
            timings["total"] = _ms(t0)
            yield text
            yield reply
            return

        t = time.perf_counter()
        request = AnswerRequest(question=question, passages=passages[: self.settings.top_k],
                                query_vector=qvec, history=tuple(history))
        answer: Answer | None = None
        for item in loaded.answerer.stream(request):
            if isinstance(item, Answer):
                answer = item
            else:
                yield item
        timings["answer"] = _ms(t)
        timings["total"] = _ms(t0)
        assert answer is not None
        yield Reply(route="answer", text=answer.text, triage=verdict, citations=answer.citations,
                    passages=[*passages, *answer.extra_passages], timings=timings, answerer=answer.answerer,
                    notice=answer.notice)

    def _card_reply(self, verdict: TriageResult, timings: dict[str, float], t0: float) -> Reply:
        text = render_card(verdict, self.settings.emergency_number)
        citations: list[Citation] = []
        if verdict.escalated:
            lines = []
            for n, passage in enumerate(self._doctor_passages[:2], start=1):
                quote = _first_sentences(passage)
                citations.append(citation_for(n, passage, quote))
                lines.append(f"> {quote} [{n}]")
            text += "\n\n**What the articles say about seeing a doctor:**\n\n" + "\n>\n".join(lines)
        timings["total"] = _ms(t0)
        return Reply(route="triage", text=text, triage=verdict, citations=citations,
                     passages=list(self._doctor_passages) if citations else [], timings=timings, answerer="card")


def _first_sentences(passage: Passage, limit: int = 320) -> str:
    text = passage.chunk.text
    cut = text.rfind(". ", 0, limit)
    return text[: cut + 1] if cut > 0 else text[:limit]


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000.0
