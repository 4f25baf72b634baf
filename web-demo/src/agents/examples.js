// The three multi-agent examples of the dashboard: what each task asks
// for, and the agent types that do the work. Each example has an ARGS
// session of its own, so that every host (each open tab, the Node worker)
// can bring one agent of each type without a session reaching the
// server's agent limit (MAX_AGENTS_PER_SESSION, 10 in development).

export const EXAMPLES = [
  {
    id: 'insights',
    sessionId: 'demo-insights',
    title: 'Customer insights pipeline',
    mode: 'sequential',
    summary: 'The seed’s pipeline: a collector pulls feedback from the API, a processor cleans and tags it, an analyzer segments it. Each stage gets the previous stage’s result.',
    taskType: 'data-pipeline',
    stages: [
      { type: 'data-collector', label: 'Collect', capabilities: ['web-scraping', 'api-integration'] },
      { type: 'data-processor', label: 'Process', capabilities: ['data-cleaning', 'transformation'] },
      { type: 'ml-analyzer', label: 'Analyze', capabilities: ['model-training', 'prediction'] },
    ],
    capabilities: ['web-scraping', 'data-cleaning', 'model-training'],
    payload: { dataSource: 'customer-feedback-api', analysisType: 'sentiment-clustering', outputFormat: 'dashboard-ready' },
  },
  {
    id: 'review',
    sessionId: 'demo-review',
    title: 'Launch readiness review',
    mode: 'parallel',
    summary: 'Three reviewers check the release at the same time; the task is done when all three are, with their verdicts in stage order.',
    taskType: 'release-review',
    stages: [
      { type: 'security-reviewer', label: 'Security', capabilities: ['security-audit'] },
      { type: 'legal-reviewer', label: 'Legal', capabilities: ['compliance'] },
      { type: 'performance-reviewer', label: 'Performance', capabilities: ['load-testing'] },
    ],
    capabilities: ['security-audit', 'compliance', 'load-testing'],
    payload: { release: 'v2.4.0', environment: 'staging' },
  },
  {
    id: 'brief',
    sessionId: 'demo-brief',
    title: 'Market brief',
    mode: 'hybrid',
    summary: 'A writer leads and asks two supporting agents for help (collaboration requests): a researcher and a fact-checker. The task follows the writer.',
    taskType: 'market-brief',
    stages: [
      { type: 'brief-writer', label: 'Writer (primary)', capabilities: ['writing', 'synthesis'] },
      { type: 'market-researcher', label: 'Research (support)', capabilities: ['research'] },
      { type: 'fact-checker', label: 'Fact check (support)', capabilities: ['verification'] },
    ],
    capabilities: ['writing', 'research', 'verification'],
    payload: { topic: 'Real-time collaboration tools', region: 'EMEA', quarter: 'Q3' },
  },
];

export const exampleById = (id) => EXAMPLES.find((e) => e.id === id);
export const exampleBySession = (sessionId) => EXAMPLES.find((e) => e.sessionId === sessionId);

/** The ARGS task definition that starts a run of `example`. */
export function taskDefinition(example, { pace } = {}) {
  const runId = `${example.id}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 5)}`;
  return {
    sessionId: example.sessionId,
    id: runId,
    type: example.taskType,
    priority: 'medium',
    collaborationMode: example.mode,
    requirements: {
      agentTypes: example.stages.map((s) => s.type),
      capabilities: example.capabilities,
    },
    payload: { ...example.payload, seed: runId, ...(pace === undefined ? {} : { pace }) },
  };
}
