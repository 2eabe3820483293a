import { quote } from "./safe-text";
import * as ipaddr from "ipaddr.js";

/** A parsed IPv4 network in canonical form. */
export interface Ipv4Cidr {
  readonly text: string;
  readonly address: ipaddr.IPv4;
  readonly prefix: number;
}

/** RFC 5737 documentation ranges: accepted as "public" so the example site validates. */
const DOCUMENTATION_RANGES = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"].map((c) => ipaddr.IPv4.parseCIDR(c));

/**
 * Parses `a.b.c.d/n` strictly: the address must be the network address, so a
 * typo such as 10.0.20.5/24 is caught instead of silently widened.
 * Returns an error message instead of throwing.
 */
export function parseIpv4Cidr(text: string): Ipv4Cidr | string {
  if (typeof text !== "string" || !ipaddr.IPv4.isValidFourPartDecimal(text.split("/")[0] ?? "") || !/^[^/]+\/\d{1,2}$/.test(text)) {
    return `"${text}" is not an IPv4 CIDR (expected a.b.c.d/n, e.g. 10.0.20.0/24)`;
  }
  const [address, prefix] = ipaddr.IPv4.parseCIDR(text);
  if (prefix > 32) return `"${text}" has prefix /${prefix}; IPv4 prefixes are /0 to /32`;
  const network = ipaddr.IPv4.networkAddressFromCIDR(text);
  if (network.toString() !== address.toString()) {
    return `${quote(text)} has host bits set; did you mean ${network.toString()}/${prefix}?`;
  }
  return { text, address, prefix };
}

export function parseIpv4(text: string): ipaddr.IPv4 | string {
  if (typeof text !== "string" || !ipaddr.IPv4.isValidFourPartDecimal(text)) {
    return `${quote(text)} is not an IPv4 address (expected a.b.c.d)`;
  }
  return ipaddr.IPv4.parse(text);
}

export function cidrContains(outer: Ipv4Cidr, address: ipaddr.IPv4): boolean {
  return address.match(outer.address, outer.prefix);
}

export function cidrsOverlap(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  return cidrContains(a, b.address) || cidrContains(b, a.address);
}

export function cidrWithin(inner: Ipv4Cidr, outer: Ipv4Cidr): boolean {
  return inner.prefix >= outer.prefix && cidrContains(outer, inner.address);
}

/** RFC 1918 or RFC 6598 (CGNAT) space: where VPC, tunnel and home VLAN ranges belong. */
export function isPrivateCidr(c: Ipv4Cidr): boolean {
  const range = c.address.range();
  return (range === "private" || range === "carrierGradeNat") && isPrivateAddress(lastAddress(c));
}

function isPrivateAddress(a: ipaddr.IPv4): boolean {
  const range = a.range();
  return range === "private" || range === "carrierGradeNat";
}

/** ipaddr.js's names of the special ranges, as a reader knows them. */
const RANGE_NAMES: Readonly<Record<string, string>> = {
  unspecified: "the unspecified address",
  broadcast: "the broadcast address",
  loopback: "a loopback address",
  private: "a private (RFC 1918) address",
  carrierGradeNat: "a carrier-grade NAT (RFC 6598) address",
  linkLocal: "a link-local address",
  multicast: "a multicast address",
  reserved: "a reserved address",
};

/**
 * Why `text` cannot be the WireGuard endpoint a router dials, or undefined:
 * it must be a public unicast IPv4 address (ipaddr.js range() "unicast"; the
 * RFC 5737 documentation ranges pass, so examples and tests validate).
 */
export function publicEndpointProblem(text: string): string | undefined {
  const address = parseIpv4(text);
  if (typeof address === "string") return address;
  if (isPublicCidr({ text: `${text}/32`, address, prefix: 32 })) return undefined;
  const range = address.range();
  return `${text} is ${RANGE_NAMES[range] ?? `a ${range} address`}, not a public address a router can dial; allowed: the gateway's public unicast IPv4 address (terraform -chdir=cdktf.out/stacks/network output -raw wireguard_endpoint_ip)`;
}

/** Routable on the internet (or an RFC 5737 documentation range), for every address in the CIDR. */
export function isPublicCidr(c: Ipv4Cidr): boolean {
  const isPublic = (a: ipaddr.IPv4) => a.range() === "unicast" || DOCUMENTATION_RANGES.some(([net, len]) => a.match(net, len));
  // A CIDR is public when both ends are, and it spans no private block inside.
  if (!isPublic(c.address) || !isPublic(lastAddress(c))) return false;
  return !SPECIAL_BLOCKS.some((block) => cidrsOverlap(c, block));
}

const SPECIAL_BLOCKS = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16"].map(
  (t) => parseIpv4Cidr(t) as Ipv4Cidr,
);

export function lastAddress(c: Ipv4Cidr): ipaddr.IPv4 {
  return ipaddr.IPv4.broadcastAddressFromCIDR(c.text);
}
