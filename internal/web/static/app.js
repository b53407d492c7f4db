// OpenMASH progressive enhancement. Every page works without this file:
// it only moves focus to an error summary, warns before the session times
// out (with a button that keeps it alive without leaving the page), and
// counts the board's deadlines down.
document.body.classList.add("js-enabled", "govuk-frontend-supported");

const summary = document.querySelector(".govuk-error-summary");
if (summary) summary.focus();

const warning = document.getElementById("session-warning");
if (warning) {
  const idle = Number(warning.dataset.idleSeconds) * 1000;
  const warnBefore = Number(warning.dataset.warnSeconds) * 1000;
  const left = document.getElementById("session-warning-left");
  let deadline = Date.now() + idle;
  const minutes = (ms) => {
    const m = Math.max(1, Math.ceil(ms / 60000));
    return m === 1 ? "in 1 minute" : "in " + m + " minutes";
  };
  const tick = () => {
    const ms = deadline - Date.now();
    if (ms <= 0) {
      window.location.assign("/sign-in?timed-out&next=" + encodeURIComponent(location.pathname + location.search));
      return;
    }
    if (ms <= warnBefore) {
      left.textContent = minutes(ms);
      if (warning.hidden) {
        warning.hidden = false;
        warning.setAttribute("role", "alert");
        warning.focus();
      }
    }
  };
  // Any request to the hub (an htmx update, or this button) uses the session.
  // Except the page's own polls (data-passive), which the hub does not
  // count as use either.
  document.body.addEventListener("htmx:afterRequest", (e) => {
    if (e.detail.successful && !e.detail.elt.closest("[data-passive]")) {
      deadline = Date.now() + idle;
      if (!warning.hidden) {
        warning.hidden = true;
        warning.setAttribute("role", "region");
      }
    }
  });
  setInterval(tick, 5000);
}

// The board's time left, as the server words it (duration in app.go):
// rounded to the minute; "2d 3h", "3h 5m", "3h" or "5m".
const duration = (ms) => {
  const m = Math.round(ms / 60000);
  const days = Math.floor(m / 1440), hours = Math.floor((m % 1440) / 60), mins = m % 60;
  if (days > 0) return days + "d " + hours + "h";
  if (hours > 0 && mins > 0) return hours + "h " + mins + "m";
  if (hours > 0) return hours + "h";
  return mins + "m";
};
const timeLeft = (due, now) => {
  const ms = due - now;
  return ms >= 0 ? duration(ms) + " left" : "Overdue by " + duration(-ms);
};
// countDown rewrites every deadline on the page at now. The cells are not
// in a live region: a screen reader hears them when it reaches them, not
// every half minute.
const countDown = (now) => {
  for (const el of document.querySelectorAll("[data-due]")) {
    const due = Date.parse(el.dataset.due);
    if (Number.isNaN(due)) continue;
    el.textContent = timeLeft(due, now);
    if (due < now) el.classList.add("app-overdue");
  }
};
// Auto-updating text must be possible to pause (WCAG 2.2.2): the button
// stops and restarts the countdown, remembered in this browser.
let paused = localStorage.getItem("openmash.countdown") === "paused";
const control = document.getElementById("countdown-control");
if (control) {
  const toggle = document.getElementById("countdown-toggle");
  const show = () => {
    toggle.textContent = paused ? "Restart the countdown" : "Pause the countdown";
  };
  toggle.addEventListener("click", () => {
    paused = !paused;
    if (paused) localStorage.setItem("openmash.countdown", "paused");
    else {
      localStorage.removeItem("openmash.countdown");
      countDown(Date.now());
    }
    show();
  });
  show();
  control.hidden = false;
}
if (document.getElementById("board-results")) {
  setInterval(() => {
    if (!paused) countDown(Date.now());
  }, 30000);
}
// The browser tests check the wording against the server's.
window.openmash = { timeLeft, countDown, paused: () => paused };

// A filtered board, or another page of it, arrives by htmx (replacing
// #board-results): say what it shows, and after a page link put the focus
// at the top of the new page, as a page load would.
// (htmx:load fires on the new results, which are in the page; the events
// of the swap fire on the old ones, which no longer are.)
const announce = document.getElementById("board-announce");
if (announce) {
  let paging = false;
  document.body.addEventListener("htmx:beforeRequest", (e) => {
    paging = !!e.detail.elt.closest(".govuk-pagination");
  });
  document.body.addEventListener("htmx:load", (e) => {
    if (e.target.id !== "board-results") return;
    const caption = e.target.querySelector("caption");
    if (!caption) return;
    announce.textContent = caption.textContent;
    if (paging) caption.focus();
  });
}
