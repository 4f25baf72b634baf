import ProgressBar from './ProgressBar.jsx';
import StageTrack from './StageTrack.jsx';
import OutputLog from './OutputLog.jsx';
import ResultView from './ResultView.jsx';
import RunStatus from './RunStatus.jsx';

const MODES = { sequential: 'Pipeline', parallel: 'Parallel', hybrid: 'Hybrid' };

/** One example: start it, watch its stages fill, read what the agents say, see the result. */
export default function ExampleCard({ example, run, agents, ready, onStart }) {
  const busy = run && (run.state === 'queued' || run.state === 'running');
  return (
    <article className="card example" data-testid={`example-${example.id}`} data-state={run?.state ?? 'idle'}>
      <header className="example-head">
        <div>
          <div className="example-title">
            <h3>{example.title}</h3>
            <span className={`mode mode-${example.mode}`}>{MODES[example.mode]}</span>
          </div>
          <p className="muted">{example.summary}</p>
        </div>
        <button type="button" className="btn primary" data-testid="task-start" onClick={onStart} disabled={busy}>
          {busy ? 'Running…' : run ? 'Run again' : 'Start'}
        </button>
      </header>

      <div className="overall">
        <div className="overall-label">
          <RunStatus run={run} ready={ready} />
          <span className="overall-percent">{Math.round(run?.progress ?? 0)}%</span>
        </div>
        <ProgressBar value={run?.progress ?? 0} testId="task-progress" label={`${example.title}: overall`} tone={run?.state} />
      </div>

      <StageTrack example={example} run={run} agents={agents} />
      <OutputLog run={run} example={example} />
      {run?.state === 'completed' && <ResultView example={example} result={run.result} />}
    </article>
  );
}
