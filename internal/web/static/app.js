// OpenMASH progressive enhancement. Every page works without this file:
// it only moves focus to an error summary and warns before the session
// times out, with a button that keeps it alive without leaving the page.
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
  document.body.addEventListener("htmx:afterRequest", (e) => {
    if (e.detail.successful) {
      deadline = Date.now() + idle;
      if (!warning.hidden) {
        warning.hidden = true;
        warning.setAttribute("role", "region");
      }
    }
  });
  setInterval(tick, 5000);
}
