// A web frontend, written against the published @plyr/client only: DOM types, no Node types at all.
import { audioUrl, canPlay, createPlyrClient, isPlyrError, type RouterOutputs, type Track } from '@plyr/client';

const plyr = createPlyrClient({ baseUrl: 'https://api.plyr.fm' });

export async function render(list: HTMLUListElement, player: HTMLAudioElement): Promise<void> {
  const me: RouterOutputs['auth']['me'] | null = await plyr.auth.me.query().catch((err: unknown) => {
    if (isPlyrError(err, 'UNAUTHORIZED')) return null;
    throw err;
  });
  document.title = me ? `plyr: ${me.handle}` : 'plyr';
  const { items } = await plyr.tracks.list.query({ limit: 20 });
  for (const track of items satisfies Track[]) {
    const item = document.createElement('li');
    item.textContent = canPlay(track) ? track.title : `${track.title} (supporters only)`;
    item.addEventListener('click', () => {
      const src = audioUrl(track);
      if (src) player.src = src;
    });
    list.append(item);
  }
}

export function upload(file: File, bar: HTMLProgressElement): Promise<Track> {
  return plyr.uploadTrack(file, { title: file.name, supportGate: { type: 'any' } }, {
    onProgress: ({ loaded, total }) => (bar.value = loaded / total),
  });
}
