/**
 * A lower bound for any Node.js ACME server's CPU per issuance on this
 * machine, measured in the same run as bench:acme: what the unavoidable parts
 * cost when nothing else runs —
 * - one keep-alive HTTPS request/response on bare node:https (acme-floor-server.ts),
 *   times the requests an issuance takes;
 * - one ES256 JWS signature check (node:crypto, key already imported) per request;
 * - one CSR key import plus signature check (a fresh P-256 key per order).
 * Left out, so the real floor is higher: the database, the http-01 fetch and
 * its DNS lookups, signing the certificate, and every line of ACME logic.
 */
import { spawn } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { join } from 'node:path';
import { Agent, request } from 'node:https';
import { clockTicksPerSecond, makePebbleTlsCert, processCpuMs } from './acme-bench-servers';

export interface Floor {
  httpsRequestUs: number;
  es256VerifyUs: number;
  csrKeyImportAndVerifyUs: number;
}

const REQUESTS = 4000;
const WARMUP = 400;
const CONCURRENCY = 8;

/** Server CPU µs per keep-alive HTTPS request on bare node:https, driven like the bench client drives Rotor. */
async function httpsRequestUs(dir: string): Promise<number> {
  const { certPath, keyPath, caPem } = makePebbleTlsCert(dir);
  const child = spawn(process.execPath, [join(__dirname, 'acme-floor-server.js'), keyPath, certPath], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      child.once('exit', (code) => reject(new Error(`floor server exited with ${code}`)));
    });
    const agent = new Agent({ ca: caPem, keepAlive: true });
    const body = JSON.stringify({ protected: 'e'.repeat(420), payload: 'p'.repeat(60), signature: 's'.repeat(86) });
    const post = (): Promise<void> =>
      new Promise((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            path: '/acme/order/0123456789abcdef0123456789',
            method: 'POST',
            agent,
            headers: { 'content-type': 'application/jose+json', 'content-length': Buffer.byteLength(body) },
          },
          (res) => {
            res.resume();
            res.once('end', resolve);
          },
        );
        req.once('error', reject);
        req.end(body);
      });
    const run = async (count: number): Promise<void> => {
      let left = count;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (left-- > 0) await post();
        }),
      );
    };
    await run(WARMUP);
    const ticks = clockTicksPerSecond();
    const before = processCpuMs(child.pid as number, ticks);
    await run(REQUESTS);
    const used = processCpuMs(child.pid as number, ticks) - before;
    agent.destroy();
    return (used * 1000) / REQUESTS;
  } finally {
    child.kill();
  }
}

function medianUs(rounds: number, count: number, work: () => void): number {
  const results: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.cpuUsage();
    for (let i = 0; i < count; i++) work();
    const used = process.cpuUsage(start);
    results.push((used.user + used.system) / count);
  }
  return results.sort((a, b) => a - b)[Math.floor(rounds / 2)];
}

export async function measureFloor(dir: string): Promise<Floor> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const input = Buffer.from(`${'e'.repeat(420)}.${'p'.repeat(60)}`);
  const signature = sign('sha256', input, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const derSignature = sign('sha256', input, privateKey);
  return {
    httpsRequestUs: await httpsRequestUs(dir),
    es256VerifyUs: medianUs(5, 2000, () => {
      verify('sha256', input, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);
    }),
    csrKeyImportAndVerifyUs: medianUs(5, 1000, () => {
      verify('sha256', input, createPublicKey({ key: spki, format: 'der', type: 'spki' }), derSignature);
    }),
  };
}

/** CPU ms per issuance the unavoidable parts cost for `requestsPerIssuance` requests. */
export function floorMsPerIssuance(floor: Floor, requestsPerIssuance: number): number {
  return (requestsPerIssuance * (floor.httpsRequestUs + floor.es256VerifyUs) + floor.csrKeyImportAndVerifyUs) / 1000;
}
