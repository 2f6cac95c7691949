/**
 * Figures for the issuance benchmark: per-run measurements, medians across
 * rounds, Rotor/Pebble ratios, and the markdown and JSON renderings of the
 * same table. Nothing here decides pass or fail; targets are only printed.
 */

export interface RunResult {
  round: number;
  /** 1, or more when earlier attempts were void because the server stopped answering. */
  attempts?: number;
  issued: number;
  errors: number;
  firstError?: string;
  wallMs: number;
  issuancesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** utime+stime of the server process over the measured phase, per issuance. */
  serverCpuMsPerIssuance: number;
  /** PostgreSQL backends serving Rotor's database, per issuance (Rotor on PostgreSQL only). */
  dbCpuMsPerIssuance?: number;
  /** PostgreSQL transactions (pg_stat_database, each autocommit statement counts) per issuance. */
  dbTransactionsPerIssuance?: number;
  /** The bench process itself (the ACME client and the http-01 responder), per issuance. */
  clientCpuMsPerIssuance: number;
  /** HTTP requests the client sent per issuance (status polls included). */
  requestsPerIssuance: number;
}

export interface TargetSummary {
  target: string;
  server: string;
  db: string;
  runs: RunResult[];
  median: Omit<RunResult, 'round' | 'firstError'>;
}

export interface Ratio {
  rotor: string;
  issuancesPerSec: number;
  p50: number;
  p99: number;
  serverCpuPerIssuance: number;
  /** Rotor process + its PostgreSQL backends vs Pebble (in-memory store). */
  serverPlusDbCpuPerIssuance?: number;
  meetsThroughputTarget: boolean;
  meetsCpuTarget: boolean;
}

export const TARGETS = { throughputAtLeast: 2, cpuAtMost: 0.5 };

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

export function summarise(target: string, server: string, db: string, runs: RunResult[]): TargetSummary {
  const m = (pick: (r: RunResult) => number): number => median(runs.map(pick));
  const withDb = runs.filter((r) => r.dbCpuMsPerIssuance !== undefined);
  return {
    target,
    server,
    db,
    runs,
    median: {
      issued: runs.reduce((s, r) => s + r.issued, 0),
      errors: runs.reduce((s, r) => s + r.errors, 0),
      wallMs: m((r) => r.wallMs),
      issuancesPerSec: m((r) => r.issuancesPerSec),
      p50Ms: m((r) => r.p50Ms),
      p99Ms: m((r) => r.p99Ms),
      serverCpuMsPerIssuance: m((r) => r.serverCpuMsPerIssuance),
      dbCpuMsPerIssuance: withDb.length ? median(withDb.map((r) => r.dbCpuMsPerIssuance as number)) : undefined,
      dbTransactionsPerIssuance: withDb.length
        ? median(withDb.map((r) => r.dbTransactionsPerIssuance as number))
        : undefined,
      clientCpuMsPerIssuance: m((r) => r.clientCpuMsPerIssuance),
      requestsPerIssuance: m((r) => r.requestsPerIssuance),
    },
  };
}

export function ratio(rotor: TargetSummary, pebble: TargetSummary): Ratio {
  const r = rotor.median;
  const p = pebble.median;
  const cpu = r.serverCpuMsPerIssuance / p.serverCpuMsPerIssuance;
  return {
    rotor: rotor.target,
    issuancesPerSec: r.issuancesPerSec / p.issuancesPerSec,
    p50: r.p50Ms / p.p50Ms,
    p99: r.p99Ms / p.p99Ms,
    serverCpuPerIssuance: cpu,
    serverPlusDbCpuPerIssuance:
      r.dbCpuMsPerIssuance === undefined
        ? undefined
        : (r.serverCpuMsPerIssuance + r.dbCpuMsPerIssuance) / p.serverCpuMsPerIssuance,
    meetsThroughputTarget: r.issuancesPerSec / p.issuancesPerSec >= TARGETS.throughputAtLeast,
    meetsCpuTarget: cpu <= TARGETS.cpuAtMost,
  };
}

const f = (v: number | undefined, digits = 1): string => (v === undefined || Number.isNaN(v) ? '–' : v.toFixed(digits));
const x = (v: number | undefined): string => (v === undefined ? '–' : `${v.toFixed(2)}×`);

export function renderMarkdown(header: string[], summaries: TargetSummary[], ratios: Ratio[]): string {
  const lines = [...header, ''];
  lines.push(
    '| server | store | issuances/s | p50 ms | p99 ms | server CPU ms/issuance | + DB backends ms/issuance | DB xacts/issuance | client CPU ms/issuance | requests/issuance | issued | errors |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const s of summaries) {
    const m = s.median;
    lines.push(
      `| ${s.server} | ${s.db} | ${f(m.issuancesPerSec)} | ${f(m.p50Ms)} | ${f(m.p99Ms)} | ${f(m.serverCpuMsPerIssuance, 2)} | ` +
        `${f(m.dbCpuMsPerIssuance, 2)} | ${f(m.dbTransactionsPerIssuance)} | ${f(m.clientCpuMsPerIssuance, 2)} | ${f(m.requestsPerIssuance)} | ${m.issued} | ${m.errors} |`,
    );
  }
  if (ratios.length) {
    lines.push(
      '',
      `| Rotor / Pebble | issuances/s (target ≥ ${TARGETS.throughputAtLeast}×) | p50 | p99 | server CPU/issuance (target ≤ ${TARGETS.cpuAtMost}×) | CPU incl. DB backends | targets met |`,
      '|---|---:|---:|---:|---:|---:|---|',
    );
    for (const r of ratios) {
      const met = [
        r.meetsThroughputTarget ? 'throughput yes' : 'throughput NO',
        r.meetsCpuTarget ? 'CPU yes' : 'CPU NO',
      ];
      lines.push(
        `| ${r.rotor} | ${x(r.issuancesPerSec)} | ${x(r.p50)} | ${x(r.p99)} | ${x(r.serverCpuPerIssuance)} | ` +
          `${x(r.serverPlusDbCpuPerIssuance)} | ${met.join(', ')} |`,
      );
    }
  }
  const repeated = summaries.flatMap((s) =>
    s.runs.filter((r) => (r.attempts ?? 1) > 1).map((r) => `${s.target} round ${r.round} (${r.attempts} attempts)`),
  );
  if (repeated.length) {
    lines.push('', `Runs repeated on a fresh server after it stopped answering: ${repeated.join(', ')}.`);
  }
  const errors = summaries.flatMap((s) =>
    s.runs.filter((r) => r.firstError).map((r) => `${s.target} round ${r.round}: ${r.firstError}`),
  );
  if (errors.length) lines.push('', 'First error per failing run:', ...errors.map((e) => `- ${e}`));
  return lines.join('\n');
}
