import { randomBytes, scrypt as scryptCallback, timingSafeEqual } from "node:crypto";

// Staff passwords, hashed with scrypt (memory-hard; in Node's crypto, no native addon). The stored
// form names its parameters (PHC string format, https://github.com/P-H-C/phc-string-format):
// $scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<hash>, base64 without padding. A hash made with weaker
// parameters, or in the first format (scrypt$N$r$p$salt$hash, N=2^15), still verifies and is
// replaced at the next successful login (needsRehash).
export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

// OWASP Password Storage Cheat Sheet, scrypt: "N=2^17 (128 MiB), r=8 (1024 bytes), p=1".
// https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html#scrypt
export const OWASP_SCRYPT_COST: ScryptCost = { N: 2 ** 17, r: 8, p: 1 };
const KEY_LENGTH = 64;
const SALT_LENGTH = 16;
export const MIN_PASSWORD_LENGTH = 12;

// What a stored hash may ask for: a damaged or planted row must not make one check take a
// gigabyte or minutes.
const MIN_LOG_N = 10;
const MAX_LOG_N = 20;
const MAX_SCRYPT_MEMORY = 256 * 1024 * 1024;

// The memory OpenSSL's scrypt allocates (B and V: 128·r·(N + p + 2) bytes); Node refuses a call whose
// need exceeds maxmem (32 MiB by default, less than OWASP's 128 MiB), so it is given exactly this.
export const scryptMemory = (cost: ScryptCost) => 128 * cost.r * (cost.N + cost.p + 2);

interface StoredHash {
  cost: ScryptCost;
  salt: Buffer;
  key: Buffer;
  format: "phc" | "first";
}

function scrypt(password: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCallback(password.normalize("NFKC"), salt, KEY_LENGTH, { ...cost, maxmem: scryptMemory(cost) }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

export async function hashPassword(password: string, cost: ScryptCost = OWASP_SCRYPT_COST): Promise<string> {
  if (!acceptableCost(cost)) throw new Error(`scrypt parameters out of range: N must be a power of two from 2^${MIN_LOG_N} to 2^${MAX_LOG_N}, within ${MAX_SCRYPT_MEMORY / 2 ** 20} MiB`);
  const salt = randomBytes(SALT_LENGTH);
  const key = await scrypt(password, salt, cost);
  const b64 = (bytes: Buffer) => bytes.toString("base64").replace(/=+$/, "");
  return `$scrypt$ln=${Math.log2(cost.N)},r=${cost.r},p=${cost.p}$${b64(salt)}$${b64(key)}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseStoredHash(stored);
  if (!parsed) return false;
  const key = await scrypt(password, parsed.salt, parsed.cost);
  return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
}

// True when the stored hash is in the first format or weaker than `cost` in any parameter.
export function needsRehash(stored: string, cost: ScryptCost): boolean {
  const parsed = parseStoredHash(stored);
  if (!parsed) return false;
  return parsed.format !== "phc" || parsed.cost.N < cost.N || parsed.cost.r < cost.r || parsed.cost.p < cost.p;
}

// A hash to check against when there is no account to check (unknown login id, locked account), so
// that the answer takes as long as for a wrong password.
const dummyHashes = new Map<string, Promise<string>>();
export function dummyPasswordHash(cost: ScryptCost = OWASP_SCRYPT_COST): Promise<string> {
  const key = `${cost.N}/${cost.r}/${cost.p}`;
  let hash = dummyHashes.get(key);
  if (!hash) {
    hash = hashPassword(randomBytes(16).toString("hex"), cost);
    dummyHashes.set(key, hash);
  }
  return hash;
}

export function passwordProblem(password: string): string | null {
  if ([...password].length < MIN_PASSWORD_LENGTH) return `パスワードは${MIN_PASSWORD_LENGTH}文字以上にしてください。`;
  return null;
}

function parseStoredHash(stored: string): StoredHash | null {
  const phc = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,3}),p=(\d{1,3})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(stored);
  const first = phc ? null : /^scrypt\$(\d{1,8})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/.exec(stored);
  const match = phc ?? first;
  if (!match) return null;
  const N = phc ? 2 ** Number(match[1]) : Number(match[1]);
  const cost = { N, r: Number(match[2]), p: Number(match[3]) };
  if (!acceptableCost(cost)) return null;
  return { cost, salt: Buffer.from(match[4]!, "base64"), key: Buffer.from(match[5]!, "base64"), format: phc ? "phc" : "first" };
}

function acceptableCost({ N, r, p }: ScryptCost): boolean {
  const logN = Math.log2(N);
  return (
    Number.isInteger(logN) && logN >= MIN_LOG_N && logN <= MAX_LOG_N && Number.isInteger(r) && r >= 1 && r <= 32 && Number.isInteger(p) && p >= 1 && p <= 16 && scryptMemory({ N, r, p }) <= MAX_SCRYPT_MEMORY
  );
}
