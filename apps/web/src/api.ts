import { createPlyrClient } from '@plyr/client';

/** Where the API lives; baked in at build time (`VITE_API_URL`), the local API by default. */
export const API_URL = import.meta.env.VITE_API_URL ?? 'http://localhost:3000';

/** Browser mode: the SDK sends the `session_id` cookie with every call. */
export const plyr = createPlyrClient({ baseUrl: API_URL });
