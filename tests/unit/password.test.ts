import { randomBytes, scryptSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { addressKey } from "../../src/staff/address-key.js";
import { hashPassword, needsRehash, OWASP_SCRYPT_COST, scryptMemory, verifyPassword } from "../../src/staff/password.js";

// Password hashes at OWASP's scrypt parameters (the real cost, once), their stored form, and what
// a stored hash may ask for.
describe("staff passwords", () => {
  it("hashes at OWASP's parameters (N=2^17, r=8, p=1: 128 MiB, beyond Node's default maxmem) and verifies", async () => {
    expect(OWASP_SCRYPT_COST).toEqual({ N: 131072, r: 8, p: 1 });
    expect(scryptMemory(OWASP_SCRYPT_COST)).toBeGreaterThan(128 * 2 ** 20);
    const stored = await hashPassword("熊本県人吉市-2026");
    expect(stored).toMatch(/^\$scrypt\$ln=17,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{86}$/);
    expect(await verifyPassword("熊本県人吉市-2026", stored)).toBe(true);
    // NFKC: the full-width form a Japanese keyboard may produce is the same password.
    expect(await verifyPassword("熊本県人吉市－２０２６", stored)).toBe(true);
    expect(await verifyPassword("熊本県人吉市-2025", stored)).toBe(false);
    expect(needsRehash(stored, OWASP_SCRYPT_COST)).toBe(false);
  }, 30_000);

  it("asks for a rehash of the first format and of weaker parameters, not of stronger ones", async () => {
    const salt = randomBytes(16);
    const key = scryptSync("password-12345", salt, 64, { N: 1024, r: 8, p: 1 });
    const first = ["scrypt", 1024, 8, 1, salt.toString("base64"), key.toString("base64")].join("$");
    expect(await verifyPassword("password-12345", first)).toBe(true);
    expect(needsRehash(first, { N: 1024, r: 8, p: 1 })).toBe(true);
    const weak = await hashPassword("password-12345", { N: 1024, r: 8, p: 1 });
    expect(needsRehash(weak, { N: 2048, r: 8, p: 1 })).toBe(true);
    expect(needsRehash(weak, { N: 1024, r: 16, p: 1 })).toBe(true);
    expect(needsRehash(weak, { N: 1024, r: 8, p: 1 })).toBe(false);
    expect(needsRehash(await hashPassword("password-12345", { N: 2048, r: 8, p: 1 }), { N: 1024, r: 8, p: 1 })).toBe(false);
  });

  it("refuses stored hashes that would ask for too much memory or time, and damaged ones, without running them", async () => {
    const salt = randomBytes(16).toString("base64").replace(/=+$/, "");
    const key = randomBytes(64).toString("base64").replace(/=+$/, "");
    for (const stored of [`$scrypt$ln=30,r=8,p=1$${salt}$${key}`, `$scrypt$ln=18,r=32,p=1$${salt}$${key}`, `$scrypt$ln=17,r=8,p=999$${salt}$${key}`, `$scrypt$ln=4,r=8,p=1$${salt}$${key}`, "", "plain-text", `$argon2id$v=19$m=65536,t=3,p=4$${salt}$${key}`]) {
      const started = performance.now();
      expect(await verifyPassword("password-12345", stored), stored).toBe(false);
      expect(performance.now() - started).toBeLessThan(50);
    }
    await expect(hashPassword("password-12345", { N: 1000, r: 8, p: 1 })).rejects.toThrow(/power of two/);
  });
});

describe("addressKey", () => {
  it("counts IPv4 as is (also IPv4-mapped), IPv6 by its /64, and anything else as one unknown", () => {
    expect(addressKey("203.0.113.5")).toBe("203.0.113.5");
    expect(addressKey("::ffff:203.0.113.5")).toBe("203.0.113.5");
    expect(addressKey("2001:db8:1:2::5")).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:0db8:0001:0002:ffff:ffff:ffff:ffff")).toBe("2001:db8:1:2::/64");
    expect(addressKey(undefined)).toBe("unknown");
    expect(addressKey("not an address")).toBe("unknown");
  });
});
