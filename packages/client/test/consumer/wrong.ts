// Deliberate mistakes: `tsc --strict` must refuse each of them.
import { createPlyrClient, isPlyrError } from '@plyr/client';

const plyr = createPlyrClient({ baseUrl: 'http://localhost:3000', token: 'plyr_dev_x' });

// A track id is a string.
await plyr.tracks.byId.query({ id: 42 });

// `gated` is a boolean, not a string.
const track = await plyr.tracks.byId.query({ id: 'x' });
const label: string = track.gated;

// Only tRPC error codes exist.
export const known = (err: unknown) => isPlyrError(err, 'NOT_A_SUPPORTER');

export { label };
