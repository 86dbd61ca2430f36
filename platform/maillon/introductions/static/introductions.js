// Character counter for the introduction message (progressive enhancement: the page works
// without it, and the server checks the length anyway).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("textarea[data-counter]").forEach(function (area) {
    var out = document.getElementById(area.dataset.counter);
    if (!out) { return; }
    var max = parseInt(out.dataset.max, 10);
    var template = out.dataset.template || "{n}";
    function update() {
      var left = max - area.value.length;
      out.textContent = template.replace("{n}", String(left));
      out.classList.toggle("over", left < 0);
    }
    area.addEventListener("input", update);
    update();
  });
});

// A second click on a sent form does nothing (the server is idempotent anyway).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      if (form.dataset.sent) { e.preventDefault(); return; }
      form.dataset.sent = "1";
    });
  });
});
