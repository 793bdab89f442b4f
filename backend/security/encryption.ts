/**
 * Encryption at rest for secrets we must keep (QuickBooks refresh and access tokens): AES-256-GCM
 * with a random 96-bit IV per message and a keyring so keys can rotate without a flag day.
 *
 * Keyring format (config `ACCRUE_ENCRYPTION_KEY`): `id:base64key[,id:base64key…]`. The first key
 * is current and encrypts; the others only decrypt, so an operator rotates by prepending a new key,
 * re-encrypting what `needsReencrypt` flags, then dropping the old key.
 *
 * Ciphertext format: `v1.<keyId>.<base64url iv>.<base64url ciphertext>.<base64url tag>`. The key
 * id and version are bound into the GCM additional data, so a record cannot be re-labelled to
 * another key without failing authentication.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AccrueError } from '../../shared/errors.ts';

/** AES-256 needs a 32-byte key. */
const KEY_BYTES = 32;
/** 96 bits is the IV length GCM is specified for; other lengths go through an extra GHASH step. */
const IV_BYTES = 12;
/** Full 128-bit tag: truncated tags weaken forgery resistance and buy nothing here. */
const TAG_BYTES = 16;
/** Key ids appear in every ciphertext; keep them short and safe to split on '.' and ','. */
const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,16}$/;
/** More keys than this means rotation was never finished; refuse rather than try them all. */
const KEYS_MAX = 8;
const FORMAT_VERSION = 'v1';

export interface Keyring {
  /** Id of the key that encrypts. */
  currentId: string;
  keys: ReadonlyMap<string, Buffer>;
}

/**
 * Parses `k1:base64key[,k0:base64oldkey]` into a keyring; the first entry is the current key.
 * Throws `not_configured` for anything malformed so a bad deploy fails at start-up, not at first use.
 */
export function parseKeyring(spec: string | undefined): Keyring {
  if (!spec || spec.trim() === '') throw new AccrueError('not_configured', 'ACCRUE_ENCRYPTION_KEY is not set');
  const parts = spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (parts.length > KEYS_MAX)
    throw new AccrueError('not_configured', `ACCRUE_ENCRYPTION_KEY holds more than ${KEYS_MAX} keys`);
  const keys = new Map<string, Buffer>();
  let currentId: string | undefined;
  for (const part of parts) {
    const colon = part.indexOf(':');
    if (colon < 0) throw new AccrueError('not_configured', 'ACCRUE_ENCRYPTION_KEY entries must look like id:base64key');
    const id = part.slice(0, colon);
    if (!KEY_ID_PATTERN.test(id)) throw new AccrueError('not_configured', `encryption key id "${id}" is not allowed`);
    if (keys.has(id)) throw new AccrueError('not_configured', `encryption key id "${id}" appears twice`);
    const key = Buffer.from(part.slice(colon + 1), 'base64');
    if (key.length !== KEY_BYTES)
      throw new AccrueError('not_configured', `encryption key "${id}" must be ${KEY_BYTES} bytes of base64`);
    keys.set(id, key);
    currentId ??= id;
  }
  if (!currentId) throw new AccrueError('not_configured', 'ACCRUE_ENCRYPTION_KEY holds no key');
  return { currentId, keys };
}

/** Makes a fresh random key in the keyring's text form, e.g. for `accrue keys new`. */
export function generateKeySpec(id: string): string {
  if (!KEY_ID_PATTERN.test(id)) throw new AccrueError('invalid_input', `key id "${id}" is not allowed`);
  return `${id}:${randomBytes(KEY_BYTES).toString('base64')}`;
}

function aad(keyId: string): Buffer {
  return Buffer.from(`${FORMAT_VERSION}.${keyId}`, 'utf8');
}

export interface Encryptor {
  encrypt(plaintext: string): string;
  decrypt(ciphertext: string): string;
  /** True when the record was sealed with a key other than the current one. */
  needsReencrypt(ciphertext: string): boolean;
}

/** Builds an encryptor over a keyring (or its text form). */
export function createEncryptor(keyringOrSpec: Keyring | string): Encryptor {
  const ring = typeof keyringOrSpec === 'string' ? parseKeyring(keyringOrSpec) : keyringOrSpec;
  const current = ring.keys.get(ring.currentId);
  if (!current) throw new AccrueError('not_configured', 'current encryption key missing from keyring');

  const split = (ciphertext: string): { keyId: string; iv: Buffer; body: Buffer; tag: Buffer } => {
    const parts = ciphertext.split('.');
    if (parts.length !== 5 || parts[0] !== FORMAT_VERSION)
      throw new AccrueError('invalid_input', 'not an Accrue ciphertext');
    const [, keyId, iv, body, tag] = parts as [string, string, string, string, string];
    const ivBuf = Buffer.from(iv, 'base64url');
    const tagBuf = Buffer.from(tag, 'base64url');
    if (ivBuf.length !== IV_BYTES || tagBuf.length !== TAG_BYTES)
      throw new AccrueError('invalid_input', 'malformed ciphertext');
    return { keyId, iv: ivBuf, body: Buffer.from(body, 'base64url'), tag: tagBuf };
  };

  return {
    encrypt(plaintext) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', current, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(aad(ring.currentId));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [
        FORMAT_VERSION,
        ring.currentId,
        iv.toString('base64url'),
        body.toString('base64url'),
        tag.toString('base64url'),
      ].join('.');
    },
    decrypt(ciphertext) {
      const { keyId, iv, body, tag } = split(ciphertext);
      const key = ring.keys.get(keyId);
      if (!key) throw new AccrueError('not_configured', `encryption key "${keyId}" is not in the keyring`);
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(aad(keyId));
      decipher.setAuthTag(tag);
      try {
        return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
      } catch {
        // GCM authentication failed: wrong key or the record was altered. Never return partial text.
        throw new AccrueError('invalid_input', 'ciphertext failed authentication (tampered or wrong key)');
      }
    },
    needsReencrypt(ciphertext) {
      return split(ciphertext).keyId !== ring.currentId;
    },
  };
}

/** The process-wide encryptor from config `ACCRUE_ENCRYPTION_KEY` (read once, on first use). */
let fromEnv: Encryptor | undefined;
export function encryptorFromConfig(env: Record<string, string | undefined> = process.env): Encryptor {
  if (env !== process.env) return createEncryptor(env['ACCRUE_ENCRYPTION_KEY'] ?? '');
  fromEnv ??= createEncryptor(env['ACCRUE_ENCRYPTION_KEY'] ?? '');
  return fromEnv;
}

/** Encrypts with the config keyring. */
export function encrypt(plaintext: string): string {
  return encryptorFromConfig().encrypt(plaintext);
}

/** Decrypts with the config keyring. */
export function decrypt(ciphertext: string): string {
  return encryptorFromConfig().decrypt(ciphertext);
}

/** True when `ciphertext` was sealed with a key that is no longer current. */
export function needsReencrypt(ciphertext: string): boolean {
  return encryptorFromConfig().needsReencrypt(ciphertext);
}
