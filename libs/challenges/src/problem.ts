import type { ValidationProblemType, ValidationRecord, ValidationResult } from './contracts';

/**
 * Carries a validation problem from deep inside a validator to the one place
 * that turns it into a ValidationResult. It never escapes this lib: the
 * validator contract is "return a result, never throw".
 */
export class ValidationFailure extends Error {
  constructor(
    readonly type: ValidationProblemType,
    readonly detail: string,
    /** True when another resolved address may still succeed (e.g. connection refused on one of A/AAAA). */
    readonly tryNextAddress = false,
  ) {
    super(detail);
    this.name = 'ValidationFailure';
  }
}

export function failed(records: ValidationRecord[], type: ValidationProblemType, detail: string): ValidationResult {
  return { ok: false, problem: { type, detail }, records };
}

/** Runs a validator body and turns a thrown ValidationFailure into a failed result (records kept). */
export async function asResult(records: ValidationRecord[], body: () => Promise<void>): Promise<ValidationResult> {
  try {
    await body();
    return { ok: true, records };
  } catch (err) {
    if (err instanceof ValidationFailure) return failed(records, err.type, err.detail);
    throw err;
  }
}

/**
 * Quotes untrusted text (a response body, a TXT record) for a problem detail:
 * cut at a code-point boundary, control characters and quotes escaped by
 * JSON.stringify, so a hostile peer cannot inject lines or huge blobs.
 */
export function quote(value: string, maxChars = 128): string {
  const codePoints = Array.from(value);
  const cut = codePoints.slice(0, maxChars).join('');
  return JSON.stringify(cut) + (codePoints.length > maxChars ? '...' : '');
}

/** One line describing an unexpected error: its code and message, never its stack. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    const message = (err.message || err.name).split('\n')[0].slice(0, 300);
    return code && !message.includes(code) ? `${code}: ${message}` : message;
  }
  return String(err).split('\n')[0].slice(0, 300);
}

/**
 * OpenSSL errors carry a file path and an error-queue dump; keep only the
 * reason ("tlsv1 alert no application protocol", "wrong version number").
 */
export function describeTlsError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const reason = /SSL routines:[^:]*:([^:]+)/.exec(message)?.[1];
  return reason ? reason.trim() : describeError(err);
}
