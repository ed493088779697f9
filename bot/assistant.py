"""The entry object: triage first, then retrieval, scope and a cited answer, with per-stage timings."""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Iterator, Sequence

from bot.answerers import Answer, Answerer, AnswerRequest, make_answerer
from bot.answerers.base import citation_for
from bot.answerers.extractive import SentenceBank
from bot.embedding import Embedder, shared_embedder
from bot.errors import InputError
from bot.retrieval import Retriever
from bot.scope import ScopeJudge
from bot.spelling import Speller
from bot.settings import Settings
from bot.store import IndexSnapshot
from bot.text import tokens
from bot.triage import Triage, render_card
from bot.types import Citation, Passage, Reply, TriageResult

MAX_MESSAGE_CHARS = 4000
MAX_HISTORY_TURNS = 50
RETRIEVED = 10
# Follow-ups ("what about for beginners?") are retrieved together with the previous user turn.
FOLLOWUP_MAX_WORDS = 4
ANAPHORA = re.compile(
    r"^(and|or|but|so|also|what about|how about|what if|then|same|why|how long|how often|how many|is that|"
    r"does that|would that|should i|can i|for how)\b|\b(it|that|this|those|these|them|they|there|one|ones)\b",
    re.I,
)
WHEN_TO_SEE_DOCTOR = "when should I see a doctor or specialist about back pain"
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


class Assistant:
    """Loads the index and model once; `ask()` answers one turn, `stream()` yields text as it comes."""

    def __init__(self, settings: Settings | None = None, *, answerer: str | Answerer | None = None,
                 embedder: Embedder | None = None, snapshot: IndexSnapshot | None = None) -> None:
        self.settings = settings or Settings.from_env()
        started = time.perf_counter()
        self.embedder = embedder or shared_embedder(self.settings.model)
        self.snapshot = snapshot or IndexSnapshot.open(self.settings)
        self.scope = ScopeJudge()
        self.bank = SentenceBank(self.snapshot.chunks, self.embedder,
                                 cache_dir=None if self.settings.chroma_url else self.settings.index_path)
        self.retriever = Retriever(self.snapshot, self.embedder, sentence_vectors=self.bank.chunk_vectors())
        self.speller = Speller([c.text for c in self.snapshot.chunks],
                               extra_words=self.scope.config.domain_terms | set(self.retriever.synonyms),
                               known_words=self.embedder.known_words())
        self.triage = Triage(self.embedder)
        self.extractive = make_answerer("extractive", {"bank": self.bank})
        if isinstance(answerer, Answerer):
            self.answerer = answerer
        else:
            self.answerer = make_answerer(answerer or self.settings.answerer, {
                "settings": self.settings, "bank": self.bank, "embedder": self.embedder,
                "fallback": self.extractive})
        self._doctor_passages = self.retriever.search(WHEN_TO_SEE_DOCTOR, k=3)
        self.load_seconds = time.perf_counter() - started

    # -- conversation helpers -------------------------------------------------------------------
    def retrieval_query(self, question: str, history: Sequence[str] = ()) -> str:
        """Plain text for retrieval: markup removed, typos fixed, short or anaphoric follow-ups
        restated with the previous user turn."""
        question = strip_markup(question)
        if history:
            content = tokens(question)
            if len(content) <= FOLLOWUP_MAX_WORDS or (ANAPHORA.search(question) and len(content) <= 8):
                question = f"{strip_markup(history[-1])} {question}"
        speller = getattr(self, "speller", None)
        return speller.correct(question) if speller else question

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
        query = self.retrieval_query(question, history)
        qvec = vector if query == question else self.embedder.encode_query(query)
        passages = self.retriever.search(query, k=RETRIEVED, query_vector=qvec)
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
        for item in self.answerer.stream(request):
            if isinstance(item, Answer):
                answer = item
            else:
                yield item
        timings["answer"] = _ms(t)
        timings["total"] = _ms(t0)
        assert answer is not None
        yield Reply(route="answer", text=answer.text, triage=verdict, citations=answer.citations,
                    passages=passages, timings=timings, answerer=answer.answerer, notice=answer.notice)

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
