// Draws the report charts with the vendored Chart.js (wwwroot/lib/chartjs). The page puts the data in data-chart as
// JSON, so no inline script is needed (the Content-Security-Policy allows scripts from this origin only).
(function () {
  'use strict';
  function draw() {
    if (typeof window.Chart !== 'function') return;
    document.querySelectorAll('canvas[data-chart]').forEach(function (canvas) {
      var data = JSON.parse(canvas.getAttribute('data-chart') || '{}');
      new window.Chart(canvas, {
        data: {
          labels: data.labels || [],
          datasets: [
            { type: 'bar', label: 'Created', data: data.created || [], backgroundColor: '#6b8cff', yAxisID: 'tickets' },
            { type: 'bar', label: 'Solved', data: data.solved || [], backgroundColor: '#46b37b', yAxisID: 'tickets' },
            { type: 'line', label: 'CSAT %', data: data.csat || [], borderColor: '#e0902f', spanGaps: true, yAxisID: 'csat' }
          ]
        },
        options: {
          animation: false,
          maintainAspectRatio: false,
          scales: {
            tickets: { type: 'linear', position: 'left', beginAtZero: true, ticks: { precision: 0 } },
            csat: { type: 'linear', position: 'right', min: 0, max: 100, grid: { drawOnChartArea: false } }
          }
        }
      });
      canvas.setAttribute('data-drawn', 'true');
    });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', draw); else draw();
})();
