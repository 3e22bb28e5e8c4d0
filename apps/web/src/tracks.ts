import { canPlay, type Track } from '@plyr/client';
import { byId, el } from './dom.js';
import type { Viewer } from './session.js';

export interface TrackListState {
  tracks: Track[];
  viewer: Viewer | null;
  liked: ReadonlySet<string>;
}

export interface TrackActions {
  play(track: Track): void;
  setLiked(track: Track, liked: boolean): void;
  setGated(track: Track, gated: boolean): void;
}

/** setTimeout's longest delay (about 24.8 days); a release further out is re-checked on the next render. */
const MAX_TIMER_MS = 2 ** 31 - 1;
let releaseTimer: ReturnType<typeof setTimeout> | undefined;

/**
 * One row per track: lock when this viewer cannot play it, play, like, and the gate on one's own
 * tracks. At the next early-access release the list renders again, so the lock goes at that instant.
 */
export function renderTracks(state: TrackListState, actions: TrackActions): void {
  const { tracks, viewer, liked } = state;
  const list = byId<HTMLUListElement>('tracks');
  clearTimeout(releaseTimer);
  if (tracks.length === 0) {
    list.replaceChildren(el('li', {}, 'No tracks yet.'));
    return;
  }
  const now = new Date();
  list.replaceChildren(...tracks.map((track) => trackRow(track, viewer, liked.has(track.id), actions, now)));
  const next = Math.min(...tracks.map((track) => upcomingRelease(track, now) ?? Infinity));
  if (next !== Infinity) releaseTimer = setTimeout(() => renderTracks(state, actions), Math.min(next - now.getTime(), MAX_TIMER_MS));
}

/** The early-access instant of a track still ahead of `now` (ms), else null. */
function upcomingRelease(track: Track, now: Date): number | null {
  const at = track.supportGate?.publicAt === undefined ? NaN : Date.parse(track.supportGate.publicAt);
  return at > now.getTime() ? at : null;
}

/** "public on 5 Dec 2026, 14:00" in the reader's locale and zone; the exact instant in `datetime`. */
function publicOn(publicAt: string): HTMLElement {
  const when = new Date(publicAt).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  return el('span', { className: 'public-on' }, 'public on ', el('time', { dateTime: publicAt }, when));
}

const SVG = 'http://www.w3.org/2000/svg';

/** A padlock drawn inline, so it shows on machines without an emoji font. */
function lockIcon(): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('width', '16');
  svg.setAttribute('height', '16');
  svg.setAttribute('aria-hidden', 'true');
  const shackle = document.createElementNS(SVG, 'path');
  shackle.setAttribute('d', 'M4.5 7V5a3.5 3.5 0 0 1 7 0v2');
  shackle.setAttribute('fill', 'none');
  shackle.setAttribute('stroke', 'currentColor');
  shackle.setAttribute('stroke-width', '1.5');
  const body = document.createElementNS(SVG, 'rect');
  for (const [name, value] of Object.entries({ x: '2.5', y: '7', width: '11', height: '8', rx: '1.5', fill: 'currentColor' })) {
    body.setAttribute(name, value);
  }
  svg.append(shackle, body);
  return svg;
}

function trackRow(track: Track, viewer: Viewer | null, isLiked: boolean, actions: TrackActions, now: Date): HTMLLIElement {
  const playable = canPlay(track, now);
  const lock = el('span', { className: 'lock' });
  if (!playable) {
    lock.setAttribute('aria-label', 'Locked: supporters only');
    lock.title = 'Supporters only';
    lock.append(lockIcon());
  }
  const play = el('button', { type: 'button', className: 'play', onclick: () => actions.play(track) }, 'Play');
  play.setAttribute('aria-label', `Play ${track.title}`);

  const row = el(
    'li',
    { dataset: { trackId: track.id, gated: String(!playable) } },
    lock,
    el('span', { className: 'title' }, track.title, ' ', el('span', { className: 'artist' }, `by @${track.artist.handle}`)),
  );
  // Early access: everyone (other ATProto clients too, from the record) learns when it opens.
  if (upcomingRelease(track, now) !== null) row.append(publicOn(track.supportGate!.publicAt!));
  row.append(play);
  if (viewer) {
    const like = el(
      'button',
      { type: 'button', className: 'like', onclick: () => actions.setLiked(track, !isLiked) },
      isLiked ? 'Unlike' : 'Like',
    );
    like.setAttribute('aria-pressed', String(isLiked));
    row.append(like);
  }
  if (viewer?.did === track.artist.did) {
    const gate = el('input', {
      type: 'checkbox',
      className: 'gate',
      checked: track.supportGate !== null,
      onchange: () => actions.setGated(track, gate.checked),
    });
    row.append(el('label', {}, gate, ' Supporters only'));
  }
  return row;
}
