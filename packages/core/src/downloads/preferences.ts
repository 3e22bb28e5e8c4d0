import { eq, sql } from 'drizzle-orm';
import { users, type Db } from '@plyr/db';

/** Stored on the user, so every device of theirs sees the same setting. */
export interface DownloadPreferences {
  autoDownloadLiked: boolean;
}

const DEFAULT_PREFERENCES: DownloadPreferences = { autoDownloadLiked: false };

export async function getDownloadPreferences(db: Db, did: string): Promise<DownloadPreferences> {
  const [row] = await db.select({ autoDownloadLiked: users.autoDownloadLiked }).from(users).where(eq(users.did, did));
  return row ?? DEFAULT_PREFERENCES;
}

export async function setDownloadPreferences(
  db: Db,
  did: string,
  preferences: DownloadPreferences,
): Promise<DownloadPreferences> {
  const [row] = await db
    .update(users)
    .set({ autoDownloadLiked: preferences.autoDownloadLiked, updatedAt: sql`now()` })
    .where(eq(users.did, did))
    .returning({ autoDownloadLiked: users.autoDownloadLiked });
  return row ?? DEFAULT_PREFERENCES;
}
