import { Controller, Get, Head, HttpCode, Inject, Post } from '@nestjs/common';
import { Problems, renderDirectory, VerifiedRequest } from '@rotor/acme';
import { RUNTIME } from '../http/tokens';
import type { Runtime } from '../runtime/runtime';
import { AcmeSigned, Verified } from './jws.guard';

/**
 * The directory (RFC 8555 §7.1.1) and newNonce (§7.2), by GET/HEAD and by
 * POST-as-GET (§6.3 requires both); the nonce header itself comes from the ACME hook.
 */
@Controller('acme')
export class DirectoryController {
  private readonly directory: ReturnType<typeof renderDirectory>;

  constructor(@Inject(RUNTIME) runtime: Runtime) {
    this.directory = renderDirectory(runtime.acme);
  }

  @Get('directory')
  getDirectory() {
    return this.directory;
  }

  @Post('directory')
  @AcmeSigned('kid')
  @HttpCode(200)
  postDirectory(@Verified() request: VerifiedRequest) {
    requirePostAsGet(request);
    return this.directory;
  }

  @Head('new-nonce')
  @HttpCode(200)
  headNonce(): void {}

  @Get('new-nonce')
  @HttpCode(204)
  getNonce(): void {}

  @Post('new-nonce')
  @AcmeSigned('kid')
  @HttpCode(200)
  postNonce(@Verified() request: VerifiedRequest): string {
    requirePostAsGet(request);
    return '';
  }
}

function requirePostAsGet(request: VerifiedRequest): void {
  if (request.payload !== undefined) throw Problems.malformed('this resource takes POST-as-GET (an empty payload)');
}
