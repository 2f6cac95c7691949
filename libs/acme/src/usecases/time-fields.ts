import { Problems } from '../problem';

// RFC 3339 date-time, as RFC 8555 §7.1.3 requires for notBefore/notAfter.
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export function parseRfc3339(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !RFC3339.test(value)) {
    throw Problems.malformed(`"${field}" must be an RFC 3339 date-time`);
  }
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw Problems.malformed(`"${field}" is not a valid date`);
  return ms;
}

export const rfc3339 = (ms: number): string => new Date(ms).toISOString();
