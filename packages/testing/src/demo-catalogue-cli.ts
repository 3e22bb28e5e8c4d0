/**
 * Seeds the demo artist's catalogue on a running API (`pnpm dev` runs it once the API is up):
 *   PLYR_API_URL=http://localhost:3000 PLYR_DEMO_HANDLE=artist.test PLYR_DEMO_PASSWORD=… \
 *     pnpm exec tsx packages/testing/src/demo-catalogue-cli.ts
 * Prints one line per track uploaded.
 */
import { seedDemoCatalogue } from './demo-catalogue.js';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

try {
  const tracks = await seedDemoCatalogue({
    apiUrl: required('PLYR_API_URL'),
    artist: { handle: required('PLYR_DEMO_HANDLE'), password: required('PLYR_DEMO_PASSWORD') },
  });
  for (const track of tracks) {
    const when = track.publicAt ? `, public for everyone at ${new Date(track.publicAt).toLocaleTimeString()}` : '';
    console.log(`seeded "${track.title}" (${track.state}${when})`);
  }
} catch (err) {
  console.error(`seeding the demo catalogue failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
