import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ApiAuthGuard, ApiProblemFilter } from './api/api-controller';
import { CertificatesController } from './api/certificates.controller';
import { ApplyController, ManagedController } from './api/managed.controller';
import { AlertsController } from './alerts/alerts.controller';
import { MetricsController } from './metrics/metrics.controller';
import { WebhooksController } from './notifications/webhooks.controller';
import { OpenApiController } from './api/openapi.controller';
import { TokensController } from './api/tokens.controller';
import { CaController } from './ca/ca.controller';
import { HealthController } from './health/health.controller';
import { ProblemFilter } from './http/problem.filter';
import { RUNTIME } from './http/tokens';
import type { Runtime } from './runtime/runtime';

/** The Nest application: the admin API, CA material, health and metrics. ACME routes are plain Fastify routes (acme/acme-routes.ts). */
@Module({})
export class AppModule {
  static forRuntime(runtime: Runtime): DynamicModule {
    return {
      module: AppModule,
      controllers: [
        CaController,
        HealthController,
        OpenApiController,
        TokensController,
        CertificatesController,
        ManagedController,
        ApplyController,
        AlertsController,
        WebhooksController,
        MetricsController,
      ],
      providers: [
        { provide: RUNTIME, useValue: runtime },
        { provide: APP_FILTER, useFactory: () => new ProblemFilter(runtime.logger) },
        ApiAuthGuard,
        ApiProblemFilter,
      ],
    };
  }
}
