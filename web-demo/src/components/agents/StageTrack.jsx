import ProgressBar from './ProgressBar.jsx';

const hostLabel = (agentId) => {
  const host = agentId?.split('@')[1] ?? '';
  return host.startsWith('node-') ? 'Node worker' : host ? `tab ${host.replace(/^tab-/, '')}` : '';
};

/** The task's stages in order (pipeline), side by side (parallel) or primary and support (hybrid). */
export default function StageTrack({ example, run }) {
  return (
    <ol className={`stages stages-${example.mode}`}>
      {example.stages.map((stage, i) => {
        const s = run?.stages[i];
        const state = s?.state ?? 'waiting';
        return (
          <li key={stage.type} className={`stage ${state}`} data-testid="stage" data-stage={i} data-state={state}>
            <div className="stage-head">
              <span className="stage-index">{i + 1}</span>
              <span className="stage-label">{stage.label}</span>
              <span className="stage-pct">{Math.round(s?.progress ?? 0)}%</span>
            </div>
            <ProgressBar value={s?.progress ?? 0} small testId="stage-progress" stage={i} label={`${example.title}: ${stage.label}`} tone={state} />
            <div className="stage-agent" title={s?.agentId ?? stage.type}>
              <code>{stage.type}</code>
              {s?.agentId && <span className="host-tag">{hostLabel(s.agentId)}</span>}
            </div>
          </li>
        );
      })}
    </ol>
  );
}
