import * as z from 'zod';
import { INCIDENT_STATUSES, SEVERITIES } from '../domain/types.js';
import { idOf, pageQuery, requiredText, text } from './common.js';

export const createIncidentRequest = z
  .object({
    systemId: idOf('sys'),
    candidateId: idOf('rc').nullable().optional(),
    title: requiredText(200),
    description: text(8000).default(''),
    severity: z.enum(SEVERITIES),
  })
  .strict();

export const patchIncidentRequest = z
  .object({
    title: requiredText(200),
    description: text(8000),
    severity: z.enum(SEVERITIES),
    status: z.enum(['open', 'mitigating']),
  })
  .partial()
  .strict();

export const resolveIncidentRequest = z.object({ resolution: requiredText(4000) }).strict();

export const listIncidentsQuery = pageQuery
  .extend({ systemId: idOf('sys').optional(), status: z.enum(INCIDENT_STATUSES).optional() })
  .strict();

export const listAuditQuery = pageQuery
  .extend({
    systemId: idOf('sys').optional(),
    order: z.enum(['asc', 'desc']).optional(),
  })
  .strict();

export const verifyAuditQuery = z.object({ systemId: idOf('sys') }).strict();
