import { useRef, useState } from 'react';
import { BOARD_W, BOARD_H, pathOf, boardPoint } from '../../lib/strokes.js';
import { newId } from '../../lib/frames.js';
import LiveLayer from './LiveLayer.jsx';

const LIVE_EVERY_MS = 50;

/** The drawing surface: shared strokes, the stroke being drawn, others' cursors and ink. */
export default function BoardSurface({ strokes, pen, onStroke, onLive, me }) {
  const svg = useRef(null);
  const [drawing, setDrawing] = useState(null);  // { id, color, width, points }
  const live = useRef({ at: 0, sent: 0 });

  const sendLive = (point, stroke, force = false) => {
    const now = performance.now();
    if (!force && now - live.current.at < LIVE_EVERY_MS) return;
    live.current.at = now;
    const data = { x: point[0], y: point[1] };
    if (stroke) {
      data.ink = { id: stroke.id, color: stroke.color, width: stroke.width, from: live.current.sent, points: stroke.points.slice(live.current.sent) };
      live.current.sent = stroke.points.length;
    }
    onLive(data);
  };

  const down = (event) => {
    if (event.button !== 0) return;
    event.currentTarget.setPointerCapture?.(event.pointerId);
    const p = boardPoint(event, svg.current);
    live.current.sent = 0;
    setDrawing({ id: newId('s'), color: pen.color, width: pen.width, points: p });
  };
  const move = (event) => {
    const p = boardPoint(event, svg.current);
    if (!drawing) { sendLive(p, null); return; }
    const last = drawing.points.slice(-2);
    if (Math.abs(last[0] - p[0]) + Math.abs(last[1] - p[1]) < 3) return;
    const next = { ...drawing, points: [...drawing.points, ...p] };
    setDrawing(next);
    sendLive(p, next);
  };
  const up = () => {
    if (!drawing) return;
    onStroke({ id: drawing.id, color: drawing.color, width: drawing.width, points: drawing.points });
    setDrawing(null);
  };
  const leave = () => { if (!drawing) onLive({ gone: true }); };

  return (
    <div className="board" data-testid="whiteboard" data-strokes={strokes.length}>
      <svg ref={svg} viewBox={`0 0 ${BOARD_W} ${BOARD_H}`} preserveAspectRatio="none" className="board-svg" onPointerDown={down} onPointerMove={move}
        onPointerUp={up} onPointerCancel={up} onPointerLeave={leave} role="img" aria-label="Shared whiteboard">
        <defs>
          <pattern id="grid" width="40" height="40" patternUnits="userSpaceOnUse">
            <circle cx="1" cy="1" r="1.4" fill="#d4d8e1" />
          </pattern>
        </defs>
        <rect width={BOARD_W} height={BOARD_H} fill="url(#grid)" />
        {strokes.map((s) => (
          <path key={s.id} d={pathOf(s.points)} stroke={s.color} strokeWidth={s.width} data-stroke={s.id} data-author={s.name}
            fill="none" strokeLinecap="round" strokeLinejoin="round" />
        ))}
        {drawing && <path d={pathOf(drawing.points)} stroke={drawing.color} strokeWidth={drawing.width} fill="none" strokeLinecap="round" strokeLinejoin="round" />}
        <LiveLayer me={me} strokeIds={strokes} />
      </svg>
      {strokes.length === 0 && !drawing && <div className="board-hint">Draw here. Open a second tab to see strokes and cursors arrive live.</div>}
    </div>
  );
}
