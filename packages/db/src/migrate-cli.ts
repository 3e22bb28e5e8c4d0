// `pnpm db:migrate`: applies pending migrations to DATABASE_URL (or the embedded database).
import { createDb } from './client.js';

const handle = await createDb({
  url: process.env.DATABASE_URL,
  dataDir: process.env.DATA_DIR,
  // A development tool: the embedded server is a devDependency, loaded only without DATABASE_URL.
  startEmbedded: (dir, onNotice) => import('@plyr/embedded').then((m) => m.startEmbeddedPostgres(dir, onNotice)),
});
console.log(`migrations applied to ${handle.embedded ? 'the embedded database' : 'DATABASE_URL'}`);
await handle.close();
