/** Mapping between validated quality samples (camelCase, optional metrics) and quality_samples rows. */
import type { Insertable, Selectable } from 'kysely';
import type { QualitySamplesTable } from '../storage/schema.ts';
import type { QualitySample } from './records.ts';

const flag = (v: boolean | undefined) => (v === undefined ? null : v ? 1 : 0) satisfies 0 | 1 | null;
const bool = (v: 0 | 1 | null) => (v === null ? undefined : v === 1);
const num = (v: number | null) => (v === null ? undefined : v);

/** A sample as a row to insert. */
export function sampleRow(s: QualitySample): Insertable<QualitySamplesTable> {
  return {
    sdk_app_id: s.sdkAppId,
    comm_id: s.commId,
    user_id: s.userId,
    source: s.source,
    sampled_at: s.sampledAt,
    audio_on: flag(s.audioOn),
    video_on: flag(s.videoOn),
    audio_muted: flag(s.audioMuted),
    video_muted: flag(s.videoMuted),
    app_cpu: s.appCpu ?? null,
    sys_cpu: s.sysCpu ?? null,
    memory_mb: s.memoryMb ?? null,
    rtt_ms: s.rttMs ?? null,
    audio_loss: s.audioLoss ?? null,
    video_loss: s.videoLoss ?? null,
    video_width: s.videoWidth ?? null,
    video_height: s.videoHeight ?? null,
    audio_bitrate_kbps: s.audioBitrateKbps ?? null,
    video_bitrate_kbps: s.videoBitrateKbps ?? null,
    available_bitrate_kbps: s.availableBitrateKbps ?? null,
    capture_fps: s.captureFps ?? null,
    encode_fps: s.encodeFps ?? null,
    decode_fps: s.decodeFps ?? null,
    render_fps: s.renderFps ?? null,
    audio_block_ms: s.audioBlockMs ?? null,
    video_block_ms: s.videoBlockMs ?? null,
    capture_volume: s.captureVolume ?? null,
    playback_volume: s.playbackVolume ?? null,
  };
}

/** A stored row back as a sample. */
export function sampleFromRow(r: Selectable<QualitySamplesTable>): QualitySample {
  const out: Record<string, unknown> = {
    sdkAppId: r.sdk_app_id,
    commId: r.comm_id,
    userId: r.user_id,
    source: r.source,
    sampledAt: r.sampled_at,
    audioOn: bool(r.audio_on),
    videoOn: bool(r.video_on),
    audioMuted: bool(r.audio_muted),
    videoMuted: bool(r.video_muted),
    appCpu: num(r.app_cpu),
    sysCpu: num(r.sys_cpu),
    memoryMb: num(r.memory_mb),
    rttMs: num(r.rtt_ms),
    audioLoss: num(r.audio_loss),
    videoLoss: num(r.video_loss),
    videoWidth: num(r.video_width),
    videoHeight: num(r.video_height),
    audioBitrateKbps: num(r.audio_bitrate_kbps),
    videoBitrateKbps: num(r.video_bitrate_kbps),
    availableBitrateKbps: num(r.available_bitrate_kbps),
    captureFps: num(r.capture_fps),
    encodeFps: num(r.encode_fps),
    decodeFps: num(r.decode_fps),
    renderFps: num(r.render_fps),
    audioBlockMs: num(r.audio_block_ms),
    videoBlockMs: num(r.video_block_ms),
    captureVolume: num(r.capture_volume),
    playbackVolume: num(r.playback_volume),
  };
  // Absent metrics stay absent (not `undefined` keys), so a read-back sample deep-equals what was written.
  for (const key of Object.keys(out)) if (out[key] === undefined) delete out[key];
  return out as QualitySample;
}

/** Quality fields of a sample in column order: [sample key, column]. Flags read back as 0/1 in series. */
export const QUALITY_FIELDS = [
  ['audioOn', 'audio_on'],
  ['videoOn', 'video_on'],
  ['audioMuted', 'audio_muted'],
  ['videoMuted', 'video_muted'],
  ['appCpu', 'app_cpu'],
  ['sysCpu', 'sys_cpu'],
  ['memoryMb', 'memory_mb'],
  ['rttMs', 'rtt_ms'],
  ['audioLoss', 'audio_loss'],
  ['videoLoss', 'video_loss'],
  ['videoWidth', 'video_width'],
  ['videoHeight', 'video_height'],
  ['audioBitrateKbps', 'audio_bitrate_kbps'],
  ['videoBitrateKbps', 'video_bitrate_kbps'],
  ['availableBitrateKbps', 'available_bitrate_kbps'],
  ['captureFps', 'capture_fps'],
  ['encodeFps', 'encode_fps'],
  ['decodeFps', 'decode_fps'],
  ['renderFps', 'render_fps'],
  ['audioBlockMs', 'audio_block_ms'],
  ['videoBlockMs', 'video_block_ms'],
  ['captureVolume', 'capture_volume'],
  ['playbackVolume', 'playback_volume'],
] as const satisfies readonly (readonly [keyof QualitySample, keyof QualitySamplesTable])[];

/** A quality metric name (sample key). */
export type QualityMetric = (typeof QUALITY_FIELDS)[number][0];
