import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { RotorConfig, externalBaseUrl } from '@rotor/config';
import { Logger, createLogger } from '@rotor/observability';
import type { RequestListener } from 'node:http';
import { createServer, type Server } from 'node:https';
import { acmeRoutes } from './acme/acme-routes';
import { AcmeHttpServer } from './acme/acme-server';
import { AppModule } from './app.module';
import { MAX_BODY_BYTES, installRawBodyParser } from './http/body-parser';
import { ensureBootstrapToken } from './runtime/admin-token';
import { Reconciler } from './runtime/reconciler';
import { createRuntime } from './runtime/runtime';
import { ServerTls } from './runtime/server-tls';

export interface RunningServer {
  /** https://host:port of the listener. */
  url: string;
  directoryUrl: string;
  rootPemPath: string;
  logger: Logger;
  close(): Promise<void>;
}

/**
 * The server app's one exported entry point: opens the database (running
 * migrations), loads or creates the CA, issues Rotor's own HTTPS certificate,
 * re-derives interrupted work and starts listening.
 */
export async function bootstrapServer(
  config: RotorConfig,
  logger = createLogger(config.logLevel),
): Promise<RunningServer> {
  const runtime = await createRuntime(config, logger);
  const adminTokenPath = await ensureBootstrapToken(runtime.apiTokens, config.dataDir);
  if (adminTokenPath) logger.info({ path: adminTokenPath }, 'admin API token written (scope admin)');
  const baseUrl = externalBaseUrl(config);
  const tlsHosts = [config.listen.host, new URL(baseUrl).hostname.replace(/^\[|\]$/g, '')];
  // Rotor's own certificate is the managed certificate "rotor-server" (see server-tls.ts).
  const serverTls = new ServerTls(runtime.managed, runtime.ca, logger, {
    hosts: tlsHosts,
    lifetimeMs: config.certLifetime,
    pollIntervalMs: config.renewalSweepInterval,
  });
  const tls = await serverTls.prepare();

  // ACME requests are served straight from node:https; everything else goes to Fastify and Nest.
  const acmeServer = new AcmeHttpServer(acmeRoutes(runtime), runtime);
  const adapter = new FastifyAdapter({
    https: { key: tls.key, cert: tls.cert },
    serverFactory: (fastifyHandler: RequestListener) =>
      createServer({ key: tls.key, cert: tls.cert }, (request, response) => {
        if (acmeServer.handles(request)) void acmeServer.serve(request, response);
        else fastifyHandler(request, response);
      }),
    bodyLimit: MAX_BODY_BYTES,
    // Managed certificate names may be 253 characters (/api/v1/managed/:name); Fastify's default is 100.
    routerOptions: { maxParamLength: 300 },
    logger: false,
    trustProxy: false,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRuntime(runtime), adapter, {
    logger: false,
    bodyParser: false,
  });
  installRawBodyParser(app.getHttpAdapter().getInstance());
  await app.init();

  const reconciler = new Reconciler(runtime);
  await reconciler.start();
  await runtime.crl.current();

  await app.listen(config.listen.port, config.listen.host);
  const server = app.getHttpServer() as Server;

  // Renewals of the own certificate are swapped into the listener without a restart
  // (open connections keep their session); the engine's sweep starts with the listener.
  serverTls.attach(server);
  runtime.managed.start();
  runtime.notifications.start();

  const url = `https://${config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host}:${config.listen.port}`;
  logger.info({ url, directory: runtime.acme.linker.directory() }, 'rotor listening');
  return {
    url,
    directoryUrl: runtime.acme.linker.directory(),
    rootPemPath: runtime.rootPemPath,
    logger,
    close: async () => {
      serverTls.stop();
      reconciler.stop();
      await app.close();
      await runtime.close();
    },
  };
}
