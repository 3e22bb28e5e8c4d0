/**
 * The layer rule of DESIGN.md, checked in `pnpm lint`: data flows http → api → core → db/storage,
 * with no import cycles, and the published SDK and CLI load no server code at run time.
 */
const layer = (name, from, forbidden, comment) => ({
  name,
  comment,
  severity: 'error',
  from: { path: from },
  to: { path: forbidden, dependencyTypesNot: ['type-only'] },
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'An import cycle makes every module in it load and change together.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    layer('db-is-the-bottom', '^packages/db/src', '^(packages/(core|api|client|cli|testing)|apps)/', 'The data layer knows nothing above it.'),
    layer('core-below-api', '^packages/core/src', '^(packages/(api|client|cli|testing)|apps)/', 'Domain services know neither tRPC nor the host.'),
    layer('api-below-host', '^packages/api/src', '^(packages/(client|cli|testing)|apps)/', 'The tRPC layer is mounted by the host, never the other way round.'),
    {
      name: 'api-knows-no-express',
      comment: 'The tRPC layer takes plain values from the host; Express stays in apps/server.',
      severity: 'error',
      from: { path: '^packages/api/src' },
      to: { path: '^(express|@types/express)$|node_modules/(express|@types/express)/' },
    },
    layer('sdk-loads-no-server', '^packages/(client|cli)/src', '^(packages/(api|core|db|testing)|apps)/', 'Published packages import server code for types only.'),
    {
      name: 'core-through-its-entry-points',
      comment: "Other packages use core's named entry points (package.json exports), never a file behind them.",
      severity: 'error',
      from: { path: '^(packages/(?!core/)[^/]+|apps/[^/]+)/' },
      to: {
        path: '^packages/core/src/',
        pathNot: '^packages/core/src/(index|access|did|gate|metrics|playback|unavailable|supporters/sources|(auth|cache|downloads|jobs|likes|reconcile|storage|supporters|tracks)/index)\\.ts$',
      },
    },
    {
      name: 'embedded-servers-loaded-on-demand',
      comment: 'The embedded PostgreSQL and S3 server are a dev dependency, imported only when DATABASE_URL or S3_ENDPOINT is unset.',
      severity: 'error',
      from: { path: '^(packages/(?!testing/|embedded/)[^/]+|apps/[^/]+)/src' },
      to: { path: '^packages/embedded/', dependencyTypesNot: ['dynamic-import', 'type-only'] },
    },
    layer('production-code-never-loads-tests', '^(packages/(?!testing/)[^/]+|apps/[^/]+)/src', '^packages/testing/', 'Test fixtures stay out of what ships.'),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(test|dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'types', 'default'],
      extensions: ['.ts', '.js'],
    },
  },
};
