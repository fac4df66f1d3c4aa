// Draws the churn-model charts from the JSON the page embeds (json_script "churn-charts").
// Each chart has a title and labelled axes; the page itself shows an empty state when a
// curve is missing, so nothing here has to guess.
(function () {
  "use strict";
  const OURS = "#4f46e5";
  const BASELINE = "#9ca3af";
  const IDEAL = "#d1d5db";

  function axis(title, extra) {
    return Object.assign({ title: { display: true, text: title }, grid: { color: "#f3f4f6" } }, extra || {});
  }

  function options(title, xTitle, yTitle, extra) {
    return Object.assign({
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: { title: { display: true, text: title, font: { size: 14 } }, legend: { position: "bottom" } },
      scales: { x: axis(xTitle, { type: "linear", min: 0, max: 1 }), y: axis(yTitle, { min: 0, max: 1 }) },
    }, extra || {});
  }

  function points(pairs) {
    return (pairs || []).map((p) => ({ x: p[0], y: p[1] }));
  }

  function line(label, data, color, dashed) {
    return {
      label: label, data: data, borderColor: color, backgroundColor: color,
      borderWidth: 2, pointRadius: 0, borderDash: dashed ? [6, 4] : [], showLine: true, fill: false,
    };
  }

  function draw(id, config) {
    const canvas = document.getElementById(id);
    if (canvas && window.Chart) new window.Chart(canvas, config);
  }

  function render() {
    const source = document.getElementById("churn-charts");
    if (!source || !window.Chart) return;
    const data = JSON.parse(source.textContent);
    if (!data || !data.version) return;
    const v = "v" + data.version;

    draw("chart-roc", {
      type: "scatter",
      data: { datasets: [
        line(v + " (XGBoost)", points(data.roc.model), OURS),
        line("Logistic regression", points(data.roc.baseline), BASELINE),
        line("Random", [{ x: 0, y: 0 }, { x: 1, y: 1 }], IDEAL, true),
      ] },
      options: options("ROC curve (cross-validated)", "False positive rate", "True positive rate"),
    });

    const calibration = (rows) => (rows || []).map((r) => ({ x: r.predicted, y: r.observed }));
    const calibrationMax = Math.min(1, Math.max(0.1, ...[...data.calibration.model, ...data.calibration.baseline]
      .flatMap((r) => [r.predicted, r.observed])) * 1.1);
    draw("chart-calibration", {
      type: "scatter",
      data: { datasets: [
        Object.assign(line(v + " (calibrated)", calibration(data.calibration.model), OURS), { pointRadius: 3 }),
        Object.assign(line("Logistic regression", calibration(data.calibration.baseline), BASELINE), { pointRadius: 3 }),
        line("Perfectly calibrated", [{ x: 0, y: 0 }, { x: 1, y: 1 }], IDEAL, true),
      ] },
      options: options("Calibration (predicted vs observed churn, by decile)", "Mean predicted probability",
        "Observed churn rate", { scales: {
          x: axis("Mean predicted probability", { type: "linear", min: 0, max: calibrationMax }),
          y: axis("Observed churn rate", { min: 0, max: calibrationMax }),
        } }),
    });

    const deciles = (data.lift.model || []).map((r) => "D" + r.decile);
    draw("chart-lift", {
      type: "bar",
      data: { labels: deciles, datasets: [
        { label: v, data: (data.lift.model || []).map((r) => r.lift), backgroundColor: OURS },
        { label: "Logistic regression", data: (data.lift.baseline || []).map((r) => r.lift), backgroundColor: BASELINE },
      ] },
      options: Object.assign(options("Lift by decile (highest predicted risk first)", "Decile", "Lift over base rate"), {
        scales: { x: axis("Risk decile"), y: axis("Lift (churn rate ÷ base rate)", { beginAtZero: true }) },
      }),
    });

    const importance = data.importance || [];
    draw("chart-importance", {
      type: "bar",
      data: { labels: importance.map((r) => r.label), datasets: [
        { label: "Share of mean |contribution|", data: importance.map((r) => r.importance), backgroundColor: OURS },
      ] },
      options: Object.assign(options("Feature importance (mean absolute TreeSHAP contribution)", "", ""), {
        indexAxis: "y",
        plugins: { title: { display: true, text: "Feature importance (mean absolute TreeSHAP contribution)", font: { size: 14 } }, legend: { display: false } },
        scales: { x: axis("Share of total contribution", { beginAtZero: true }), y: axis("Feature", { ticks: { autoSkip: false } }) },
      }),
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", render);
  else render();
})();
