import ipaddr from "ipaddr.js";

// The client address that failed logins are counted under: an IPv4 address as is (also when it
// arrives IPv4-mapped, ::ffff:a.b.c.d), an IPv6 address by its /64, which one subscriber usually
// holds whole (RFC 6177), so that walking through it does not give fresh attempts.
export function addressKey(ip: string | undefined): string {
  if (!ip || !ipaddr.isValid(ip)) return "unknown";
  const address = ipaddr.process(ip);
  if (address.kind() === "ipv4") return address.toString();
  const parts = (address as ipaddr.IPv6).parts.slice(0, 4).map((part) => part.toString(16));
  return `${parts.join(":")}::/64`;
}
