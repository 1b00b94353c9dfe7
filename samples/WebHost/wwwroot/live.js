// Live regions: an element with data-live-src listens to a Server-Sent Events stream and, on every "change" event,
// re-fetches its HTML fragment from data-live-fragment (a server-rendered partial) and swaps it in. No tokens here:
// the browser's HttpOnly session cookie authenticates both requests.
(() => {
  'use strict';

  const connect = (region) => {
    let busy = false;
    let again = false;

    const refresh = async () => {
      if (busy) { again = true; return; }
      busy = true;
      try {
        do {
          again = false;
          const response = await fetch(region.dataset.liveFragment, {
            headers: { Accept: 'text/html' },
            credentials: 'same-origin',
            cache: 'no-store',
          });
          if (response.ok) {
            region.innerHTML = await response.text();
            region.dataset.liveVersion = String(Number(region.dataset.liveVersion || '0') + 1);
          } else if (response.status === 401) {
            window.location.assign('/signin');
            return;
          }
        } while (again);
      } catch {
        // A failed refresh is retried by the next event or reconnect.
      } finally {
        busy = false;
      }
    };

    const source = new EventSource(region.dataset.liveSrc, { withCredentials: true });
    source.addEventListener('ready', () => {
      // (Re)connected: catch up on anything that changed while no stream was open.
      if (region.dataset.liveState === 'reconnecting') { refresh(); }
      region.dataset.liveState = 'connected';
    });
    source.addEventListener('change', refresh);
    source.addEventListener('viewers', (event) => {
      const box = document.querySelector('[data-viewers]');
      if (!box) { return; }
      const names = JSON.parse(event.data);
      box.textContent = names.length ? `Also viewing: ${names.join(', ')}` : '';
      box.hidden = names.length === 0;
    });
    source.addEventListener('error', () => {
      if (region.dataset.liveState === 'connected') { region.dataset.liveState = 'reconnecting'; }
    });
    window.addEventListener('pagehide', () => source.close());
  };

  document.querySelectorAll('[data-live-src][data-live-fragment]').forEach(connect);
})();
