import type { Server as HttpServer } from 'node:http';
import { dirname } from 'node:path';
import { RequestMethod } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import express from 'express';
import { Histogram, type Registry } from 'prom-client';
import type { Runtime } from '../../runtime';
import { DOCS_ASSETS_PATH } from './docs/docs.controller';
import { HttpModule } from './http.module';
import { NestPinoLogger } from './nest-logger';
import { platformPipeline } from './pipeline';
import { PostsModule } from '../../posts';

const HISTOGRAM = 'postloom_http_request_duration_seconds';

function durationHistogram(registry: Registry): Histogram<'method' | 'route' | 'status'> {
  const existing = registry.getSingleMetric(HISTOGRAM);
  if (existing) return existing as Histogram<'method' | 'route' | 'status'>;
  return new Histogram({
    name: HISTOGRAM,
    help: 'HTTP request duration by method, route pattern and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
}

/**
 * Bounds what a slow or idle client can hold: headers within `HTTP_HEADERS_TIMEOUT_MS`,
 * idle keep-alive connections closed after `HTTP_KEEP_ALIVE_TIMEOUT_MS`. Bodies have their
 * own per-route deadline in the pipeline (`bodyDeadline`), so Node's server-wide
 * `requestTimeout` is off. Node checks these deadlines every `connectionsCheckingInterval`
 * (30 s by default), which would let a 10 s deadline run to 40 s; it is set before listening.
 */
function limitSlowClients(server: HttpServer, config: Runtime['config']): void {
  server.headersTimeout = config.httpHeadersTimeoutMs;
  server.requestTimeout = 0;
  server.keepAliveTimeout = config.httpKeepAliveTimeoutMs;
  (server as HttpServer & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.max(50, Math.min(1000, Math.floor(config.httpHeadersTimeoutMs / 4)));
}

/** Routes outside `/v1`. */
const UNPREFIXED = ['health', 'health/live', 'health/ready', 'metrics', 'docs', 'docs/init.js', 'docs/openapi.json'].map((path) => ({
  path,
  method: RequestMethod.GET,
}));

/**
 * The API on Express. The request pipeline that every request crosses (request id,
 * timing, authentication and rate limits, body parsing, Idempotency-Key) is plain
 * Express middleware in front of Nest: cheaper than guards and interceptors on the hot
 * path, and it answers malformed or unauthenticated requests before any routing.
 */
export async function createHttpApp(runtime: Runtime): Promise<NestExpressApplication> {
  const server = express();
  server.disable('x-powered-by');
  // Responses are never cached by validators; hashing every body for an ETag is wasted work.
  server.set('etag', false);
  const assets = express.static(dirname(require.resolve('swagger-ui-dist/package.json')), { index: false, maxAge: '1h' });
  server.use(
    platformPipeline(runtime, {
      histogram: durationHistogram(runtime.metrics.registry),
      assetsPath: DOCS_ASSETS_PATH,
      // serve-static resolves files from req.url: strip the mount path as `app.use(path, ...)` would.
      assets: (req, res, next) => {
        const url = req.url;
        req.url = url.slice(DOCS_ASSETS_PATH.length);
        assets(req, res, (error?: unknown) => {
          req.url = url;
          next(error);
        });
      },
    }),
  );

  const app = await NestFactory.create<NestExpressApplication>(HttpModule.forRuntime(runtime, [PostsModule]), new ExpressAdapter(server), {
    bodyParser: false,
    logger: new NestPinoLogger(runtime.logger),
    abortOnError: false,
  });
  app.setGlobalPrefix('v1', { exclude: UNPREFIXED });
  await app.init();
  limitSlowClients(app.getHttpServer() as HttpServer, runtime.config);
  return app;
}
