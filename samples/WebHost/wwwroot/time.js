// Times for the viewer: every <time data-local-time datetime="…Z"> (rendered in UTC by the server) shows the viewer's
// local date and time and how long ago it was ("2 h ago"). Refreshed every 30 s and whenever a live region swaps in
// new HTML; the UTC text stays as the tooltip.
(() => {
  'use strict';

  const local = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

  const age = (milliseconds) => {
    const seconds = Math.max(0, Math.floor(milliseconds / 1000));
    if (seconds < 45) { return 'just now'; }
    const minutes = Math.max(1, Math.floor(seconds / 60));
    if (minutes < 60) { return `${minutes} min ago`; }
    const hours = Math.floor(minutes / 60);
    if (hours < 24) { return `${hours} h ago`; }
    return `${Math.floor(hours / 24)} d ago`;
  };

  const render = () => {
    const now = Date.now();
    document.querySelectorAll('time[data-local-time]').forEach((element) => {
      const at = new Date(element.getAttribute('datetime'));
      if (Number.isNaN(at.getTime())) { return; }
      const text = `${local.format(at)} · ${age(now - at.getTime())}`;
      // Only real changes: the observer below sees this write, and an unchanged text must not loop.
      if (element.textContent !== text) { element.textContent = text; }
    });
  };

  render();
  setInterval(render, 30_000);
  new MutationObserver(render).observe(document.body, { childList: true, subtree: true });
})();
