import { parseAllDocuments } from 'yaml';
import { FieldError, ManagedError } from '../errors';
import type { ManagedCertificate, ManagedDeclaration } from '../model';
import type { ManagedCertificateRepository } from '../ports';
import { sameDeclaration, validateManagedDeclaration } from '../spec';
import { ManagedCertificates } from './managed-certificates';

export const MANIFEST_API_VERSION = 'rotor/v1';
export const MANIFEST_KIND = 'ManagedCertificate';
/** More documents than this in one apply is a mistake (or an attack), not a fleet. */
export const MAX_MANIFEST_DOCUMENTS = 1000;

export type ApplyAction = 'created' | 'updated' | 'unchanged' | 'deleted';

export interface ApplyItem {
  name: string;
  action: ApplyAction;
}

export interface ApplyOptions {
  /** Delete managed certificates the manifest does not name (never Rotor's own). */
  prune?: boolean;
  /** Report what would change; change nothing. */
  dryRun?: boolean;
}

/**
 * Parses a manifest: YAML (or JSON, which is YAML) holding one or more
 * documents (`---`), a top-level list of documents, or a `kind: List` with
 * `items`. Each document:
 *
 *   apiVersion: rotor/v1
 *   kind: ManagedCertificate
 *   metadata: { name: payments }
 *   spec: { dnsNames: [...], ips: [...], uris: [...], profile, keyType, lifetime, renewAt, jitter, reuseKey, subscribers }
 *
 * Every document is checked before anything is returned; all problems are
 * reported together with their paths (documents[1].spec.dnsNames[0]).
 */
export function parseManifestText(text: string): unknown[] {
  const documents = parseAllDocuments(text, { prettyErrors: true });
  const list = Array.isArray(documents) ? documents : [documents];
  const errors: FieldError[] = [];
  const values: unknown[] = [];
  list.forEach((doc, i) => {
    for (const error of doc.errors) {
      const where = error.linePos?.[0];
      errors.push({
        path: `documents[${i}]`,
        // The first line only: the rest is a code frame quoting the input.
        message: `YAML syntax error${where ? ` at line ${where.line}, column ${where.col}` : ''}: ${error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`,
      });
    }
    if (!doc.errors.length) values.push(doc.toJS({ maxAliasCount: 100 }));
  });
  if (errors.length) throw new ManagedError('malformed', 'the manifest is not valid YAML', errors);
  return values;
}

/** Flattens lists, drops empty documents, validates each; throws ManagedError with every problem found. */
export function manifestDeclarations(
  values: unknown[],
  parse: (input: unknown, pathPrefix: string) => ReturnType<typeof validateManagedDeclaration>,
): ManagedDeclaration[] {
  const documents: { path: string; value: unknown }[] = [];
  const errors: FieldError[] = [];
  values.forEach((value, i) => {
    const path = `documents[${i}]`;
    if (value === null || value === undefined) return; // an empty document (a trailing ---)
    if (Array.isArray(value)) value.forEach((item, j) => documents.push({ path: `${path}[${j}]`, value: item }));
    else if (isObject(value) && (value.kind === 'List' || value.kind === `${MANIFEST_KIND}List`)) {
      if (!Array.isArray(value.items)) errors.push({ path: `${path}.items`, message: 'a List needs an items array' });
      else value.items.forEach((item, j) => documents.push({ path: `${path}.items[${j}]`, value: item }));
    } else documents.push({ path, value });
  });
  if (documents.length > MAX_MANIFEST_DOCUMENTS) {
    throw new ManagedError('rejected', `${documents.length} documents; at most ${MAX_MANIFEST_DOCUMENTS} per apply`);
  }
  if (!documents.length && !errors.length) throw new ManagedError('malformed', 'the manifest holds no documents');

  let code: 'malformed' | 'rejected' = 'rejected';
  const declarations: ManagedDeclaration[] = [];
  const seen = new Map<string, string>();
  for (const { path, value } of documents) {
    const shape = documentShape(value, path);
    if (shape.errors.length) {
      errors.push(...shape.errors);
      code = 'malformed';
      continue;
    }
    const result = parse({ ...shape.spec, name: shape.name }, '');
    if (!result.ok) {
      if (result.code === 'malformed') code = 'malformed';
      errors.push(
        ...result.errors.map((e) => ({
          path: e.path === 'name' ? `${path}.metadata.name` : e.path ? `${path}.spec.${e.path}` : `${path}.spec`,
          message: e.message,
        })),
      );
      continue;
    }
    const first = seen.get(result.declaration.name);
    if (first) {
      errors.push({
        path: `${path}.metadata.name`,
        message: `"${result.declaration.name}" is declared twice (also ${first})`,
      });
      continue;
    }
    seen.set(result.declaration.name, path);
    declarations.push(result.declaration);
  }
  if (errors.length) throw new ManagedError(code, 'the manifest has errors; nothing was applied', errors);
  return declarations;
}

function documentShape(value: unknown, path: string): { name?: string; spec?: object; errors: FieldError[] } {
  const errors: FieldError[] = [];
  if (!isObject(value)) return { errors: [{ path, message: 'a document must be a mapping' }] };
  if (value.apiVersion !== MANIFEST_API_VERSION) {
    errors.push({ path: `${path}.apiVersion`, message: `must be ${MANIFEST_API_VERSION}` });
  }
  if (value.kind !== MANIFEST_KIND)
    errors.push({ path: `${path}.kind`, message: `must be ${MANIFEST_KIND} (or List)` });
  const unknown = Object.keys(value).filter((k) => !['apiVersion', 'kind', 'metadata', 'spec'].includes(k));
  if (unknown.length)
    errors.push({ path, message: `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}` });
  const metadata = value.metadata;
  if (!isObject(metadata) || typeof metadata.name !== 'string') {
    errors.push({ path: `${path}.metadata.name`, message: 'required (a string)' });
  } else {
    const extra = Object.keys(metadata).filter((k) => k !== 'name');
    if (extra.length)
      errors.push({
        path: `${path}.metadata`,
        message: `unknown field${extra.length > 1 ? 's' : ''} ${extra.join(', ')}`,
      });
  }
  const spec = value.spec;
  if (!isObject(spec)) errors.push({ path: `${path}.spec`, message: 'required (a mapping)' });
  else if ('name' in spec) errors.push({ path: `${path}.spec.name`, message: 'the name belongs in metadata.name' });
  return {
    name: isObject(metadata) ? (metadata.name as string) : undefined,
    spec: isObject(spec) ? spec : undefined,
    errors,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * `rotor apply`: makes the managed certificates match a manifest. Idempotent
 * (a second apply of the same file reports every item "unchanged" and writes
 * nothing), validated as a whole before the first change, `prune` deletes
 * what the file no longer names, `dryRun` only reports.
 */
export class ApplyManifest {
  constructor(
    private readonly managed: ManagedCertificates,
    private readonly repository: ManagedCertificateRepository,
  ) {}

  /** From text (YAML or JSON) or already-parsed documents (a JSON API body). */
  async apply(manifest: string | unknown[], options: ApplyOptions = {}): Promise<ApplyItem[]> {
    const values = typeof manifest === 'string' ? parseManifestText(manifest) : manifest;
    const declarations = manifestDeclarations(values, (input, prefix) => {
      try {
        return { ok: true, declaration: this.managed.parse(input, prefix) };
      } catch (error) {
        if (error instanceof ManagedError && (error.code === 'malformed' || error.code === 'rejected')) {
          return { ok: false, code: error.code, errors: error.errors };
        }
        throw error;
      }
    });
    const reserved = declarations.filter((d) => this.managed.isReserved(d.name));
    if (reserved.length) {
      throw new ManagedError(
        'rejected',
        'the manifest names a certificate the server manages',
        reserved.map((d) => ({ path: 'metadata.name', message: `"${d.name}" is Rotor's own HTTPS certificate` })),
      );
    }

    const items: ApplyItem[] = [];
    for (const declaration of declarations) {
      items.push({ name: declaration.name, action: await this.applyOne(declaration, options.dryRun ?? false) });
    }
    if (options.prune) {
      const named = new Set(declarations.map((d) => d.name));
      for (const existing of await this.all()) {
        if (named.has(existing.name) || this.managed.isReserved(existing.name)) continue;
        if (!options.dryRun) await this.repository.delete(existing.id);
        items.push({ name: existing.name, action: 'deleted' });
      }
    }
    return items;
  }

  private async applyOne(declaration: ManagedDeclaration, dryRun: boolean): Promise<ApplyAction> {
    for (let attempt = 0; ; attempt++) {
      const existing = await this.repository.byName(declaration.name);
      if (existing) {
        if (sameDeclaration(existing, declaration)) return 'unchanged';
        if (!dryRun) await this.managed.updateDeclared(existing, declaration);
        return 'updated';
      }
      if (dryRun) return 'created';
      try {
        await this.managed.createDeclared(declaration);
        return 'created';
      } catch (error) {
        // Created concurrently by someone else: apply as an update instead.
        if (!(error instanceof ManagedError && error.code === 'conflict') || attempt > 0) throw error;
      }
    }
  }

  private async all(): Promise<ManagedCertificate[]> {
    const out: ManagedCertificate[] = [];
    let after: string | undefined;
    do {
      const page = await this.repository.list({ after, limit: 500 });
      out.push(...page.items);
      after = page.next;
    } while (after);
    return out;
  }
}
