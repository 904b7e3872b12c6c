// Two quick taps on boosted links (Students, then Guardians, on a slow link) send two
// requests; htmx swaps each answer as it arrives, so the later-arriving one wins and can
// show one page under the other's address. Only the answer to the latest boosted request
// is swapped in; an earlier one still finishes (aborting it makes htmx report an error)
// but is dropped.
(() => {
  let latest = null;
  document.addEventListener("htmx:beforeRequest", (event) => {
    if (event.detail.boosted) latest = event.detail.xhr;
  });
  document.addEventListener("htmx:beforeSwap", (event) => {
    if (event.detail.boosted && event.detail.xhr !== latest) event.detail.shouldSwap = false;
  });
})();
