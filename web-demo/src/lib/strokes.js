// Whiteboard strokes: points in board units (a 1600 x 1000 board, the same
// in every tab whatever its size), as flat integer arrays [x0, y0, x1, y1, ...].
export const BOARD_W = 1600;
export const BOARD_H = 1000;

export const COLORS = ['#1f2937', '#4f46e5', '#0891b2', '#059669', '#d97706', '#db2777'];
export const WIDTHS = [3, 8, 18];

/** A smooth SVG path through the points (quadratic curves through midpoints). */
export function pathOf(points) {
  if (!points || points.length < 2) return '';
  if (points.length === 2) return `M${points[0]} ${points[1]}l0.01 0`;
  let d = `M${points[0]} ${points[1]}`;
  for (let i = 2; i < points.length - 2; i += 2) {
    const mx = (points[i] + points[i + 2]) / 2;
    const my = (points[i + 1] + points[i + 3]) / 2;
    d += `Q${points[i]} ${points[i + 1]} ${mx} ${my}`;
  }
  return `${d}L${points[points.length - 2]} ${points[points.length - 1]}`;
}

/** Board units of a pointer event over the element. */
export function boardPoint(event, element) {
  const r = element.getBoundingClientRect();
  const x = Math.round(((event.clientX - r.left) / r.width) * BOARD_W);
  const y = Math.round(((event.clientY - r.top) / r.height) * BOARD_H);
  return [Math.max(0, Math.min(BOARD_W, x)), Math.max(0, Math.min(BOARD_H, y))];
}

/**
 * The board from the room's frames in offset order: every `stroke` once
 * (by id), everything before the last `clear` gone.
 */
export function boardOf(frames) {
  let strokes = [];
  let ids = new Set();
  for (const f of frames) {
    if (f.event === 'clear') {
      strokes = [];
      ids = new Set();
    } else if (f.event === 'stroke' && f.data?.id && Array.isArray(f.data.points) && !ids.has(f.data.id)) {
      ids.add(f.data.id);
      strokes.push(f.data);
    }
  }
  return { strokes, ids };
}
