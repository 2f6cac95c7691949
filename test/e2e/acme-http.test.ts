/**
 * The HTTP layer in front of every ACME resource (apps/server/src/acme/acme-server.ts):
 * requests that never reach a use case — wrong method, unknown path, bodies over
 * the limit, a client that goes away mid-body — get the right problem document
 * (RFC 8555 §6.7) with the headers every ACME response carries, change nothing,
 * and leave the server answering.
 */
import { connect } from 'node:tls';
import { httpsRequest, startRotor, TestRotor } from '@rotor/testing';
import { DbSnapshotter, openDbSnapshotter } from './db-snapshot';

jest.setTimeout(30_000);

const PREFIX = 'urn:ietf:params:acme:error:';
let rotor: TestRotor;
let db: DbSnapshotter;

beforeAll(async () => {
  rotor = await startRotor();
  db = openDbSnapshotter(rotor.config.dataDir);
});

afterAll(async () => {
  db.close();
  await rotor.stop();
});

const call = (method: string, path: string, headers: Record<string, string> = {}, body?: string) =>
  httpsRequest(rotor.agent, `${rotor.baseUrl}${path}`, method, headers, body);

const indexLink = () => `<${rotor.directoryUrl}>;rel="index"`;

/** Sends a chunked body of `size` octets without a Content-Length, as a client may. */
function chunkedPost(path: string, size: number): Promise<{ status: number; headers: string; body: string }> {
  const url = new URL(`${rotor.baseUrl}${path}`);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port), ca: rotor.rootPem, servername: 'localhost' });
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head, body = ''] = received.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), headers: head.toLowerCase(), body });
    });
    socket.on('secureConnect', () => {
      socket.write(
        `POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/jose+json\r\n` +
          'Transfer-Encoding: chunked\r\n\r\n',
      );
      const chunk = 'x'.repeat(16 * 1024);
      for (let sent = 0; sent < size; sent += chunk.length)
        socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
      socket.write('0\r\n\r\n');
    });
  });
}

describe('ACME HTTP layer', () => {
  it('ok/HEAD on the directory answers like GET, without a body', async () => {
    const get = await call('GET', '/acme/directory');
    const head = await call('HEAD', '/acme/directory');
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(head.headers['content-type']).toBe(get.headers['content-type']);
    expect(head.headers.link).toBe(indexLink());
  });

  it('ok/newNonce: HEAD 200 and GET 204, each with a fresh nonce and no-store (RFC 8555 §7.2)', async () => {
    const head = await call('HEAD', '/acme/new-nonce');
    const get = await call('GET', '/acme/new-nonce');
    expect([head.status, get.status]).toEqual([200, 204]);
    expect(head.headers['replay-nonce']).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(get.headers['replay-nonce']).not.toBe(head.headers['replay-nonce']);
    expect(get.headers['cache-control']).toBe('no-store');
  });

  it('fail/GET of a POST-as-GET resource → 405 with Allow: POST (RFC 8555 §6.3)', async () => {
    const before = db.snapshot();
    for (const path of ['/acme/new-order', '/acme/order/abc', '/acme/authz/abc', '/acme/cert/abc']) {
      const res = await call('GET', path);
      expect(res.status).toBe(405);
      expect(res.headers.allow).toBe('POST');
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(res.body.type).toBe(`${PREFIX}malformed`);
      expect(res.headers.link).toBe(indexLink());
    }
    expect(db.snapshot()).toEqual(before);
  });

  it('fail/unknown path or method → 404 problem; a POST still gets a nonce (§6.5)', async () => {
    const before = db.snapshot();
    const unknown = await call('POST', '/acme/no-such-thing', { 'content-type': 'application/jose+json' }, '{}');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ type: `${PREFIX}malformed`, detail: 'no such resource', status: 404 });
    expect(unknown.headers['replay-nonce']).toBeDefined();
    const put = await call('PUT', '/acme/new-order', { 'content-type': 'application/jose+json' }, '{}');
    expect(put.status).toBe(404);
    expect(put.headers['content-type']).toBe('application/problem+json');
    expect(db.snapshot()).toEqual(before);
  });

  it('fail/a chunked body over 64 KiB → 413 problem and the connection is closed', async () => {
    const before = db.snapshot();
    const res = await chunkedPost('/acme/new-order', 80 * 1024);
    expect(res.status).toBe(413);
    expect(res.headers).toContain('connection: close');
    expect(res.headers).toContain('replay-nonce:');
    expect(JSON.parse(res.body)).toMatchObject({ type: `${PREFIX}malformed`, status: 413 });
    expect(db.snapshot()).toEqual(before);
  });

  it('ok/a client gone mid-body leaves the server answering', async () => {
    const url = new URL(rotor.baseUrl);
    await new Promise<void>((resolve, reject) => {
      const socket = connect({
        host: url.hostname,
        port: Number(url.port),
        ca: rotor.rootPem,
        servername: 'localhost',
      });
      socket.on('error', reject);
      socket.on('secureConnect', () => {
        socket.write(
          `POST /acme/new-order HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/jose+json\r\n` +
            'Content-Length: 5000\r\n\r\n{"protected":',
        );
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 50);
      });
    });
    expect((await call('GET', '/acme/directory')).status).toBe(200);
  });

  it('ok/request metrics are labelled by route pattern, never the raw URL', async () => {
    await call('GET', '/acme/order/some-random-id-123');
    const metrics = await rotor.api('GET', '/metrics');
    expect(metrics.text).toContain('rotor_acme_requests_total{endpoint="/acme/order/:id",method="GET",status="405"}');
    expect(metrics.text).toContain('endpoint="unmatched"');
    expect(metrics.text).not.toContain('some-random-id-123');
  });
});
