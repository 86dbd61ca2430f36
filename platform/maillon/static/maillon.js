// The header's menu folds behind a button on narrow screens (progressive enhancement: without
// this script the menu is simply shown). The button repeats the count of what waits.
document.addEventListener("DOMContentLoaded", function () {
  var header = document.querySelector(".site-header");
  var toggle = header && header.querySelector(".nav-toggle");
  if (!toggle) { return; }
  var total = 0;
  header.querySelectorAll(".site-nav .badge-count").forEach(function (badge) {
    total += parseInt(badge.textContent, 10) || 0;
  });
  var count = toggle.querySelector(".nav-toggle-count");
  if (count && total) {
    count.textContent = String(total);
    count.hidden = false;
  }
  header.classList.add("menu-folds");
  toggle.hidden = false;
  toggle.addEventListener("click", function () {
    var open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    header.classList.toggle("menu-open", open);
  });
});

// Forms that undo something (remove a connection, withdraw, delete) ask first. Listening on the
// document in the capture phase runs before the forms' own handlers (introductions.js's
// data-once), so a cancelled form can be sent later.
document.addEventListener("submit", function (e) {
  var form = e.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    e.preventDefault();
    e.stopImmediatePropagation();
  }
}, true);
