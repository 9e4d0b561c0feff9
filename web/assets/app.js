// 张庙街道社区助手 · 网页版. Every text from the server is put into the page
// as a text node (textContent, createTextNode); markup comes only from the
// server's node tree, whose tags are checked again here; the HTML parser is never used.
(function () {
  "use strict";

  var TAGS = { b: 1, i: 1, u: 1, s: 1, code: 1, pre: 1, a: 1, blockquote: 1 };
  var lastSeq = 0;
  var shown = {}; // seq -> message element
  var busy = false;
  var stream = null;
  var polling = null;

  function $(id) { return document.getElementById(id); }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  // build appends the server's node tree to parent.
  function build(nodes, parent) {
    (nodes || []).forEach(function (n) {
      if (!n.tag) {
        parent.appendChild(document.createTextNode(n.text || ""));
        return;
      }
      if (!TAGS[n.tag]) { build(n.kids, parent); return; }
      var e = document.createElement(n.tag);
      if (n.tag === "a") {
        if (n.href && /^https?:\/\//i.test(n.href)) {
          e.href = n.href;
          e.rel = "noopener noreferrer";
          e.target = "_blank";
        }
      }
      build(n.kids, e);
      parent.appendChild(e);
    });
  }

  function clientID() {
    var b = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
  }

  function setStatus(text, isError) {
    var s = $("status");
    s.textContent = text || "";
    s.className = "status" + (isError ? " error" : "");
  }

  function scrollDown() {
    var m = $("messages");
    m.scrollTop = m.scrollHeight;
  }

  function fill(box, m) {
    while (box.firstChild) box.removeChild(box.firstChild);
    box.className = "msg from-" + m.from + (m.press ? " press" : "");
    var bubble = el("div", "bubble");
    build(m.nodes, bubble);
    box.appendChild(bubble);
    if (m.chips && m.chips.length) {
      var chips = el("div", "chips");
      m.chips.forEach(function (row) {
        row.forEach(function (c) {
          var b = el("button", "chip", c.label);
          b.type = "button";
          b.addEventListener("click", function () { press(c.data, c.label, m.seq); });
          chips.appendChild(b);
        });
      });
      box.appendChild(chips);
    }
    var who = m.from === "staff" ? "街道工作人员 · " : "";
    box.appendChild(el("div", "meta", who + m.at));
  }

  // add shows messages in order; a message that edits an earlier one
  // replaces it (a rated answer loses its buttons).
  function add(list) {
    var grew = false;
    (list || []).forEach(function (m) {
      if (m.seq <= lastSeq) return;
      lastSeq = m.seq;
      if (m.edit && shown[m.edit]) {
        fill(shown[m.edit], m);
        return;
      }
      var box = el("div");
      box.setAttribute("data-seq", String(m.seq));
      fill(box, m);
      $("messages").appendChild(box);
      shown[m.seq] = box;
      grew = true;
    });
    if (grew) scrollDown();
  }

  function api(method, path, body) {
    var opts = { method: method, credentials: "same-origin", headers: {} };
    if (body) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(path, opts).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) { return { status: r.status, body: j }; });
    });
  }

  // submit sends one input, retrying with the same client id when the
  // network fails: the server stores and answers it once.
  function submit(payload) {
    payload.id = clientID();
    busy = true;
    $("send").disabled = true;
    setStatus("发送中…");
    var tries = 0;
    function attempt() {
      payload.after = lastSeq;
      return api("POST", "/api/messages", payload).then(function (r) {
        if (r.status === 200 || r.status === 202) {
          add(r.body.messages);
          setStatus(r.status === 202 ? "已收到，正在处理…" : "");
          return true;
        }
        setStatus((r.body && r.body.error) || "发送失败，请稍后再试。", true);
        return false;
      }, function () {
        tries++;
        if (tries < 4) {
          return new Promise(function (ok) { setTimeout(ok, 800 * tries); }).then(attempt);
        }
        setStatus("网络不稳定，消息可能没有发出，请稍后重试。", true);
        return false;
      });
    }
    return attempt().then(function (ok) {
      busy = false;
      $("send").disabled = false;
      return ok;
    });
  }

  function ask(text) {
    if (busy) return;
    var t = $("text");
    t.value = "";
    autosize();
    submit({ text: text }).then(function (ok) {
      if (!ok && !t.value) t.value = text; // give the text back to send again
    });
  }

  function press(data, label, seq) {
    if (busy) return;
    submit({ press: data, label: label, on: seq });
  }

  function autosize() {
    var t = $("text");
    t.style.height = "auto";
    t.style.height = Math.min(t.scrollHeight + 2, 160) + "px";
  }

  function poll() {
    if (polling) return;
    polling = setInterval(function () {
      api("GET", "/api/messages?after=" + lastSeq).then(function (r) {
        if (r.status === 200) add(r.body.messages);
      }, function () {});
    }, 5000);
  }

  function listen() {
    if (!window.EventSource) { poll(); return; }
    stream = new EventSource("/api/events?after=" + lastSeq);
    stream.addEventListener("message", function (e) {
      try { add([JSON.parse(e.data)]); } catch (err) { /* ignore a bad event */ }
      if (/正在处理/.test($("status").textContent)) setStatus("");
    });
    stream.onerror = function () {
      if (stream.readyState === 2) { poll(); } // closed for good: fall back to polling
    };
  }

  function start() {
    api("GET", "/api/session").then(function (r) {
      if (r.status !== 200) {
        setStatus((r.body && r.body.error) || "页面加载失败，请稍后刷新。", true);
        return;
      }
      document.body.setAttribute("data-visitor", r.body.visitor || "");
      add(r.body.messages);
      listen();
    }, function () {
      setStatus("网络连接失败，请检查网络后刷新页面。", true);
    });
  }

  // 公告
  function loadNews() {
    var box = $("news");
    api("GET", "/api/announcements").then(function (r) {
      while (box.firstChild) box.removeChild(box.firstChild);
      if (r.status !== 200) { box.appendChild(el("p", "empty", (r.body && r.body.error) || "公告暂时无法读取。")); return; }
      if (!r.body.items.length) { box.appendChild(el("p", "empty", "目前还没有公告和提醒。")); return; }
      r.body.items.forEach(function (a) {
        var card = el("article", "card news-item");
        var head = el("div");
        head.appendChild(el("span", "tag kind", a.kind));
        head.appendChild(el("span", "when", a.at));
        card.appendChild(head);
        var body = el("div", "body");
        build(a.nodes, body);
        card.appendChild(body);
        box.appendChild(card);
      });
    }, function () {
      while (box.firstChild) box.removeChild(box.firstChild);
      box.appendChild(el("p", "empty", "网络连接失败，请稍后再试。"));
    });
  }

  // 项目
  function loadProjects() {
    var box = $("projects");
    api("GET", "/api/projects").then(function (r) {
      while (box.firstChild) box.removeChild(box.firstChild);
      if (r.status !== 200) { box.appendChild(el("p", "empty", (r.body && r.body.error) || "项目进展暂时无法读取。")); return; }
      r.body.items.forEach(function (p) {
        var card = el("article", "card project");
        card.appendChild(el("h2", "", p.number + ". " + p.name));
        var line = el("div");
        line.appendChild(el("span", "tag status s-" + p.status, p.status));
        line.appendChild(el("span", "when", p.updatedAt ? "最近更新：" + p.updatedAt : "信息来源：2021年街道简报"));
        card.appendChild(line);
        if (typeof p.progress === "number") {
          var bar = el("div", "bar");
          var fillBar = el("span");
          fillBar.style.width = Math.max(0, Math.min(100, p.progress)) + "%";
          bar.appendChild(fillBar);
          card.appendChild(bar);
          card.appendChild(el("div", "when", "进度：约 " + p.progress + "%"));
        } else {
          card.appendChild(el("div", "when", "进度：暂未公布具体数字"));
        }
        if (p.note) card.appendChild(el("p", "body note", "最新说明：" + p.note));
        if (p.summary) card.appendChild(el("p", "body summary", p.summary));
        if (p.history && p.history.length) {
          var d = el("details");
          d.appendChild(el("summary", "", "更新记录（" + p.history.length + " 条）"));
          var ol = el("ol");
          p.history.forEach(function (h) { ol.appendChild(el("li", "", h.at + "：" + h.text)); });
          d.appendChild(ol);
          card.appendChild(d);
        }
        box.appendChild(card);
      });
    }, function () {
      while (box.firstChild) box.removeChild(box.firstChild);
      box.appendChild(el("p", "empty", "网络连接失败，请稍后再试。"));
    });
  }

  function showTab(btn) {
    Array.prototype.forEach.call(document.querySelectorAll(".tabs button"), function (b) {
      var on = b === btn;
      b.setAttribute("aria-selected", on ? "true" : "false");
      $(b.getAttribute("data-panel")).hidden = !on;
    });
    if (btn.id === "tab-news") loadNews();
    if (btn.id === "tab-projects") loadProjects();
    if (btn.id === "tab-chat") scrollDown();
  }

  function setBig(on) {
    document.documentElement.classList.toggle("big", on);
    $("bigtext").setAttribute("aria-pressed", on ? "true" : "false");
    $("bigtext").textContent = on ? "标准字" : "大字";
    try { localStorage.setItem("zm-big", on ? "1" : "0"); } catch (e) { /* private mode */ }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var big = false;
    try { big = localStorage.getItem("zm-big") === "1"; } catch (e) { /* private mode */ }
    setBig(big);
    $("bigtext").addEventListener("click", function () {
      setBig(!document.documentElement.classList.contains("big"));
    });
    Array.prototype.forEach.call(document.querySelectorAll(".tabs button"), function (b) {
      b.addEventListener("click", function () { showTab(b); });
    });
    $("ask").addEventListener("submit", function (e) {
      e.preventDefault();
      var text = $("text").value.trim();
      if (text) ask(text);
    });
    $("text").addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        var text = $("text").value.trim();
        if (text) ask(text);
      }
    });
    $("text").addEventListener("input", autosize);
    start();
  });
})();
