import { createPrivateKey, createPublicKey } from 'node:crypto';
import { GeneratedKey, LeafRequest, LeafSigner, LeafSigningError, ManagedKeyType, SignedLeaf } from '@rotor/lifecycle';
import { CertificateAuthority, classifySpki, generateLeafKeyPair, PkiError } from '@rotor/pki';

/**
 * The renewal engine's CA port on libs/pki: keys from generateLeafKeyPair,
 * certificates from the intermediate with the same leaf profiles as ACME.
 * CA policy refusals (validity, names, key) are permanent: retrying the same
 * spec gives the same answer; anything else may be transient.
 */
export class PkiLeafSigner implements LeafSigner {
  constructor(private readonly ca: CertificateAuthority) {}

  generateKey(keyType: ManagedKeyType): Promise<GeneratedKey> {
    return generateLeafKeyPair(keyType);
  }

  publicKeyOf(privateKeyPkcs8Pem: string): { spkiDer: Uint8Array; keyType: string } {
    try {
      const spki = createPublicKey(createPrivateKey(privateKeyPkcs8Pem)).export({ type: 'spki', format: 'der' });
      const spkiDer = new Uint8Array(spki.buffer, spki.byteOffset, spki.byteLength);
      return { spkiDer, keyType: classifySpki(spkiDer) };
    } catch {
      throw new LeafSigningError('the stored key is not a usable private key', true);
    }
  }

  async issue(request: LeafRequest): Promise<SignedLeaf> {
    try {
      const issued = await this.ca.issueForPublicKey(request.spkiDer, {
        profile: request.profile,
        names: request.names,
        notBefore: new Date(request.notBefore),
        notAfter: new Date(request.notAfter),
      });
      return {
        fingerprint: issued.fingerprintSha256,
        serial: issued.serialHex,
        subject: issued.subject,
        issuer: issued.issuer,
        notBefore: issued.notBefore.getTime(),
        notAfter: issued.notAfter.getTime(),
        keyType: issued.keyType,
        chainPem: issued.chainPem,
      };
    } catch (error) {
      if (error instanceof PkiError) {
        throw new LeafSigningError(`the CA refused: ${error.message}`, error.code !== 'caUnavailable');
      }
      throw error;
    }
  }
}
