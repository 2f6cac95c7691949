import { isIP } from 'node:net';
import * as tls from 'node:tls';
import { x509 } from './x509';
import type { ChallengeIdentifier, ValidationRecord, ValidationRequest, ValidationResult } from './contracts';
import { ipToBytes, reverseDnsName, urlHost } from './ip';
import { keyAuthorizationSha256 } from './key-authorization';
import { ValidationFailure, asResult, describeError, describeTlsError } from './problem';
import type { NameResolver } from './resolver';
import { ACME_IDENTIFIER_OID, ACME_TLS_ALPN_PROTOCOL } from './tls-alpn-cert';

export interface TlsAlpn01Context {
  resolver: NameResolver;
  tlsAlpn01Port: number;
  /** Epoch ms after which the attempt is abandoned. */
  deadline: number;
}

interface Handshake {
  alpn: string | false;
  certificate?: Buffer;
}

/**
 * RFC 8737 §3 tls-alpn-01: handshake with the identifier's address offering
 * only ALPN "acme-tls/1" and SNI = the name being validated, then check the
 * self-signed certificate presented. The chain is deliberately not verified:
 * control is proven by the acmeIdentifier extension, not by PKI.
 */
export async function validateTlsAlpn01(request: ValidationRequest, ctx: TlsAlpn01Context): Promise<ValidationResult> {
  const records: ValidationRecord[] = [];
  return asResult(records, async () => {
    const identifier = request.identifier;
    const value = identifier.value.toLowerCase();
    if (identifier.type === 'ip' && !isIP(value)) {
      throw new ValidationFailure('malformed', `${JSON.stringify(value)} is not an IP address`);
    }
    // RFC 8738 §6: for IP identifiers the SNI is the reverse-mapping name (SNI cannot carry an address).
    const serverName = identifier.type === 'ip' ? reverseDnsName(value) : value;
    const record: ValidationRecord = { hostname: value, port: ctx.tlsAlpn01Port };
    records.push(record);
    const addresses = await ctx.resolver.resolveAddresses(value);
    record.addressesResolved = addresses;
    let handshake: Handshake | undefined;
    for (let i = 0; !handshake; i++) {
      record.addressUsed = addresses[i];
      try {
        handshake = await connect(addresses[i], ctx.tlsAlpn01Port, serverName, ctx.deadline);
      } catch (err) {
        const last = i === addresses.length - 1;
        if (!(err instanceof ValidationFailure && err.tryNextAddress) || last) throw err;
      }
    }
    const where = `${urlHost(record.addressUsed ?? value)}:${ctx.tlsAlpn01Port}`;
    // RFC 8737 §3: the server MUST verify that "acme-tls/1" was negotiated.
    if (handshake.alpn !== ACME_TLS_ALPN_PROTOCOL) {
      throw new ValidationFailure(
        'tls',
        `Cannot negotiate ALPN protocol "${ACME_TLS_ALPN_PROTOCOL}" for tls-alpn-01 challenge with ${where} ` +
          `(server selected ${handshake.alpn ? JSON.stringify(handshake.alpn) : 'no protocol'})`,
      );
    }
    if (!handshake.certificate) {
      throw new ValidationFailure('unauthorized', `No certificate presented by ${where} for tls-alpn-01 challenge`);
    }
    checkCertificate(handshake.certificate, identifier, request.keyAuthorization, where);
  });
}

function connect(address: string, port: number, servername: string, deadline: number): Promise<Handshake> {
  const where = `${urlHost(address)}:${port}`;
  return new Promise<Handshake>((resolve, reject) => {
    let tcpConnected = false;
    let settled = false;
    const socket = tls.connect({
      host: address,
      port,
      servername,
      ALPNProtocols: [ACME_TLS_ALPN_PROTOCOL],
      rejectUnauthorized: false,
      // RFC 8737 §4: acme-tls/1 is only negotiated with TLS 1.2 or higher.
      minVersion: 'TLSv1.2',
    });
    const finish = (result: Handshake | ValidationFailure): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (result instanceof ValidationFailure) reject(result);
      else resolve(result);
    };
    socket.once('connect', () => {
      tcpConnected = true;
    });
    socket.once('secureConnect', () => {
      const peer = socket.getPeerCertificate();
      finish({ alpn: socket.alpnProtocol ?? false, certificate: peer?.raw });
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (tcpConnected) {
        const reason = describeTlsError(err);
        // RFC 7301 §3.2: a server that supports none of the offered protocols answers no_application_protocol.
        const detail = reason.includes('no application protocol')
          ? `Cannot negotiate ALPN protocol "${ACME_TLS_ALPN_PROTOCOL}" for tls-alpn-01 challenge with ${where} (${reason})`
          : `TLS handshake with ${where} failed: ${reason}`;
        finish(new ValidationFailure('tls', detail));
        return;
      }
      const refused = err.code === 'ECONNREFUSED';
      const unreachable = err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH';
      const why = refused ? 'Connection refused' : unreachable ? 'Host unreachable' : describeError(err);
      finish(
        new ValidationFailure(
          'connection',
          `${why} connecting to ${where} for tls-alpn-01 challenge`,
          refused || unreachable,
        ),
      );
    });
    const timer = setTimeout(
      () => {
        const detail = tcpConnected
          ? `Timeout during TLS handshake with ${where} for tls-alpn-01 challenge`
          : `Timeout during connect to ${where} for tls-alpn-01 challenge (likely firewall problem)`;
        finish(new ValidationFailure('connection', detail));
      },
      Math.max(0, deadline - Date.now()),
    );
  });
}

function describeNames(names: readonly x509.GeneralName[]): string {
  if (names.length === 0) return 'no subjectAltName entries';
  return names.map((n) => `${n.type}:${n.value}`).join(', ');
}

function sanMatches(name: x509.GeneralName, identifier: ChallengeIdentifier): boolean {
  if (identifier.type === 'dns')
    return name.type === 'dns' && name.value.toLowerCase() === identifier.value.toLowerCase();
  const want = ipToBytes(identifier.value);
  const got = name.type === 'ip' ? ipToBytes(name.value) : undefined;
  return !!want && !!got && want.equals(got);
}

/** RFC 8737 §3 checks on the presented certificate; each failure names exactly what was wrong. */
export function checkCertificate(
  der: Buffer,
  identifier: ChallengeIdentifier,
  keyAuthorization: string,
  where: string,
): void {
  const prefix = 'Incorrect validation certificate for tls-alpn-01 challenge.';
  let cert: x509.X509Certificate;
  let names: readonly x509.GeneralName[];
  try {
    cert = new x509.X509Certificate(der);
    names = cert.getExtension(x509.SubjectAlternativeNameExtension)?.names.items ?? [];
  } catch (err) {
    throw new ValidationFailure(
      'unauthorized',
      `${prefix} The certificate from ${where} could not be parsed: ${describeError(err)}`,
    );
  }
  // RFC 8737 §3 (RFC 8738 §6 for iPAddress): exactly one subjectAltName, equal to the identifier.
  if (names.length !== 1 || !sanMatches(names[0], identifier)) {
    const kind = identifier.type === 'ip' ? 'iPAddress' : 'dNSName';
    throw new ValidationFailure(
      'unauthorized',
      `${prefix} Requested ${identifier.value} from ${where}; the certificate must contain exactly one ` +
        `subjectAltName (${kind} ${identifier.value}) but contains ${describeNames(names).slice(0, 300)}`,
    );
  }
  const extensions = cert.extensions.filter((e) => e.type === ACME_IDENTIFIER_OID);
  if (extensions.length !== 1) {
    const why = extensions.length === 0 ? 'is missing' : 'appears more than once';
    throw new ValidationFailure(
      'unauthorized',
      `${prefix} The acmeIdentifier extension (${ACME_IDENTIFIER_OID}) ${why}`,
    );
  }
  const extension = extensions[0];
  // RFC 8737 §3: "The acmeIdentifier extension MUST be critical".
  if (!extension.critical) {
    throw new ValidationFailure('unauthorized', `${prefix} The acmeIdentifier extension is not marked critical`);
  }
  // extnValue must be exactly DER OCTET STRING (SIZE (32)): 0x04 0x20 + digest.
  const value = Buffer.from(extension.value);
  if (value.length !== 34 || value[0] !== 0x04 || value[1] !== 0x20) {
    throw new ValidationFailure(
      'unauthorized',
      `${prefix} The acmeIdentifier extension value is not a DER OCTET STRING of 32 bytes (got ${value.length} bytes)`,
    );
  }
  const expected = keyAuthorizationSha256(keyAuthorization);
  const got = value.subarray(2);
  if (!got.equals(expected)) {
    throw new ValidationFailure(
      'unauthorized',
      `${prefix} The acmeIdentifier extension value does not match SHA-256 of the key authorization ` +
        `(expected ${expected.toString('hex')}, got ${got.toString('hex')})`,
    );
  }
}
