// 放大 / 缩小 / 默认: the reader's text size, kept across articles (localStorage).
(function () {
  var KEY = "banmian-text-scale", STEPS = [0.8, 0.9, 1, 1.15, 1.3, 1.5, 1.75];
  var article = document.getElementById("article");
  if (!article) return;
  function load() { var v = parseFloat(localStorage.getItem(KEY)); return STEPS.indexOf(v) >= 0 ? v : 1; }
  function apply(v) { article.style.setProperty("--scale", v); article.dataset.scale = v; }
  var scale = load();
  apply(scale);
  document.querySelectorAll("[data-size]").forEach(function (b) {
    b.addEventListener("click", function () {
      var i = STEPS.indexOf(scale), what = b.dataset.size;
      scale = what === "up" ? STEPS[Math.min(i + 1, STEPS.length - 1)]
            : what === "down" ? STEPS[Math.max(i - 1, 0)] : 1;
      try { localStorage.setItem(KEY, String(scale)); } catch (e) {}
      apply(scale);
    });
  });
})();
