import ipaddr from "ipaddr.js";

// TRUST_PROXY: which X-Forwarded-* headers describe the original request (client address, https).
// Off by default: a header any client can send decides nothing. The value is handed to express's
// `trust proxy` setting as is (https://expressjs.com/en/guide/behind-proxies.html), so req.ip and
// req.secure follow it everywhere:
// - a hop count (`1`): the client is the address the last N proxies saw, whoever connected;
// - addresses and CIDRs (`10.0.0.0/8,127.0.0.1`), or express's names `loopback`, `linklocal` and
//   `uniquelocal`: X-Forwarded-For is read back only through peers in that list.
export type TrustProxy = false | number | string[];

const MAX_HOPS = 10;
const NAMED_RANGES = new Set(["loopback", "linklocal", "uniquelocal"]);

export function parseTrustProxy(raw: string | undefined): { ok: true; value: TrustProxy } | { ok: false; reason: string } {
  const value = (raw ?? "").trim();
  if (["", "0", "false", "off"].includes(value.toLowerCase())) return { ok: true, value: false };
  if (value.toLowerCase() === "true") {
    return { ok: false, reason: "true would trust every peer, so anyone could forge X-Forwarded-For: give the number of proxies in front (e.g. 1) or their addresses (e.g. 10.0.0.0/8,127.0.0.1)" };
  }
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops > MAX_HOPS) return { ok: false, reason: `a hop count must be 1 to ${MAX_HOPS} (the number of proxies in front of the server)` };
    return { ok: true, value: hops };
  }
  const entries = value.split(",").map((entry) => entry.trim());
  // Entries are named by position: configuration errors never echo a value (config.ts).
  const bad = entries.flatMap((entry, index) => (isProxyAddress(entry) ? [] : [index + 1]));
  if (bad.length > 0) {
    const which = entries.length === 1 ? "it is" : `entry ${bad.join(", ")} of ${entries.length} is`;
    return { ok: false, reason: `${which} not a hop count, an IP address or a CIDR: use the number of proxies in front (e.g. 1) or a comma-separated list of their addresses (e.g. 10.0.0.0/8,127.0.0.1)` };
  }
  return { ok: true, value: entries };
}

function isProxyAddress(entry: string): boolean {
  if (NAMED_RANGES.has(entry)) return true;
  if (entry.includes("/")) return ipaddr.IPv4.isValidCIDRFourPartDecimal(entry) || ipaddr.IPv6.isValidCIDR(entry);
  return ipaddr.IPv4.isValidFourPartDecimal(entry) || ipaddr.IPv6.isValid(entry);
}
