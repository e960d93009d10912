// The new-case form: show the classifier's suggestion while the description is typed,
// and fill the kind/urgency/category fields with it until staff change them by hand.
(function () {
  var text = document.getElementById("description");
  var out = document.getElementById("suggestion");
  if (!text || !out) return;
  var timer = null, touched = {};
  ["kind", "urgency", "category"].forEach(function (name) {
    var el = document.getElementById(name);
    if (el) el.addEventListener("change", function () { touched[name] = true; });
  });
  function ask() {
    var q = text.value.trim();
    if (!q) { out.textContent = ""; return; }
    fetch("/suggest?text=" + encodeURIComponent(q), {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : {}; })
      .then(function (s) {
        if (!s.kind) return;
        out.textContent = s.label;
        out.dataset.kind = s.kind;
        ["kind", "urgency", "category"].forEach(function (name) {
          var el = document.getElementById(name);
          if (el && !touched[name] && s[name] !== undefined) el.value = s[name];
        });
      });
  }
  text.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(ask, 250); });
  if (text.value) ask();
})();
