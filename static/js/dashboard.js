// Dashboard charts (ECharts, served locally). The same numbers are in the tables on the page.
const data = JSON.parse(document.getElementById("chart-data").textContent);
const font = { fontFamily: getComputedStyle(document.body).fontFamily };

function chart(id) {
  const el = document.getElementById(id);
  if (!el || !window.echarts) return null;
  const c = window.echarts.init(el, null, { renderer: "svg" });
  window.addEventListener("resize", () => c.resize());
  return c;
}

const areas = chart("area-chart");
if (areas && data.areas) {
  areas.setOption({
    animation: false,
    textStyle: font,
    grid: { left: 8, right: 40, top: 10, bottom: 10, containLabel: true },
    tooltip: { trigger: "axis", valueFormatter: (v) => `${v}%` },
    xAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
    yAxis: { type: "category", inverse: true, data: data.areas.map((a) => a.name), axisLabel: { width: 150, overflow: "truncate" } },
    series: [{ type: "bar", data: data.areas.map((a) => a.rate), itemStyle: { color: "#1d4f91" }, label: { show: true, position: "right", formatter: "{c}%" } }],
  });
}

const trend = chart("trend-chart");
if (trend && data.trend) {
  trend.setOption({
    animation: false,
    textStyle: font,
    grid: { left: 8, right: 16, top: 30, bottom: 10, containLabel: true },
    legend: { data: ["工作进度", "时间进度"] },
    tooltip: { trigger: "axis", valueFormatter: (v) => `${v}%` },
    xAxis: { type: "category", data: data.trend.map((r) => r.date) },
    yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
    series: [
      { name: "工作进度", type: "line", data: data.trend.map((r) => r.work), itemStyle: { color: "#1d4f91" }, areaStyle: { opacity: 0.08 } },
      { name: "时间进度", type: "line", data: data.trend.map((r) => r.time), itemStyle: { color: "#c8102e" }, lineStyle: { type: "dashed" } },
    ],
  });
}
