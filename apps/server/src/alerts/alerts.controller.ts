import { Get, Inject, Req } from '@nestjs/common';
import { ALERT_KINDS, ALERT_SEVERITIES, AlertView } from '@rotor/lifecycle';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ApiController, RequireScope } from '../api/api-controller';
import { registerOperations } from '../api/openapi';
import { parseQuery } from '../api/validation';
import { RUNTIME } from '../http/tokens';
import type { Runtime } from '../runtime/runtime';

const listQuery = z
  .object({
    /** Minimum severity: "warning" lists everything, "critical" only critical alerts. */
    severity: z.enum(ALERT_SEVERITIES as [string, ...string[]]).optional(),
    kind: z.enum(ALERT_KINDS as [string, ...string[]]).optional(),
  })
  .strict();

registerOperations([
  {
    method: 'get',
    path: '/api/v1/alerts',
    scope: 'alerts:read',
    summary:
      'Current alerts, evaluated from the database: certificates expiring (warning/critical), renewals overdue or failing, stale CRL',
    query: listQuery,
    responses: { 200: 'alerts, critical first', 400: 'invalid query' },
  },
]);

export function alertJson(alert: AlertView) {
  return {
    id: alert.id,
    kind: alert.kind,
    severity: alert.severity,
    subjectId: alert.subjectId,
    name: alert.name,
    summary: alert.summary,
    data: alert.data,
    firstSeen: alert.firstSeen === undefined ? undefined : new Date(alert.firstSeen).toISOString(),
  };
}

/** GET /api/v1/alerts: what is at risk now (the same evaluation as `rotor alerts`). */
@ApiController('alerts')
export class AlertsController {
  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {}

  @Get()
  @RequireScope('alerts:read')
  async list(@Req() request: FastifyRequest) {
    const query = parseQuery(listQuery, request.query);
    const alerts = (await this.runtime.notifications.alerts.list()).filter(
      (a) =>
        (!query.severity || query.severity === 'warning' || a.severity === 'critical') &&
        (!query.kind || a.kind === query.kind),
    );
    return {
      items: alerts.map(alertJson),
      counts: {
        critical: alerts.filter((a) => a.severity === 'critical').length,
        warning: alerts.filter((a) => a.severity === 'warning').length,
      },
    };
  }
}
