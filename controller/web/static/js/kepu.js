/* kepu dashboard: charts from inline JSON (ECharts, served locally), live refresh of [data-live] regions,
   and the typed confirmation of dangerous forms. No build step, no external requests. */
(function () {
  "use strict";
  var FONT = '"Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Micro Hei", system-ui, sans-serif';
  var INK = "#14232b", ACCENT = "#0e7c6b";
  var charts = [];

  function data(el) {
    var src = document.getElementById(el.dataset.source);
    return src ? JSON.parse(src.textContent) : null;
  }

  var builders = {
    daily: function (d) {
      var compact = d.rows.length > 20;
      var widest = d.rows.reduce(function (m, r) { return Math.max(m, String(r.value).length); }, 0);
      var upright = !compact || widest <= 1;  // values on many narrow bars would overlap: turn them
      return {
        grid: { left: 48, right: 16, top: 28, bottom: 56 },
        tooltip: { trigger: "axis" },
        xAxis: { type: "category", data: d.rows.map(function (r) { return r.day.slice(5); }),
                 axisLabel: { fontSize: 13, color: INK, rotate: compact ? 45 : 0 } },
        yAxis: { type: "value", minInterval: 1, axisLabel: { fontSize: 14, color: INK } },
        series: [{ name: d.series, type: "bar", data: d.rows.map(function (r) { return r.value; }),
                   itemStyle: { color: ACCENT },
                   label: { show: true, position: "top", fontSize: 12, color: INK, rotate: upright ? 0 : 90,
                            align: upright ? "center" : "left", verticalAlign: "middle", distance: upright ? 5 : 4,
                            formatter: function (p) { return p.value ? p.value : ""; } } }]
      };
    },
    health: function (d) {
      var c = d.chart;
      var line = function (key, axis, symbol, dash) {
        return { name: d.labels[key], type: "line", yAxisIndex: axis, data: c[key], connectNulls: false, showSymbol: true,
                 symbol: symbol, symbolSize: 5, lineStyle: { width: 2, type: dash } };
      };
      return {
        grid: { left: 52, right: 52, top: 40, bottom: 56 },
        tooltip: { trigger: "axis" },
        legend: { top: 0, textStyle: { fontSize: 14, color: INK } },
        color: ["#c0392b", "#e67e22", ACCENT],
        xAxis: { type: "category", data: c.hours.map(function (h) { return h.slice(5); }),
                 axisLabel: { fontSize: 12, color: INK, interval: 23, rotate: 0,
                              formatter: function (v) { return v.slice(0, 5); } } },
        yAxis: [{ type: "value", name: "°C", scale: true, axisLabel: { fontSize: 13, color: INK } },
                { type: "value", name: "FPS", min: 0, splitLine: { show: false }, axisLabel: { fontSize: 13, color: INK } }],
        series: [line("temp_max", 0, "triangle", "dashed"), line("temp_mean", 0, "circle", "solid"), line("fps_mean", 1, "rect", "dotted")]
      };
    },
    heat: function (d) {
      var max = d.cells.reduce(function (m, c) { return Math.max(m, c[2]); }, 0) || 1;
      var hours = []; for (var h = 0; h < 24; h++) hours.push(String(h).padStart(2, "0"));
      return {
        grid: { left: 56, right: 16, top: 12, bottom: 72 },
        tooltip: { formatter: function (p) { return d.weekdays[p.value[1]] + " " + hours[p.value[0]] + ":00 — " + p.value[2]; } },
        xAxis: { type: "category", data: hours, splitArea: { show: true }, axisLabel: { fontSize: 12, color: INK } },
        yAxis: { type: "category", data: d.weekdays, inverse: true, axisLabel: { fontSize: 14, color: INK } },
        visualMap: { min: 0, max: max, calculable: false, text: [String(max), "0"], orient: "horizontal", left: "center", bottom: 4,
                     itemHeight: 160, textStyle: { fontSize: 13, color: INK },
                     inRange: { color: ["#f2f7f5", "#8fcab9", "#0e7c6b", "#073d35"] } },
        series: [{ name: d.series, type: "heatmap",
                   data: d.cells.map(function (c) { return [c[1], c[0], c[2]]; }),
                   label: { show: true, fontSize: 11, formatter: function (p) { return p.value[2]; } },
                   itemStyle: { borderColor: "#fff", borderWidth: 1 } }]
      };
    }
  };

  function initCharts(root) {
    if (!window.echarts) return;
    (root || document).querySelectorAll("[data-chart]").forEach(function (el) {
      var d = data(el), build = builders[el.dataset.chart];
      if (!d || !build) return;
      var old = echarts.getInstanceByDom(el);
      if (old) old.dispose();
      var chart = echarts.init(el, null, { renderer: "svg" });
      var option = build(d);
      option.textStyle = { fontFamily: FONT, fontSize: 14, color: INK };
      // Bars get patterns as well as colour; heat-map cells carry their value as text instead.
      option.aria = { enabled: true, decal: { show: el.dataset.chart !== "heat" } };
      option.animation = false;
      chart.setOption(option);
      charts.push(chart);
    });
  }

  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });

  /* Live regions: re-fetch this page and swap every [data-live] element by id. */
  function refresh() {
    if (document.hidden) return;
    if (document.activeElement && document.activeElement.closest && document.activeElement.closest("[data-live] form")) return;
    fetch(location.href, { credentials: "same-origin", headers: { "X-Requested-With": "kepu-live" } })
      .then(function (r) { return r.ok && !r.redirected ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live][id]").forEach(function (el) {
          var fresh = doc.getElementById(el.id);
          if (fresh && fresh.innerHTML !== el.innerHTML) { el.innerHTML = fresh.innerHTML; initCharts(el); }
        });
        document.body.dataset.refreshed = String(Date.now());
      })
      .catch(function () { /* offline for a moment: try again next time */ });
  }

  /* Typed confirmation: the submit button stays disabled until the text matches the chosen region. */
  function wireConfirm(form) {
    var input = form.querySelector("[data-confirm-input]"), select = form.querySelector("[data-confirm-source]");
    var button = form.querySelector("[data-confirm-submit]"), hint = form.querySelector("[data-confirm-expected]");
    function expected() { return select && select.value ? select.value : "all"; }
    function check() {
      if (hint) hint.textContent = expected();
      button.disabled = input.value.trim() !== expected();
    }
    input.addEventListener("input", check);
    if (select) select.addEventListener("change", check);
    check();
  }

  /* Click a screenshot thumbnail: the full picture in a dialog (Esc, the button or a click closes it). */
  function enlarge(link) {
    var dialog = document.getElementById("enlarge");
    if (!dialog) {
      dialog = document.createElement("dialog");
      dialog.id = "enlarge";
      dialog.className = "enlarge";
      dialog.innerHTML = '<img alt=""><div class="bar"><span class="caption"></span><button type="button" class="small"></button></div>';
      dialog.addEventListener("click", function () { dialog.close(); });
      document.body.appendChild(dialog);
    }
    var img = dialog.querySelector("img"), thumb = link.querySelector("img");
    img.src = link.href;
    img.alt = thumb ? thumb.alt : "";
    dialog.querySelector(".caption").textContent = link.dataset.caption || "";
    dialog.querySelector("button").textContent = document.body.dataset.closeLabel || "×";
    dialog.showModal();
  }

  document.addEventListener("click", function (ev) {
    var link = ev.target.closest && ev.target.closest("a[data-enlarge]");
    if (!link || !window.HTMLDialogElement) return;
    ev.preventDefault();
    enlarge(link);
  });

  document.addEventListener("DOMContentLoaded", function () {
    initCharts(document);
    document.querySelectorAll("form[data-confirm]").forEach(wireConfirm);
    document.querySelectorAll("[data-print]").forEach(function (b) { b.addEventListener("click", function () { window.print(); }); });
    if (document.querySelector("[data-live]")) setInterval(refresh, Number(document.body.dataset.liveMs || 5000));
  });
})();
