// Draws the dashboard charts from the JSON the partial embeds (json_script "dashboard-charts")
// and draws them again after each htmx swap of #dashboard-body. Bars link to the customer
// list filtered the same way (the tables under the charts hold the same links).
(function () {
  "use strict";
  const PRIMARY = "#4f46e5";
  const RISK_COLOURS = { high: "#dc2626", medium: "#f59e0b", low: "#10b981" };
  let charts = [];

  function axis(title, extra) {
    return Object.assign({ title: { display: true, text: title }, grid: { color: "#f3f4f6" } }, extra || {});
  }

  function options(title, xTitle, yTitle, extra) {
    return Object.assign({
      responsive: true, maintainAspectRatio: false, animation: false,
      plugins: { title: { display: true, text: title, font: { size: 14 } }, legend: { display: false } },
      scales: { x: axis(xTitle), y: axis(yTitle, { beginAtZero: true }) },
    }, extra || {});
  }

  function draw(id, config) {
    const canvas = document.getElementById(id);
    if (canvas && window.Chart) charts.push(new window.Chart(canvas, config));
  }

  function linkTo(urls) {
    return function (event, elements) {
      if (elements.length && urls[elements[0].index]) window.location.href = urls[elements[0].index];
    };
  }

  function render() {
    charts.forEach((chart) => chart.destroy());
    charts = [];
    const source = document.getElementById("dashboard-charts");
    if (!source || !window.Chart) return;
    const data = JSON.parse(source.textContent);

    draw("chart-histogram", {
      type: "bar",
      data: {
        labels: data.histogram.map((b) => b.from.toFixed(1) + "–" + b.to.toFixed(1)),
        datasets: [{ label: "Customers", data: data.histogram.map((b) => b.count), backgroundColor: PRIMARY }],
      },
      options: options("Distribution of latest churn probabilities", "Churn probability", "Customers"),
    });

    draw("chart-risks", {
      type: "bar",
      data: {
        labels: data.risks.map((r) => r.risk.charAt(0).toUpperCase() + r.risk.slice(1)),
        datasets: [{ label: "Customers", data: data.risks.map((r) => r.count),
          backgroundColor: data.risks.map((r) => RISK_COLOURS[r.risk] || PRIMARY) }],
      },
      options: options("Customers per risk class (select a bar to list them)", "Risk class", "Customers",
        { onClick: linkTo(data.risks.map((r) => r.url)) }),
    });

    draw("chart-segments", {
      type: "bar",
      data: {
        labels: data.segments.map((s) => s.label),
        datasets: [{ label: "Revenue at risk per month", data: data.segments.map((s) => s.revenue), backgroundColor: PRIMARY }],
      },
      options: options("Revenue at risk by segment (select a bar for its high-risk customers)", "Segment",
        "Revenue at risk per month", { onClick: linkTo(data.segments.map((s) => s.url)) }),
    });

    draw("chart-trend", {
      type: "line",
      data: {
        labels: data.trend.map((t) => t.day),
        datasets: [{ label: "Mean churn probability", data: data.trend.map((t) => t.mean),
          borderColor: PRIMARY, backgroundColor: PRIMARY, pointRadius: 3, fill: false }],
      },
      options: options("Mean churn probability per scoring day", "Scoring day", "Mean churn probability",
        { scales: { x: axis("Scoring day"), y: axis("Mean churn probability", { min: 0, max: 1 }) } }),
    });

    draw("chart-funnel", {
      type: "bar",
      data: {
        labels: data.funnel.map((f) => f.label),
        datasets: [{ label: "Emails", data: data.funnel.map((f) => f.count), backgroundColor: PRIMARY }],
      },
      options: options("Retention emails by step", "Step", "Emails"),
    });
  }

  // After an outerHTML swap the event's target may be the detached old body, so any settle or
  // history restore re-draws from whatever #dashboard-charts the page now holds.
  document.addEventListener("htmx:afterSettle", render);
  document.addEventListener("htmx:historyRestore", render);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", render);
  else render();
})();
