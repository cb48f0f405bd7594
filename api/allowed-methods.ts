import type { FastifyInstance } from 'fastify';

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Records every route's path pattern as it is registered, so a request that matches no route can
 * still be told apart: a known path with another method (405 with `Allow`) or no such path (404).
 * Call before the routes are registered.
 */
export function trackAllowedMethods(app: FastifyInstance): (path: string) => string[] {
  const routes: { pattern: RegExp; methods: string[] }[] = [];
  app.addHook('onRoute', (route) => {
    // `:param` segments match any one segment; a trailing `*` (static files) matches the rest.
    const source = route.url.split('/').map((segment) => (segment.startsWith(':') ? '[^/]+' : segment === '*' ? '.*' : escape(segment))).join('/');
    routes.push({ pattern: new RegExp(`^${source}$`), methods: [route.method].flat() });
  });
  return (path) => [...new Set(routes.filter((r) => r.pattern.test(path)).flatMap((r) => r.methods))].sort();
}
