// Draft autosave status. htmx posts a form marked data-draft-status two
// seconds after the last change and puts the answer ("Draft saved at
// 14:02") in its status line. This file says what happened when it could
// not save: signed out (401), or the hub out of reach. The page is never
// left or reloaded, so what was typed stays on it; the next change, or
// coming back to this tab after signing in again, tries again.
const retry = (form) => {
  const again = () => window.htmx && window.htmx.trigger(form, "input");
  window.addEventListener("focus", again, { once: true });
};

document.body.addEventListener("htmx:afterRequest", (e) => {
  const form = e.detail.elt;
  if (!(form instanceof HTMLFormElement) || !form.dataset.draftStatus || e.detail.successful) return;
  const status = document.getElementById(form.dataset.draftStatus);
  if (!status) return;
  status.replaceChildren();
  if (e.detail.xhr && e.detail.xhr.status === 401) {
    status.append("You have been signed out, so your latest changes are not saved. They are still on this page. ");
    const link = document.createElement("a");
    link.href = "/sign-in";
    link.target = "_blank";
    link.rel = "noopener";
    link.className = "govuk-link";
    link.textContent = "Sign in again in a new tab (opens in new tab)";
    status.append(link, ", then come back here and your changes will be saved.");
  } else {
    status.append("Your latest changes could not be saved just now. They are still on this page; the next change tries again.");
  }
  status.classList.add("app-draft-status--problem");
  retry(form);
});

document.body.addEventListener("htmx:afterSwap", (e) => {
  const form = e.detail.requestConfig && e.detail.requestConfig.elt;
  if (form instanceof HTMLFormElement && form.dataset.draftStatus) {
    const status = document.getElementById(form.dataset.draftStatus);
    if (status) status.classList.remove("app-draft-status--problem");
  }
});

// Once the form is sent, a pending autosave must not run: arriving after
// the send, it would save the sent form as a draft again.
document.addEventListener("submit", (e) => {
  const form = e.target;
  const draft = e.submitter && e.submitter.value === "save-draft";
  if (form instanceof HTMLFormElement && form.dataset.draftStatus && !draft) form.dataset.sending = "1";
});
document.body.addEventListener("htmx:beforeRequest", (e) => {
  const form = e.detail.elt;
  if (form instanceof HTMLFormElement && form.dataset.sending) e.preventDefault();
});
window.addEventListener("pageshow", () => {
  for (const form of document.querySelectorAll("form[data-sending]")) delete form.dataset.sending;
});
