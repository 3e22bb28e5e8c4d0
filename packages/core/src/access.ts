import { gateAt, type SupportGate } from './gate.js';
import type { SupportOutcome, SupporterService } from './supporters/index.js';

export type { SupportGate } from './gate.js';
export type AccessDecision = 'allowed' | 'login_required' | 'support_required' | 'unavailable';
export interface GatedItem {
  artistDid: string;
  supportGate: SupportGate;
}

type Rule = { decision: AccessDecision } | { askSupport: { viewerDid: string; artistDid: string } };

const DECISION_BY_OUTCOME: Record<SupportOutcome, AccessDecision> = {
  supporter: 'allowed',
  not_supporter: 'support_required',
  // A failing atprotofans is reported as such, never as "not a supporter".
  unavailable: 'unavailable',
};

// The gating rule itself, for public and gated items alike; both entry points apply it, and only it.
function ruleFor(viewerDid: string | null, item: GatedItem, now: Date): Rule {
  // Any gate other than null is gated, so an unknown gate shape fails closed; an early-access gate
  // is null from its publicAt on, on every instance at once, with no supporter check.
  if (gateAt(item.supportGate, now) == null) return { decision: 'allowed' };
  if (viewerDid === null) return { decision: 'login_required' };
  if (viewerDid === item.artistDid) return { decision: 'allowed' };
  return { askSupport: { viewerDid, artistDid: item.artistDid } };
}

/** The one gating decision for a single item (`/audio`, downloads), as it stands at `now`. */
export async function decideAccess(
  viewerDid: string | null,
  item: GatedItem,
  supporters: SupporterService,
  now: Date,
): Promise<AccessDecision> {
  const rule = ruleFor(viewerDid, item, now);
  if ('decision' in rule) return rule.decision;
  return DECISION_BY_OUTCOME[await supporters.check(rule.askSupport.viewerDid, rule.askSupport.artistDid)];
}

/** Batch form for lists: one supporter resolution per distinct gated artist not owned by the viewer. Returns decisions in input order. */
export async function decideAccessMany(
  viewerDid: string | null,
  items: readonly GatedItem[],
  supporters: SupporterService,
  now: Date,
): Promise<AccessDecision[]> {
  const rules = items.map((item) => ruleFor(viewerDid, item, now));
  const artistDids = rules.flatMap((rule) => ('askSupport' in rule ? [rule.askSupport.artistDid] : []));
  const outcomes =
    viewerDid !== null && artistDids.length > 0
      ? await supporters.resolveSupportedArtists(viewerDid, artistDids)
      : new Map<string, SupportOutcome>();
  return rules.map((rule) =>
    'decision' in rule ? rule.decision : DECISION_BY_OUTCOME[outcomes.get(rule.askSupport.artistDid) ?? 'unavailable'],
  );
}
