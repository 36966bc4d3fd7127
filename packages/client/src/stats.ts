/**
 * Turns the transports' `getStats()` reports into TRTC's STATISTICS and NETWORK_QUALITY payloads, the
 * AUDIO_VOLUME list and Conclave's quality sample. Pure: it takes plain stats entries and the maps from
 * track ids to what they carry, and keeps only the previous counters to compute rates.
 */
import type { QualitySample } from '@conclave/protocol';
import type { TRTCStreamType } from './constants.ts';
import type { AudioStatistics, NetworkQuality, TRTCStatistics, VideoStatistics } from './events.ts';
import type { PublishSlot } from './media-session.ts';
import { candidatePairRttMs, networkQuality, uplinkFromReports } from './network-quality.ts';

export { networkQuality } from './network-quality.ts';

/** One entry of an RTCStatsReport, as a plain object. */
export type StatsEntry = { id: string; type: string } & Record<string, unknown>;

/** What a remote track carries. */
export interface RemoteTrackInfo {
  userId: string;
  kind: 'audio' | 'video';
  streamType: TRTCStreamType;
  small: boolean;
}

/** Input of one {@link StatsCalculator.compute} call. */
export interface StatsInput {
  /** ms, monotonic or wall clock */
  now: number;
  send: readonly StatsEntry[];
  recv: readonly StatsEntry[];
  /** Local track id → slot. */
  localTracks: ReadonlyMap<string, PublishSlot>;
  /** Remote track id → what it carries. */
  remoteTracks: ReadonlyMap<string, RemoteTrackInfo>;
  /** Whether the signaling and transports are up (false → quality 6). */
  connected: boolean;
}

/** Everything derived from one round of stats. */
export interface StatsSummary {
  statistics: TRTCStatistics;
  network: NetworkQuality;
  /** userId '' is local; volume 0..100. */
  volumes: { userId: string; volume: number }[];
  /** The quality sample fields that come from stats. */
  sample: Pick<QualitySample, 'rttMs' | 'audioUp' | 'videoUp' | 'audioDown' | 'videoDown'>;
}

/** Converts an RTCStatsReport to plain entries. */
export function statsEntries(report: RTCStatsReport | undefined): StatsEntry[] {
  if (!report) return [];
  const out: StatsEntry[] = [];
  report.forEach((value: unknown) => out.push(value as StatsEntry));
  return out;
}

function num(entry: StatsEntry | undefined, key: string): number | undefined {
  const v = entry?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function str(entry: StatsEntry | undefined, key: string): string | undefined {
  const v = entry?.[key];
  return typeof v === 'string' ? v : undefined;
}

interface Counter {
  bytes: number;
  packets: number;
  lost: number;
  at: number;
}

const round = (n: number, digits = 0) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Keeps the previous counters and computes summaries. */
export class StatsCalculator {
  #previous = new Map<string, Counter>();

  /** Forgets previous counters (after transports change). */
  reset(): void {
    this.#previous.clear();
  }

  compute(input: StatsInput): StatsSummary {
    const next = new Map<string, Counter>();
    const rate = (side: string, e: StatsEntry, bytesKey: string, packetsKey: string) => {
      const key = `${side}:${e.id}`;
      const counter: Counter = {
        bytes: num(e, bytesKey) ?? 0,
        packets: num(e, packetsKey) ?? 0,
        lost: num(e, 'packetsLost') ?? 0,
        at: input.now,
      };
      next.set(key, counter);
      const prev = this.#previous.get(key);
      if (!prev || counter.at <= prev.at || counter.bytes < prev.bytes) return { kbps: 0, packets: 0, lost: 0 };
      const seconds = (counter.at - prev.at) / 1000;
      return {
        kbps: ((counter.bytes - prev.bytes) * 8) / 1000 / seconds,
        packets: Math.max(0, counter.packets - prev.packets),
        lost: Math.max(0, counter.lost - prev.lost),
      };
    };

    // The SFU's receiver reports measure the media path itself; the ICE pair covers the time before the first.
    const reports = uplinkFromReports(input.send);
    const uplinkRTT = reports.rttMs ?? candidatePairRttMs(input.send);
    const downlinkRTT = candidatePairRttMs(input.recv);

    // Uplink: outbound-rtp per encoding, media-source for the captured track and audio level.
    const sources = new Map(input.send.filter((e) => e.type === 'media-source').map((e) => [e.id, e]));
    const localAudio: AudioStatistics = { bitrate: 0, audioLevel: 0 };
    const localVideo: VideoStatistics[] = [];
    let bytesSent = 0;
    let upAudioKbps = 0;
    let hasAudioUp = false;
    for (const e of input.send) {
      if (e.type !== 'outbound-rtp') continue;
      bytesSent += num(e, 'bytesSent') ?? 0;
      const source = sources.get(str(e, 'mediaSourceId') ?? '');
      const slot = input.localTracks.get(str(source, 'trackIdentifier') ?? '');
      const { kbps } = rate('out', e, 'bytesSent', 'packetsSent');
      if (str(e, 'kind') === 'audio') {
        hasAudioUp = true;
        upAudioKbps += kbps;
        localAudio.bitrate = round(localAudio.bitrate + kbps);
        localAudio.audioLevel = num(source, 'audioLevel') ?? localAudio.audioLevel;
      } else {
        const videoType = slot === 'sub' ? 'sub' : str(e, 'rid') === 'r0' ? 'small' : 'big';
        localVideo.push({
          width: num(e, 'frameWidth') ?? 0,
          height: num(e, 'frameHeight') ?? 0,
          frameRate: round(num(e, 'framesPerSecond') ?? 0),
          bitrate: round(kbps),
          videoType,
        });
      }
    }
    const upLossRatio = reports.lossRatio;

    // Downlink: inbound-rtp per consumer.
    const remote = new Map<string, { userId: string; audio: AudioStatistics; video: VideoStatistics[] }>();
    const volumes: { userId: string; volume: number }[] = [];
    let bytesReceived = 0;
    let downPackets = 0;
    let downLost = 0;
    let downAudio: { kbps: number; lost: number; packets: number } | undefined;
    let downVideo:
      | { kbps: number; lost: number; packets: number; fps: number; width: number; height: number }
      | undefined;
    for (const e of input.recv) {
      if (e.type !== 'inbound-rtp') continue;
      bytesReceived += num(e, 'bytesReceived') ?? 0;
      const info = input.remoteTracks.get(str(e, 'trackIdentifier') ?? '');
      const r = rate('in', e, 'bytesReceived', 'packetsReceived');
      downPackets += r.packets;
      downLost += r.lost;
      if (!info) continue;
      const user = remote.get(info.userId) ?? { userId: info.userId, audio: { bitrate: 0, audioLevel: 0 }, video: [] };
      remote.set(info.userId, user);
      if (info.kind === 'audio') {
        const level = num(e, 'audioLevel') ?? 0;
        user.audio = { bitrate: round(r.kbps), audioLevel: level };
        volumes.push({ userId: info.userId, volume: Math.round(level * 100) });
        downAudio = {
          kbps: (downAudio?.kbps ?? 0) + r.kbps,
          lost: (downAudio?.lost ?? 0) + r.lost,
          packets: (downAudio?.packets ?? 0) + r.packets,
        };
      } else {
        const v: VideoStatistics = {
          width: num(e, 'frameWidth') ?? 0,
          height: num(e, 'frameHeight') ?? 0,
          frameRate: round(num(e, 'framesPerSecond') ?? 0),
          bitrate: round(r.kbps),
          videoType: info.streamType === 'sub' ? 'sub' : info.small ? 'small' : 'big',
        };
        user.video.push(v);
        downVideo = {
          kbps: (downVideo?.kbps ?? 0) + r.kbps,
          lost: (downVideo?.lost ?? 0) + r.lost,
          packets: (downVideo?.packets ?? 0) + r.packets,
          fps: Math.max(downVideo?.fps ?? 0, v.frameRate),
          width: Math.max(downVideo?.width ?? 0, v.width),
          height: Math.max(downVideo?.height ?? 0, v.height),
        };
      }
    }
    this.#previous = next;

    const localLevel = localAudio.audioLevel;
    if (hasAudioUp) volumes.unshift({ userId: '', volume: Math.round(localLevel * 100) });
    const downLossRatio = downPackets + downLost > 0 ? downLost / (downPackets + downLost) : undefined;
    const rtt = uplinkRTT ?? downlinkRTT ?? 0;
    const upLoss = round((upLossRatio ?? 0) * 100, 1);
    const downLoss = round((downLossRatio ?? 0) * 100, 1);
    const bigUp = localVideo.filter((v) => v.videoType !== 'small').sort((a, b) => b.width - a.width)[0];
    const ratio = (lost: number, packets: number) => (packets + lost > 0 ? lost / (packets + lost) : 0);

    return {
      statistics: {
        rtt: Math.round(rtt),
        upLoss,
        downLoss,
        bytesSent,
        bytesReceived,
        localStatistics: { audio: localAudio, video: localVideo },
        remoteStatistics: [...remote.values()],
      },
      network: {
        uplinkNetworkQuality: networkQuality(
          upLossRatio === undefined ? undefined : upLoss,
          uplinkRTT,
          input.connected,
        ),
        downlinkNetworkQuality: networkQuality(
          downLossRatio === undefined ? undefined : downLoss,
          downlinkRTT,
          input.connected,
        ),
        uplinkRTT: Math.round(uplinkRTT ?? 0),
        downlinkRTT: Math.round(downlinkRTT ?? 0),
        uplinkLoss: upLoss,
        downlinkLoss: downLoss,
      },
      volumes,
      sample: {
        ...((uplinkRTT ?? downlinkRTT) !== undefined ? { rttMs: Math.min(60_000, Math.round(rtt)) } : {}),
        ...(hasAudioUp
          ? {
              audioUp: {
                bitrateKbps: round(upAudioKbps, 1),
                packetLoss: clamp01(upLossRatio ?? 0),
                volume: clamp01(localLevel),
              },
            }
          : {}),
        ...(bigUp
          ? {
              videoUp: {
                bitrateKbps: round(
                  localVideo.reduce((s, v) => s + v.bitrate, 0),
                  1,
                ),
                packetLoss: clamp01(upLossRatio ?? 0),
                frameRate: bigUp.frameRate,
                width: bigUp.width,
                height: bigUp.height,
              },
            }
          : {}),
        ...(downAudio
          ? {
              audioDown: {
                bitrateKbps: round(downAudio.kbps, 1),
                packetLoss: clamp01(ratio(downAudio.lost, downAudio.packets)),
              },
            }
          : {}),
        ...(downVideo
          ? {
              videoDown: {
                bitrateKbps: round(downVideo.kbps, 1),
                packetLoss: clamp01(ratio(downVideo.lost, downVideo.packets)),
                frameRate: downVideo.fps,
                width: downVideo.width,
                height: downVideo.height,
              },
            }
          : {}),
      },
    };
  }
}

function clamp01(n: number): number {
  return Math.min(1, Math.max(0, n));
}
