export default function StatCard({ label, value, hint, tone, testId }) {
  return (
    <div className={`stat ${tone ?? ''}`}>
      <span className="stat-label">{label}</span>
      <strong className="stat-value" data-testid={testId}>{value}</strong>
      {hint && <span className="stat-hint">{hint}</span>}
    </div>
  );
}
