export default function BriefResult({ result }) {
  return (
    <div className="brief">
      <p className="headline">{result.title}</p>
      <dl>
        {(result.sections ?? []).map((s) => (
          <div key={s.heading} className="brief-section"><dt>{s.heading}</dt><dd>{s.text}</dd></div>
        ))}
      </dl>
      {result.helpers?.length > 0 && <p className="muted">With help from {result.helpers.join(' and ')}.</p>}
    </div>
  );
}
