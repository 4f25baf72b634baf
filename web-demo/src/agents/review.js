// The launch readiness review (parallel): three reviewers work on the same
// release at once; each returns its verdict, and the task's result is the
// three verdicts in stage order.
import { sleep, seeded, paceOf } from './util.js';

const CHECKS = {
  'security-reviewer': {
    area: 'Security',
    items: [
      ['Dependency audit', 'no known vulnerabilities in 214 packages', '2 moderate advisories in transitive packages'],
      ['Secrets scan', 'no credentials in the repository or images', 'a test API key in a fixture file'],
      ['TLS configuration', 'TLS 1.3 only, HSTS preloaded', 'TLS 1.2 still enabled on the admin host'],
      ['Authentication', 'JWT expiry and refresh verified', 'refresh tokens live 90 days'],
      ['Rate limits', 'per-connection limits active on every endpoint', 'the export endpoint has no limit'],
    ],
  },
  'legal-reviewer': {
    area: 'Legal',
    items: [
      ['Privacy policy', 'updated for the new analytics events', 'does not mention the new analytics events'],
      ['Cookie consent', 'banner blocks non-essential cookies until consent', 'one marketing pixel loads before consent'],
      ['Open-source licences', 'all 214 licences compatible (MIT, Apache-2.0, BSD)', 'one LGPL library needs a notice'],
      ['Data retention', 'logs purged after 30 days', 'backups kept beyond the stated 90 days'],
    ],
  },
  'performance-reviewer': {
    area: 'Performance',
    items: [
      ['Load test at 2,000 rps', 'p95 38 ms, no errors', 'p95 410 ms above 1,500 rps'],
      ['Bundle size', '182 KB gzipped, within budget', '20 KB over the bundle budget'],
      ['Memory', 'flat at 210 MB over a 2 h soak', 'grows 40 MB per hour under load'],
      ['Cold start', '1.1 s to first byte', '3.4 s to first byte on a cold container'],
      ['Database', 'every hot query uses an index', 'one report query scans the orders table'],
      ['WebSocket fan-out', '10k members per room at 12 ms median', 'fan-out to 10k members takes 180 ms'],
    ],
  },
};

export async function review(assignment, reporter) {
  const type = reporter.agent.id.split('@')[0];
  const spec = CHECKS[type];
  if (!spec) throw new Error(`no checklist for agent type ${type}`);
  const input = assignment.input ?? {};
  const rng = seeded(`${input.seed}:${type}`);
  const pace = paceOf(input);
  const findings = [];
  await reporter.progress(2, `${spec.area}: reviewing ${input.release ?? 'the release'} on ${input.environment ?? 'staging'}`);
  for (let i = 0; i < spec.items.length; i += 1) {
    const [check, pass, warn] = spec.items[i];
    await sleep(pace * (0.7 + rng() * 0.8), reporter.signal);
    const ok = rng() > 0.22;
    findings.push({ check, ok, note: ok ? pass : warn });
    await reporter.progress(Math.round(((i + 1) / spec.items.length) * 100), `${ok ? '✓' : '⚠'} ${check}: ${ok ? pass : warn}`);
  }
  const warnings = findings.filter((f) => !f.ok).length;
  return {
    area: spec.area,
    verdict: warnings === 0 ? 'go' : warnings <= 2 ? 'go with notes' : 'fix first',
    passed: findings.length - warnings,
    warnings,
    findings,
  };
}
