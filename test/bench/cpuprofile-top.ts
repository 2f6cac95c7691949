/**
 * Summarises V8 .cpuprofile files (from `node --cpu-prof`, e.g. Rotor runs of
 * `acme-bench --profile <dir>`): top functions by self time, self time per
 * package / source area, and inclusive time of chosen frames. Prints only.
 *
 *   node dist/test/bench/cpuprofile-top.js <file-or-dir> [--top 30] [--focus name1,name2]
 *
 * When the profile's directory holds a measured-window.json ({startUs, endUs}
 * on the monotonic clock V8 stamps samples with, written by acme-bench), only
 * samples inside that window count: start-up and warm-up are left out.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function files(target: string): string[] {
  if (!statSync(target).isDirectory()) return [target];
  return readdirSync(target, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(target, f));
}

/** Where a frame comes from: a node_modules package, a Rotor source area, node internals, or a V8 pseudo-frame. */
function area(url: string, fn: string): string {
  if (!url) return `(${fn || 'anonymous'})`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  const rotor = /\/dist\/((?:apps|libs)\/[^/]+)/.exec(url)?.[1];
  if (rotor) return `rotor:${rotor}`;
  if (url.startsWith('node:')) return url.split('/')[0].replace(/^node:internal.*/, 'node:internal');
  return url.replace(/^.*\//, '');
}

/**
 * What a sample was doing, from the whole stack (so native work such as a socket
 * write or a signature counts for the layer that asked for it). First match wins.
 */
const CATEGORIES: [string, RegExp][] = [
  [
    'database (TypeORM, drivers, their socket writes)',
    /node_modules\/(typeorm|better-sqlite3|pg|pg-protocol|pg-pool)\/|\/libs\/store\//,
  ],
  [
    'X.509 / CSR (@peculiar, asn1js, libs/pki)',
    /node_modules\/(@peculiar\/|asn1js|pvtsutils|pvutils|tsyringe)|\/libs\/pki\//,
  ],
  ['JWS verification (jose, libs/acme/jws)', /node_modules\/jose\/|\/libs\/acme\/src\/jws\//],
  ['challenge validation (libs/challenges: DNS, HTTP fetch)', /\/libs\/challenges\//],
  [
    'HTTP serving (fastify, Nest, node:http, TLS)',
    /node_modules\/(fastify|@fastify|@nestjs|find-my-way|light-my-request|avvio)|node:_http|node:_tls|node:https/,
  ],
  ['other Rotor code (use cases, controllers)', /\/dist\/(apps|libs)\//],
];

const short = (url: string): string => url.replace(/^file:\/\//, '').replace(/^.*\/(node_modules|dist)\//, '$1/');

function main(): void {
  const argv = process.argv.slice(2);
  const opt = (flag: string): string | undefined => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
  const top = Number(opt('--top') ?? 30);
  const focus = (opt('--focus') ?? '').split(',').filter(Boolean);
  const positional = argv.filter((a, i) => !a.startsWith('--') && !argv[i - 1]?.startsWith('--'));
  const self = new Map<string, number>();
  const byArea = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const byRotorFrame = new Map<string, number>();
  const byCategory = new Map<string, number>();
  let total = 0;
  let windowMs = 0;
  for (const file of positional.flatMap(files)) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
    const windowFile = join(dirname(file), 'measured-window.json');
    const window = existsSync(windowFile)
      ? (JSON.parse(readFileSync(windowFile, 'utf8')) as { startUs: number; endUs: number })
      : { startUs: -Infinity, endUs: Infinity };
    windowMs += Number.isFinite(window.startUs) ? (window.endUs - window.startUs) / 1000 : 0;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    let at = profile.startTime;
    profile.samples.forEach((id, i) => {
      at += profile.timeDeltas[i] ?? 0;
      if (at < window.startUs || at > window.endUs) return;
      const dt = (profile.timeDeltas[i] ?? 0) / 1000;
      const node = byId.get(id) as ProfileNode;
      const { functionName, url, lineNumber } = node.callFrame;
      if (functionName === '(idle)') return;
      total += dt;
      const key = `${functionName || '(anonymous)'} ${short(url)}:${lineNumber + 1}`;
      self.set(key, (self.get(key) ?? 0) + dt);
      const a = area(url, functionName);
      byArea.set(a, (byArea.get(a) ?? 0) + dt);
      // Inclusive time of focus frames: count each sample once per focus name found on its stack.
      const seen = new Set<string>();
      let rotorFrame: string | undefined;
      let category = CATEGORIES.length;
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
        const frame = (byId.get(cur) as ProfileNode).callFrame;
        const c = CATEGORIES.findIndex(([, re]) => re.test(frame.url));
        if (c >= 0 && c < category) category = c;
        if (!rotorFrame && /\/dist\/(apps|libs)\//.test(frame.url)) {
          rotorFrame = `${frame.functionName || '(anonymous)'} ${short(frame.url)}:${frame.lineNumber + 1}`;
        }
        if (focus.includes(frame.functionName) && !seen.has(frame.functionName)) {
          seen.add(frame.functionName);
          inclusive.set(frame.functionName, (inclusive.get(frame.functionName) ?? 0) + dt);
        }
      }
      const cat = CATEGORIES[category]?.[0] ?? `unattributed (${/^\(/.test(a) ? a : 'node internals, microtasks'})`;
      byCategory.set(cat, (byCategory.get(cat) ?? 0) + dt);
      const owner = rotorFrame ?? `(no Rotor frame) ${a}`;
      byRotorFrame.set(owner, (byRotorFrame.get(owner) ?? 0) + dt);
    });
  }
  const rows = (m: Map<string, number>, n: number): string[] =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, ms]) => `| ${k} | ${ms.toFixed(0)} | ${((100 * ms) / total).toFixed(1)}% |`);
  const out = [
    `Non-idle CPU samples: ${total.toFixed(0)} ms` +
      (windowMs ? ` inside the measured window(s) (${windowMs.toFixed(0)} ms wall)` : ' (whole profile)'),
    '',
    '| layer (whole stack: first matching layer wins) | ms | share |',
    '|---|---:|---:|',
    ...rows(byCategory, top),
    '',
    '| function (self time) | ms | share |',
    '|---|---:|---:|',
    ...rows(self, top),
    '',
    '| package / area (self time) | ms | share |',
    '|---|---:|---:|',
    ...rows(byArea, top),
    '',
    '| deepest Rotor frame on the stack (inclusive of the libraries it calls) | ms | share |',
    '|---|---:|---:|',
    ...rows(byRotorFrame, top),
  ];
  if (focus.length)
    out.push('', '| frame (inclusive time) | ms | share |', '|---|---:|---:|', ...rows(inclusive, focus.length));
  process.stdout.write(out.join('\n') + '\n');
}

main();
