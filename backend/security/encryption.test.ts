// Proves that token encryption round-trips, detects any tampering (body, tag, IV, key label),
// uses a fresh IV each time, and supports key rotation: old records still decrypt and are
// flagged for re-encryption, while unknown keys and malformed keyrings are refused.
import { createEncryptor, generateKeySpec, parseKeyring } from './encryption.ts';

const k1 = generateKeySpec('k1');
const k0 = generateKeySpec('k0');

function flipChar(s: string, index: number): string {
  const c = s[index]!;
  return s.slice(0, index) + (c === 'A' ? 'B' : 'A') + s.slice(index + 1);
}

describe('encryption at rest', () => {
  it('round-trips text, including unicode, with a new IV every time', () => {
    const enc = createEncryptor(k1);
    const a = enc.encrypt('refresh-token-Ünïcødé ✓');
    const b = enc.encrypt('refresh-token-Ünïcødé ✓');
    expect(a).not.toBe(b);
    expect(a.split('.')[1]).toBe('k1');
    expect(enc.decrypt(a)).toBe('refresh-token-Ünïcødé ✓');
    expect(enc.decrypt(b)).toBe('refresh-token-Ünïcødé ✓');
    expect(a).not.toContain('refresh');
  });

  it('rejects a tampered body, tag or IV', () => {
    const enc = createEncryptor(k1);
    const sealed = enc.encrypt('secret value that is long enough');
    const parts = sealed.split('.');
    for (const idx of [2, 3, 4]) {
      const altered = [...parts];
      altered[idx] = flipChar(altered[idx]!, 1);
      expect(() => enc.decrypt(altered.join('.'))).toThrow(/authentication|malformed/);
    }
  });

  it('rejects a record relabelled with another key id of the ring', () => {
    const ring = createEncryptor(`${k1},${k0}`);
    const sealed = ring.encrypt('x');
    const relabelled = sealed.replace('.k1.', '.k0.');
    expect(() => ring.decrypt(relabelled)).toThrow(/authentication/);
  });

  it('rotates: old ciphertext decrypts under the new ring and is flagged for re-encryption', () => {
    const old = createEncryptor(k0);
    const sealedOld = old.encrypt('old token');
    const rotated = createEncryptor(`${k1},${k0}`);
    expect(rotated.decrypt(sealedOld)).toBe('old token');
    expect(rotated.needsReencrypt(sealedOld)).toBe(true);
    const resealed = rotated.encrypt(rotated.decrypt(sealedOld));
    expect(rotated.needsReencrypt(resealed)).toBe(false);
    // Once k0 is dropped, records under k0 cannot be read; the error names the key.
    expect(() => createEncryptor(k1).decrypt(sealedOld)).toThrow(/k0/);
  });

  it('refuses malformed keyrings', () => {
    expect(() => parseKeyring(undefined)).toThrow(/not set/);
    expect(() => parseKeyring('k1:c2hvcnQ=')).toThrow(/32 bytes/);
    expect(() => parseKeyring(`${k1},${k1}`)).toThrow(/twice/);
    expect(() => parseKeyring('bad id:xx')).toThrow(/not allowed/);
    expect(parseKeyring(`${k1},${k0}`).currentId).toBe('k1');
  });

  it('refuses text that is not our format', () => {
    const enc = createEncryptor(k1);
    expect(() => enc.decrypt('hello')).toThrow(/not an Accrue ciphertext/);
  });
});
