/**
 * STUN/TURN messages (RFC 8489, RFC 8656): just enough to allocate a relay, ask for a permission and read the
 * answer. Used by the readiness probe of a spawned coturn and by the tests that prove its peer policy.
 * `decodeStunMessage` reads hostile input: every length is checked against the buffer before it is read.
 */
import crypto from 'node:crypto';
import { isIP } from 'node:net';

export const MAGIC_COOKIE = 0x2112a442;
const HEADER_BYTES = 20;
/** Largest message this decoder accepts (a UDP datagram's practical bound). */
export const MAX_STUN_BYTES = 65_535;

export const StunMethod = { Binding: 0x001, Allocate: 0x003, Refresh: 0x004, CreatePermission: 0x008 } as const;
export type StunClass = 'request' | 'indication' | 'success' | 'error';

export const StunAttr = {
  Username: 0x0006,
  MessageIntegrity: 0x0008,
  ErrorCode: 0x0009,
  Lifetime: 0x000d,
  XorPeerAddress: 0x0012,
  Realm: 0x0014,
  Nonce: 0x0015,
  XorRelayedAddress: 0x0016,
  RequestedTransport: 0x0019,
  XorMappedAddress: 0x0020,
  Software: 0x8022,
  Fingerprint: 0x8028,
} as const;

export interface StunAttribute {
  type: number;
  value: Buffer;
}

export interface StunMessage {
  method: number;
  cls: StunClass;
  transactionId: Buffer;
  attributes: StunAttribute[];
}

export interface TransportAddress {
  family: 'IPv4' | 'IPv6';
  address: string;
  port: number;
}

const CLASS_BITS: Record<StunClass, number> = { request: 0x000, indication: 0x010, success: 0x100, error: 0x110 };

function messageType(method: number, cls: StunClass): number {
  return (method & 0x000f) | ((method & 0x0070) << 1) | ((method & 0x0f80) << 2) | CLASS_BITS[cls];
}

function splitType(type: number): { method: number; cls: StunClass } {
  const method = (type & 0x000f) | ((type & 0x00e0) >> 1) | ((type & 0x3e00) >> 2);
  const bits = type & 0x110;
  const cls = (Object.keys(CLASS_BITS) as StunClass[]).find((c) => CLASS_BITS[c] === bits) as StunClass;
  return { method, cls };
}

/** A fresh 96-bit transaction id. */
export function newTransactionId(): Buffer {
  return crypto.randomBytes(12);
}

/** The long-term credential key (RFC 8489 §9.2.2): MD5(username ":" realm ":" password). */
export function longTermKey(username: string, realm: string, password: string): Buffer {
  return crypto.createHash('md5').update(`${username}:${realm}:${password}`, 'utf8').digest();
}

function header(type: number, length: number, transactionId: Buffer): Buffer {
  const h = Buffer.alloc(HEADER_BYTES);
  h.writeUInt16BE(type, 0);
  h.writeUInt16BE(length, 2);
  h.writeUInt32BE(MAGIC_COOKIE, 4);
  transactionId.copy(h, 8);
  return h;
}

function encodeAttribute(attr: StunAttribute): Buffer {
  const padded = Math.ceil(attr.value.length / 4) * 4;
  const out = Buffer.alloc(4 + padded);
  out.writeUInt16BE(attr.type, 0);
  out.writeUInt16BE(attr.value.length, 2);
  attr.value.copy(out, 4);
  return out;
}

/**
 * Encodes a message; with `integrityKey`, appends MESSAGE-INTEGRITY (HMAC-SHA1 over the message with its
 * length already counting that attribute) and then FINGERPRINT.
 */
export function encodeStunMessage(message: StunMessage, integrityKey?: Buffer): Buffer {
  if (message.transactionId.length !== 12) throw new RangeError('a transaction id has 12 bytes');
  let body = Buffer.concat(message.attributes.map(encodeAttribute));
  const type = messageType(message.method, message.cls);
  if (integrityKey) {
    const withMi = header(type, body.length + 24, message.transactionId);
    const hmac = crypto
      .createHmac('sha1', integrityKey)
      .update(Buffer.concat([withMi, body]))
      .digest();
    body = Buffer.concat([body, encodeAttribute({ type: StunAttr.MessageIntegrity, value: hmac })]);
  }
  const withFp = Buffer.concat([header(type, body.length + 8, message.transactionId), body]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE((crc32(withFp) ^ 0x5354554e) >>> 0);
  return Buffer.concat([withFp, encodeAttribute({ type: StunAttr.Fingerprint, value: crc })]);
}

/** Why a buffer is not a STUN message. */
export class StunDecodeError extends Error {
  override readonly name = 'StunDecodeError';
}

/** Decodes a STUN message, checking every length against the buffer; throws StunDecodeError otherwise. */
export function decodeStunMessage(buf: Uint8Array): StunMessage {
  const data = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (data.length < HEADER_BYTES) throw new StunDecodeError('shorter than a STUN header');
  if (data.length > MAX_STUN_BYTES) throw new StunDecodeError('longer than a STUN message may be');
  const type = data.readUInt16BE(0);
  if ((type & 0xc000) !== 0) throw new StunDecodeError('the first two bits of a STUN message are zero');
  const length = data.readUInt16BE(2);
  if (length % 4 !== 0) throw new StunDecodeError('the message length is not a multiple of 4');
  if (data.readUInt32BE(4) !== MAGIC_COOKIE) throw new StunDecodeError('no magic cookie');
  if (HEADER_BYTES + length !== data.length) throw new StunDecodeError('the message length does not match the data');
  const attributes: StunAttribute[] = [];
  let offset = HEADER_BYTES;
  while (offset < data.length) {
    if (offset + 4 > data.length) throw new StunDecodeError('truncated attribute header');
    const attrType = data.readUInt16BE(offset);
    const attrLength = data.readUInt16BE(offset + 2);
    const end = offset + 4 + attrLength;
    if (end > data.length) throw new StunDecodeError('attribute runs past the message');
    attributes.push({ type: attrType, value: Buffer.from(data.subarray(offset + 4, end)) });
    offset = end + ((4 - (attrLength % 4)) % 4);
  }
  if (offset !== data.length) throw new StunDecodeError('attribute padding runs past the message');
  const { method, cls } = splitType(type);
  return { method, cls, transactionId: Buffer.from(data.subarray(8, 20)), attributes };
}

/**
 * Whether `raw`'s MESSAGE-INTEGRITY matches `key` (RFC 8489 §14.5: the HMAC covers the message up to the
 * attribute, with the header length counting through it). False when there is none or the data is malformed.
 */
export function verifyMessageIntegrity(raw: Buffer, key: Buffer): boolean {
  let offset = HEADER_BYTES;
  while (offset + 4 <= raw.length) {
    const type = raw.readUInt16BE(offset);
    const length = raw.readUInt16BE(offset + 2);
    if (type === StunAttr.MessageIntegrity) {
      if (length !== 20 || offset + 24 > raw.length) return false;
      const covered = Buffer.from(raw.subarray(0, offset));
      covered.writeUInt16BE(offset + 24 - HEADER_BYTES, 2);
      const expected = crypto.createHmac('sha1', key).update(covered).digest();
      return crypto.timingSafeEqual(expected, raw.subarray(offset + 4, offset + 24));
    }
    offset += 4 + length + ((4 - (length % 4)) % 4);
  }
  return false;
}

/** Whether `raw` ends with a FINGERPRINT attribute whose CRC-32 matches (RFC 8489 §14.7). */
export function verifyFingerprint(raw: Buffer): boolean {
  if (raw.length < HEADER_BYTES + 8) return false;
  const at = raw.length - 8;
  if (raw.readUInt16BE(at) !== StunAttr.Fingerprint || raw.readUInt16BE(at + 2) !== 4) return false;
  return (crc32(raw.subarray(0, at)) ^ 0x5354554e) >>> 0 === raw.readUInt32BE(at + 4);
}

/** The first attribute of `type`. */
export function attribute(message: StunMessage, type: number): Buffer | undefined {
  return message.attributes.find((a) => a.type === type)?.value;
}

/** ERROR-CODE as number and reason, or undefined when absent or malformed. */
export function errorCode(message: StunMessage): { code: number; reason: string } | undefined {
  const value = attribute(message, StunAttr.ErrorCode);
  if (!value || value.length < 4) return undefined;
  const cls = value[2]! & 0x07;
  const number = value[3]!;
  if (cls < 3 || cls > 6 || number > 99) return undefined;
  return { code: cls * 100 + number, reason: value.subarray(4).toString('utf8') };
}

/** A text attribute (USERNAME, REALM, NONCE, SOFTWARE). */
export function textAttribute(message: StunMessage, type: number): string | undefined {
  return attribute(message, type)?.toString('utf8');
}

/** Encodes an XOR-*-ADDRESS value. */
export function encodeXorAddress(address: string, port: number, transactionId: Buffer): Buffer {
  const family = isIP(address);
  if (family === 0) throw new RangeError(`not an IP address: ${address}`);
  const raw = family === 4 ? Buffer.from(address.split('.').map(Number)) : ipv6Bytes(address);
  const out = Buffer.alloc(4 + raw.length);
  out[1] = family === 4 ? 0x01 : 0x02;
  out.writeUInt16BE(port ^ (MAGIC_COOKIE >>> 16), 2);
  xorInto(raw, transactionId).copy(out, 4);
  return out;
}

/** Decodes an XOR-*-ADDRESS value, or undefined when malformed. */
export function decodeXorAddress(value: Buffer, transactionId: Buffer): TransportAddress | undefined {
  if (value.length < 4) return undefined;
  const family = value[1];
  const expected = family === 0x01 ? 8 : family === 0x02 ? 20 : -1;
  if (value.length !== expected) return undefined;
  const port = value.readUInt16BE(2) ^ (MAGIC_COOKIE >>> 16);
  const raw = xorInto(Buffer.from(value.subarray(4)), transactionId);
  if (family === 0x01) return { family: 'IPv4', address: [...raw].join('.'), port };
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(raw.readUInt16BE(i).toString(16));
  return { family: 'IPv6', address: groups.join(':'), port };
}

function xorInto(raw: Buffer, transactionId: Buffer): Buffer {
  const mask = Buffer.alloc(16);
  mask.writeUInt32BE(MAGIC_COOKIE, 0);
  transactionId.copy(mask, 4);
  const out = Buffer.alloc(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw[i]! ^ mask[i]!;
  return out;
}

function ipv6Bytes(address: string): Buffer {
  const [head = '', tail = ''] = address.split('::');
  const parts = (s: string) => (s === '' ? [] : s.split(':'));
  const h = parts(head);
  const t = address.includes('::') ? parts(tail) : [];
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
