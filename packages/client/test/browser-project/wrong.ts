// One deliberate mistake: proves the SDK's types are read, not silently `any`.
import { createPlyrClient } from '@plyr/client';

const plyr = createPlyrClient({ baseUrl: 'https://api.plyr.fm' });
export const handle: number = (await plyr.auth.me.query()).handle;
