import { useMemo } from 'react';
import UPlotChart from './UPlotChart.jsx';

const OPTIONS = {
  padding: [8, 8, 0, 0],
  legend: { show: true, live: false },
  cursor: { drag: { x: false, y: false } },
  scales: { x: { time: true, range: (_u, min, max) => (max == null ? [Date.now() / 1000 - 120, Date.now() / 1000] : [Math.min(min, max - 120), max]) }, y: { range: (_u, _min, max) => [0, Math.max(10, Math.ceil(max * 1.25))] } },
  axes: [
    { stroke: '#6b7280', grid: { stroke: '#eef0f4' }, ticks: { stroke: '#eef0f4' } },
    { stroke: '#6b7280', grid: { stroke: '#eef0f4' }, ticks: { stroke: '#eef0f4' }, values: (_u, ticks) => ticks.map((v) => `${v} ms`), size: 60 },
  ],
  series: [
    {},
    { label: 'latency', stroke: '#4f46e5', width: 2, fill: 'rgba(79,70,229,0.08)', points: { show: false }, value: (_u, v) => (v == null ? '–' : `${v.toFixed(1)} ms`) },
    { label: 'average', stroke: '#0891b2', width: 1.5, dash: [6, 4], points: { show: false }, value: (_u, v) => (v == null ? '–' : `${v.toFixed(1)} ms`) },
  ],
};

export default function LatencyChart({ series, visible }) {
  const data = useMemo(() => [series.t, series.latency, series.average], [series]);
  return (
    <div className="chart" data-testid="latency-chart" data-samples={series.t.length}>
      <UPlotChart options={OPTIONS} data={data} height={220} visible={visible} />
    </div>
  );
}
