// NestJS (Express platform) with Brolostack WebSocket on the app's own port
// (routes as in ../node-express/server.js).
import { NestFactory } from '@nestjs/core';
import { BrolostackNodeJSIntegration } from 'brolostack';
import { AppModule, brolostack } from './app.module.js';

const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
const integration = await BrolostackNodeJSIntegration.withNestJS(app, { port: Number(process.env.PORT) || 3001 });

integration.on('greet', (data, { user }) => ({ greeting: `Hello, ${data?.name ?? 'stranger'}!`, user }));

const reports = integration.createSession('reports');
reports.registerAgent({ id: 'summarizer-1', type: 'summarizer', capabilities: ['summaries'] },
  async (assignment, reporter) => {
    await reporter.progress(50, 'reading');
    const text = String(assignment.task?.payload?.text ?? '');
    return { summary: text.split(/\s+/).slice(0, 5).join(' '), words: text.split(/\s+/).filter(Boolean).length };
  });
Object.assign(brolostack, { integration, reports });

await integration.listen();
console.log(`listening on http://localhost:${integration.port} (WebSocket at /ws)`);
process.once('SIGTERM', () => integration.shutdown().then(() => process.exit(0)));
