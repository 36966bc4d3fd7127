/// <reference types="node" />
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { e2eeSupport, managedKeysSupported } from './support.ts';

describe('e2eeSupport', () => {
  it('prefers RTCRtpScriptTransform, falls back to createEncodedStreams, else none', () => {
    class Sender {
      createEncodedStreams(): void {}
    }
    assert.equal(e2eeSupport({ RTCRtpScriptTransform: class {}, RTCRtpSender: Sender }), 'script-transform');
    assert.equal(e2eeSupport({ RTCRtpSender: Sender }), 'encoded-streams');
    assert.equal(e2eeSupport({ RTCRtpSender: class {} }), 'none');
    assert.equal(e2eeSupport({}), 'none');
    assert.equal(e2eeSupport(), 'none'); // Node has neither
  });

  it('detects X25519 in WebCrypto', async () => {
    assert.equal(await managedKeysSupported(), true);
  });
});
