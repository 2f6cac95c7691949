import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { KeySealer } from './key-sealer';
import { PkiError } from './contracts';

const HEX_KEY = randomBytes(32).toString('hex');

function expectPkiError(fn: () => unknown, code: string, notContaining?: string): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PkiError);
    expect((err as PkiError).code).toBe(code);
    if (notContaining) expect((err as Error).message).not.toContain(notContaining);
    return;
  }
  throw new Error('expected a PkiError');
}

describe('KeySealer', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rotor-sealer-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it.each([
    ['ok/hex-key', HEX_KEY],
    ['ok/base64-key', Buffer.from(HEX_KEY, 'hex').toString('base64')],
    ['ok/base64url-key', Buffer.from(HEX_KEY, 'hex').toString('base64url')],
  ])('%s round-trips', (_name, key) => {
    const sealer = KeySealer.fromMasterKey(key);
    const secret = randomBytes(121);
    const sealed = sealer.seal(secret);
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(Buffer.from(sealer.unseal(sealed))).toEqual(secret);
    expect(sealer.seal(secret)).not.toBe(sealed); // fresh IV every time
  });

  it.each([
    ['fail/key-too-short', randomBytes(16).toString('hex')],
    ['fail/key-too-long', randomBytes(48).toString('base64')],
    ['fail/key-garbage', 'not a key at all!'],
  ])('%s is rejected without echoing the key', (_name, key) => {
    expectPkiError(() => KeySealer.fromMasterKey(key), 'caUnavailable', key);
  });

  const sealer = KeySealer.fromMasterKey(HEX_KEY);
  const sealed = sealer.seal(Buffer.from('private key bytes'));
  const [v, iv, body] = sealed.split('.');
  const flip = (s: string): string => {
    const b = Buffer.from(s, 'base64url');
    b[b.length - 1] ^= 1;
    return b.toString('base64url');
  };
  it.each([
    ['fail/tampered-body', `${v}.${iv}.${flip(body)}`],
    ['fail/tampered-iv', `${v}.${flip(iv)}.${body}`],
    ['fail/wrong-version', `v2.${iv}.${body}`],
    ['fail/truncated', `${v}.${iv}.${body.slice(0, 10)}`],
    ['fail/not-sealed', 'hello'],
  ])('%s → caUnavailable', (_name, blob) => {
    expectPkiError(() => sealer.unseal(blob), 'caUnavailable');
  });

  it('fail/wrong-master-key', () => {
    expectPkiError(() => KeySealer.fromMasterKey(randomBytes(32).toString('hex')).unseal(sealed), 'caUnavailable');
  });

  it('ok/key-file-created-0600-and-reused', () => {
    const file = path.join(tmp, 'nested', 'master.key');
    const first = KeySealer.fromKeyFile(file);
    expect(first.keyFile).toEqual({ created: true });
    if (process.platform !== 'win32') {
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    }
    const second = KeySealer.fromKeyFile(file);
    expect(second.keyFile?.created).toBe(false);
    expect(Buffer.from(second.unseal(first.seal(Buffer.from('x'))))).toEqual(Buffer.from('x'));
  });

  const posixOnly = process.platform === 'win32' ? it.skip : it;
  posixOnly('ok/key-file-world-readable-warns', () => {
    const file = path.join(tmp, 'readable.key');
    fs.writeFileSync(file, HEX_KEY, { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    const s = KeySealer.fromKeyFile(file);
    expect(s.keyFile?.permissionWarning).toMatch(/readable by group or others/);
    expect(s.keyFile?.permissionWarning).not.toContain(HEX_KEY);
  });

  posixOnly('fail/key-file-world-writable', () => {
    const file = path.join(tmp, 'writable.key');
    fs.writeFileSync(file, HEX_KEY);
    fs.chmodSync(file, 0o666);
    expectPkiError(() => KeySealer.fromKeyFile(file), 'caUnavailable', HEX_KEY);
  });

  it('fail/key-file-bad-content', () => {
    const file = path.join(tmp, 'bad.key');
    fs.writeFileSync(file, 'abc123', { mode: 0o600 });
    expectPkiError(() => KeySealer.fromKeyFile(file), 'caUnavailable', 'abc123');
  });
});
