import { COLORS, WIDTHS } from '../../lib/strokes.js';

export default function BoardToolbar({ pen, onPen, onClear, strokeCount }) {
  return (
    <div className="board-toolbar" role="toolbar" aria-label="Pen">
      <div className="swatches">
        {COLORS.map((color) => (
          <button key={color} type="button" className={`swatch${pen.color === color ? ' active' : ''}`} style={{ background: color }}
            onClick={() => onPen({ ...pen, color })} aria-label={`Colour ${color}`} aria-pressed={pen.color === color} />
        ))}
      </div>
      <div className="widths">
        {WIDTHS.map((width) => (
          <button key={width} type="button" className={`width${pen.width === width ? ' active' : ''}`} onClick={() => onPen({ ...pen, width })}
            aria-label={`Width ${width}`} aria-pressed={pen.width === width}>
            <span style={{ width: Math.min(width, 16), height: Math.min(width, 16), background: pen.color }} />
          </button>
        ))}
      </div>
      <span className="muted board-count">{strokeCount} {strokeCount === 1 ? 'stroke' : 'strokes'}</span>
      <button type="button" className="btn ghost" onClick={onClear} disabled={!strokeCount} data-testid="whiteboard-clear">Clear board</button>
    </div>
  );
}
