// 检索: full-text search over the archive, in the browser, offline (see layout/site/archive.py).
// Data arrives as scripts calling banmianSearch.<kind>(data): <script> tags load from file:// too.
var banmianSearch = (function () {
  "use strict";
  var editions = null, docs = null, shards = {}, texts = {}, waiting = {};
  var PAGE = 20;

  function normalize(s) { return s.normalize("NFKC").toLowerCase().replace(/\s+/g, ""); }
  function shardOf(bigram) {
    var h = 2166136261;
    Array.from(bigram).forEach(function (ch) { h = Math.imul(h ^ ch.codePointAt(0), 16777619) >>> 0; });
    return h % BANMIAN_SHARDS;
  }
  function bigrams(text) {
    var cps = Array.from(text), out = {};
    for (var i = 0; i + 1 < cps.length; i++) out[cps[i] + cps[i + 1]] = true;
    return Object.keys(out);
  }
  // load a data script once; resolve when it has called back
  function load(url, key) {
    if (waiting[key]) return waiting[key].promise;
    var w = waiting[key] = {};
    w.promise = new Promise(function (resolve, reject) {
      w.resolve = resolve;
      var s = document.createElement("script");
      s.src = url;
      s.onerror = function () { reject(new Error("could not load " + url)); };
      document.head.appendChild(s);
    });
    return w.promise;
  }
  function settle(key, value) { if (waiting[key]) waiting[key].resolve(value); }
  function decode(gaps) {
    var out = new Array(gaps.length), n = 0;
    for (var i = 0; i < gaps.length; i++) { n += gaps[i]; out[i] = n; }
    return out;
  }
  function intersect(a, b) {
    var out = [], i = 0, j = 0;
    while (i < a.length && j < b.length) {
      if (a[i] === b[j]) { out.push(a[i]); i++; j++; } else if (a[i] < b[j]) i++; else j++;
    }
    return out;
  }

  // candidates: articles holding every bigram of the query (newest first)
  function candidates(query) {
    var grams = bigrams(query);
    var need = {};
    grams.forEach(function (g) { need[shardOf(g)] = true; });
    return Promise.all(Object.keys(need).map(function (n) {
      var hex = ("0" + Number(n).toString(16)).slice(-2);
      return load("search/bg/" + hex + ".js", "shard" + n);
    })).then(function () {
      var lists = grams.map(function (g) { return decode(shards[shardOf(g)][g] || []); });
      lists.sort(function (a, b) { return a.length - b.length; });
      return lists.reduce(intersect);
    });
  }
  function textOf(doc) {
    var ed = editions[doc[0]];
    return load(ed[4] + "/text.js", "text" + doc[0]).then(function () {
      var t = texts[doc[0]];
      for (var i = 0; i < t.length; i++) if (t[i].file === doc[1]) return t[i];
      return null;
    });
  }
  function escapeHtml(s) {
    return s.replace(/[&<>"]/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]; });
  }
  // a stretch of the text round the first hit, the hit marked
  function snippet(article, query) {
    var text = article.text.replace(/\s+/g, "");
    if (normalize(article.headline).indexOf(query) >= 0 && normalize(text).indexOf(query) < 0) {
      var start = Array.from(text);   // a hit in the headline only: the article's opening
      return escapeHtml(start.slice(0, 100).join("")) + (start.length > 100 ? "……" : "");
    }
    var norm = Array.from(text).map(function (c) { return normalize(c) || c; });
    var q = Array.from(query), at = -1;
    for (var i = 0; i + q.length <= norm.length && at < 0; i++) {
      var ok = true;
      for (var k = 0; k < q.length && ok; k++) ok = norm[i + k] === q[k];
      if (ok) at = i;
    }
    if (at < 0) return null;
    var chars = Array.from(text), from = Math.max(0, at - 40), to = Math.min(chars.length, at + q.length + 60);
    return (from > 0 ? "……" : "") + escapeHtml(chars.slice(from, at).join("")) + "<mark>" +
      escapeHtml(chars.slice(at, at + q.length).join("")) + "</mark>" +
      escapeHtml(chars.slice(at + q.length, to).join("")) + (to < chars.length ? "……" : "");
  }

  var state = null;
  function show(more) {
    var list = document.getElementById("results"), status = document.getElementById("status");
    var button = document.getElementById("more");
    var s = state, shown = 0;
    function next() {
      if (shown >= PAGE || s.at >= s.cands.length) {
        button.hidden = s.at >= s.cands.length;
        status.textContent = s.found ? "找到" + s.found + "篇" + (s.at < s.cands.length ? "以上" : "") + "文章，用时" +
          Math.round(performance.now() - s.t0) + "毫秒" : "没有找到含“" + s.raw + "”的文章";
        document.body.dataset.searchDone = String(s.found);
        return Promise.resolve();
      }
      var doc = docs[s.cands[s.at++]];
      return textOf(doc).then(function (article) {
        var html = article && snippet(article, s.query);
        if (html) {
          var ed = editions[doc[0]], li = document.createElement("li");
          li.innerHTML = '<a href="' + ed[4] + "/articles/" + encodeURIComponent(doc[1]) + '.html">' +
            escapeHtml(doc[2]) + '</a><span class="meta">' + escapeHtml(ed[2]) + " " + ed[0] + " 第" + escapeHtml(doc[3]) +
            "版</span><span>" + html + "</span>";
          list.appendChild(li);
          shown++; s.found++;
        }
        return next();
      });
    }
    if (!more) list.innerHTML = "";
    return next();
  }
  function search(raw) {
    var query = normalize(raw);
    var status = document.getElementById("status");
    document.body.dataset.searchDone = "";
    if (Array.from(query).length < 2) {
      status.textContent = "请输入至少两个字";
      document.getElementById("results").innerHTML = "";
      return Promise.resolve();
    }
    status.textContent = "检索中……";
    var t0 = performance.now();
    return candidates(query).then(function (cands) {
      state = { raw: raw, query: query, cands: cands, at: 0, found: 0, t0: t0 };
      return show(false);
    });
  }

  function start() {
    var form = document.getElementById("searchform");
    if (!form) return;
    var input = document.getElementById("q");
    var params = new URLSearchParams(location.search);
    if (params.get("q")) { input.value = params.get("q"); search(input.value); }
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var url = new URL(location.href);
      url.searchParams.set("q", input.value);
      history.replaceState(null, "", url);
      search(input.value);
    });
    document.getElementById("more").addEventListener("click", function () { show(true); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else setTimeout(start);

  return {
    editions: function (d) { editions = d; },
    docs: function (d) { docs = d; },
    shard: function (d) { shards[d[0]] = d[1]; settle("shard" + d[0], d[1]); },
    text: function (d) {
      // an edition's texts: find which edition by its date and site
      for (var i = 0; i < editions.length; i++) {
        if (editions[i][0] === d.date && editions[i][1] === d.slug && !texts[i]) {
          texts[i] = d.articles; settle("text" + i, d.articles); return;
        }
      }
    },
    search: search
  };
})();
