import { useEffect, useRef } from 'react';
import { clockSeconds } from '../../lib/format.js';

/** What the agents report while they work (their progress messages), as it streams in. */
export default function OutputLog({ run, example }) {
  const box = useRef(null);
  const lines = run?.log ?? [];
  useEffect(() => { if (box.current) box.current.scrollTop = box.current.scrollHeight; }, [lines.length]);
  if (!run) return null;
  return (
    <div className="output" ref={box} data-testid="task-output" aria-live="polite">
      {lines.length === 0 && <div className="output-line muted">waiting for the first report…</div>}
      {lines.map((line, i) => (
        <div key={i} className="output-line">
          <span className="output-time">{clockSeconds(line.at)}</span>
          <span className={`output-stage s${line.stage}`}>{example.stages[line.stage]?.label ?? `stage ${line.stage + 1}`}</span>
          <span className="output-text">{line.text}</span>
        </div>
      ))}
    </div>
  );
}
