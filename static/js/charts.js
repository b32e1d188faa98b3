/* Charts of the dashboards and listening pages, drawn from the page's JSON (the json_script
 * element "chart-data"), nothing inline. A bar or point with a link opens the
 * rows behind it, as the numbers in the tables do. */
(function () {
  "use strict";

  var LIGHT_PALETTE = ["#1f5fbf", "#a15c00", "#1e7a4c", "#6b4fbb", "#5f6b7a", "#b3261e"];
  var DARK_PALETTE = ["#8ab4f8", "#f2b866", "#6fd3a0", "#b9a3f5", "#a4afbd", "#ff9a90"];
  var PALETTE = LIGHT_PALETTE;
  var NAMED = {
    // Sentiment and networks keep their colour on every chart.
    negative: "#b3261e", neutral: "#8a94a3", positive: "#1e7a4c", unknown: "#d5d9df",
    X: "#1d232b", Facebook: "#1f5fbf", LinkedIn: "#0a8a9f"
  };

  function colour(dataset, index) {
    return NAMED[dataset.key] || NAMED[dataset.label] || PALETTE[index % PALETTE.length];
  }

  // Incidents (spec.bands): shaded spans behind the bars, from the first to the last day each
  // was open, with its name on top; the list under the chart links to each incident.
  var BAND_FILL = "rgba(161, 92, 0, 0.14)";
  var BAND_TEXT = "#7a4600";
  var BAND_LABEL_BG = "rgba(255, 255, 255, 0.85)";

  function bandBoxes(chart) {
    var bands = chart.options.plugins.incidentBands && chart.options.plugins.incidentBands.bands;
    var x = chart.scales.x;
    var area = chart.chartArea;
    if (!bands || !bands.length || !x) { return []; }
    var labels = chart.data.labels;
    var half = labels.length ? (area.right - area.left) / labels.length / 2 : 0;
    return bands.map(function (band) {
      var from = labels.indexOf(band.from);
      var to = labels.indexOf(band.to);
      if (from < 0 || to < 0) { return null; }
      return {
        label: band.label,
        left: Math.max(area.left, x.getPixelForValue(from) - half),
        right: Math.min(area.right, x.getPixelForValue(to) + half)
      };
    }).filter(Boolean);
  }

  var bandsPlugin = {
    id: "incidentBands",
    // The shading behind the bars...
    beforeDatasetsDraw: function (chart) {
      var area = chart.chartArea;
      var ctx = chart.ctx;
      ctx.save();
      ctx.fillStyle = BAND_FILL;
      bandBoxes(chart).forEach(function (box) {
        ctx.fillRect(box.left, area.top, box.right - box.left, area.bottom - area.top);
      });
      ctx.restore();
    },
    // ...and the names on top, only where they fit (the list under the chart names every band).
    afterDatasetsDraw: function (chart) {
      var area = chart.chartArea;
      var ctx = chart.ctx;
      var row = 0;
      ctx.save();
      ctx.font = "11px " + window.Chart.defaults.font.family;
      ctx.textBaseline = "top";
      bandBoxes(chart).forEach(function (box) {
        var width = ctx.measureText(box.label).width;
        if (width > box.right - box.left - 8) { return; }
        var top = area.top + 2 + 15 * (row++ % 3);
        ctx.fillStyle = BAND_LABEL_BG;
        ctx.fillRect(box.left + 2, top - 1, width + 4, 14);
        ctx.fillStyle = BAND_TEXT;
        ctx.fillText(box.label, box.left + 4, top);
      });
      ctx.restore();
    }
  };

  function build(canvas, spec) {
    var kind = spec.kind;
    var type = kind === "line" ? "line" : "bar";
    var datasets = spec.datasets.map(function (d, i) {
      var c = colour(d, i);
      return {
        label: d.label, data: d.data, links: d.links || null,
        backgroundColor: c, borderColor: c, borderWidth: type === "line" ? 2 : 0,
        pointRadius: type === "line" ? 2 : 0, spanGaps: true, maxBarThickness: 36
      };
    });
    var stacked = kind === "stacked";
    var horizontal = kind === "hbar";
    return new window.Chart(canvas, {
      type: type,
      plugins: [bandsPlugin],
      data: { labels: spec.labels, datasets: datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        indexAxis: horizontal ? "y" : "x",
        interaction: { mode: "nearest", intersect: true },
        plugins: {
          legend: { display: datasets.length > 1, position: "bottom", labels: { boxWidth: 12, font: { size: 12 } } },
          tooltip: { enabled: true },
          incidentBands: { bands: spec.bands || [] }
        },
        scales: {
          x: { stacked: stacked, grid: { display: false }, ticks: { font: { size: 11 }, maxRotation: 0, autoSkip: true } },
          y: {
            stacked: stacked, beginAtZero: true, ticks: { font: { size: 11 } },
            max: spec.unit === "%" ? 100 : undefined,
            title: { display: Boolean(spec.unit) && spec.unit !== "%", text: spec.unit }
          }
        },
        onHover: function (event, elements) {
          var link = elements.length && datasets[elements[0].datasetIndex].links;
          event.native.target.style.cursor = link ? "pointer" : "default";
        },
        onClick: function (event, elements) {
          if (!elements.length) { return; }
          var el = elements[0];
          var links = datasets[el.datasetIndex].links;
          if (links && links[el.index]) { window.location.assign(links[el.index]); }
        }
      }
    });
  }

  var charts = [];
  var DARK = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

  function init() {
    var source = document.getElementById("chart-data");
    if (!source || !window.Chart) { return; }
    var specs = JSON.parse(source.textContent);
    window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    // Text and grid lines in the page's own colours, so the dark scheme has readable axes.
    var css = getComputedStyle(document.documentElement);
    window.Chart.defaults.color = css.getPropertyValue("--muted").trim() || "#5f6b7a";
    window.Chart.defaults.borderColor = css.getPropertyValue("--line").trim() || "#e2e5ea";
    var dark = DARK && DARK.matches;
    PALETTE = dark ? DARK_PALETTE : LIGHT_PALETTE;
    NAMED.negative = dark ? "#ff9a90" : "#b3261e";
    NAMED.positive = dark ? "#6fd3a0" : "#1e7a4c";
    NAMED.Facebook = dark ? "#8ab4f8" : "#1f5fbf";
    NAMED.X = dark ? "#c9d0da" : "#1d232b";
    NAMED.unknown = dark ? "#4a5461" : "#d5d9df";
    BAND_FILL = dark ? "rgba(242, 184, 102, 0.16)" : "rgba(161, 92, 0, 0.14)";
    BAND_TEXT = dark ? "#f2b866" : "#7a4600";
    BAND_LABEL_BG = dark ? "rgba(22, 26, 32, 0.85)" : "rgba(255, 255, 255, 0.85)";
    charts.forEach(function (chart) { chart.destroy(); });
    charts = [];
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var spec = specs[canvas.getAttribute("data-chart")];
      if (!spec || !spec.labels.length) {
        canvas.parentNode.classList.add("dash-chart-empty");
        return;
      }
      charts.push(build(canvas, spec));
    });
  }

  // The system switching between light and dark redraws the charts in the new colours.
  if (DARK && DARK.addEventListener) { DARK.addEventListener("change", init); }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
