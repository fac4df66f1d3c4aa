// Small progressive enhancements; every page works without this file.
document.addEventListener("htmx:responseError", (event) => {
  const status = event.detail.xhr.status;
  const box = document.getElementById("htmx-error");
  if (box) {
    box.textContent = status === 403
      ? "You are not allowed to do that."
      : `The server answered ${status}. Please reload the page and try again.`;
    box.hidden = false;
  }
});
