// SHA-256 (FIPS 180-4 §6.2) and HMAC-SHA256 (RFC 2104), for the seed's identities (binary/identity.ts).
// Why our own instead of node:crypto: loading node:crypto initialises OpenSSL and adds ~2 MB to the peak memory of
// every `create` (bench/, issue 9: "peak RSS within 10 MB of `node -e 0`"), to hash a few dozen bytes. The output
// is checked against node:crypto over random inputs (test/binary/sha256.test.ts); nothing here is secret-bearing
// beyond the seed, so constant-time behaviour does not matter.

/** FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
const ROUND_CONSTANTS = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/** FIPS 180-4 §5.3.3: the first 32 bits of the fractional parts of the square roots of the first 8 primes. */
const INITIAL_HASH = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

export const SHA256_BLOCK_BYTES = 64;
export const SHA256_DIGEST_BYTES = 32;

const utf8 = new TextEncoder();
const utf8Bytes = (text: string): Uint8Array => utf8.encode(text);

const rotr = (x: number, n: number): number => (x >>> n) | (x << (32 - n));

/** §5.1.1 padding: the message, 0x80, zeros, and the bit length as a big-endian u64, to a multiple of 64 bytes. */
function pad(message: Uint8Array): Uint8Array {
  const paddedBytes = Math.ceil((message.length + 9) / SHA256_BLOCK_BYTES) * SHA256_BLOCK_BYTES;
  const out = new Uint8Array(paddedBytes);
  out.set(message);
  out[message.length] = 0x80;
  const view = new DataView(out.buffer);
  const bitLength = message.length * 8;
  view.setUint32(paddedBytes - 8, Math.floor(bitLength / 2 ** 32), false); // big-endian: FIPS 180-4, not a disk field
  view.setUint32(paddedBytes - 4, bitLength >>> 0, false);
  return out;
}

/** §6.2.2: one 64-byte block into the running hash `h`. */
function compress(h: Uint32Array, block: DataView, offset: number, w: Uint32Array): void {
  for (let t = 0; t < 16; t++) w[t] = block.getUint32(offset + t * 4, false);
  for (let t = 16; t < 64; t++) {
    const s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >>> 3);
    const s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >>> 10);
    w[t] = w[t - 16] + s0 + w[t - 7] + s1;
  }
  let [a, b, c, d, e, f, g, k] = h;
  for (let t = 0; t < 64; t++) {
    const t1 = k + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + ROUND_CONSTANTS[t] + w[t];
    const t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    k = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
  h[4] += e;
  h[5] += f;
  h[6] += g;
  h[7] += k;
}

/** The 32-byte SHA-256 digest of `message`. */
export function sha256(message: Uint8Array): Uint8Array {
  const padded = pad(message);
  const view = new DataView(padded.buffer);
  const h = Uint32Array.from(INITIAL_HASH);
  const w = new Uint32Array(64);
  for (let offset = 0; offset < padded.length; offset += SHA256_BLOCK_BYTES) compress(h, view, offset, w);
  const digest = new Uint8Array(SHA256_DIGEST_BYTES);
  const out = new DataView(digest.buffer);
  h.forEach((word, i) => out.setUint32(i * 4, word, false));
  return digest;
}

const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
};

/** RFC 2104 HMAC with SHA-256; string arguments are taken as UTF-8, as node:crypto's createHmac takes them. */
export function hmacSha256(key: Uint8Array | string, message: Uint8Array | string): Uint8Array {
  let k = typeof key === 'string' ? utf8Bytes(key) : key;
  if (k.length > SHA256_BLOCK_BYTES) k = sha256(k);
  const inner = new Uint8Array(SHA256_BLOCK_BYTES).fill(0x36);
  const outer = new Uint8Array(SHA256_BLOCK_BYTES).fill(0x5c);
  k.forEach((byte, i) => {
    inner[i] ^= byte;
    outer[i] ^= byte;
  });
  const m = typeof message === 'string' ? utf8Bytes(message) : message;
  return sha256(concat(outer, sha256(concat(inner, m))));
}
