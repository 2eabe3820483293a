import { homedir } from "node:os";
import { join } from "node:path";

/**
 * Where `wg:keygen` keeps a peer's private key: on the admin's machine, outside
 * the repository, readable only by its owner. NETBOOT_KEY_DIR overrides it.
 */
export function defaultKeyDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.NETBOOT_KEY_DIR || join(env.XDG_CONFIG_HOME || join(homedir(), ".config"), "netboot", "wireguard");
}

export function defaultKeyFile(peer: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(defaultKeyDir(env), `${peer}.key`);
}
