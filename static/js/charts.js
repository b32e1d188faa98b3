/* Charts of the dashboards and listening pages, drawn from the page's JSON (the json_script
 * element "chart-data"), nothing inline. A bar or point with a link opens the
 * rows behind it, as the numbers in the tables do. */
(function () {
  "use strict";

  var PALETTE = ["#1f5fbf", "#a15c00", "#1e7a4c", "#6b4fbb", "#5f6b7a", "#b3261e"];
  var NAMED = {
    // Sentiment and networks keep their colour on every chart.
    negative: "#b3261e", neutral: "#8a94a3", positive: "#1e7a4c", unknown: "#d5d9df",
    X: "#1d232b", Facebook: "#1f5fbf", LinkedIn: "#0a8a9f"
  };

  function colour(dataset, index) {
    return NAMED[dataset.key] || NAMED[dataset.label] || PALETTE[index % PALETTE.length];
  }

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
      data: { labels: spec.labels, datasets: datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        indexAxis: horizontal ? "y" : "x",
        interaction: { mode: "nearest", intersect: true },
        plugins: {
          legend: { display: datasets.length > 1, position: "bottom", labels: { boxWidth: 12, font: { size: 12 } } },
          tooltip: { enabled: true }
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

  function init() {
    var source = document.getElementById("chart-data");
    if (!source || !window.Chart) { return; }
    var specs = JSON.parse(source.textContent);
    window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    window.Chart.defaults.color = "#5f6b7a";
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var spec = specs[canvas.getAttribute("data-chart")];
      if (!spec || !spec.labels.length) {
        canvas.parentNode.classList.add("dash-chart-empty");
        return;
      }
      build(canvas, spec);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
