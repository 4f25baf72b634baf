// Fastify with Brolostack WebSocket on the app's own port (routes as in ../node-express/server.js).
import Fastify from 'fastify';
import { BrolostackNodeJSIntegration } from 'brolostack';

const app = Fastify();
const integration = await BrolostackNodeJSIntegration.withFastify(app, { port: Number(process.env.PORT) || 3001 });

integration.on('greet', (data, { user }) => ({ greeting: `Hello, ${data?.name ?? 'stranger'}!`, user }));

const reports = integration.createSession('reports');
reports.registerAgent({ id: 'summarizer-1', type: 'summarizer', capabilities: ['summaries'] },
  async (assignment, reporter) => {
    await reporter.progress(50, 'reading');
    const text = String(assignment.task?.payload?.text ?? '');
    return { summary: text.split(/\s+/).slice(0, 5).join(' '), words: text.split(/\s+/).filter(Boolean).length };
  });

app.get('/health', async () => ({ ok: true }));
app.post('/announce', async (request) => integration.publish(request.body.room, 'announcement', { text: request.body.text }));
app.post('/reports', async (request, reply) => {
  reply.code(202);
  return reports.startTask({
    type: 'report', collaborationMode: 'sequential',
    requirements: { agentTypes: ['summarizer', 'reviewer'] },
    payload: { text: request.body.text },
  });
});

await integration.listen();
console.log(`listening on http://localhost:${integration.port} (WebSocket at /ws)`);
process.once('SIGTERM', () => integration.shutdown().then(() => process.exit(0)));
