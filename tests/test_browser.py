"""Headless Chromium against the real server: chat page, triage card, widget, XSS and phone width.

Needs Debian's chromium at /usr/bin/chromium (`apt-get install -y chromium`); skipped otherwise.
Screenshots go to artifacts/screenshots/. Requests to any host other than the loopback test
servers are blocked and reported as failures (no fonts, analytics or CDNs).
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from test_server_support import free_port, live_server, settings  # noqa: F401

from bot.settings import REPO_ROOT

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = REPO_ROOT / "artifacts" / "screenshots"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
ANSWER_TIMEOUT = 45_000
XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=1"> is running bad for my back?'
RED_FLAG = "I can't feel anything when I wipe and I've wet myself"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium "
                       "(apt-get install -y chromium); Playwright's own browsers are not downloaded"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield b
        b.close()


@pytest.fixture
def page_factory(browser: Any) -> Iterator[Any]:
    """New pages that may only talk to loopback; anything else is aborted and recorded."""
    contexts = []
    foreign: list[str] = []

    def make(width: int = 1280, height: int = 900) -> Any:
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)

        def guard(route: Any) -> None:
            url = route.request.url
            if url.startswith(("data:", "blob:", "about:")) or urlsplit(url).hostname in LOCAL_HOSTS:
                route.continue_()
            else:
                foreign.append(url)
                route.abort()

        context.route("**/*", guard)
        page = context.new_page()
        page.set_default_timeout(ANSWER_TIMEOUT)
        return page

    yield make
    for context in contexts:
        context.close()
    assert not foreign, f"the page tried to reach third-party hosts: {foreign}"


def ask_gradio(page: Any, text: str) -> None:
    box = page.locator("#bt-input textarea")
    box.fill(text)
    page.locator("#bt-send").click()


@pytest.fixture(scope="module")
def host_site(live_server: Any) -> Iterator[str]:  # noqa: F811
    """examples/ served by http.server on another port, with the demo's widget URL pointed here."""
    examples = REPO_ROOT / "examples"

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            if self.path.split("?")[0] == "/widget-demo.html":
                page = (examples / "widget-demo.html").read_text(encoding="utf-8")
                body = page.replace("http://127.0.0.1:7860", live_server.base).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            super().do_GET()

    port = free_port()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port),
                                            functools.partial(Handler, directory=str(examples)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    httpd.shutdown()
    httpd.server_close()


def test_chat_page_streams_a_cited_answer_with_sources(live_server: Any, page_factory: Any) -> None:  # noqa: F811
    page = page_factory()
    page.goto(live_server.base + "/")
    page.locator("#bt-input textarea").wait_for()
    assert "not medical advice" in page.locator(".bt-disclaimer").inner_text()
    # Record every assistant state the page shows, to see the answer arrive in pieces.
    page.evaluate("""() => {
        window.__states = [];
        new MutationObserver(() => {
            const all = document.querySelectorAll('#bt-chat .bt-reply, #bt-chat .bt-card');
            const last = all[all.length - 1];
            if (last) window.__states.push(last.className + ':' + last.textContent.length);
        }).observe(document.body, {subtree: true, childList: true, characterData: true});
    }""")
    ask_gradio(page, "What stretches help lower back pain from running?")
    reply = page.locator('#bt-chat .bt-route-answer').last
    reply.wait_for()
    text = reply.locator(".bt-answer").inner_text()
    assert "[1]" in text
    states = page.evaluate("window.__states")
    streamed = {s for s in states if "bt-streaming" in s}
    assert len(streamed) >= 2, f"expected several partial states before the answer, saw {states[:20]}"

    sources = reply.locator("details.bt-sources")
    assert sources.locator("summary").inner_text().startswith("Source")
    assert not sources.locator(".bt-source").first.is_visible()
    sources.locator("summary").click()
    first = sources.locator(".bt-source").first
    first.wait_for(state="visible")
    assert "[1]" in first.inner_text()
    assert first.locator(".bt-quote").inner_text().strip()
    # thumbs up is offered on the answer
    assert page.locator("#bt-chat button[aria-label*='ike']").count() >= 1
    page.screenshot(path=str(SHOTS / "chat-answer-desktop.png"), full_page=True)


def test_red_flag_shows_emergency_card_and_no_generated_answer(live_server: Any, page_factory: Any,  # noqa: F811
                                                               settings: Any) -> None:  # noqa: F811
    page = page_factory()
    page.goto(live_server.base + "/")
    ask_gradio(page, RED_FLAG)
    card = page.locator('#bt-chat .bt-card.bt-emergency')
    card.wait_for()
    banner = card.locator(".bt-card-banner").inner_text()
    assert settings.emergency_number in banner and "Emergency" in banner
    assert "emergency" in card.inner_text().lower()
    page.wait_for_timeout(300)
    assert page.locator('#bt-chat .bt-route-answer').count() == 0
    assert page.locator('#bt-chat .bt-streaming').count() == 0
    alert = page.locator("#bt-alert .bt-alert-emergency")  # stays in view above the input
    assert settings.emergency_number in alert.inner_text()
    card.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(SHOTS / "chat-emergency-card.png"), full_page=True)
    page.locator("#bt-clear").click()
    alert.wait_for(state="detached")


def test_widget_on_another_origin_opens_panel_and_answers(live_server: Any, host_site: str,  # noqa: F811
                                                          page_factory: Any) -> None:
    page = page_factory()
    page.goto(host_site + "/widget-demo.html")
    launcher = page.locator("[data-backtrack-widget] button.launcher")
    launcher.wait_for()
    assert launcher.inner_text().strip().endswith("Ask about back pain")
    assert page.locator("[data-backtrack-widget] iframe").count() == 0  # nothing loaded until opened
    launcher.click()
    frame = page.frame_locator("[data-backtrack-widget] iframe")
    frame.locator("#bt-input").fill("Why does my lower back hurt after long runs?")
    frame.locator("#bt-send").click()
    answer = frame.locator('.msg.bot[data-route="answer"]').last
    answer.wait_for()
    assert "[1]" in answer.inner_text()
    answer.locator("details.sources summary").click()
    assert answer.locator("details.sources li").first.is_visible()
    page.screenshot(path=str(SHOTS / "widget-desktop.png"))

    frame.locator("#bt-input").fill(RED_FLAG)
    frame.locator("#bt-send").click()
    card = frame.locator(".msg.card.emergency")
    card.wait_for()
    assert "Emergency" in card.locator(".banner").inner_text()
    page.screenshot(path=str(SHOTS / "widget-emergency.png"))


@pytest.mark.parametrize("where", ["chat", "embed"])
def test_markup_in_a_message_is_shown_as_text_and_never_runs(live_server: Any, page_factory: Any,  # noqa: F811
                                                              where: str) -> None:
    page = page_factory()
    if where == "chat":
        page.goto(live_server.base + "/")
        ask_gradio(page, XSS)
        user = page.locator("#bt-chat .bt-user-text").last
        page.locator('#bt-chat .bt-done').last.wait_for()
    else:
        page.goto(live_server.base + "/embed")
        page.locator("#bt-input").fill(XSS)
        page.locator("#bt-send").click()
        user = page.locator(".msg.user").last
        page.locator(".msg.bot:not(.pending)").last.wait_for()
    shown = user.inner_text()
    assert "<script>window.__xss=1</script>" in shown
    assert '<img src=x onerror="window.__xss=1">' in shown
    assert user.locator("img, script").count() == 0
    page.wait_for_timeout(300)
    assert page.evaluate("typeof window.__xss") == "undefined"
    page.screenshot(path=str(SHOTS / f"xss-{where}.png"))


@pytest.mark.parametrize("where", ["chat", "embed"])
def test_no_horizontal_scroll_at_phone_width(live_server: Any, page_factory: Any, where: str) -> None:  # noqa: F811
    page = page_factory(width=360, height=740)
    question = "Should I keep running with a sore lower back? " + "supercalifragilistic" * 4
    if where == "chat":
        page.goto(live_server.base + "/")
        ask_gradio(page, question)
        page.locator('#bt-chat .bt-done').last.wait_for()
        page.locator("#bt-chat details.bt-sources summary").last.click()
    else:
        page.goto(live_server.base + "/embed")
        page.locator("#bt-input").fill(question)
        page.locator("#bt-send").click()
        page.locator(".msg.bot:not(.pending)").last.wait_for()
    page.wait_for_timeout(200)
    scroll_width, inner_width = page.evaluate(
        "[document.scrollingElement.scrollWidth, window.innerWidth]")
    page.screenshot(path=str(SHOTS / f"phone-360-{where}.png"), full_page=True)
    assert scroll_width <= inner_width, f"{where}: scrollWidth {scroll_width} > innerWidth {inner_width}"
