import { ManagedError } from '../errors';
import { validateManagedDeclaration } from '../spec';
import { manifestDeclarations, parseManifestText } from './apply-manifest';

const policy = { maxLifetimeMs: 90 * 86400e3, defaultLifetimeMs: 86400e3 };
const parse = (input: unknown, prefix: string) => validateManagedDeclaration(input, policy, prefix);
const doc = (name: string, spec: object = { dnsNames: [`${name}.internal`] }) => ({
  apiVersion: 'rotor/v1',
  kind: 'ManagedCertificate',
  metadata: { name },
  spec,
});
const fail = (fn: () => unknown): ManagedError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ManagedError) return error;
    throw error;
  }
  throw new Error('expected a ManagedError');
};

describe('manifests', () => {
  it('reads multi-document YAML, lists and List kinds alike', () => {
    const text = `apiVersion: rotor/v1
kind: ManagedCertificate
metadata: {name: a}
spec: {dnsNames: [a.internal]}
---
apiVersion: rotor/v1
kind: List
items:
  - {apiVersion: rotor/v1, kind: ManagedCertificate, metadata: {name: b}, spec: {dnsNames: [b.internal]}}
---
`;
    expect(manifestDeclarations(parseManifestText(text), parse).map((d) => d.name)).toEqual(['a', 'b']);
    expect(manifestDeclarations([[doc('c'), doc('d')]], parse).map((d) => d.name)).toEqual(['c', 'd']);
  });

  it('collects every error of every document before refusing', () => {
    const error = fail(() =>
      manifestDeclarations(
        [doc('a', { dnsNames: ['bad_name'] }), { ...doc('b'), kind: 'Secret' }, doc('a'), doc('c', { name: 'c' })],
        parse,
      ),
    );
    expect(error.code).toBe('malformed');
    expect(error.errors.map((e) => e.path)).toEqual([
      'documents[0].spec.dnsNames[0]',
      'documents[1].kind',
      'documents[3].spec.name',
    ]);
  });

  it('refuses duplicate names as out of policy', () => {
    const error = fail(() => manifestDeclarations([doc('a'), doc('a')], parse));
    expect(error).toMatchObject({ code: 'rejected', errors: [{ path: 'documents[1].metadata.name' }] });
  });

  it('reports YAML syntax errors with their position and without quoting the input', () => {
    const error = fail(() => parseManifestText('spec:\n  dnsNames: [a\nsecret: hunter2\n'));
    expect(error.code).toBe('malformed');
    expect(error.errors[0].message).toMatch(/^YAML syntax error at line \d+, column \d+: /);
    expect(error.message).not.toContain('hunter2');
  });

  it('refuses an empty manifest', () => {
    expect(fail(() => manifestDeclarations(parseManifestText('---\n'), parse)).message).toMatch(/no documents/);
  });
});
