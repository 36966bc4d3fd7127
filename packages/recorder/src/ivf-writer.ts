/**
 * IVF, the plain VP8 container ffmpeg reads: a 32-byte file header (`DKIF`, codec `VP80`, size, time base) and
 * per frame a 12-byte header (size, 64-bit pts) before the frame. The time base is 1/90000 (RTP's video clock),
 * so pts are RTP timestamp differences. The frame count in the header is written at close.
 */
import fs from 'node:fs';

const IVF_HEADER_BYTES = 32;

/** The 32-byte IVF file header. */
export function ivfFileHeader(width: number, height: number, frameCount: number, timebaseDen = 90000): Buffer {
  const h = Buffer.alloc(IVF_HEADER_BYTES);
  h.write('DKIF', 0, 'ascii');
  h.writeUInt16LE(0, 4);
  h.writeUInt16LE(IVF_HEADER_BYTES, 6);
  h.write('VP80', 8, 'ascii');
  h.writeUInt16LE(width & 0xffff, 12);
  h.writeUInt16LE(height & 0xffff, 14);
  h.writeUInt32LE(timebaseDen, 16);
  h.writeUInt32LE(1, 20);
  h.writeUInt32LE(frameCount >>> 0, 24);
  return h;
}

/** One IVF frame record: 4-byte size, 8-byte pts, the frame. */
export function ivfFrame(pts: number, data: Uint8Array): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt32LE(data.length, 0);
  h.writeBigUInt64LE(BigInt(pts), 4);
  return Buffer.concat([h, data]);
}

/** Writes frames to an IVF file synchronously (frames arrive at 15–30/s; a write is a few KiB). */
export class IvfWriter {
  readonly path: string;
  readonly #fd: number;
  #frames = 0;
  #width = 0;
  #height = 0;
  #bytes = IVF_HEADER_BYTES;
  #lastPts = -1;

  constructor(path: string) {
    this.path = path;
    this.#fd = fs.openSync(path, 'wx', 0o600);
    fs.writeSync(this.#fd, ivfFileHeader(0, 0, 0));
  }

  get frames(): number {
    return this.#frames;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Appends a frame; `pts` in 1/90000 s from the start of this file, strictly increasing (a repeat is moved on). */
  write(pts: number, data: Uint8Array, size?: { width: number; height: number }): void {
    if (size && this.#width === 0) {
      this.#width = size.width;
      this.#height = size.height;
    }
    const at = Math.max(pts, this.#lastPts + 1);
    this.#lastPts = at;
    const record = ivfFrame(at, data);
    fs.writeSync(this.#fd, record);
    this.#frames++;
    this.#bytes += record.length;
  }

  close(): void {
    fs.writeSync(this.#fd, ivfFileHeader(this.#width, this.#height, this.#frames), 0, IVF_HEADER_BYTES, 0);
    fs.closeSync(this.#fd);
  }
}
