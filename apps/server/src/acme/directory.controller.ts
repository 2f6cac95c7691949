import { Controller, Get, Head, HttpCode, Inject } from '@nestjs/common';
import { renderDirectory } from '@rotor/acme';
import { RUNTIME } from '../http/tokens';
import type { Runtime } from '../runtime/runtime';

/** The directory (RFC 8555 §7.1.1) and newNonce (§7.2); the nonce header itself comes from the ACME hook. */
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

  @Head('new-nonce')
  @HttpCode(200)
  headNonce(): void {}

  @Get('new-nonce')
  @HttpCode(204)
  getNonce(): void {}
}
