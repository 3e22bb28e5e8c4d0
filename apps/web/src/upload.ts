import { plyr } from './api.js';
import { byId, notify } from './dom.js';

/** The upload form: bytes go straight to storage (presigned PUT); the bar shows bytes sent. */
export function bindUploadForm(onUploaded: () => Promise<void>): void {
  const form = byId<HTMLFormElement>('upload-form');
  const progress = byId<HTMLProgressElement>('upload-progress');
  form.onsubmit = async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const file = data.get('file');
    if (!(file instanceof File) || file.size === 0) {
      notify('Choose an audio file to upload.');
      return;
    }
    const submit = form.querySelector('button[type=submit]') as HTMLButtonElement;
    submit.disabled = true;
    progress.hidden = false;
    progress.value = 0;
    try {
      const track = await plyr.uploadTrack(
        file,
        { title: String(data.get('title')), supportGate: data.get('gated') ? { type: 'any' } : null },
        { onProgress: ({ loaded, total }) => (progress.value = total > 0 ? loaded / total : 0) },
      );
      notify(`Uploaded “${track.title}”.`);
      form.reset();
      await onUploaded();
    } catch (err) {
      notify(`Upload failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      submit.disabled = false;
    }
  };
}
