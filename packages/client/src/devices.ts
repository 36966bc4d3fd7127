/** Camera, microphone and speaker lists, and DEVICE_CHANGED detection. */
import type { DeviceChanged } from './events.ts';

type DeviceKind = 'videoinput' | 'audioinput' | 'audiooutput';

function mediaDevices(): MediaDevices | undefined {
  return typeof navigator === 'undefined' ? undefined : navigator.mediaDevices;
}

/** Devices of one kind; with `requestPermission`, opens and closes the device once so labels are filled. */
export async function listDevices(kind: DeviceKind, requestPermission = true): Promise<MediaDeviceInfo[]> {
  const md = mediaDevices();
  if (!md?.enumerateDevices) return [];
  let devices = (await md.enumerateDevices()).filter((d) => d.kind === kind);
  if (requestPermission && kind !== 'audiooutput' && devices.some((d) => !d.label)) {
    try {
      const stream = await md.getUserMedia(kind === 'videoinput' ? { video: true } : { audio: true });
      for (const t of stream.getTracks()) t.stop();
      devices = (await md.enumerateDevices()).filter((d) => d.kind === kind);
    } catch {
      // Permission refused: return the unlabelled list.
    }
  }
  return devices;
}

const TYPE_OF: Record<DeviceKind, DeviceChanged['type']> = {
  videoinput: 'camera',
  audioinput: 'microphone',
  audiooutput: 'speaker',
};

/** Watches `devicechange` and reports each added or removed device. */
export class DeviceWatcher {
  #known = new Map<string, MediaDeviceInfo>();
  readonly #onChange: (change: DeviceChanged) => void;
  readonly #listener = () => void this.#refresh(true);

  constructor(onChange: (change: DeviceChanged) => void) {
    this.#onChange = onChange;
    const md = mediaDevices();
    if (!md?.addEventListener) return;
    md.addEventListener('devicechange', this.#listener);
    void this.#refresh(false);
  }

  async #refresh(report: boolean): Promise<void> {
    const md = mediaDevices();
    if (!md?.enumerateDevices) return;
    const now = new Map<string, MediaDeviceInfo>();
    for (const d of await md.enumerateDevices()) {
      if (d.kind === 'videoinput' || d.kind === 'audioinput' || d.kind === 'audiooutput')
        now.set(`${d.kind}:${d.deviceId}`, d);
    }
    if (report) {
      for (const [key, d] of now)
        if (!this.#known.has(key)) this.#onChange({ type: TYPE_OF[d.kind as DeviceKind], action: 'add', device: d });
      for (const [key, d] of this.#known)
        if (!now.has(key)) this.#onChange({ type: TYPE_OF[d.kind as DeviceKind], action: 'remove', device: d });
    }
    this.#known = now;
  }

  /** Stops watching. */
  close(): void {
    mediaDevices()?.removeEventListener?.('devicechange', this.#listener);
  }
}
