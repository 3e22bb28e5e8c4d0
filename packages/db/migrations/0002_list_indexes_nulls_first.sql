DROP INDEX "likes_did_created_idx";--> statement-breakpoint
DROP INDEX "tracks_created_at_id_idx";--> statement-breakpoint
DROP INDEX "tracks_artist_idx";--> statement-breakpoint
CREATE INDEX "likes_did_created_idx" ON "likes" USING btree ("did","created_at" DESC NULLS FIRST,"track_id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "tracks_created_at_id_idx" ON "tracks" USING btree ("created_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "tracks_artist_idx" ON "tracks" USING btree ("artist_did","created_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);