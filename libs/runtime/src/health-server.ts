import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from './logger';

export interface HealthServerOptions {
  port: number;
  host: string;
  /** The readiness report; `ready: false` answers 503 so orchestrators hold traffic and restarts. */
  health: () => Promise<{ ready: boolean }>;
  /** Served at `/metrics` in Prometheus text format when given. */
  metrics?: Registry;
  logger: Logger;
}

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' };

function notFound(): string {
  return JSON.stringify({ error: { code: 'not_found', message: 'Only GET /health, /health/live, /health/ready and /metrics are served here.', details: [] } });
}

/**
 * `/health` (readiness with details), `/health/live`, `/health/ready` and `/metrics` for the
 * processes without the HTTP API (projector, publisher, scheduler), so compose health checks
 * and Prometheus reach every service the same way.
 */
export async function serveHealth(options: HealthServerOptions): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...JSON_TYPE, allow: 'GET, HEAD' }).end(notFound());
      return;
    }
    if (path === '/health/live') {
      res.writeHead(200, JSON_TYPE).end(JSON.stringify({ live: true }));
      return;
    }
    if (path === '/health' || path === '/health/ready') {
      options.health().then(
        (report) => res.writeHead(report.ready ? 200 : 503, JSON_TYPE).end(JSON.stringify(report)),
        (error: unknown) => {
          options.logger.error({ err: error }, 'health check failed');
          res.writeHead(503, JSON_TYPE).end(JSON.stringify({ status: 'unavailable', ready: false }));
        },
      );
      return;
    }
    if (path === '/metrics' && options.metrics) {
      const registry = options.metrics;
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (error: unknown) => {
          options.logger.error({ err: error }, 'metrics collection failed');
          res.writeHead(500, JSON_TYPE).end(JSON.stringify({ error: { code: 'internal', message: 'metrics collection failed', details: [] } }));
        },
      );
      return;
    }
    res.writeHead(404, JSON_TYPE).end(notFound());
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(options.port, options.host, resolve));
  const port = (server.address() as AddressInfo).port;
  options.logger.info({ host: options.host, port }, 'health endpoint listening');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
