/// <reference types="node" />
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex, utf8 } from '../bytes.ts';
import { generateX25519KeyPair, hpkeOpen, hpkeSeal, importX25519KeyPair } from './hpke.ts';

// RFC 9180 Appendix A.1.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, mode_base, sequence 0.
const A11 = {
  skEm: '52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736',
  pkEm: '37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431',
  skRm: '4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8',
  pkRm: '3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d',
  info: '4f6465206f6e2061204772656369616e2055726e',
  aad: '436f756e742d30',
  pt: '4265617574792069732074727574682c20747275746820626561757479',
  ct: 'f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a',
};

describe('HPKE', () => {
  it('reproduces RFC 9180 A.1.1 (base mode, sequence 0)', async () => {
    const ephemeral = await importX25519KeyPair(fromHex(A11.skEm), fromHex(A11.pkEm));
    const recipient = await importX25519KeyPair(fromHex(A11.skRm), fromHex(A11.pkRm));
    const sealed = await hpkeSeal(fromHex(A11.pkRm), fromHex(A11.info), fromHex(A11.aad), fromHex(A11.pt), {
      ephemeral,
    });
    assert.equal(toHex(sealed), A11.pkEm + A11.ct);
    const opened = await hpkeOpen(recipient, fromHex(A11.info), fromHex(A11.aad), sealed);
    assert.equal(opened === undefined ? undefined : toHex(opened), A11.pt);
  });

  it('auth mode opens only with the right sender public key', async () => {
    const alice = await generateX25519KeyPair();
    const bob = await generateX25519KeyPair();
    const mallory = await generateX25519KeyPair();
    const sealed = await hpkeSeal(bob.publicKey, utf8('info'), utf8('aad'), utf8('key'), { sender: alice });
    assert.deepEqual(await hpkeOpen(bob, utf8('info'), utf8('aad'), sealed, alice.publicKey), utf8('key'));
    assert.equal(await hpkeOpen(bob, utf8('info'), utf8('aad'), sealed, mallory.publicKey), undefined);
    assert.equal(await hpkeOpen(bob, utf8('info'), utf8('aad'), sealed), undefined);
    const forged = await hpkeSeal(bob.publicKey, utf8('info'), utf8('aad'), utf8('key'), { sender: mallory });
    assert.equal(await hpkeOpen(bob, utf8('info'), utf8('aad'), forged, alice.publicKey), undefined);
  });

  it('does not open for another recipient, other info or aad, or garbage', async () => {
    const bob = await generateX25519KeyPair();
    const eve = await generateX25519KeyPair();
    const sealed = await hpkeSeal(bob.publicKey, utf8('info'), utf8('aad'), utf8('secret'));
    assert.deepEqual(await hpkeOpen(bob, utf8('info'), utf8('aad'), sealed), utf8('secret'));
    assert.equal(await hpkeOpen(eve, utf8('info'), utf8('aad'), sealed), undefined);
    assert.equal(await hpkeOpen(bob, utf8('other'), utf8('aad'), sealed), undefined);
    assert.equal(await hpkeOpen(bob, utf8('info'), utf8('AAD'), sealed), undefined);
    assert.equal(await hpkeOpen(bob, utf8('info'), utf8('aad'), new Uint8Array(60)), undefined);
  });
});
