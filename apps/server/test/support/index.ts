// `@plyr/server/testing`: the API started for tests (web, client, CLI and the server's own), on the
// infrastructure of `@plyr/testing`.
export * from './app.js';
export * from './stack.js';
