import { useEffect, useRef, useState } from 'react';
import { useBrolostackState } from 'brolostack/react';
import { apiUrl } from '../config.js';

const EVERY_MS = 2000;
const SAMPLES = 90;

/**
 * Polls the server's GET /api/v1/stats while connected: the latest stats,
 * messages per second (frames in and out, from the counters' change), and
 * a series of it for a chart.
 */
export function useServerStats() {
  const connected = useBrolostackState((s) => s.connected);
  const [data, setData] = useState({ stats: null, rate: null, error: null, series: { t: [], rate: [], clients: [] } });
  const previous = useRef(null);

  useEffect(() => {
    if (!connected) return undefined;
    let live = true;
    const controller = new AbortController();
    const poll = async () => {
      try {
        const res = await fetch(apiUrl('/api/v1/stats'), { signal: controller.signal, cache: 'no-store' });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        const stats = await res.json();
        const now = Date.now();
        const total = (stats.messagesIn ?? 0) + (stats.messagesOut ?? 0);
        const before = previous.current;
        const rate = before ? Math.max(0, (total - before.total) / ((now - before.at) / 1000)) : null;
        previous.current = { total, at: now };
        if (!live) return;
        setData((d) => ({
          stats,
          rate,
          error: null,
          series: rate === null ? d.series : {
            t: [...d.series.t, now / 1000].slice(-SAMPLES),
            rate: [...d.series.rate, rate].slice(-SAMPLES),
            clients: [...d.series.clients, stats.connectedClients ?? 0].slice(-SAMPLES),
          },
        }));
      } catch (err) {
        if (live && err?.name !== 'AbortError') setData((d) => ({ ...d, error: err?.message ?? String(err) }));
      }
    };
    poll();
    const timer = setInterval(poll, EVERY_MS);
    return () => { live = false; controller.abort(); clearInterval(timer); };
  }, [connected]);

  return data;
}
