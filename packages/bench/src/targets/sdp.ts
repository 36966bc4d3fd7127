/** The little SDP the Janus comparison needs: our offers and answers, and the fields we read from Janus's. */
import type { LocalIce } from '../native/media-peer.ts';

export interface SdpIdentity {
  address: string;
  ice: LocalIce;
  fingerprint: string;
  port: number;
}

export interface OfferedStream {
  kind: 'audio' | 'video';
  ssrcs: number[];
}

const RTPMAP = { audio: 'a=rtpmap:111 opus/48000/2', video: 'a=rtpmap:96 VP8/90000' };
const FEEDBACK = ['a=rtcp-fb:96 nack', 'a=rtcp-fb:96 nack pli', 'a=rtcp-fb:96 ccm fir'];

function session(mids: string[], address: string): string[] {
  return ['v=0', `o=- ${Date.now()} 1 IN IP4 ${address}`, 's=-', 't=0 0', `a=group:BUNDLE ${mids.join(' ')}`];
}

function transport(id: SdpIdentity): string[] {
  return [
    `c=IN IP4 ${id.address}`,
    'a=rtcp-mux',
    `a=ice-ufrag:${id.ice.usernameFragment}`,
    `a=ice-pwd:${id.ice.password}`,
    `a=fingerprint:sha-256 ${id.fingerprint}`,
    // The media peer is always the DTLS client.
    'a=setup:active',
    `a=candidate:1 1 udp 2130706431 ${id.address} ${id.port} typ host`,
    'a=end-of-candidates',
  ];
}

/** A send-only offer for a publisher (video with several SSRCs is SSRC-signalled simulcast). */
export function publisherOffer(id: SdpIdentity, streams: OfferedStream[], cname: string): string {
  const lines = session(
    streams.map((_, i) => String(i)),
    id.address,
  );
  streams.forEach((s, i) => {
    lines.push(`m=${s.kind} 9 UDP/TLS/RTP/SAVPF ${s.kind === 'audio' ? 111 : 96}`, ...transport(id));
    lines.push(`a=mid:${i}`, 'a=sendonly', RTPMAP[s.kind], ...(s.kind === 'video' ? FEEDBACK : []));
    if (s.ssrcs.length > 1) lines.push(`a=ssrc-group:SIM ${s.ssrcs.join(' ')}`);
    for (const ssrc of s.ssrcs) lines.push(`a=ssrc:${ssrc} cname:${cname}`);
  });
  return `${lines.join('\r\n')}\r\n`;
}

/** A receive-only answer to Janus's subscriber offer: Opus and VP8 accepted, anything else rejected. */
export function subscriberAnswer(id: SdpIdentity, offer: string): string {
  const sections = offer.split(/\r?\nm=/).slice(1);
  const mids: string[] = [];
  const media: string[] = [];
  for (const section of sections) {
    const kind = section.split(' ')[0] ?? '';
    const mid = /a=mid:(\S+)/.exec(section)?.[1] ?? String(mids.length);
    const pt =
      kind === 'audio'
        ? /a=rtpmap:(\d+) opus\/48000/i.exec(section)?.[1]
        : kind === 'video'
          ? /a=rtpmap:(\d+) VP8\/90000/i.exec(section)?.[1]
          : undefined;
    if (!pt) {
      media.push(
        `m=${kind} 0 ${section.split(' ')[2] ?? 'UDP/TLS/RTP/SAVPF'} ${section.split(' ')[3] ?? '0'}`,
        `a=mid:${mid}`,
      );
      continue;
    }
    mids.push(mid);
    media.push(`m=${kind} 9 UDP/TLS/RTP/SAVPF ${pt}`, ...transport(id), `a=mid:${mid}`, 'a=recvonly');
    media.push(kind === 'audio' ? `a=rtpmap:${pt} opus/48000/2` : `a=rtpmap:${pt} VP8/90000`);
    if (kind === 'video') media.push(`a=rtcp-fb:${pt} nack`, `a=rtcp-fb:${pt} nack pli`, `a=rtcp-fb:${pt} ccm fir`);
  }
  return `${[...session(mids, id.address), ...media].join('\r\n')}\r\n`;
}

/** ICE credentials and the first UDP host candidate of a remote description. */
export function remoteIce(sdp: string): { usernameFragment: string; password: string; ip?: string; port?: number } {
  const usernameFragment = /a=ice-ufrag:(\S+)/.exec(sdp)?.[1];
  const password = /a=ice-pwd:(\S+)/.exec(sdp)?.[1];
  if (!usernameFragment || !password) throw new Error('remote SDP has no ICE credentials');
  const candidate = /a=candidate:\S+ 1 udp \d+ (\S+) (\d+) typ host/i.exec(sdp);
  return candidate
    ? { usernameFragment, password, ip: candidate[1]!, port: Number(candidate[2]) }
    : { usernameFragment, password };
}
