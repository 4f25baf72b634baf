import { useEffect, useMemo, useState } from 'react';
import { useRoom } from 'brolostack/react';
import { pathOf } from '../../lib/strokes.js';
import { BOARD_LIVE_ROOM } from '../../config.js';

const FADE_MS = 4000;

/** Others' cursors and the ink of the strokes they are drawing right now. */
export default function LiveLayer({ me, strokeIds }) {
  const info = useMemo(() => ({ name: me.name, color: me.color, tab: me.tabId }), [me.name, me.color, me.tabId]);
  const { room } = useRoom(BOARD_LIVE_ROOM, { info, keep: 1 });
  const [cursors, setCursors] = useState({});  // tab -> { x, y, name, color, at, ink }

  useEffect(() => {
    if (!room) return undefined;
    return room.on('cursor', (data) => {
      if (!data?.tab || data.tab === me.tabId) return;
      setCursors((all) => {
        if (data.gone) { const { [data.tab]: _gone, ...rest } = all; return rest; }
        const prev = all[data.tab];
        let ink = prev?.ink ?? null;
        if (data.ink) {
          ink = ink?.id === data.ink.id && data.ink.from === ink.points.length
            ? { ...ink, points: [...ink.points, ...data.ink.points] }
            : data.ink.from === 0 ? { id: data.ink.id, color: data.ink.color, width: data.ink.width, points: data.ink.points } : ink;
        }
        return { ...all, [data.tab]: { x: data.x, y: data.y, name: data.name, color: data.color, at: Date.now(), ink } };
      });
    });
  }, [room, me.tabId]);

  // Cursors fade after a while without news.
  useEffect(() => {
    const timer = setInterval(() => setCursors((all) => {
      const now = Date.now();
      const kept = Object.entries(all).filter(([, c]) => now - c.at < FADE_MS);
      return kept.length === Object.keys(all).length ? all : Object.fromEntries(kept);
    }), 1000);
    return () => clearInterval(timer);
  }, []);

  const finished = useMemo(() => new Set(strokeIds.map((s) => s.id)), [strokeIds]);
  return (
    <g className="live-layer" data-testid="live-cursors">
      {Object.entries(cursors).map(([tab, c]) => (
        <g key={tab}>
          {c.ink && !finished.has(c.ink.id) && (
            <path d={pathOf(c.ink.points)} stroke={c.ink.color} strokeWidth={c.ink.width} fill="none" strokeLinecap="round" strokeLinejoin="round" opacity="0.8" />
          )}
          <g transform={`translate(${c.x} ${c.y})`} className="cursor" data-testid="remote-cursor" data-name={c.name}>
            <path d="M0 0 L0 26 L7 19 L12 31 L17 29 L12 17 L22 17 Z" fill={c.color} stroke="white" strokeWidth="2" />
            <g transform="translate(18 30)">
              <rect rx="7" height="30" width={Math.max(44, (c.name?.length ?? 4) * 11 + 20)} fill={c.color} />
              <text x="10" y="21" fill="white" fontSize="18" fontWeight="600">{c.name}</text>
            </g>
          </g>
        </g>
      ))}
    </g>
  );
}
