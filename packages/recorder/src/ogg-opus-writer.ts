/**
 * Ogg Opus (RFC 7845 over RFC 3533): an `OpusHead` page, an `OpusTags` page, then audio pages. Each audio page
 * holds up to {@link PACKETS_PER_PAGE} packets; its granule position is the 48 kHz sample count at the end of its
 * last packet. Gaps in the RTP timestamps (DTX, loss) advance the granule, so audio stays on the clock.
 */
import fs from 'node:fs';

const PACKETS_PER_PAGE = 50; // one second of 20 ms packets
const MAX_SEGMENTS = 255;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let j = 0; j < 8; j++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
})();

/** Ogg's CRC-32 (polynomial 0x04c11db7, no reflection, initial 0, no final xor). */
export function oggCrc(data: Uint8Array): number {
  let crc = 0;
  for (const byte of data) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ byte) & 0xff]!) >>> 0;
  return crc;
}

/** One Ogg page with `packets` (each packet complete in this page). */
export function oggPage(options: {
  packets: Uint8Array[];
  granule: bigint;
  serial: number;
  sequence: number;
  first?: boolean;
  last?: boolean;
}): Buffer {
  const lacing: number[] = [];
  for (const packet of options.packets) {
    let n = packet.length;
    while (n >= 255) {
      lacing.push(255);
      n -= 255;
    }
    lacing.push(n);
  }
  if (lacing.length > MAX_SEGMENTS) throw new RangeError('too many segments for one Ogg page');
  const header = Buffer.alloc(27 + lacing.length);
  header.write('OggS', 0, 'ascii');
  header[4] = 0;
  header[5] = (options.first ? 0x02 : 0) | (options.last ? 0x04 : 0);
  header.writeBigInt64LE(options.granule, 6);
  header.writeUInt32LE(options.serial >>> 0, 14);
  header.writeUInt32LE(options.sequence >>> 0, 18);
  header.writeUInt32LE(0, 22);
  header[26] = lacing.length;
  Buffer.from(lacing).copy(header, 27);
  const page = Buffer.concat([header, ...options.packets]);
  page.writeUInt32LE(oggCrc(page), 22);
  return page;
}

/** The `OpusHead` identification header (RFC 7845 §5.1), channel mapping family 0. */
export function opusHead(channels: number, preSkip = 0): Buffer {
  const h = Buffer.alloc(19);
  h.write('OpusHead', 0, 'ascii');
  h[8] = 1;
  h[9] = channels;
  h.writeUInt16LE(preSkip, 10);
  h.writeUInt32LE(48000, 12);
  h.writeInt16LE(0, 16);
  h[18] = 0;
  return h;
}

/** The `OpusTags` comment header (RFC 7845 §5.2) with a vendor string and no comments. */
export function opusTags(vendor = 'conclave-recorder'): Buffer {
  const v = Buffer.from(vendor, 'utf8');
  const h = Buffer.alloc(8 + 4 + v.length + 4);
  h.write('OpusTags', 0, 'ascii');
  h.writeUInt32LE(v.length, 8);
  v.copy(h, 12);
  h.writeUInt32LE(0, 12 + v.length);
  return h;
}

/** Segments a packet of this size needs in a page's lacing table. */
function segmentsOf(bytes: number): number {
  return Math.floor(bytes / 255) + 1;
}

export class OggOpusWriter {
  readonly path: string;
  readonly #fd: number;
  readonly #serial: number;
  #sequence = 0;
  #page: Uint8Array[] = [];
  #pageSegments = 0;
  #granule = 0n;
  #packets = 0;
  #bytes = 0;

  constructor(path: string, options: { channels?: number; serial?: number } = {}) {
    this.path = path;
    this.#serial = options.serial ?? 0x436c7663; // "Clvc"
    this.#fd = fs.openSync(path, 'wx', 0o600);
    this.#emit([opusHead(options.channels ?? 2)], 0n, { first: true });
    this.#emit([opusTags()], 0n);
  }

  get packets(): number {
    return this.#packets;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Appends one Opus packet ending at `endSample` (48 kHz samples from the start of this file): the caller derives
   * it from the RTP timestamp plus the packet's own duration, so gaps keep their length.
   */
  write(packet: Uint8Array, endSample: number): void {
    const segments = segmentsOf(packet.length);
    if (this.#page.length >= PACKETS_PER_PAGE || this.#pageSegments + segments > MAX_SEGMENTS) this.#flush(false);
    this.#page.push(packet);
    this.#pageSegments += segments;
    const end = BigInt(Math.max(0, Math.round(endSample)));
    if (end > this.#granule) this.#granule = end;
    this.#packets++;
  }

  close(): void {
    this.#flush(true);
    fs.closeSync(this.#fd);
  }

  #flush(last: boolean): void {
    if (this.#page.length === 0 && !last) return;
    this.#emit(this.#page, this.#granule, { last });
    this.#page = [];
    this.#pageSegments = 0;
  }

  #emit(packets: Uint8Array[], granule: bigint, flags: { first?: boolean; last?: boolean } = {}): void {
    const page = oggPage({ packets, granule, serial: this.#serial, sequence: this.#sequence++, ...flags });
    fs.writeSync(this.#fd, page);
    this.#bytes += page.length;
  }
}
