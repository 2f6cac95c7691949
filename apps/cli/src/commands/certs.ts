import { readFileSync, statSync } from 'node:fs';
import { Command } from 'commander';
import {
  endpointKey,
  ImportCertificatesUseCase,
  InventoryInputError,
  inventoryListQuerySchema,
  InventoryQueries,
  InventoryRecord,
  InventoryView,
  parseDuration,
  parseEndpoint,
  ScanEndpointsUseCase,
  ScanOutcome,
  ScanTarget,
  toInventoryQuery,
  toView,
} from '@rotor/lifecycle';
import { SqlInventoryRepository } from '@rotor/store';
import { ProgressBar } from './progress';
import { ExitStatus, UsageError, withDataSource, withStoreOptions } from './shared';

type Flags = Record<string, unknown>;

/** Files larger than this are not certificate bundles. */
const MAX_FILE_BYTES = 10 * 1024 * 1024;
const MAX_CERTS_PER_FILE = 10_000;
const MAX_SCAN_TIMEOUT_MS = 5 * 60e3;

const withWarning = (command: Command) =>
  command.option('--expiry-warning <duration>', 'the "expiring" window (ROTOR_EXPIRY_WARNING, default 7d)');

/** `rotor certs`: the certificate inventory, straight from the store (works with or without a running server). */
export function registerCertsCommands(program: Command): void {
  const certs = program.command('certs').description('the certificate inventory: list, show, import, scan');

  withWarning(withStoreOptions(certs.command('list')))
    .description('list certificates ordered by notAfter (soonest first)')
    .option('--status <statuses>', 'comma list of valid, expiring, expired, revoked, superseded')
    .option('--san <name>', 'only certificates naming this DNS name, IP or URI')
    .option('--issuer <text>', 'issuer DN contains this text (case-insensitive)')
    .option('--expiring-within <duration>', 'notAfter within this duration from now, e.g. 7d')
    .option('--source <source>', 'acme, managed, import or scan')
    .option('--owner <kind:id>', 'account:<id> or managed:<id>')
    .option('--limit <n>', 'page size, 1-500 (default 100)')
    .option('--after <cursor>', 'continue after a previous page')
    .option('--json', 'print JSON {items, next}')
    .action(async (flags: Flags) => {
      const parsed = inventoryListQuerySchema.safeParse(
        Object.fromEntries(
          Object.entries({
            status: flags.status,
            san: flags.san,
            issuer: flags.issuer,
            expiringWithin: flags.expiringWithin,
            source: flags.source,
            owner: flags.owner,
            limit: flags.limit,
            after: flags.after,
          }).filter(([, v]) => v !== undefined),
        ),
      );
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const flag = String(issue.path[0] ?? '').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
        throw new UsageError(`--${flag}: ${issue.message}`);
      }
      const page = await withDataSource(flags, (dataSource, config) =>
        new InventoryQueries(new SqlInventoryRepository(dataSource), { warningMs: config.expiryWarning }).list(
          toInventoryQuery(parsed.data),
        ),
      );
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(page.next ? page : { items: page.items })}\n`);
        return;
      }
      for (const view of page.items) process.stdout.write(`${listLine(view)}\n`);
      if (!page.items.length) process.stderr.write('no certificates match\n');
      if (page.next) process.stderr.write(`more: rotor certs list … --after ${page.next}\n`);
    });

  withWarning(withStoreOptions(certs.command('show')))
    .description('one certificate by SHA-256 fingerprint or serial')
    .argument('<id>', 'fingerprint (hex, colons allowed) or serial')
    .option('--json', 'print JSON')
    .option('--pem', 'print only the PEM (leaf first)')
    .action(async (id: string, flags: Flags) => {
      const view = await withDataSource(flags, (dataSource, config) =>
        new InventoryQueries(new SqlInventoryRepository(dataSource), { warningMs: config.expiryWarning }).show(id),
      );
      if (!view) {
        process.stderr.write(`rotor: no certificate with fingerprint or serial "${id.slice(0, 130)}"\n`);
        throw new ExitStatus(1);
      }
      if (flags.pem) process.stdout.write(view.pem ?? '');
      else process.stdout.write(flags.json ? `${JSON.stringify(view)}\n` : showText(view));
    });

  withWarning(withStoreOptions(certs.command('import')))
    .description('track certificates Rotor did not issue (PEM files, several certificates each)')
    .argument('<files...>', 'PEM files')
    .option('--json', 'print JSON')
    .action(async (files: string[], flags: Flags) => {
      await withDataSource(flags, async (dataSource, config) => {
        const useCase = new ImportCertificatesUseCase(new SqlInventoryRepository(dataSource));
        // Every file is read and checked before anything is stored: one bad file stores nothing.
        const records: InventoryRecord[] = [];
        for (const file of files) records.push(...prepareFile(useCase, file));
        const results = await useCase.store(dedupe(records));
        const now = Date.now();
        const views = results.map((r) => ({ ...toView(r.record, now, config.expiryWarning), inserted: r.inserted }));
        const imported = views.filter((v) => v.inserted).length;
        if (flags.json) {
          process.stdout.write(`${JSON.stringify({ imported, known: views.length - imported, items: views })}\n`);
          return;
        }
        for (const v of views) process.stdout.write(`${v.inserted ? 'imported' : 'known   '}  ${listLine(v)}\n`);
        process.stdout.write(`${imported} imported, ${views.length - imported} already known\n`);
      });
    });

  withStoreOptions(certs.command('scan'))
    .description('connect to TLS endpoints and track the certificate each one serves')
    .argument('[endpoints...]', 'host:port (IPv6 as [addr]:port; port defaults to 443)')
    .option('--from-file <file>', 'more endpoints, one per line (# comments allowed)')
    .option('--concurrency <n>', 'endpoints scanned at once, 1-256', '16')
    .option('--timeout <duration>', 'per endpoint, e.g. 5s', '5s')
    .option('--servername <name>', 'SNI to send (default: the endpoint host unless it is an IP)')
    .option('--progress', 'show a progress bar on stderr even when it is not a terminal')
    .option('--no-progress', 'never show a progress bar')
    .option('--json', 'print JSON')
    .action(async (endpoints: string[], flags: Flags) => {
      const targets = scanTargets(endpoints, flags.fromFile as string | undefined);
      const concurrency = intFlag(flags.concurrency, '--concurrency', 1, 256);
      const timeoutMs = parseDuration(String(flags.timeout));
      if (!timeoutMs || timeoutMs > MAX_SCAN_TIMEOUT_MS) {
        throw new UsageError(
          `--timeout "${String(flags.timeout).slice(0, 40)}": expected a duration from 1ms to 5m, e.g. 5s`,
        );
      }
      const servername = flags.servername as string | undefined;
      if (servername !== undefined && !/^[A-Za-z0-9_.-]{1,253}$/.test(servername)) {
        throw new UsageError(`--servername "${servername.slice(0, 80)}" is not a host name`);
      }
      // --progress → true, --no-progress → false, neither → undefined (then: only on a terminal).
      const showProgress = flags.progress === true || (flags.progress === undefined && Boolean(process.stderr.isTTY));
      const bar = showProgress ? new ProgressBar(targets.length) : undefined;

      const outcomes = await withDataSource(flags, (dataSource) =>
        new ScanEndpointsUseCase(new SqlInventoryRepository(dataSource)).execute(targets, {
          concurrency,
          timeoutMs,
          servername,
          onOutcome: (o) => bar?.tick(o.ok),
        }),
      );
      bar?.finish();
      const failed = outcomes.filter((o) => !o.ok).length;
      if (flags.json) {
        process.stdout.write(
          `${JSON.stringify({ scanned: outcomes.length, failed, results: outcomes.map(scanJson) })}\n`,
        );
      } else {
        for (const o of outcomes) process.stdout.write(`${scanLine(o)}\n`);
        process.stdout.write(`${outcomes.length - failed} ok, ${failed} failed\n`);
      }
      if (failed) throw new ExitStatus(1);
    });
}

function prepareFile(useCase: ImportCertificatesUseCase, file: string): InventoryRecord[] {
  let text: string;
  try {
    if (statSync(file).size > MAX_FILE_BYTES) throw new UsageError(`${file}: larger than 10 MiB; not a PEM bundle`);
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    return useCase.prepare(text, MAX_CERTS_PER_FILE);
  } catch (error) {
    if (error instanceof InventoryInputError) throw new UsageError(`${file}: ${error.message}`);
    throw error;
  }
}

const dedupe = (records: InventoryRecord[]) => [...new Map(records.map((r) => [r.id, r])).values()];

function scanTargets(args: string[], fromFile: string | undefined): ScanTarget[] {
  const entries: { text: string; where: string }[] = args.map((text) => ({ text, where: 'argument' }));
  if (fromFile !== undefined) {
    let text: string;
    try {
      if (statSync(fromFile).size > MAX_FILE_BYTES) throw new UsageError(`--from-file ${fromFile}: larger than 10 MiB`);
      text = readFileSync(fromFile, 'utf8');
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new UsageError(
        `--from-file ${fromFile}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
    text.split(/\r?\n/).forEach((line, i) => {
      const value = line.replace(/#.*/, '').trim();
      if (value) entries.push({ text: value, where: `${fromFile}:${i + 1}` });
    });
  }
  if (!entries.length) throw new UsageError('no endpoints: give host:port arguments or --from-file');
  const targets = new Map<string, ScanTarget>();
  for (const entry of entries) {
    try {
      const target = parseEndpoint(entry.text);
      targets.set(endpointKey(target), target);
    } catch (error) {
      if (error instanceof InventoryInputError) throw new UsageError(`${entry.where}: ${error.message}`);
      throw error;
    }
  }
  return [...targets.values()];
}

function intFlag(value: unknown, flag: string, min: number, max: number): number {
  const text = String(value);
  const n = Number(text);
  if (!/^\d{1,6}$/.test(text) || n < min || n > max) {
    throw new UsageError(`${flag} "${text.slice(0, 20)}": expected an integer from ${min} to ${max}`);
  }
  return n;
}

const names = (view: Pick<InventoryView, 'sans'>) => [...view.sans.dns, ...view.sans.ip, ...view.sans.uri];

function listLine(view: InventoryView): string {
  const all = names(view);
  const shown = all.slice(0, 3).join(',') + (all.length > 3 ? `,+${all.length - 3}` : '');
  return [
    view.status.padEnd(10),
    view.notAfter.slice(0, 16).replace('T', ' '),
    view.id.slice(0, 16),
    view.source.padEnd(7),
    shown || view.subject,
  ].join('  ');
}

function showText(view: InventoryView): string {
  const remaining = Date.parse(view.notAfter) - Date.now();
  const rows: [string, string | null | undefined][] = [
    ['id', view.id],
    ['serial', view.serial],
    [
      'status',
      `${view.status} (${remaining > 0 ? `expires in ${human(remaining)}` : `expired ${human(-remaining)} ago`})`,
    ],
    ['subject', view.subject],
    ['issuer', view.issuer],
    ['dns', view.sans.dns.join(', ')],
    ['ip', view.sans.ip.join(', ')],
    ['uri', view.sans.uri.join(', ')],
    ['not before', view.notBefore],
    ['not after', view.notAfter],
    ['key type', view.keyType],
    ['profile', view.profile],
    ['source', view.source],
    ['owner', view.owner ? `${view.owner.kind}:${view.owner.id}` : null],
    ['revoked at', view.revokedAt],
    ['replaces', view.replaces],
    ['replaced by', view.replacedBy],
    ['endpoints', view.endpoints.join(', ')],
  ];
  return rows
    .filter(([, v]) => v)
    .map(([k, v]) => `${`${k}:`.padEnd(13)}${v}\n`)
    .join('');
}

function human(ms: number): string {
  const m = Math.floor(ms / 60e3);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

function scanLine(o: ScanOutcome): string {
  if (!o.ok) return `FAIL  ${o.endpoint}  ${o.error}`;
  return `ok    ${o.endpoint}  ${o.id.slice(0, 16)}  ${new Date(o.notAfter).toISOString().slice(0, 16).replace('T', ' ')}  ${o.subject}${o.inserted ? '  (new)' : ''}`;
}

const scanJson = (o: ScanOutcome) => (o.ok ? { ...o, notAfter: new Date(o.notAfter).toISOString() } : o);
