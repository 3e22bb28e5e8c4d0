/** Where supporter proof can come from, in the order SUPPORTER_SOURCES may list them. */
export const SUPPORTER_SOURCE_NAMES = ['attested', 'atprotofans'] as const;
export type SupporterSourceName = (typeof SUPPORTER_SOURCE_NAMES)[number];

/** A source's answer for one artist: yes, no, or `failed` (no usable answer, never read as no). */
export type SourceAnswer = boolean | 'failed';

export interface SupporterSource {
  readonly name: SupporterSourceName;
  /** Answers for each of `artistDids`; never throws for an upstream failure. */
  supports(viewerDid: string, artistDids: readonly string[]): Promise<Map<string, SourceAnswer>>;
}
