const VERDICT = { go: 'Go', 'go with notes': 'Go, with notes', 'fix first': 'Fix first' };

export default function ReviewResult({ result }) {
  const areas = Array.isArray(result) ? result : [];
  const go = areas.every((a) => a.verdict !== 'fix first');
  return (
    <div className="review">
      <p className="headline">{go ? 'Ready to launch.' : 'Not ready: fix the blocking findings first.'}</p>
      <div className="verdicts">
        {areas.map((a) => (
          <div key={a.area} className={`verdict ${a.verdict?.replace(/\s+/g, '-')}`}>
            <div className="verdict-head"><strong>{a.area}</strong><span>{VERDICT[a.verdict] ?? a.verdict}</span></div>
            <div className="muted">{a.passed} passed · {a.warnings} {a.warnings === 1 ? 'note' : 'notes'}</div>
            <ul>
              {(a.findings ?? []).filter((f) => !f.ok).map((f) => <li key={f.check}>⚠ {f.check}: {f.note}</li>)}
            </ul>
          </div>
        ))}
      </div>
    </div>
  );
}
