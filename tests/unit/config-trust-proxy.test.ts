import express from "express";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";

// TRUST_PROXY in the one environment schema: off by default, a hop count or proxy addresses, and
// a clear line for anything else (never echoing the value).
const errorLines = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.lines;
    throw error;
  }
  throw new Error("expected the configuration to be rejected");
};

describe("TRUST_PROXY", () => {
  it("is off when unset, empty, 0 or false", () => {
    for (const value of [undefined, "", " ", "0", "false", "off"]) {
      expect(loadConfig(value === undefined ? {} : { TRUST_PROXY: value }).trustProxy, String(value)).toBe(false);
    }
  });

  it("takes a hop count or a comma-separated list of addresses, CIDRs and express's names", () => {
    expect(loadConfig({ TRUST_PROXY: "1" }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: " 2 " }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: "10.0.0.0/8, 127.0.0.1" }).trustProxy).toEqual(["10.0.0.0/8", "127.0.0.1"]);
    expect(loadConfig({ TRUST_PROXY: "loopback,fd00::/8,2001:db8::1" }).trustProxy).toEqual(["loopback", "fd00::/8", "2001:db8::1"]);
  });

  it("gives values express accepts as its trust proxy setting", () => {
    for (const value of ["1", "10.0.0.0/8,127.0.0.1", "loopback,uniquelocal,::1/128"]) {
      const app = express();
      expect(() => app.set("trust proxy", loadConfig({ TRUST_PROXY: value }).trustProxy), value).not.toThrow();
    }
  });

  it("refuses true, which would believe any client, and says what to set instead", () => {
    expect(errorLines({ TRUST_PROXY: "true" })).toEqual([
      "TRUST_PROXY (current value rejected): true would trust every peer, so anyone could forge X-Forwarded-For: give the number of proxies in front (e.g. 1) or their addresses (e.g. 10.0.0.0/8,127.0.0.1)",
    ]);
  });

  it("names the bad entries by position, without echoing them", () => {
    const [line] = errorLines({ TRUST_PROXY: "10.0.0.0/8,proxy.city.local,10.0.0.0/33" });
    expect(line).toMatch(/^TRUST_PROXY \(current value rejected\): entry 2, 3 of 3 is not a hop count, an IP address or a CIDR: use /);
    expect(line).not.toContain("proxy.city.local");
    expect(errorLines({ TRUST_PROXY: "yes" })[0]).toMatch(/^TRUST_PROXY \(current value rejected\): it is not a hop count, an IP address or a CIDR/);
    expect(errorLines({ TRUST_PROXY: "10.0.0/8" })).toHaveLength(1);
    expect(errorLines({ TRUST_PROXY: "1,," })).toHaveLength(1);
    expect(errorLines({ TRUST_PROXY: "11" })[0]).toBe("TRUST_PROXY (current value rejected): a hop count must be 1 to 10 (the number of proxies in front of the server)");
  });
});
