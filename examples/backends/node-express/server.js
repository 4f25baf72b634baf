// Express with Brolostack WebSocket on the app's own port:
//   ws://localhost:3001/ws          the WebSocket endpoint (brolostack clients)
//   POST /announce {room, text}     publishes to a room's members
//   POST /reports {text}            starts a task: the app's summarizer agent, then a reviewer agent (any client)
//   GET  /brolostack/ws/stats       the server's stats
// Clients' send('greet', {name}) is answered by the handler below.
const express = require('express');
const { BrolostackNodeJSIntegration } = require('brolostack');

async function main() {
  const app = express();
  // Before body parsers: the webhook's signature covers the raw body.
  const integration = await BrolostackNodeJSIntegration.withExpress(app, { port: Number(process.env.PORT) || 3001 });
  app.use(express.json());

  integration.on('greet', (data, { user }) => ({ greeting: `Hello, ${data?.name ?? 'stranger'}!`, user }));

  const reports = integration.createSession('reports');
  reports.registerAgent({ id: 'summarizer-1', type: 'summarizer', capabilities: ['summaries'] },
    async (assignment, reporter) => {
      await reporter.progress(50, 'reading');
      const text = String(assignment.task?.payload?.text ?? '');
      return { summary: text.split(/\s+/).slice(0, 5).join(' '), words: text.split(/\s+/).filter(Boolean).length };
    });

  app.get('/health', (_req, res) => res.json({ ok: true }));
  app.post('/announce', async (req, res) => {
    res.json(await integration.publish(req.body.room, 'announcement', { text: req.body.text }));
  });
  app.post('/reports', async (req, res) => {
    res.status(202).json(await reports.startTask({
      type: 'report', collaborationMode: 'sequential',
      requirements: { agentTypes: ['summarizer', 'reviewer'] },
      payload: { text: req.body.text },
    }));
  });

  await integration.listen();
  console.log(`listening on http://localhost:${integration.port} (WebSocket at /ws)`);
  process.once('SIGTERM', () => integration.shutdown().then(() => process.exit(0)));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
