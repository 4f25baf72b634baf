export default function InsightsResult({ result }) {
  const segments = Array.isArray(result.segments) ? result.segments : [];
  return (
    <div className="insights">
      <p className="headline">{result.headline}</p>
      <div className="kpis">
        <div><strong>{result.recordsAnalyzed}</strong><span>records</span></div>
        <div><strong>{result.overallSentiment > 0 ? '+' : ''}{Number(result.overallSentiment).toFixed(2)}</strong><span>sentiment</span></div>
        <div><strong>{result.nps}</strong><span>NPS</span></div>
      </div>
      <table className="segments">
        <thead><tr><th>Segment</th><th>Share</th><th>Sentiment</th><th>Typical feedback</th></tr></thead>
        <tbody>
          {segments.map((s) => (
            <tr key={s.theme}>
              <td>{s.label}</td>
              <td><span className="share-bar" style={{ width: `${Math.round(s.share * 100)}%` }} />{Math.round(s.share * 100)}%</td>
              <td className={s.sentiment >= 0 ? 'pos' : 'neg'}>{s.sentiment > 0 ? '+' : ''}{Number(s.sentiment).toFixed(2)}</td>
              <td className="quote">“{s.quote}”</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
