import { useState } from 'react';
import { useEvent } from 'brolostack/react';

const SAMPLES = 90;

/** The last round-trip times (client ping -> server pong) as chart columns: [seconds, latency, average]. */
export function useLatencySeries() {
  const [series, setSeries] = useState({ t: [], latency: [], average: [], last: null });
  useEvent('latency-updated', ({ latency, average } = {}) => {
    if (typeof latency !== 'number') return;
    setSeries((s) => ({
      t: [...s.t, Date.now() / 1000].slice(-SAMPLES),
      latency: [...s.latency, latency].slice(-SAMPLES),
      average: [...s.average, average ?? latency].slice(-SAMPLES),
      last: latency,
    }));
  });
  return series;
}
