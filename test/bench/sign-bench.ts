/**
 * Sign benchmark: issues N leaf certificates from one P-256 CSR with each
 * WebCrypto provider @peculiar/x509 can use (Node's native webcrypto and
 * @peculiar/webcrypto), in the same process, and prints throughput, latency
 * percentiles and the native/peculiar ratio. It decides nothing: the figures
 * go into the docs and the default provider is set by hand.
 *
 *   npm run bench:sign -- --n 2000
 *   node dist/test/bench/sign-bench.js --n 500
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import * as x509 from '@peculiar/x509';
import { CertificateAuthority, createCaMaterial, KeySealer, parseCsr, PkiCryptoName, usePkiCrypto } from '@rotor/pki';

interface Stats {
  opsPerSec: number;
  p50: number;
  p99: number;
}

function parseArgs(argv: string[]): { n: number; warmup: number; rounds: number } {
  const get = (flag: string, fallback: number): number => {
    const i = argv.indexOf(flag);
    const v = i >= 0 ? Number(argv[i + 1]) : fallback;
    if (!Number.isInteger(v) || v <= 0) throw new Error(`${flag} must be a positive integer`);
    return v;
  };
  return { n: get('--n', 2000), warmup: get('--warmup', 100), rounds: get('--rounds', 4) };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Latency samples plus wall time, accumulated over the interleaved rounds. */
class Recorder {
  private readonly samples: number[] = [];
  private totalMs = 0;

  async run(n: number, op: () => Promise<unknown>): Promise<void> {
    const start = performance.now();
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await op();
      this.samples.push(performance.now() - t);
    }
    this.totalMs += performance.now() - start;
  }

  stats(): Stats {
    const sorted = [...this.samples].sort((a, b) => a - b);
    return {
      opsPerSec: (sorted.length * 1000) / this.totalMs,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
    };
  }
}

/** A P-256 CSR as an ACME client would send it, built with Node's own WebCrypto. */
async function makeCsr(): Promise<Uint8Array> {
  const keys = await globalThis.crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ]);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create(
    {
      name: 'CN=bench.example.com',
      keys,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'bench.example.com' }])],
    },
    globalThis.crypto,
  );
  return new Uint8Array(csr.rawData);
}

async function main(): Promise<void> {
  const { n, warmup, rounds } = parseArgs(process.argv.slice(2));
  const sealer = KeySealer.fromMasterKey(randomBytes(32).toString('hex'));
  usePkiCrypto('native');
  const material = await createCaMaterial('ecdsa-p256', sealer);
  const csrDer = await makeCsr();
  const caOptions = { aiaIssuerUrl: 'http://bench.test/int.pem', crlUrl: 'http://bench.test/crl' };
  const providers = ['native', 'peculiar'] as const;

  // One CA per provider: a CryptoKey belongs to the implementation that imported it.
  const cas = {} as Record<PkiCryptoName, CertificateAuthority>;
  const rec = {} as Record<PkiCryptoName, { issue: Recorder; parse: Recorder }>;
  for (const p of providers) {
    usePkiCrypto(p);
    cas[p] = await CertificateAuthority.open(material, sealer, caOptions);
    rec[p] = { issue: new Recorder(), parse: new Recorder() };
  }
  const parsed = await parseCsr(csrDer);
  const issue = (p: PkiCryptoName) => (): Promise<unknown> =>
    cas[p].issueFromCsr(parsed, { profile: 'server', names: parsed.names });

  // Rounds alternate the provider order so load drift on the machine hits both alike.
  const perRound = Math.ceil(n / rounds);
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? providers : [...providers].reverse();
    for (const p of order) {
      usePkiCrypto(p);
      const count = Math.min(perRound, n - round * perRound);
      if (count <= 0) continue;
      for (let i = 0; i < (round === 0 ? warmup : 0); i++) {
        await parseCsr(csrDer);
        await issue(p)();
      }
      await rec[p].parse.run(count, () => parseCsr(csrDer));
      await rec[p].issue.run(count, issue(p));
    }
  }
  const results = {} as Record<PkiCryptoName, { issue: Stats; parse: Stats }>;
  for (const p of providers) results[p] = { issue: rec[p].issue.stats(), parse: rec[p].parse.stats() };
  usePkiCrypto('native');

  const f = (v: number, d = 2): string => v.toFixed(d);
  const lines = [
    `Sign benchmark: ${n} issuances and CSR parses per provider in ${rounds} interleaved rounds (ECDSA P-256 CA, P-256 CSR), ${warmup} warm-up, Node ${process.version}, ${process.platform}/${process.arch}`,
    '',
    '| provider | issue certs/s | issue p50 ms | issue p99 ms | CSR parse/s | parse p50 ms | parse p99 ms |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...(['native', 'peculiar'] as const).map((p) => {
      const r = results[p];
      return `| ${p} | ${f(r.issue.opsPerSec, 0)} | ${f(r.issue.p50, 3)} | ${f(r.issue.p99, 3)} | ${f(r.parse.opsPerSec, 0)} | ${f(r.parse.p50, 3)} | ${f(r.parse.p99, 3)} |`;
    }),
    '',
    `ratio native/peculiar: issuance ${f(results.native.issue.opsPerSec / results.peculiar.issue.opsPerSec)}x, ` +
      `CSR parsing ${f(results.native.parse.opsPerSec / results.peculiar.parse.opsPerSec)}x (>1 means native is faster)`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`sign-bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
