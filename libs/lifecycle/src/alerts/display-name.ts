import type { SubjectAltNames } from '../inventory/model';

/**
 * The name operators know a certificate by (alerts, metric labels): the
 * managed certificate's name, else its first DNS, IP or URI SAN, else the
 * subject CN, else the serial.
 */
export function displayName(cert: {
  managedName?: string | null;
  sans?: Partial<SubjectAltNames>;
  subject?: string;
  serial: string;
}): string {
  if (cert.managedName) return cert.managedName;
  const san = cert.sans?.dns?.[0] ?? cert.sans?.ip?.[0] ?? cert.sans?.uri?.[0];
  if (san) return san;
  const cn = /(?:^|[,/]\s*)CN=((?:\\.|[^,+/])+)/i.exec(cert.subject ?? '')?.[1]?.trim();
  return cn || cert.serial;
}

/** SANs as stored (JSON text); a damaged value yields no names rather than an error. */
export function parseSans(json: unknown): Partial<SubjectAltNames> {
  if (typeof json !== 'string') return {};
  try {
    const value = JSON.parse(json) as Partial<SubjectAltNames>;
    return value && typeof value === 'object' ? value : {};
  } catch {
    return {};
  }
}
