// NestJS on its Express platform (@nestjs/platform-express, the default):
// app.use() puts the routes on the underlying Express app at once, ahead
// of the body parser and the controllers Nest adds when it initializes.
// Nest serves on its own http.Server (app.getHttpServer()).
import { nodeMiddleware } from './node_routes.mjs';

export const nest = {
  name: 'NestJS',
  expected: 'a Nest application (await NestFactory.create(AppModule)), before app.listen() or app.init()',
  check: (app) => typeof app?.getHttpAdapter === 'function' && typeof app.getHttpServer === 'function' && typeof app.use === 'function',
  mount(app, routes) {
    const platform = app.getHttpAdapter().getType?.();
    if (platform !== 'express') {
      throw new Error(`withNestJS supports Nest on its Express platform (@nestjs/platform-express); this app runs on '${platform}'`);
    }
    app.use(nodeMiddleware(routes));
  },
  async listen(app, { port, host }) {
    await (host ? app.listen(port, host) : app.listen(port));
    return app.getHttpServer();
  },
  close: (app) => app.close(),
};
