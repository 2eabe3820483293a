/**
 * The values this repository ships for its built-in example site
 * (sites/example.yaml), recorded here as constants.
 *
 * The example shares its data files with a user's own site: you edit
 * wireguard/peers.yaml, wireguard/gateway.pub and matchbox-config/machines.yaml
 * in place. So whether a value came from the example cannot be decided by
 * reading those files (after your edits they hold your values); it is decided
 * by comparing with what the repository shipped, below. `check-deployable`
 * refuses a site that still uses any of them: the example's project id is a
 * placeholder, nobody holds the private keys of the example's WireGuard keys
 * (the peers' were discarded), and the example's MACs are made up, so a
 * deployed site with them could never work and would hide a forgotten edit.
 *
 * These are copies of the files as shipped, not live reads; they change only
 * if the repository's example itself changes.
 */

/** `gcp.project` of sites/example.yaml: a placeholder, no real project. */
export const EXAMPLE_PROJECT = "netboot-example-000000";

/** The content of wireguard/gateway.pub as shipped. */
export const EXAMPLE_GATEWAY_PUBLIC_KEY = "SanfE0vrQMTJmgGh0rquPrFluVOVHAi1QqxxZaAMZQg=";

/** The peers of wireguard/peers.yaml as shipped: peer name → public key (private keys discarded). */
export const EXAMPLE_PEER_PUBLIC_KEYS: Readonly<Record<string, string>> = {
  "home-router": "igAOb4GMejfTQRfTlE5jxNbyZOEY8C9YIN/+LezJ+So=",
  "admin-laptop": "R9X4Uy7FYSDr0xZMo3l6hVRI5sO+goX9daVUYJzJwBE=",
};

/** The machines of matchbox-config/machines.yaml as shipped: machine name → MAC, in canonical form (lower case, colons). */
export const EXAMPLE_MACS: Readonly<Record<string, string>> = {
  "cp-01": "aa:bb:cc:dd:ee:01",
  "cp-02": "aa:bb:cc:dd:ee:02",
  "cp-03": "aa:bb:cc:dd:ee:03",
  "worker-01": "aa:bb:cc:dd:ee:04",
  "worker-02": "aa:bb:cc:dd:ee:05",
};

/** The example peer whose public key `key` is, if any. */
export function examplePeerWithKey(key: string): string | undefined {
  return Object.entries(EXAMPLE_PEER_PUBLIC_KEYS).find(([, k]) => k === key)?.[0];
}

/** The example machine whose MAC `mac` (canonical form) is, if any. */
export function exampleMachineWithMac(mac: string): string | undefined {
  return Object.entries(EXAMPLE_MACS).find(([, m]) => m === mac)?.[0];
}

/**
 * homePublicCidrs and network.controlPlaneAuthorizedCidrs of sites/example.yaml:
 * an address of a documentation range (below), nobody's router.
 */
export const EXAMPLE_HOME_CIDR = "203.0.113.10/32";

/**
 * The IPv4 documentation ranges (RFC 5737, "IPv4 Address Blocks Reserved for
 * Documentation"). The example's public addresses come from them, so its site
 * validates without naming anyone's address; no real home router, admin
 * address or gateway endpoint is in one. `check-deployable` refuses them in
 * homePublicCidrs, network.controlPlaneAuthorizedCidrs and wireguard.endpoint
 * (the settings validation accepts them, or the example would not validate).
 */
export const DOCUMENTATION_RANGES: readonly string[] = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"];

/**
 * The stand-ins the documentation's commands use for a user's own values
 * (docs/getting-started.md, docs/runbook.md: PROJECT=…, BUCKET=…, the state
 * block). A site that still holds one was copied from the page, not filled in;
 * `check-deployable` refuses both. test/unit/docs.test.ts checks the pages use
 * exactly these.
 */
export const DOCS_PLACEHOLDERS = { project: "homelab-boot-123456", bucket: "homelab-boot-tfstate" } as const;

/*
 * What is NOT refused, and why: the example's private values (bootVlanCidrs
 * 10.0.20.0/24 and its gateway, the tunnel 10.99.0.0/24, the VPC ranges,
 * matchbox.clusterIp, talos.cluster.endpoint https://10.0.20.10:6443) and its
 * names (namePrefix, gke.clusterName, talos.cluster.name) can be a real site's
 * own choice: the seed's boot VLAN is VLAN 20, and private ranges are the same
 * in every home. They name nothing outside the site, so keeping them is not
 * a forgotten edit.
 */
