import {
  createDatasetRequest,
  evalDatasetResponse,
  evalDatasetWithCasesResponse,
  listDatasetsQuery,
  pageOf,
  pageQuery,
} from '../contracts/index.js';
import { schemaCompileProblem } from '../domain/eval/schema.js';
import { actorOf, childAccess, readable, systemFor } from './access.js';
import { lambdaDeps } from './deps.js';
import { createHttpHandler, type Route, route } from './http.js';

export const routes: Route[] = [
  route({
    method: 'POST',
    path: '/api/eval-datasets',
    summary: 'Create the next version of an eval dataset with its cases',
    body: createDatasetRequest,
    maxBodyBytes: 5 * 1024 * 1024,
    response: { status: 201, body: evalDatasetResponse },
    handle: async (req) => {
      await systemFor(req, req.body.systemId, 'write');
      // The edge lends the store ajv: an assertion's schema value that does not compile is a 400 naming the case,
      // checked in the same pass as the other rules; the store's own bundle never carries ajv (ADR 0052).
      const dataset = await req.deps.store.datasets.createDataset(actorOf(req.principal), req.body, {
        schemaProblem: schemaCompileProblem,
      });
      return { status: 201, body: dataset, headers: { location: `/api/eval-datasets/${dataset.id}` } };
    },
  }),
  route({
    method: 'GET',
    path: '/api/eval-datasets',
    summary: 'List eval datasets, optionally of one system',
    query: listDatasetsQuery,
    response: { status: 200, body: pageOf(evalDatasetResponse) },
    handle: async (req) => {
      if (req.query.systemId) await systemFor(req, req.query.systemId, 'read');
      const page = await req.deps.store.datasets.listDatasets({ systemId: req.query.systemId }, req.query);
      return { status: 200, body: await readable(req, page) };
    },
  }),
  route({
    method: 'GET',
    path: '/api/eval-datasets/{id}',
    summary: 'One eval dataset with a page of its cases',
    query: pageQuery,
    response: { status: 200, body: evalDatasetWithCasesResponse },
    handle: async (req) => {
      const dataset = await req.deps.store.datasets.getDataset(req.params.id);
      await childAccess(req, dataset, 'dataset', 'read');
      const cases = await req.deps.store.datasets.listDatasetCases(dataset.id, req.query);
      return { status: 200, body: { ...dataset, cases } };
    },
  }),
];

export const handler = createHttpHandler(routes, lambdaDeps());
