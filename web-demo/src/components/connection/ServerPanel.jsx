import { useMemo } from 'react';
import { useServerStats } from '../../hooks/useServerStats.js';
import { number, bytes, duration } from '../../lib/format.js';
import StatCard from './StatCard.jsx';
import UPlotChart from './UPlotChart.jsx';

const OPTIONS = {
  padding: [8, 8, 0, 0],
  legend: { show: true, live: false },
  cursor: { drag: { x: false, y: false } },
  scales: {
    x: { time: true, range: (_u, min, max) => (max == null ? [Date.now() / 1000 - 120, Date.now() / 1000] : [Math.min(min, max - 120), max]) },
    y: { range: (_u, _min, max) => [0, Math.max(5, Math.ceil(max * 1.2))] },
    conns: { range: (_u, _min, max) => [0, Math.max(4, Math.ceil(max * 1.5))] },
  },
  axes: [
    { stroke: '#6b7280', grid: { stroke: '#eef0f4' }, ticks: { stroke: '#eef0f4' } },
    { stroke: '#6b7280', grid: { stroke: '#eef0f4' }, ticks: { stroke: '#eef0f4' }, size: 50, label: 'messages/s', labelSize: 18, labelFont: '600 11px system-ui' },
    { scale: 'conns', side: 1, stroke: '#d97706', grid: { show: false }, ticks: { stroke: '#eef0f4' }, size: 44, label: 'connections', labelSize: 18, labelFont: '600 11px system-ui', values: (_u, ticks) => ticks.map((v) => (Number.isInteger(v) ? v : '')) },
  ],
  series: [
    {},
    { label: 'messages/s', stroke: '#059669', width: 2, fill: 'rgba(5,150,105,0.08)', points: { show: false }, value: (_u, v) => (v == null ? '–' : v.toFixed(1)) },
    { label: 'connections', scale: 'conns', stroke: '#d97706', width: 1.5, points: { show: false } },
  ],
};

/** The server as GET /api/v1/stats sees it, every two seconds. */
export default function ServerPanel({ visible }) {
  const { stats, rate, error, series } = useServerStats();
  const data = useMemo(() => [series.t, series.rate, series.clients], [series]);
  return (
    <section className="card server-panel" data-testid="server-stats">
      <div className="chart-head">
        <h3>Server</h3>
        <span className="muted">{error ? `stats unavailable: ${error}` : stats ? `GET /api/v1/stats · ${stats.environment} profile · up ${duration(stats.uptime)}` : 'loading…'}</span>
      </div>
      <div className="stat-grid compact">
        <StatCard label="Connections" value={number(stats?.connectedClients)} testId="server-connections" />
        <StatCard label="Rooms" value={number(stats?.rooms)} testId="server-rooms" />
        <StatCard label="ARGS sessions" value={number(stats?.activeSessions)} testId="server-sessions" />
        <StatCard label="Messages/s" value={rate === null || rate === undefined ? '–' : rate.toFixed(1)} hint="frames in + out" testId="server-rate" />
        <StatCard label="Agents" value={number(stats?.totalAgents)} testId="server-agents" />
        <StatCard label="Tasks done" value={`${number(stats?.completedTasks)} / ${number(stats?.totalTasks)}`} testId="server-tasks" />
        <StatCard label="History" value={bytes(stats?.historyBytes)} hint="kept in rooms" />
        <StatCard label="Frames in / out" value={`${number(stats?.messagesIn)} / ${number(stats?.messagesOut)}`} />
      </div>
      <UPlotChart options={OPTIONS} data={data} height={160} visible={visible} />
    </section>
  );
}
