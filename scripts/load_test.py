"""Load and soak test of POST /api/chat: N concurrent REST clients for a fixed time, then an optional soak.

    python scripts/load_test.py --clients 16 --seconds 60 [--soak 300] [--url http://127.0.0.1:7860]

Without --url it starts its own server (`python app.py --port <free> --rate-limit 0`, feedback in a temp
file, JSON logs to a temp file) and stops it at the end. Reports throughput, p50/p95/p99 latency, errors
(must be 0; exit code 1 otherwise), the server's peak RSS, and with --soak the RSS sampled every 10 s
under the same load, comparing the first and the last minute. It also checks that no question text
reached the server log (log_text is off). Every loop is bounded by the durations given.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "Why does my lower back hurt after long runs?",
    "What stretches help lower back pain from running?",
    "Should I keep running with a sore lower back?",
    "How can core exercises protect my back when I run?",
    "ice or heat for a sore lower back?",
    "does running on hills make back pain worse",
    "I can't feel anything when I wipe and I've wet myself",  # emergency card
    "what is the best marathon training plan for a beginner",  # likely out of scope
    "how many ibuprofen can I take for back pain",  # dose request card
    "my back hurts after running, could my shoes be the cause?",
]
HISTORY = [[], [], ["how do I fix runner's back pain?"]]
STARTUP_SECONDS = 300
SAMPLE_EVERY = 10.0


def free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_kb(pid: int) -> tuple[int, int]:
    """(current RSS, peak RSS) of a process in kB, from psutil or /proc/PID/status."""
    try:
        import psutil

        info = psutil.Process(pid).memory_info()
        return info.rss // 1024, getattr(info, "peak_wset", 0) // 1024 or info.rss // 1024
    except ImportError:
        pass
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return fields.get("VmRSS", 0), fields.get("VmHWM", 0)


class Stats:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.started = time.monotonic()

    def report(self, label: str) -> dict[str, float]:
        elapsed = time.monotonic() - self.started
        lat = sorted(self.latencies)

        def pct(p: float) -> float:
            return lat[min(len(lat) - 1, int(round(p / 100 * (len(lat) - 1))))] if lat else float("nan")

        out = {"requests": len(lat), "errors": len(self.errors), "seconds": round(elapsed, 1),
               "rps": round(len(lat) / elapsed, 1) if elapsed else 0.0, "p50_ms": round(pct(50), 1),
               "p95_ms": round(pct(95), 1), "p99_ms": round(pct(99), 1),
               "mean_ms": round(statistics.fmean(lat), 1) if lat else float("nan")}
        print(f"{label}: " + "  ".join(f"{k}={v}" for k, v in out.items()), flush=True)
        for e in self.errors[:5]:
            print(f"  error: {e}", flush=True)
        return out


async def client_loop(n: int, base: str, deadline: float, stats: Stats) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        i = n
        while time.monotonic() < deadline:
            body = {"message": QUESTIONS[i % len(QUESTIONS)], "history": HISTORY[i % len(HISTORY)]}
            i += 1
            t = time.perf_counter()
            try:
                r = await client.post("/api/chat", json=body)
                ok = r.status_code == 200 and "route" in r.json()
                detail = f"{r.status_code} {r.text[:120]}"
            except (httpx.HTTPError, ValueError) as exc:
                ok, detail = False, f"{type(exc).__name__}: {exc}"
            if ok:
                stats.latencies.append((time.perf_counter() - t) * 1000)
            else:
                stats.errors.append(detail)


async def run_phase(base: str, clients: int, seconds: float, pid: int | None, sample_every: float | None,
                    samples: list[tuple[float, int]]) -> Stats:
    stats = Stats()
    deadline = time.monotonic() + seconds
    tasks = [asyncio.create_task(client_loop(n, base, deadline, stats)) for n in range(clients)]
    if pid is not None and sample_every:
        start = time.monotonic()
        while time.monotonic() < deadline:
            samples.append((time.monotonic() - start, rss_kb(pid)[0]))
            await asyncio.sleep(min(sample_every, max(0.0, deadline - time.monotonic())))
        samples.append((time.monotonic() - start, rss_kb(pid)[0]))
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=seconds + 120)
    return stats


def start_server(log_path: Path, tmp: Path, extra: list[str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "BACKTRACK_RATE_LIMIT": "0", "BACKTRACK_FEEDBACK_DB": str(tmp / "feedback.sqlite3"),
           "BACKTRACK_LOG_TEXT": "0", "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
    log = log_path.open("wb")
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port), *extra],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}; see {log_path}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return proc, base
        time.sleep(0.5)
    proc.kill()
    raise SystemExit(f"server did not answer /healthz within {STARTUP_SECONDS} s; see {log_path}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16, help="concurrent REST clients (default 16)")
    parser.add_argument("--seconds", type=float, default=60, help="load phase length (default 60)")
    parser.add_argument("--soak", type=float, default=0, help="soak phase length in seconds (0 = none)")
    parser.add_argument("--url", help="target a running server instead of starting one (no RSS figures)")
    parser.add_argument("--pid", type=int, help="with --url: the server's PID, for RSS figures")
    parser.add_argument("--skip-ingest", action="store_true", help="pass --skip-ingest to app.py")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 256 or args.seconds <= 0 or args.soak < 0:
        parser.error("--clients must be 1..256, --seconds > 0, --soak >= 0")

    tmp = Path(tempfile.mkdtemp(prefix="backtrack-load-"))
    log_path = tmp / "server.log"
    proc = None
    try:
        if args.url:
            base, pid = args.url.rstrip("/"), args.pid
        else:
            print("starting the server...", flush=True)
            proc, base = start_server(log_path, tmp, ["--skip-ingest"] if args.skip_ingest else [])
            pid = proc.pid
        print(f"target {base}; {args.clients} clients; load {args.seconds:g} s; soak {args.soak:g} s", flush=True)
        result: dict[str, object] = {"clients": args.clients}
        rss_before = rss_kb(pid)[0] if pid else None
        load_samples: list[tuple[float, int]] = []
        load = asyncio.run(run_phase(base, args.clients, args.seconds, pid, 1.0, load_samples))
        result["load"] = load.report("load")
        errors = len(load.errors)
        if pid:
            current, peak = rss_kb(pid)
            result["rss_mb"] = {"before": round(rss_before / 1024, 1), "after_load": round(current / 1024, 1),
                                "peak": round(max(peak, *(s for _, s in load_samples)) / 1024, 1)}
            print(f"server RSS: before {rss_before / 1024:.0f} MB, after load {current / 1024:.0f} MB, "
                  f"peak {result['rss_mb']['peak']:.0f} MB", flush=True)
        if args.soak:
            samples: list[tuple[float, int]] = []
            soak = asyncio.run(run_phase(base, args.clients, args.soak, pid, SAMPLE_EVERY, samples))
            result["soak"] = soak.report("soak")
            errors += len(soak.errors)
            if samples:
                window = min(60.0, args.soak / 2)
                first = [kb for t, kb in samples if t <= window]
                last = [kb for t, kb in samples if t >= samples[-1][0] - window]
                growth = (statistics.fmean(last) - statistics.fmean(first)) / 1024
                result["soak_rss_mb"] = {"samples": [round(kb / 1024, 1) for _, kb in samples],
                                         "window_s": window, "first_mean": round(statistics.fmean(first) / 1024, 1),
                                         "last_mean": round(statistics.fmean(last) / 1024, 1),
                                         "growth": round(growth, 1)}
                print(f"soak RSS every {SAMPLE_EVERY:g} s (MB): "
                      + " ".join(f"{kb / 1024:.0f}" for _, kb in samples), flush=True)
                print(f"soak RSS growth, mean of last {window:g} s vs first {window:g} s: {growth:+.1f} MB",
                      flush=True)
        if proc is not None:
            stop_server(proc)
            text = log_path.read_text(encoding="utf-8", errors="replace")
            lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
            chats = [line for line in lines if line.get("path") == "/api/chat"]
            leaked = [q for q in QUESTIONS if q in text]
            result["server_log"] = {"chat_lines": len(chats), "question_text_found": len(leaked)}
            print(f"server log: {len(chats)} chat lines, question text found: {'yes' if leaked else 'no'}",
                  flush=True)
            if chats:
                print(f"  example: {json.dumps(chats[-1])[:600]}", flush=True)
            errors += len(leaked)
        if args.json:
            args.json.write_text(json.dumps(result, indent=2) + "\n")
        print("PASS: no errors" if errors == 0 else f"FAIL: {errors} errors", flush=True)
        return 0 if errors == 0 else 1
    finally:
        if proc is not None:
            stop_server(proc)


if __name__ == "__main__":
    sys.exit(main())
