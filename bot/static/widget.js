/* Backtrack chat widget.
 *
 * Add to a page (its origin must be in BACKTRACK_ALLOWED_ORIGINS):
 *   <script src="http://HOST:PORT/widget.js" defer
 *           data-title="Ask about back pain" data-accent="#0a7" data-position="right"></script>
 *
 * Why an iframe: the chat itself runs in an <iframe> of /embed, a page served by the Backtrack
 * server. The host page's CSS cannot restyle it and the host page's scripts cannot read or change
 * the conversation (nor can ours touch the host page); the iframe's origin is the Backtrack server,
 * so it calls /api/chat same-origin and no cookies or storage are shared with the host. Only the
 * launcher button lives in the host page, inside a shadow root so host CSS does not leak into it.
 * The server allows framing only by allowed origins (CSP frame-ancestors on /embed).
 */
(function () {
  "use strict";
  if (window.__backtrackWidget) return;
  var script = document.currentScript;
  if (!script) {
    var all = document.querySelectorAll('script[src*="widget.js"]');
    script = all[all.length - 1];
  }
  if (!script) return;
  window.__backtrackWidget = true;

  var base = new URL(script.src, window.location.href);
  var title = (script.getAttribute("data-title") || "Backtrack").slice(0, 60);
  var accent = script.getAttribute("data-accent") || "";
  if (!/^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.test(accent)) accent = "#0a7";
  var side = script.getAttribute("data-position") === "left" ? "left" : "right";
  var embedUrl = base.origin + "/embed?title=" + encodeURIComponent(title) +
    "&accent=" + encodeURIComponent(accent);

  // A custom tag name, so host rules such as `div { ... }` do not match the widget's host element.
  var host = document.createElement("backtrack-widget");
  host.setAttribute("data-backtrack-widget", "");
  var root = host.attachShadow({ mode: "open" });

  var style = document.createElement("style");
  style.textContent = [
    ":host { all: initial; }",
    ".launcher { position: fixed; bottom: 16px; " + side + ": 16px; z-index: 2147483000;",
    "  display: flex; align-items: center; gap: 8px; max-width: calc(100vw - 32px);",
    "  padding: 12px 16px; border: 0; border-radius: 999px; cursor: pointer;",
    "  background: " + accent + "; color: #fff; font: 600 15px/1.2 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;",
    "  box-shadow: 0 4px 14px rgba(0,0,0,.25); }",
    ".launcher .icon { display: inline-flex; align-items: center; justify-content: center; width: 22px;",
    "  height: 22px; border-radius: 50%; background: rgba(255,255,255,.25); font-weight: 700; }",
    ".launcher:focus-visible { outline: 3px solid #222; outline-offset: 2px; }",
    ".launcher .label { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }",
    ".panel { position: fixed; bottom: 76px; " + side + ": 16px; z-index: 2147483000;",
    "  width: min(400px, calc(100vw - 32px)); height: min(620px, calc(100vh - 100px));",
    "  border-radius: 12px; overflow: hidden; background: #fff; box-shadow: 0 8px 30px rgba(0,0,0,.3); }",
    ".panel[hidden] { display: none; }",
    ".panel iframe { width: 100%; height: 100%; border: 0; display: block; }",
    "@media (max-width: 480px) {",
    "  .panel { left: 8px; right: 8px; width: auto; bottom: 72px; height: calc(100vh - 88px); } }",
  ].join("\n");

  var button = document.createElement("button");
  button.type = "button";
  button.className = "launcher";
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", "backtrack-panel");
  var icon = document.createElement("span");
  icon.setAttribute("aria-hidden", "true");
  icon.textContent = "?";
  icon.className = "icon";
  var label = document.createElement("span");
  label.className = "label";
  label.textContent = title;
  button.appendChild(icon);
  button.appendChild(label);

  var panel = document.createElement("div");
  panel.className = "panel";
  panel.id = "backtrack-panel";
  panel.hidden = true;
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", title);
  var frame = null;

  function open() {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.title = title;
      frame.src = embedUrl; // loaded on first open only: nothing is fetched until the user asks
      frame.setAttribute("referrerpolicy", "no-referrer");
      panel.appendChild(frame);
    }
    panel.hidden = false;
    button.setAttribute("aria-expanded", "true");
    icon.textContent = "\u2715";
    label.textContent = "Close";
    frame.focus();
  }

  function close() {
    panel.hidden = true;
    button.setAttribute("aria-expanded", "false");
    icon.textContent = "?";
    label.textContent = title;
  }

  button.addEventListener("click", function () {
    if (panel.hidden) open(); else close();
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !panel.hidden) close();
  });

  root.appendChild(style);
  root.appendChild(panel);
  root.appendChild(button);
  (document.body || document.documentElement).appendChild(host);
})();
