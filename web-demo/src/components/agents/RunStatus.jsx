import { duration } from '../../lib/format.js';

export default function RunStatus({ run, ready }) {
  if (!run) {
    return <span className={`run-status ${ready ? '' : 'warn'}`}>{ready ? 'Ready: agents for every stage are online' : 'Waiting for agents of every stage to come online'}</span>;
  }
  const took = run.finishedAt && run.startedAt ? duration(run.finishedAt - run.startedAt) : null;
  const text = {
    queued: 'Queued: waiting for agents',
    running: `Running · ${run.stages.filter((s) => s.state === 'completed').length}/${run.stages.length} stages done`,
    completed: `Completed${took ? ` in ${took}` : ''}`,
    failed: `Failed: ${run.error ?? 'error'}`,
    canceled: `Canceled${run.error ? `: ${run.error}` : ''}`,
  }[run.state] ?? run.state;
  return <span className={`run-status ${run.state}`} data-testid="task-status">{text}</span>;
}
