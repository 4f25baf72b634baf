// The Nest module, in plain JavaScript: decorators are applied with
// Reflect.decorate (what TypeScript compiles them to), so the app runs
// without a build step.
import 'reflect-metadata';
import { Body, Controller, Get, HttpCode, Inject, Module, Post } from '@nestjs/common';

/** The integration, provided to controllers once main.js has made it. */
export const BROLOSTACK = Symbol('brolostack');
export const brolostack = { integration: null, reports: null };

const param = (index, decorator) => (target, key) => decorator(target, key, index);
const decorateMethod = (cls, name, decorators) =>
  Reflect.decorate(decorators, cls.prototype, name, Object.getOwnPropertyDescriptor(cls.prototype, name));

export class ReportsController {
  constructor(holder) { this.holder = holder; }
  health() { return { ok: true }; }
  announce(body) { return this.holder.integration.publish(body.room, 'announcement', { text: body.text }); }
  report(body) {
    return this.holder.reports.startTask({
      type: 'report', collaborationMode: 'sequential',
      requirements: { agentTypes: ['summarizer', 'reviewer'] },
      payload: { text: body.text },
    });
  }
}
Reflect.decorate([Controller(), param(0, Inject(BROLOSTACK))], ReportsController);
decorateMethod(ReportsController, 'health', [Get('health')]);
decorateMethod(ReportsController, 'announce', [Post('announce'), HttpCode(200), param(0, Body())]);
decorateMethod(ReportsController, 'report', [Post('reports'), HttpCode(202), param(0, Body())]);

export class AppModule {}
Reflect.decorate([Module({ controllers: [ReportsController], providers: [{ provide: BROLOSTACK, useValue: brolostack }] })], AppModule);
