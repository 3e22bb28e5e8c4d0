// `pnpm db:migrate`: applies pending migrations to DATABASE_URL (or the embedded database).
import { createDb } from './client.js';

const handle = await createDb({ url: process.env.DATABASE_URL, dataDir: process.env.DATA_DIR });
console.log(`migrations applied to ${handle.embedded ? 'the embedded database' : 'DATABASE_URL'}`);
await handle.close();
