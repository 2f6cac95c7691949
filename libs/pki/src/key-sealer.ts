import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PkiError } from './contracts';

/**
 * Seals CA private keys at rest with AES-256-GCM.
 *
 * Format: `v1.<base64url 12-byte IV>.<base64url ciphertext || 16-byte tag>`.
 * The version prefix is also fed in as AAD, so a blob cannot be re-labelled as
 * another format version without failing authentication.
 *
 * The master key never appears in errors or logs: messages state lengths only.
 */
const VERSION = 'v1';
const AAD = Buffer.from('rotor-key-sealer:v1', 'utf8');
const IV_BYTES = 12; // NIST SP 800-38D: 96-bit IVs for GCM
const TAG_BYTES = 16;
const KEY_BYTES = 32;

export interface KeyFileInfo {
  /** True when fromKeyFile created the file on this call. */
  created: boolean;
  /**
   * Set when an existing key file is readable by group or others. We warn
   * instead of refusing: Kubernetes secret volumes are 0644 by default and
   * refusing there would break the most common deployment. Callers log it.
   */
  permissionWarning?: string;
}

export class KeySealer {
  private constructor(
    private readonly key: Buffer,
    /** Only set for sealers built by fromKeyFile. */
    readonly keyFile?: KeyFileInfo,
  ) {}

  /** Master key as 64 hex characters or base64/base64url of 32 bytes. */
  static fromMasterKey(encoded: string): KeySealer {
    return new KeySealer(decodeMasterKey(encoded));
  }

  /**
   * Loads the master key from `file`, creating it (random 32 bytes, base64,
   * mode 0600, parent directory 0700) when missing. Refuses a file that group
   * or others can write (someone could plant a key they know); warns through
   * `keyFile.permissionWarning` when it is merely readable by them.
   */
  static fromKeyFile(file: string): KeySealer {
    let created = false;
    if (!fs.existsSync(file)) {
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      try {
        // 'wx' fails if another process created it in the meantime; then we read theirs.
        fs.writeFileSync(file, randomBytes(KEY_BYTES).toString('base64') + '\n', {
          flag: 'wx',
          mode: 0o600,
        });
        created = true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new PkiError('caUnavailable', `cannot create key file ${file}: ${errCode(err)}`);
        }
      }
    }
    let stat: fs.Stats;
    let raw: Buffer;
    try {
      stat = fs.statSync(file);
      raw = fs.readFileSync(file);
    } catch (err) {
      throw new PkiError('caUnavailable', `cannot read key file ${file}: ${errCode(err)}`);
    }
    const info: KeyFileInfo = { created };
    if (process.platform !== 'win32') {
      if ((stat.mode & 0o022) !== 0) {
        throw new PkiError(
          'caUnavailable',
          `key file ${file} is writable by group or others (mode ${modeString(stat.mode)}); chmod 600 it`,
        );
      }
      if ((stat.mode & 0o044) !== 0) {
        info.permissionWarning = `key file ${file} is readable by group or others (mode ${modeString(stat.mode)}); chmod 600 is recommended`;
      }
    }
    const key = raw.length === KEY_BYTES ? Buffer.from(raw) : decodeMasterKey(raw.toString('utf8'), file);
    return new KeySealer(key, info);
  }

  seal(plaintext: Uint8Array): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(AAD);
    const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return `${VERSION}.${iv.toString('base64url')}.${body.toString('base64url')}`;
  }

  unseal(sealed: string): Uint8Array {
    const parts = sealed.split('.');
    if (parts.length !== 3 || parts[0] !== VERSION) {
      throw new PkiError('caUnavailable', 'sealed key has an unknown format');
    }
    const iv = Buffer.from(parts[1], 'base64url');
    const body = Buffer.from(parts[2], 'base64url');
    if (iv.length !== IV_BYTES || body.length <= TAG_BYTES) {
      throw new PkiError('caUnavailable', 'sealed key is truncated');
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(AAD);
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      const out = Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]);
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    } catch {
      // GCM authentication failed: wrong master key or modified blob. No detail leaks.
      throw new PkiError('caUnavailable', 'sealed key cannot be unsealed: wrong master key or tampered data');
    }
  }
}

function decodeMasterKey(encoded: string, source = 'master key'): Buffer {
  const text = encoded.trim();
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(text)) {
    key = Buffer.from(text, 'hex');
  } else if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) {
    key = Buffer.from(text, text.includes('-') || text.includes('_') ? 'base64url' : 'base64');
  }
  if (!key || key.length !== KEY_BYTES) {
    // Report lengths only: the value itself is secret.
    throw new PkiError(
      'caUnavailable',
      `${source} must encode exactly 32 bytes (64 hex characters or 44 base64 characters); ` +
        `got ${key ? `${key.length} bytes` : `${text.length} characters that are neither hex nor base64`}`,
    );
  }
  return key;
}

function modeString(mode: number): string {
  return (mode & 0o777).toString(8).padStart(4, '0');
}

function errCode(err: unknown): string {
  return (err as NodeJS.ErrnoException)?.code ?? 'unknown error';
}
