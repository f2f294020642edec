// pipam status page: the only script besides htmx (served from the binary; the CSP allows no
// inline script). Shows when live refresh fails and reloads when the session is no longer valid.
(() => {
  const show = (ok, text) => {
    const live = document.querySelector(".live");
    if (!live) return;
    live.classList.toggle("offline", !ok);
    const label = live.querySelector(".live-text");
    if (label) label.textContent = text;
  };
  // Live refresh pauses while the tab is hidden (the next poll after it is shown catches up).
  document.addEventListener("htmx:beforeRequest", (e) => {
    const id = e.detail?.elt?.id;
    if (document.hidden && (id === "overview" || id === "guests")) e.preventDefault();
  });
  document.addEventListener("htmx:sendError", () => show(false, "offline, retrying"));
  document.addEventListener("htmx:responseError", (e) => {
    const status = e.detail?.xhr?.status ?? 0;
    if (status === 401) window.location.reload();
    else show(false, `error ${status}, retrying`);
  });
  document.addEventListener("htmx:afterRequest", (e) => {
    if (e.detail?.successful) show(true, "live");
  });
})();
