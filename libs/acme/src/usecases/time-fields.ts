import { Problems } from '../problem';

// RFC 3339 date-time, as RFC 8555 §7.1.3 requires for notBefore/notAfter.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$/;

export function parseRfc3339(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined;
  const match = typeof value === 'string' ? RFC3339.exec(value) : null;
  if (!match) throw Problems.malformed(`"${field}" must be an RFC 3339 date-time`);
  // Date.parse rolls impossible dates over (Feb 30 → Mar 2); RFC 3339 §5.7 forbids them.
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const offsetOk = match[9] === undefined || (Number(match[9]) <= 23 && Number(match[10]) <= 59);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59 || !offsetOk) {
    throw Problems.malformed(`"${field}" is not a valid date-time`);
  }
  const ms = Date.parse(value as string);
  if (Number.isNaN(ms)) throw Problems.malformed(`"${field}" is not a valid date`);
  return ms;
}

export const rfc3339 = (ms: number): string => new Date(ms).toISOString();
