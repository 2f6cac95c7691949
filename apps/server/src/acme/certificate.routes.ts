import { renderRenewalInfo } from '@rotor/acme';
import type { Runtime } from '../runtime/runtime';
import type { AcmeCall, AcmeRouter } from './acme-router';

/** Certificates: download (RFC 8555 §7.4.2), revocation (§7.6) and renewal information (RFC 9773). */
export function registerCertificateRoutes(router: AcmeRouter, runtime: Runtime): void {
  const { useCases } = runtime;

  router.post('cert/:id', 'kid', async (verified, { params, reply }) => {
    const record = await useCases.getCertificate.execute(params.id as string, verified);
    reply.type('application/pem-certificate-chain');
    return record.chainPem;
  });

  router.post('revoke-cert', 'either', async (verified) => {
    await useCases.revoke.execute(verified);
    return '';
  });

  const renewalInfo = async ({ params, reply }: AcmeCall) => {
    const info = await useCases.renewalInfo.execute(params.certId as string);
    reply.header('Retry-After', String(info.retryAfter));
    return renderRenewalInfo(info.suggestedWindow);
  };
  router.get('renewal-info/:certId', renewalInfo);
  router.head('renewal-info/:certId', renewalInfo);
}
