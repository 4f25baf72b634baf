// Koa with Brolostack WebSocket on the app's own port (routes as in ../node-express/server.js).
import bodyParser from '@koa/bodyparser';
import Router from '@koa/router';
import Koa from 'koa';
import { BrolostackNodeJSIntegration } from 'brolostack';

const app = new Koa();
// A body parser may come first: @koa/bodyparser keeps the raw body, which the webhook's signature covers.
app.use(bodyParser());
const integration = await BrolostackNodeJSIntegration.withKoa(app, { port: Number(process.env.PORT) || 3001 });

integration.on('greet', (data, { user }) => ({ greeting: `Hello, ${data?.name ?? 'stranger'}!`, user }));

const reports = integration.createSession('reports');
reports.registerAgent({ id: 'summarizer-1', type: 'summarizer', capabilities: ['summaries'] },
  async (assignment, reporter) => {
    await reporter.progress(50, 'reading');
    const text = String(assignment.task?.payload?.text ?? '');
    return { summary: text.split(/\s+/).slice(0, 5).join(' '), words: text.split(/\s+/).filter(Boolean).length };
  });

const router = new Router();
router.get('/health', (ctx) => { ctx.body = { ok: true }; });
router.post('/announce', async (ctx) => {
  ctx.body = await integration.publish(ctx.request.body.room, 'announcement', { text: ctx.request.body.text });
});
router.post('/reports', async (ctx) => {
  ctx.status = 202;
  ctx.body = await reports.startTask({
    type: 'report', collaborationMode: 'sequential',
    requirements: { agentTypes: ['summarizer', 'reviewer'] },
    payload: { text: ctx.request.body.text },
  });
});
app.use(router.routes()).use(router.allowedMethods());

await integration.listen();
console.log(`listening on http://localhost:${integration.port} (WebSocket at /ws)`);
process.once('SIGTERM', () => integration.shutdown().then(() => process.exit(0)));
