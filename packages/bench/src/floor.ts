/** The physical floor (native/floor.c): CPU per packet of an AES-GCM seal plus a loopback UDP send. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ensureNative } from './native/build.ts';

export interface FloorResult {
  packets: number;
  sealUs: number;
  sendUs: number;
  /** One seal and one sendto() per packet: the unavoidable work of forwarding one packet. */
  sealSendUs: number;
  /** The same with sendmmsg() batching `batch` packets per system call. */
  sealSendmmsgUs: number;
  batch: number;
}

export async function measureFloor(packets = 200_000): Promise<FloorResult> {
  const binary = await ensureNative('floor');
  const { stdout } = await promisify(execFile)(binary, [String(packets)]);
  return JSON.parse(stdout) as FloorResult;
}
