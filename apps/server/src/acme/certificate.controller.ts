import { Controller, Get, HttpCode, Inject, Param, Post, Res } from '@nestjs/common';
import { renderRenewalInfo, VerifiedRequest } from '@rotor/acme';
import type { FastifyReply } from 'fastify';
import { RUNTIME } from '../http/tokens';
import type { Runtime } from '../runtime/runtime';
import { AcmeSigned, Verified } from './jws.guard';

/** Certificates: download (RFC 8555 §7.4.2), revocation (§7.6) and renewal information (RFC 9773). */
@Controller('acme')
export class CertificateController {
  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {}

  @Post('cert/:id')
  @AcmeSigned('kid')
  @HttpCode(200)
  async certificate(
    @Param('id') id: string,
    @Verified() request: VerifiedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const record = await this.runtime.useCases.getCertificate.execute(id, request);
    reply.type('application/pem-certificate-chain');
    return record.chainPem;
  }

  @Post('revoke-cert')
  @AcmeSigned('either')
  @HttpCode(200)
  async revoke(@Verified() request: VerifiedRequest): Promise<string> {
    await this.runtime.useCases.revoke.execute(request);
    return '';
  }

  @Get('renewal-info/:certId')
  async renewalInfo(@Param('certId') certId: string, @Res({ passthrough: true }) reply: FastifyReply) {
    const info = await this.runtime.useCases.renewalInfo.execute(certId);
    reply.header('Retry-After', String(info.retryAfter));
    return renderRenewalInfo(info.suggestedWindow);
  }
}
