/** A progress bar with its value for assistive technology (and tests) in aria-valuenow. */
export default function ProgressBar({ value = 0, testId, label, tone, small = false, stage }) {
  const pct = Math.max(0, Math.min(100, value));
  return (
    <div className={`progress${small ? ' small' : ''} ${tone ?? ''}`} role="progressbar" aria-label={label}
      aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(pct)} data-testid={testId} data-stage={stage}>
      <div className="progress-fill" style={{ width: `${pct}%` }} />
    </div>
  );
}
