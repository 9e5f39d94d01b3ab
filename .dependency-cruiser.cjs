// The layering of ARCHITECTURE.md as rules the build checks (`npm run lint`).
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'The domain core has no I/O: no store, API, workflows, local stack, AWS SDK or middy.',
      severity: 'error',
      from: { path: '^functions/domain/' },
      to: {
        path: [
          '^functions/(store|api|workflows|audit|contracts)/',
          '^local/',
          '^seed/',
          '@aws-sdk',
          '@middy',
          'node_modules/@aws-sdk',
          'node_modules/@middy',
        ],
      },
    },
    {
      name: 'contracts-are-schemas',
      comment: 'Contracts import zod and the domain vocabulary only, so the dashboard and CLI can share them.',
      severity: 'error',
      from: { path: '^functions/contracts/' },
      to: { path: '^(functions/(store|api|workflows|audit)/|local/|seed/)' },
    },
    {
      name: 'contracts-use-domain-vocabulary-only',
      severity: 'error',
      from: { path: '^functions/contracts/' },
      comment:
        'Pure, import-free domain data: vocabulary, events, the id format, the artefact kind registry and the error codes.',
      to: {
        path: '^functions/domain/',
        pathNot: [
          '^functions/domain/types\\.ts$',
          '^functions/domain/events\\.ts$',
          '^functions/domain/id-format\\.ts$',
          '^functions/domain/artefact-kinds\\.ts$',
          '^functions/domain/errors\\.ts$',
          // Pure and import-free: promptfoo's pinned versions and the export of cases as promptfoo tests.
          '^functions/domain/promptfoo-tests\\.ts$',
        ],
      },
    },
    {
      name: 'store-below-api',
      comment: 'The store knows the domain, never the handlers or workflows.',
      severity: 'error',
      from: { path: '^functions/store/' },
      to: { path: '^(functions/(api|workflows|contracts)/|local/|seed/)' },
    },
    {
      name: 'store-never-reaches-ajv',
      comment:
        'Every function bundles the store: JSON Schema compilation (ajv) stays out of its import graph, and the ' +
        'datasets API lends the compiler to the dataset checks (ADR 0052; test/infra/function-bundles.test.ts).',
      severity: 'error',
      from: { path: '^functions/store/' },
      to: { path: 'node_modules/ajv/', reachable: true },
    },
    {
      name: 'ajv-only-in-the-schema-module',
      comment: 'functions/domain/eval/schema.ts is the one runtime module that imports ajv (ADR 0052).',
      severity: 'error',
      from: { path: '^functions/', pathNot: '^functions/domain/eval/schema\\.ts$' },
      to: { path: 'node_modules/ajv/' },
    },
    {
      name: 'workflows-below-api',
      severity: 'error',
      from: { path: '^functions/workflows/' },
      to: { path: '^(functions/api/|local/|seed/)' },
    },
    {
      name: 'audit-below-api',
      comment:
        'The archive (archiver, digests, verifier) uses domain and store only; the audit API reads it (ADR 0008).',
      severity: 'error',
      from: { path: '^functions/audit/' },
      to: { path: '^(functions/(api|workflows|contracts)/|local/|seed/)' },
    },
    {
      name: 'reports-render-only',
      comment:
        'Report renderers (functions/reports) turn a domain report model into bytes with pdfkit: no store, API, ' +
        'workflows, audit archive, contracts, AWS SDK or middy. The API gathers the inputs and calls them.',
      severity: 'error',
      from: { path: '^functions/reports/' },
      to: {
        path: [
          '^functions/(store|api|workflows|audit|contracts)/',
          '@aws-sdk',
          '@middy',
          'node_modules/@aws-sdk',
          'node_modules/@middy',
        ],
      },
    },
    {
      name: 'events-below-api',
      comment:
        'Event publishing and webhook delivery (functions/events) use domain, store, the audit record decoder and ' +
        "the http executor's host check; never the handlers or contracts (docs/events.md).",
      severity: 'error',
      from: { path: '^functions/events/' },
      to: { path: '^(functions/(api|contracts)/|local/|seed/)' },
    },
    {
      name: 'runtime-never-imports-local-or-seed',
      comment: 'Lambda code must not depend on the local stack or the demo seed.',
      severity: 'error',
      from: { path: '^functions/' },
      to: { path: '^(local|seed|test|bench|lib|bin)/' },
    },
    {
      name: 'lib-names-handlers-never-imports-them',
      comment: 'CDK imports the table definition and the route manifest only; handlers are bundling entries by path.',
      severity: 'error',
      from: { path: '^(lib|bin)/' },
      to: {
        path: '^functions/',
        pathNot: ['^functions/store/table-definition\\.ts$', '^functions/api/routes\\.json$'],
      },
    },
    {
      name: 'dashboard-imports-contracts-only',
      comment:
        'The dashboard shares the API contracts (zod) and the domain vocabulary they use (types, the overview type, the pure incident clock); nothing with I/O.',
      severity: 'error',
      from: { path: '^dashboard/' },
      to: {
        path: '^(functions|local|seed|lib|bin|bench|scripts|cli)/',
        pathNot: [
          '^functions/contracts/',
          '^functions/domain/types\\.ts$',
          '^functions/domain/overview\\.ts$',
          // Pure data: the artefact kind registry (which fields a version's content hash covers).
          '^functions/domain/artefact-kinds\\.ts$',
          '^functions/domain/id-format\\.ts$',
          // Pure: the serious-incident clock's status, so the dashboard shows what the overview computes.
          '^functions/domain/incident-clock\\.ts$',
        ],
      },
    },
    {
      name: 'cli-imports-contracts-only',
      comment:
        'The pipeline CLI speaks HTTP to the API and shares its contracts (zod) and their domain vocabulary; nothing with I/O, so it bundles to one file.',
      severity: 'error',
      from: { path: '^cli/' },
      to: {
        path: '^(functions|local|seed|lib|bin|bench|scripts|dashboard|test)/',
        pathNot: [
          '^functions/contracts/',
          '^functions/domain/types\\.ts$',
          // Pure data: the artefact kind registry (one command group per kind).
          '^functions/domain/artefact-kinds\\.ts$',
          '^functions/domain/id-format\\.ts$',
          // Pure and import-free: the per-field diff of two policy documents (`govern policy diff`).
          '^functions/domain/policy-diff\\.ts$',
          // Pure and import-free: cases as promptfoo tests (`govern datasets export --format promptfoo`).
          '^functions/domain/promptfoo-tests\\.ts$',
          // Pure, importing only the vocabulary: a sample's size bounds (`govern samples post`, ADR 0049).
          '^functions/domain/sample-bounds\\.ts$',
        ],
      },
    },
    {
      name: 'observability-is-a-leaf',
      comment:
        'functions/observability (Powertools Logger, Metrics, the observe middleware) knows no other part; the ' +
        'domain and the store never import it or Powertools: the store reports contention through a callback.',
      severity: 'error',
      from: { path: '^functions/(domain|store)/' },
      to: { path: ['^functions/observability/', '@aws-lambda-powertools', 'node_modules/@aws-lambda-powertools'] },
    },
    {
      name: 'observability-imports-no-part',
      severity: 'error',
      from: { path: '^functions/observability/' },
      to: { path: '^(functions/(?!observability/)|local/|seed/|lib/)' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      extensions: ['.ts', '.tsx', '.js', '.json'],
    },
  },
};
