// Hosting the demo agents on a client: the page does it for itself, and
// web-demo/worker.mjs does it in Node. Every host registers one agent of
// each type, with an id of its own: `<type>@<host id>` (a tab: `tab-xxxxx`,
// kept in sessionStorage so a reload comes back as the same agents; the
// worker: `node-<hostname>`). The tasks name agent *types*, so the server's
// scheduler picks any online agent of the type: open tabs and the worker
// share the work instead of fighting over ids.
import { EXAMPLES } from './examples.js';
import { collect, processRecords, analyze } from './insights.js';
import { review } from './review.js';
import { writer, researcher, factChecker, answerWhenDone, createSupportDesk, createAnswerBook } from './brief.js';

const RETRY_CONFLICT_MS = 1500;

/** The agents one host brings: spec (without id) and handler. */
function agentKinds() {
  const answers = createAnswerBook();
  const researchDesk = createSupportDesk();
  const factDesk = createSupportDesk();
  const handlers = {
    'data-collector': { handler: collect },
    'data-processor': { handler: processRecords },
    'ml-analyzer': { handler: analyze },
    'security-reviewer': { handler: review },
    'legal-reviewer': { handler: review },
    'performance-reviewer': { handler: review },
    'brief-writer': {
      handler: writer(answers),
      onMessage: (message) => { if (message.type === 'COLLABORATION_RESPONSE') answers.answer(message); },
    },
    'market-researcher': { handler: researcher(researchDesk), onMessage: answerWhenDone(researchDesk) },
    'fact-checker': { handler: factChecker(factDesk), onMessage: answerWhenDone(factDesk) },
  };
  return EXAMPLES.flatMap((example) => example.stages.map((stage) => ({
    type: stage.type,
    label: stage.label,
    sessionId: example.sessionId,
    capabilities: stage.capabilities,
    ...handlers[stage.type],
  })));
}

/**
 * Registers every demo agent on `client` as host `hostId`. Returns
 * `{ agents, stop }`; `agents` is a list of
 * `{ id, type, sessionId, state: 'registering'|'online'|'standby'|'failed', error }`
 * and `onChange(agents)` is called whenever one changes.
 *
 * - `conflict` (the id is online on another connection: a reload whose old
 *   connection the server has not yet seen close, or a duplicated tab): tried
 *   again once, then under a fresh id.
 * - `limit_exceeded` (the session has MAX_AGENTS_PER_SESSION agents online):
 *   this host stands by for that type; the others do the work.
 */
export function hostAgents(client, { hostId, hostLabel = hostId, onChange = () => {}, log = () => {} }) {
  let stopped = false;
  const entries = agentKinds().map((kind) => ({ kind, id: `${kind.type}@${hostId}`, state: 'registering', error: null, handle: null }));
  const publish = () => onChange(entries.map(({ id, kind, state, error }) => ({ id, type: kind.type, sessionId: kind.sessionId, state, error })));

  const register = async (entry, attempt = 0) => {
    const { kind } = entry;
    try {
      entry.handle = await client.registerAgent({
        id: entry.id,
        type: kind.type,
        capabilities: kind.capabilities,
        sessionId: kind.sessionId,
        metadata: { name: `${kind.label} · ${hostLabel}`, version: '1.0.0', maxConcurrentTasks: 1 },
        onMessage: kind.onMessage,
      }, (assignment, reporter) => {
        log(`${assignment.taskId}: stage ${assignment.stage + 1}/${assignment.stages} (${assignment.role}) -> ${entry.id}`);
        return kind.handler(assignment, reporter);
      });
      if (stopped) { entry.handle.unregister().catch(() => {}); return; }
      entry.state = 'online';
      entry.error = null;
    } catch (err) {
      if (stopped) return;
      if (err?.code === 'conflict' && attempt < 2) {
        await new Promise((r) => setTimeout(r, RETRY_CONFLICT_MS));
        if (attempt === 1) entry.id = `${kind.type}@${hostId}-${Math.random().toString(36).slice(2, 5)}`;
        return register(entry, attempt + 1);
      }
      entry.state = err?.code === 'limit_exceeded' ? 'standby' : 'failed';
      entry.error = err?.message ?? String(err);
      log(`${entry.id}: ${entry.state} (${err?.code ?? 'error'}: ${entry.error})`);
    }
    publish();
  };

  publish();
  const ready = Promise.all(entries.map((e) => register(e)));
  return {
    hostId,
    ready,
    async stop() {
      stopped = true;
      await Promise.allSettled(entries.map((e) => e.handle?.unregister()));
    },
  };
}
