import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { RotorConfig, externalBaseUrl } from '@rotor/config';
import { Logger, createLogger } from '@rotor/observability';
import type { Server } from 'node:https';
import { AppModule } from './app.module';
import { MAX_BODY_BYTES, installAcmeHooks } from './http/acme-hooks';
import { Reconciler } from './runtime/reconciler';
import { createRuntime } from './runtime/runtime';
import { issueServerCertificate } from './runtime/server-tls';

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
  const baseUrl = externalBaseUrl(config);
  const tlsHosts = [config.listen.host, new URL(baseUrl).hostname.replace(/^\[|\]$/g, '')];
  let tls = await issueServerCertificate(runtime.ca, tlsHosts);

  const adapter = new FastifyAdapter({
    https: { key: tls.key, cert: tls.cert },
    bodyLimit: MAX_BODY_BYTES,
    logger: false,
    trustProxy: false,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRuntime(runtime), adapter, {
    logger: false,
    bodyParser: false,
  });
  installAcmeHooks(app.getHttpAdapter().getInstance(), runtime);
  await app.init();

  const reconciler = new Reconciler(runtime);
  await reconciler.start();
  await runtime.crl.current();

  await app.listen(config.listen.port, config.listen.host);
  const server = app.getHttpServer() as Server;

  // Rotor's own certificate is renewed at 2/3 of its lifetime and swapped into the
  // listener without a restart (open connections keep their session).
  const renew = async () => {
    try {
      tls = await issueServerCertificate(runtime.ca, tlsHosts);
      server.setSecureContext({ key: tls.key, cert: tls.cert });
      logger.info({ notAfter: tls.notAfter.toISOString() }, 'server certificate renewed');
    } catch (error) {
      logger.error({ err: String(error) }, 'server certificate renewal failed; retrying in 5 minutes');
      renewTimer = setTimeout(() => void renew(), 5 * 60_000).unref();
      return;
    }
    renewTimer = setTimeout(() => void renew(), Math.max(60_000, tls.renewAt.getTime() - Date.now())).unref();
  };
  let renewTimer = setTimeout(() => void renew(), tls.renewAt.getTime() - Date.now()).unref();

  const url = `https://${config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host}:${config.listen.port}`;
  logger.info({ url, directory: runtime.acme.linker.directory() }, 'rotor listening');
  return {
    url,
    directoryUrl: runtime.acme.linker.directory(),
    rootPemPath: runtime.rootPemPath,
    logger,
    close: async () => {
      clearTimeout(renewTimer);
      reconciler.stop();
      await app.close();
      await runtime.close();
    },
  };
}
