import * as http from 'node:http';
import * as tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { buildTlsAlpnChallengeCertificate } from '@rotor/challenges';

/** An http-01 responder (RFC 8555 §8.3) on 127.0.0.1, serving whatever tokens a test sets. */
export class Http01Responder {
  readonly tokens = new Map<string, string>();
  private readonly server = http.createServer((req, res) => {
    const token = req.url?.match(/^\/\.well-known\/acme-challenge\/([A-Za-z0-9_-]+)$/)?.[1];
    const body = token ? this.tokens.get(token) : undefined;
    res.writeHead(body ? 200 : 404, { 'content-type': 'text/plain' }).end(body ?? 'not found');
  });
  port = 0;

  async start(port = 0): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A tls-alpn-01 responder (RFC 8737): answers "acme-tls/1" handshakes with the challenge certificate for the SNI name. */
export class TlsAlpnResponder {
  private readonly contexts = new Map<string, tls.SecureContext>();
  private readonly server = tls.createServer({
    ALPNProtocols: ['acme-tls/1'],
    SNICallback: (name, cb) => cb(null, this.contexts.get(name.toLowerCase())),
  });
  port = 0;

  async set(name: string, keyAuthorization: string): Promise<void> {
    const { certPem, keyPem } = await buildTlsAlpnChallengeCertificate({ type: 'dns', value: name }, keyAuthorization);
    this.contexts.set(name.toLowerCase(), tls.createSecureContext({ cert: certPem, key: keyPem }));
  }

  async start(port = 0): Promise<this> {
    this.server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
