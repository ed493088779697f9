"""Load test on loopback: simultaneous chat users through the Gradio queue plus REST clients.

    python scripts/bench_concurrency.py                      # starts its own server on a free port
    python scripts/bench_concurrency.py --url http://127.0.0.1:7860   # an already running server

Defaults: 20 Gradio users and 16 REST clients for 30 s, all at once. Counts and time are capped
(at most 64 users/clients each, 300 s) and only loopback URLs are accepted. Prints errors, p50/p95
latency and answers per second for each kind of client. Against an external server, start it with
BACKTRACK_RATE_LIMIT=0 or the REST clients (all from 127.0.0.1) will mostly see 429s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_HUB_OFFLINE"] = "1"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

MAX_CLIENTS = 64
MAX_SECONDS = 300
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
QUESTIONS = [
    "Why does my lower back hurt after long runs?",
    "What stretches help lower back pain from running?",
    "Should I keep running with a sore lower back?",
    "How can core exercises protect my back when I run?",
    "Can running shoes cause lower back pain?",
    "Is it a disc problem or a muscle strain?",
    "How long should I rest before running again after back pain?",
    "I can't feel anything when I wipe and I've wet myself",
]


@dataclass
class Tally:
    name: str
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ok(self, seconds: float) -> None:
        with self.lock:
            self.latencies.append(seconds)

    def fail(self, what: str) -> None:
        with self.lock:
            self.errors[what[:160]] += 1

    def report(self, seconds: float) -> str:
        lat = sorted(self.latencies)
        n_err = sum(self.errors.values())
        lines = [f"{self.name}: {len(lat)} answers, {n_err} errors in {seconds:.1f} s "
                 f"({len(lat) / seconds:.2f} answers/s)"]
        if lat:
            p95 = lat[min(len(lat) - 1, int(round(0.95 * (len(lat) - 1))))]
            lines.append(f"  latency p50 {statistics.median(lat) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
                         f"max {lat[-1] * 1000:.0f} ms")
        for what, count in self.errors.most_common(5):
            lines.append(f"  error x{count}: {what}")
        return "\n".join(lines)


def gradio_user(base: str, index: int, deadline: float, tally: Tally) -> None:
    from gradio_client import Client

    try:
        client = Client(base + "/", verbose=False, download_files=False, analytics_enabled=False)
    except Exception as exc:
        tally.fail(f"connect: {type(exc).__name__}: {exc}")
        return
    turn = 0
    try:
        while time.monotonic() < deadline:
            if turn and turn % 10 == 0:
                client.reset_session()  # keep each session's chat (and payloads) small
            started = time.perf_counter()
            try:
                _, chat, _ = client.predict(QUESTIONS[(index + turn) % len(QUESTIONS)], api_name="/chat")
                content = str(chat[-1]["content"]) if chat else ""
                if "bt-done" in content and "bt-error" not in content:
                    tally.ok(time.perf_counter() - started)
                else:
                    tally.fail("reply was not a finished answer or card")
            except Exception as exc:
                tally.fail(f"{type(exc).__name__}: {exc}")
            turn += 1
    finally:
        client.close()


def rest_client(base: str, index: int, deadline: float, tally: Tally) -> None:
    turn = 0
    with httpx.Client(base_url=base, timeout=60) as http:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                r = http.post("/api/chat", json={"message": QUESTIONS[(index + turn) % len(QUESTIONS)]})
                if r.status_code == 200:
                    tally.ok(time.perf_counter() - started)
                else:
                    tally.fail(f"HTTP {r.status_code}: {r.json().get('error', '')}")
                    if r.status_code == 429:
                        time.sleep(0.5)
            except Exception as exc:
                tally.fail(f"{type(exc).__name__}: {exc}")
            turn += 1


def start_local_server() -> tuple[str, object]:
    """The real app with rate limiting off, on a free loopback port, in this process."""
    import socket

    import uvicorn

    from bot.server import create_app
    from bot.settings import Settings

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = Settings.from_env(host="127.0.0.1", port=port, rate_limit=0)
    print("loading the assistant...", flush=True)
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python scripts/bench_concurrency.py", description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="running Backtrack server (loopback only); default: start one")
    parser.add_argument("--users", type=int, default=20, help="simultaneous Gradio chat users (default 20)")
    parser.add_argument("--rest", type=int, default=16, help="concurrent REST clients (default 16)")
    parser.add_argument("--seconds", type=float, default=30, help="how long to run (default 30)")
    args = parser.parse_args(argv)
    if not (0 <= args.users <= MAX_CLIENTS and 0 <= args.rest <= MAX_CLIENTS):
        parser.error(f"--users and --rest must be between 0 and {MAX_CLIENTS}")
    if not 1 <= args.seconds <= MAX_SECONDS:
        parser.error(f"--seconds must be between 1 and {MAX_SECONDS}")

    server = None
    if args.url:
        base = args.url.rstrip("/")
        if urlsplit(base).hostname not in LOOPBACK:
            parser.error("--url must be a loopback address (127.0.0.1, localhost or ::1)")
    else:
        base, server = start_local_server()
    health = httpx.get(base + "/healthz", timeout=10).json()
    print(f"server {base}: index generation {health['generation']}, {health['chunks']} chunks")
    print(f"running {args.users} Gradio users + {args.rest} REST clients for {args.seconds:.0f} s...", flush=True)

    gradio_tally, rest_tally = Tally("gradio queue"), Tally("REST /api/chat")
    started = time.monotonic()
    deadline = started + args.seconds
    threads = [threading.Thread(target=gradio_user, args=(base, i, deadline, gradio_tally), daemon=True)
               for i in range(args.users)]
    threads += [threading.Thread(target=rest_client, args=(base, i, deadline, rest_tally), daemon=True)
                for i in range(args.rest)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(1.0, deadline - time.monotonic() + 90))
    elapsed = time.monotonic() - started
    stuck = sum(t.is_alive() for t in threads)

    if args.users:
        print(gradio_tally.report(elapsed))
    if args.rest:
        print(rest_tally.report(elapsed))
    total = len(gradio_tally.latencies) + len(rest_tally.latencies)
    waiting = f"; {stuck} clients still waiting" if stuck else ""
    print(f"total: {total} answers, {total / elapsed:.2f} answers/s{waiting}")
    if server is not None:
        server.should_exit = True  # type: ignore[attr-defined]
    errors = sum(gradio_tally.errors.values()) + sum(rest_tally.errors.values())
    return 1 if errors or stuck else 0


if __name__ == "__main__":
    sys.exit(main())
