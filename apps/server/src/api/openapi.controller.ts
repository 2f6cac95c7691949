import { Controller, Get, Inject } from '@nestjs/common';
import { RUNTIME } from '../http/tokens';
import type { Runtime } from '../runtime/runtime';
import { openApiDocument } from './openapi';

/** The admin API's OpenAPI document (public: it describes, it does not grant). */
@Controller('api')
export class OpenApiController {
  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {}

  @Get('docs')
  docs() {
    return openApiDocument(this.runtime.acme.linker.baseUrl, '1');
  }
}
