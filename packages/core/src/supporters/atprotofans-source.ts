import pMap from 'p-map';
import type { Logger } from 'pino';
import { AtprotofansError, type AtprotofansClient } from './client.js';
import type { SourceAnswer, SupporterSource } from './sources.js';

/** atprotofans' validateSupporter, one request per artist, at most `concurrency` open at once. */
export function createAtprotofansSource(client: AtprotofansClient, concurrency: number, logger: Logger): SupporterSource {
  return {
    name: 'atprotofans',
    async supports(viewerDid, artistDids) {
      const answers = await pMap(
        artistDids,
        async (artistDid): Promise<SourceAnswer> => {
          try {
            return await client.validateSupporter(viewerDid, artistDid);
          } catch (err) {
            if (!(err instanceof AtprotofansError)) throw err;
            logger.warn({ err, supporterDid: viewerDid, artistDid }, 'atprotofans validation failed; answering unavailable');
            return 'failed';
          }
        },
        { concurrency },
      );
      return new Map(artistDids.map((artistDid, i) => [artistDid, answers[i] as SourceAnswer]));
    },
  };
}
