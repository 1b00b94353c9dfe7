// SLA badges count down: every running target's badge (<span data-sla-due="…Z" data-sla-target="60"
// data-sla-metric="first reply">) is rewritten every 30 s, and whenever a live region swaps in new HTML, with the same
// words and colours the server renders (Pages/SlaBadge.cs): "first reply due in 12 min", amber below a quarter of the
// target left, "due now" once the time has passed. A breach is recorded by the scheduler and arrives as a live update.
(() => {
  'use strict';

  const warnShare = 0.25;

  const duration = (minutes) => {
    if (minutes < 60) { return `${minutes} min`; }
    if (minutes < 48 * 60) { return `${Math.floor(minutes / 60)} h ${minutes % 60} min`; }
    return `${Math.floor(minutes / (24 * 60))} d`;
  };

  const render = () => {
    const now = Date.now();
    document.querySelectorAll('[data-sla-due]').forEach((badge) => {
      const due = new Date(badge.getAttribute('data-sla-due')).getTime();
      if (Number.isNaN(due)) { return; }
      const metric = badge.getAttribute('data-sla-metric');
      const target = Number(badge.getAttribute('data-sla-target'));
      const left = due - now;
      const text = left <= 0 ? `${metric} due now` : `${metric} due in ${duration(Math.ceil(left / 60_000))}`;
      const level = target > 0 && left / 60_000 / target < warnShare ? 'warn' : 'ok';
      // Only real changes: the observer below sees these writes, and unchanged values must not loop.
      if (badge.textContent !== text) { badge.textContent = text; }
      if (badge.getAttribute('data-sla-level') !== level) {
        badge.setAttribute('data-sla-level', level);
        badge.classList.remove('sla-ok', 'sla-warn');
        badge.classList.add(`sla-${level}`);
      }
    });
  };

  render();
  setInterval(render, 30_000);
  new MutationObserver(render).observe(document.body, { childList: true, subtree: true });
})();
