import { X509Certificate } from 'node:crypto';
import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { RUNTIME } from '../http/tokens';
import type { Runtime } from '../runtime/runtime';

/** Public CA material: the trust anchor, the issuer (AIA caIssuers) and the CRL (RFC 5280 §4.2.1.13). */
@Controller('ca')
export class CaController {
  private readonly intermediateDerBytes: Buffer;

  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {
    this.intermediateDerBytes = new X509Certificate(runtime.ca.intermediatePem).raw;
  }

  @Get('root.pem')
  root(@Res({ passthrough: true }) reply: FastifyReply): string {
    reply.type('application/x-pem-file');
    return this.runtime.ca.rootPem;
  }

  @Get('intermediate.pem')
  intermediate(@Res({ passthrough: true }) reply: FastifyReply): string {
    reply.type('application/x-pem-file');
    return this.runtime.ca.intermediatePem;
  }

  /** The AIA caIssuers target: one DER certificate (RFC 5280 §4.2.2.1). */
  @Get('intermediate.cer')
  intermediateDer(@Res({ passthrough: true }) reply: FastifyReply): Buffer {
    reply.type('application/pkix-cert');
    return this.intermediateDerBytes;
  }

  @Get('crl')
  async crl(@Res({ passthrough: true }) reply: FastifyReply): Promise<Buffer> {
    const crl = await this.runtime.crl.current();
    reply.type('application/pkix-crl');
    reply.header('Cache-Control', 'no-cache');
    return Buffer.from(crl.der);
  }
}
