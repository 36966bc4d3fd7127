// The call bar's status: connection badge and reconnecting banner (CONNECTION_STATE_CHANGED), the network
// quality bars (NETWORK_QUALITY) and the end-to-end encryption badge with the room security code.

import { $ } from './dom.js';
import { state } from './state.js';

const CONNECTION_LABELS = {
  DISCONNECTED: 'Disconnected',
  CONNECTING: 'Connecting…',
  CONNECTED: 'Connected',
  RECONNECTING: 'Reconnecting…',
};
/** NETWORK_QUALITY 0 unknown, 1 excellent … 5 very bad, 6 disconnected → bars lit and a word. */
const QUALITY = [
  [0, 'Unknown'],
  [4, 'Excellent'],
  [3, 'Good'],
  [2, 'Fair'],
  [1, 'Poor'],
  [1, 'Very poor'],
  [0, 'Disconnected'],
];

export function initStatus() {
  $('e2ee-badge').addEventListener('click', () => {
    $('security-panel').hidden = !$('security-panel').hidden;
  });
}

/** CONNECTION_STATE_CHANGED (and the page's own CONNECTED after entering). */
export function setConnection(connection) {
  const badge = $('connection-badge');
  badge.dataset.state = connection;
  badge.textContent = CONNECTION_LABELS[connection] ?? connection;
  const banner = $('reconnect-banner');
  banner.hidden = connection === 'CONNECTED' || connection === 'CONNECTING';
  banner.dataset.state = connection;
  banner.textContent =
    connection === 'RECONNECTING'
      ? 'Connection lost — reconnecting… Your call continues when the network is back.'
      : 'Disconnected from the room.';
}

/** NETWORK_QUALITY: the worse of uplink and downlink. */
export function onNetworkQuality(q) {
  const worst = Math.max(q.uplinkNetworkQuality, q.downlinkNetworkQuality);
  const [bars, word] = QUALITY[worst] ?? QUALITY[0];
  const meter = $('net-quality');
  meter.dataset.quality = String(worst);
  meter.dataset.bars = String(bars);
  meter.title =
    `Network: ${word} · up ${label(q.uplinkNetworkQuality)} (${q.uplinkLoss}% loss), ` +
    `down ${label(q.downlinkNetworkQuality)} (${q.downlinkLoss}% loss) · RTT ${q.uplinkRTT} ms`;
  meter.setAttribute('aria-label', `Network quality: ${word}`);
}

function label(quality) {
  return (QUALITY[quality] ?? QUALITY[0])[1].toLowerCase();
}

export function resetStatus() {
  onNetworkQuality({
    uplinkNetworkQuality: 0,
    downlinkNetworkQuality: 0,
    uplinkLoss: 0,
    downlinkLoss: 0,
    uplinkRTT: 0,
  });
  $('e2ee-badge').hidden = true;
  $('security-panel').hidden = true;
  $('reconnect-banner').hidden = true;
}

/** Shows the E2EE badge and the security code (managed mode; E2EE_SECURITY_CODE_CHANGED updates it). */
export async function showE2ee() {
  $('e2ee-badge').hidden = !state.e2ee;
  if (!state.e2ee) return;
  try {
    setSecurityCode(await state.trtc.getSecurityCode());
  } catch {
    setSecurityCode('');
  }
}

export function setSecurityCode(code) {
  $('security-code').textContent = code || 'not available yet';
}
