// The market brief (hybrid): the writer is the primary agent; the
// researcher and the fact-checker support it. The writer asks each support
// agent for its part with a COLLABORATION_REQUEST; a support agent does its
// work (its own stage, with progress), completes it, then answers the
// request with its result. The task ends with the writer's result.
import { sleep, seeded, paceOf } from './util.js';

const COMPETITORS = ['Slackline', 'Teamflow', 'Huddle.io', 'Waveboard', 'Cohort'];
const TRENDS = [
  'AI meeting notes are now table stakes',
  'buyers consolidate tools to cut per-seat spend',
  'real-time whiteboards move into chat apps',
  'data residency in the EU decides enterprise deals',
  'offline-first mobile clients win field teams',
];

/** Deferred results of support work, by task: a request may come before or after the work is done. */
export function createSupportDesk() {
  const results = new Map();
  const entry = (taskId) => {
    if (!results.has(taskId)) {
      let resolve;
      const promise = new Promise((r) => { resolve = r; });
      results.set(taskId, { promise, resolve });
      setTimeout(() => results.delete(taskId), 10 * 60 * 1000).unref?.();
    }
    return results.get(taskId);
  };
  return {
    done: (taskId, result) => entry(taskId).resolve(result),
    when: (taskId) => entry(taskId).promise,
  };
}

/** Answers of collaboration requests, by request id (the writer waits for them). */
export function createAnswerBook() {
  const waiting = new Map();
  return {
    wait(requestId, ms) {
      return new Promise((resolve) => {
        const timer = setTimeout(() => { waiting.delete(requestId); resolve(null); }, ms);
        waiting.set(requestId, (answer) => { clearTimeout(timer); waiting.delete(requestId); resolve(answer); });
      });
    },
    answer(message) {
      const id = message?.payload?.requestId;
      waiting.get(id)?.(message.payload);
    },
  };
}

export function writer(answers) {
  return async (assignment, reporter) => {
    const input = assignment.input ?? {};
    const pace = paceOf(input);
    const support = assignment.supportAgents ?? [];
    await reporter.progress(5, `outlining “${input.topic}” for ${input.region} ${input.quarter}`);
    await sleep(pace, reporter.signal);
    const asks = support.map((target, i) => {
      const requestId = `${assignment.taskId}:${i}`;
      const answered = answers.wait(requestId, 30000);
      reporter.send('COLLABORATION_REQUEST', {
        requestId, targetAgent: target, collaborationType: 'assistance',
        context: { topic: input.topic, region: input.region, need: target.startsWith('fact-checker') ? 'verify claims' : 'market data' },
      }).catch(() => {});
      return answered;
    });
    await reporter.progress(15, `asked ${support.map((s) => s.split('@')[0]).join(' and ')} for help`);
    const replies = (await Promise.all(asks)).filter(Boolean);
    const research = replies.find((r) => r.result?.kind === 'research')?.result;
    const checks = replies.find((r) => r.result?.kind === 'fact-check')?.result;
    await reporter.progress(40, `received ${replies.length}/${support.length} answers; drafting`);

    const sections = [
      { heading: 'Market', text: research ? `The ${input.region} market for ${input.topic.toLowerCase()} grew ${research.growth}% year on year to ${research.marketSize}.` : 'No research arrived in time.' },
      { heading: 'Competitors', text: research ? `${research.leaders.join(', ')} lead; ${research.leaders[0]} holds about ${research.leaderShare}% of seats.` : '–' },
      { heading: 'Trends', text: research ? research.trends.map((t) => `${t[0].toUpperCase()}${t.slice(1)}.`).join(' ') : '–' },
      { heading: 'Confidence', text: checks ? `${checks.verified} of ${checks.claims} claims verified; ${checks.corrected} corrected before publishing.` : 'Claims not yet checked.' },
    ];
    for (let i = 0; i < sections.length; i += 1) {
      await sleep(pace, reporter.signal);
      await reporter.progress(40 + Math.round(((i + 1) / sections.length) * 60), `${sections[i].heading}: ${sections[i].text}`);
    }
    return {
      title: `${input.quarter} ${input.region} brief: ${input.topic}`,
      sections,
      helpers: replies.map((r) => r.fromAgent).filter(Boolean),
    };
  };
}

export function researcher(desk) {
  return async (assignment, reporter) => {
    const input = assignment.input ?? {};
    const rng = seeded(`${input.seed}:research`);
    const pace = paceOf(input);
    const steps = ['analyst reports', 'public filings', 'app-store rankings', 'pricing pages'];
    for (let i = 0; i < steps.length; i += 1) {
      await sleep(pace * 0.9, reporter.signal);
      await reporter.progress(Math.round(((i + 1) / steps.length) * 100), `read ${steps[i]} (${3 + Math.floor(rng() * 9)} sources)`);
    }
    const leaders = [...COMPETITORS].sort(() => rng() - 0.5).slice(0, 3);
    const result = {
      kind: 'research',
      growth: 12 + Math.floor(rng() * 14),
      marketSize: `€${(2.1 + rng() * 1.8).toFixed(1)}bn`,
      leaders,
      leaderShare: 18 + Math.floor(rng() * 14),
      trends: [...TRENDS].sort(() => rng() - 0.5).slice(0, 2),
    };
    await reporter.complete(result);
    desk.done(assignment.taskId, result);
  };
}

export function factChecker(desk) {
  return async (assignment, reporter) => {
    const input = assignment.input ?? {};
    const rng = seeded(`${input.seed}:facts`);
    const pace = paceOf(input);
    const claims = 6 + Math.floor(rng() * 4);
    let corrected = 0;
    for (let i = 1; i <= claims; i += 1) {
      await sleep(pace * 0.45, reporter.signal);
      const fixed = rng() < 0.15;
      if (fixed) corrected += 1;
      await reporter.progress(Math.round((i / claims) * 100), `claim ${i}/${claims} ${fixed ? 'corrected' : 'verified'}`);
    }
    const result = { kind: 'fact-check', claims, verified: claims - corrected, corrected };
    await reporter.complete(result);
    desk.done(assignment.taskId, result);
  };
}

/** A support agent's onMessage: answers the writer once its own part is done. */
export function answerWhenDone(desk) {
  return (message, agent) => {
    if (message.type !== 'COLLABORATION_REQUEST') return;
    const { requestId, taskId } = message.payload ?? {};
    desk.when(taskId).then((result) =>
      agent.send('COLLABORATION_RESPONSE', { requestId, accepted: true, result }).catch(() => {}));
  };
}
