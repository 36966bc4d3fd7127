/** Connecting a media peer session to a mediasoup WebRtcTransport (ICE-lite server, DTLS server). */
import type { MediaPeer } from '../native/media-peer.ts';

/** The parts of a transport description (mediasoup's, or Conclave's TransportOptions) a session needs. */
export interface TransportDescription {
  iceParameters: Record<string, unknown>;
  iceCandidates: Record<string, unknown>[];
}

export type ConnectDtls = (dtlsParameters: Record<string, unknown>) => Promise<void>;

/** Opens a peer session, hands our certificate to the server (`connect`), and runs ICE + DTLS. */
export async function connectSession(
  peer: MediaPeer,
  transport: TransportDescription,
  connectDtls: ConnectDtls,
): Promise<number> {
  const udp = transport.iceCandidates.find((c) => c.protocol === 'udp');
  if (!udp) throw new Error('transport offers no UDP candidate');
  const { sid, ice } = await peer.open();
  await connectDtls({ role: 'client', fingerprints: [{ algorithm: 'sha-256', value: peer.fingerprint }] });
  await peer.connect(
    sid,
    ice,
    {
      ip: String(udp.address ?? udp.ip),
      port: Number(udp.port),
      usernameFragment: String(transport.iceParameters.usernameFragment),
      password: String(transport.iceParameters.password),
    },
    true,
  );
  return sid;
}
