// elt ui: the charts of the Runs page (uPlot) and a running run, live (server-sent events).
// No inline script anywhere (the Content-Security-Policy forbids it): everything starts here.
"use strict";

(function () {
  const failedColor = "#c62828";

  function chart(figure) {
    const plot = figure.querySelector(".plot");
    fetch(figure.dataset.series, { credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
      .then((series) => {
        if (!series.time.length) {
          plot.textContent = "No runs in this range.";
          return;
        }
        const width = Math.max(plot.clientWidth || 0, 320);
        const options = {
          width: width,
          height: 180,
          // times read in UTC, as everywhere else on the page
          tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1e3), "Etc/UTC"),
          scales: { x: { time: true }, s: { auto: true }, rows: { auto: true } },
          axes: [
            {},
            { scale: "s", label: "seconds", size: 60 },
            { scale: "rows", label: "rows", side: 1, size: 70, grid: { show: false } },
          ],
          series: [
            {},
            { label: "duration (s)", scale: "s", stroke: "#1565c0", width: 1.5, points: { show: true } },
            { label: "failed (s)", scale: "s", stroke: failedColor, width: 0,
              points: { show: true, size: 9, fill: failedColor, stroke: failedColor } },
            { label: "rows", scale: "rows", stroke: "#2e7d32", width: 1, dash: [4, 3] },
          ],
          cursor: { drag: { x: true, y: false } },
        };
        const data = [series.time, series.duration, series.failed, series.rows];
        const u = new uPlot(options, data, plot);
        figure.dataset.drawn = String(series.time.length);
        u.over.addEventListener("click", () => {
          const index = u.cursor.idx;
          if (index != null && series.run_ids[index]) {
            window.location.href = "/runs/" + encodeURIComponent(series.run_ids[index]);
          }
        });
      })
      .catch((status) => {
        plot.textContent = "The chart could not be loaded (" + status + ").";
      });
  }

  function followLog(pre) {
    const source = new EventSource(pre.dataset.live);
    const stick = () => window.innerHeight + window.scrollY >= document.body.scrollHeight - 40;
    source.addEventListener("log", (message) => {
      const atEnd = stick();
      pre.append(JSON.parse(message.data));
      if (atEnd) window.scrollTo(0, document.body.scrollHeight);
    });
    source.addEventListener("end", () => {
      source.close();
      // the run is over: the page shows it finished (status, rows, error, whole log)
      window.setTimeout(() => window.location.reload(), 500);
    });
  }

  function followProgress(box) {
    const source = new EventSource(box.dataset.live);
    source.addEventListener("progress", (message) => {
      box.innerHTML = JSON.parse(message.data);
    });
    source.addEventListener("end", () => source.close());
  }

  function start() {
    document.querySelectorAll("figure.chart[data-series]").forEach(chart);
    document.querySelectorAll("pre#run-log[data-live]").forEach(followLog);
    document.querySelectorAll("#run-progress[data-live]").forEach(followProgress);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
