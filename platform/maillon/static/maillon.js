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

// Sending the photo form leaves the page: what was typed in the profile form and not yet saved
// is kept in this tab's sessionStorage and put back when the edit page returns.
document.addEventListener("DOMContentLoaded", function () {
  var profile = document.querySelector("form.profile-form");
  if (!profile || !window.sessionStorage) { return; }
  var KEY = "maillon-profile-draft";
  var fields = profile.querySelectorAll("input[name]:not([type=hidden]):not([type=file]), textarea[name], select[name]");
  var saved = sessionStorage.getItem(KEY);
  sessionStorage.removeItem(KEY);
  if (saved) {
    var draft = JSON.parse(saved);
    fields.forEach(function (field) {
      if (!(field.name in draft)) { return; }
      var value = draft[field.name];
      if (field.type === "checkbox" || field.type === "radio") {
        field.checked = value.indexOf(field.value) !== -1;
      } else if (field.value !== value[0]) {
        field.value = value[0];
      }
    });
  }
  document.querySelectorAll("form[data-keeps-draft]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var draft = {};
      fields.forEach(function (field) {
        draft[field.name] = draft[field.name] || [];
        if ((field.type !== "checkbox" && field.type !== "radio") || field.checked) {
          draft[field.name].push(field.value);
        }
      });
      sessionStorage.setItem(KEY, JSON.stringify(draft));
    });
  });
});

// The appearance page: the code beside a colour picker follows the colour chosen.
document.addEventListener("input", function (e) {
  var input = e.target;
  if (input.type !== "color") return;
  var code = input.parentElement && input.parentElement.querySelector(".colour-code");
  if (code) code.textContent = input.value;
});
