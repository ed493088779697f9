/* Backtrack embed client: a small chat UI over POST /api/chat, no libraries, no CDN.
 * Every piece of text from the user or the server is put on the page with textContent;
 * the only markup is the elements created here.
 */
(function () {
  "use strict";
  var MAX_CHARS = 4000;
  var MAX_HISTORY = 50;
  var params = new URLSearchParams(window.location.search);
  var accent = params.get("accent") || "";
  if (/^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.test(accent)) {
    document.documentElement.style.setProperty("--accent", accent);
  }

  var log, form, input, send;
  var history = [];
  var busy = false;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // **bold**, *italic* and [n] markers inside one line, as elements with textContent.
  var INLINE = /(\*\*[^*]+\*\*|\*[^*\s][^*]*\*|\[\d{1,3}\])/g;
  function inline(parent, line) {
    var last = 0;
    line.replace(INLINE, function (match, _tok, offset) {
      if (offset > last) parent.appendChild(document.createTextNode(line.slice(last, offset)));
      if (match.charAt(0) === "[") parent.appendChild(el("span", "cite", match));
      else if (match.slice(0, 2) === "**") parent.appendChild(el("strong", "", match.slice(2, -2)));
      else parent.appendChild(el("em", "", match.slice(1, -1)));
      last = offset + match.length;
      return match;
    });
    if (last < line.length) parent.appendChild(document.createTextNode(line.slice(last)));
  }

  // The Markdown subset the answers and cards use: headings, paragraphs, bullets, block quotes.
  function renderText(text) {
    var frag = document.createDocumentFragment();
    var para = null, list = null, quote = [];
    function flushQuote() {
      if (quote.length) {
        var bq = el("blockquote");
        bq.appendChild(renderText(quote.join("\n")));
        frag.appendChild(bq);
        quote = [];
      }
    }
    String(text || "").replace(/\r\n/g, "\n").split("\n").forEach(function (raw) {
      var line = raw.trim();
      if (line.charAt(0) === ">") {
        para = null; list = null;
        quote.push(line.slice(1).trim());
        return;
      }
      flushQuote();
      if (!line) { para = null; list = null; return; }
      var heading = /^#{1,6}\s+(.*)$/.exec(line);
      if (heading) {
        para = null; list = null;
        var h = el("h3");
        inline(h, heading[1]);
        frag.appendChild(h);
      } else if (/^[-*]\s+/.test(line)) {
        para = null;
        if (!list) { list = el("ul"); frag.appendChild(list); }
        var li = el("li");
        inline(li, line.replace(/^[-*]\s+/, ""));
        list.appendChild(li);
      } else {
        list = null;
        if (para) para.appendChild(el("br"));
        else { para = el("p"); frag.appendChild(para); }
        inline(para, line);
      }
    });
    flushQuote();
    return frag;
  }

  function sources(citations) {
    if (!citations || !citations.length) return null;
    var details = el("details", "sources");
    details.appendChild(el("summary", "", (citations.length === 1 ? "Source" : "Sources") +
      " (" + citations.length + ")"));
    var ol = el("ol");
    citations.forEach(function (c) {
      var li = el("li");
      var head = el("div");
      head.appendChild(el("span", "cite", "[" + c.n + "]"));
      head.appendChild(document.createTextNode(" "));
      head.appendChild(el("strong", "", c.title || ""));
      li.appendChild(head);
      var by = [c.author, c.publisher].filter(Boolean).join(" \u00b7 ");
      if (by) li.appendChild(el("div", "by", by));
      if (c.section) li.appendChild(el("div", "section", "Section: " + c.section));
      var bq = el("blockquote");
      bq.appendChild(renderText(c.quote || ""));
      li.appendChild(bq);
      ol.appendChild(li);
    });
    details.appendChild(ol);
    return details;
  }

  function rating(replyId) {
    var box = el("div", "rate");
    [["up", "Helpful", "This answer was helpful"], ["down", "Not helpful", "This answer was not helpful"]].forEach(function (r) {
      var b = el("button", "", r[1]);
      b.type = "button";
      b.setAttribute("aria-label", r[2]);
      b.setAttribute("aria-pressed", "false");
      b.addEventListener("click", function () {
        fetch("/api/feedback", {
          method: "POST", headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ reply_id: replyId, rating: r[0] })
        }).then(function (res) {
          if (!res.ok) return;
          box.querySelectorAll("button").forEach(function (o) { o.setAttribute("aria-pressed", "false"); });
          b.setAttribute("aria-pressed", "true");
        }).catch(function () {});
      });
      box.appendChild(b);
    });
    return box;
  }

  function renderReply(node, reply) {
    node.textContent = "";
    node.classList.remove("pending");
    node.setAttribute("data-route", reply.route);
    var level = reply.triage && reply.triage.level;
    if (reply.route === "triage") {
      var kind = level === "emergency" || level === "urgent" ? level : "info";
      node.className = "msg bot card " + kind;
      node.setAttribute("role", "alert");
      if (kind === "emergency") {
        var banner = el("div", "banner", "Emergency: ");
        var number = (document.querySelector(".disclaimer strong") || {}).textContent || "";
        var call = el("a", "", "call " + number);
        call.href = "tel:" + number.replace(/[^0-9+]/g, "");
        banner.appendChild(call);
        banner.appendChild(document.createTextNode(" or go to an emergency department now"));
        node.appendChild(banner);
      } else if (kind === "urgent") {
        node.appendChild(el("div", "banner", "Urgent: see a doctor within a day or two"));
      }
    } else {
      node.className = "msg bot answer";
    }
    var body = el("div", "body");
    body.appendChild(renderText(reply.text));
    node.appendChild(body);
    if (reply.notice) node.appendChild(el("div", "by", reply.notice));
    var src = sources(reply.citations);
    if (src) node.appendChild(src);
    if (reply.id) node.appendChild(rating(reply.id));
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function ask(text) {
    var hint = log.querySelector(".hint");
    if (hint) hint.remove();
    log.appendChild(el("div", "msg user", text));
    var pending = el("div", "msg bot pending", "Looking through the articles\u2026");
    log.appendChild(pending);
    scrollDown();
    busy = true;
    send.disabled = true;
    fetch("/api/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ message: text, history: history.slice(-MAX_HISTORY) })
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (!res.ok) throw new Error(data.error || ("the server answered " + res.status));
        renderReply(pending, data);
        history.push(text);
        log.scrollTop = Math.max(0, pending.offsetTop - 8); // show the reply's start (a card's banner first)
      });
    }).catch(function (err) {
      pending.className = "msg error";
      pending.textContent = "Sorry, I can't answer right now: " + (err && err.message ? err.message : "network error");
    }).then(function () {
      busy = false;
      send.disabled = false;
      if (pending.className.indexOf("error") >= 0) scrollDown();
      input.focus();
    });
  }

  function start() {
    log = document.getElementById("bt-log");
    form = document.getElementById("bt-form");
    input = document.getElementById("bt-input");
    send = document.getElementById("bt-send");
    var title = (params.get("title") || "").slice(0, 60);
    if (title) {
      document.getElementById("bt-title").textContent = title;
      document.title = title;
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = input.value.trim();
      if (!text || busy) return;
      if (text.length > MAX_CHARS) {
        log.appendChild(el("div", "msg error", "Please keep questions under " + MAX_CHARS + " characters."));
        return;
      }
      input.value = "";
      ask(text);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    document.getElementById("bt-clear").addEventListener("click", function () {
      history = [];
      log.textContent = "";
      input.focus();
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
