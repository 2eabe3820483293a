// A stand-in for Matchbox v0.11.0's plain-HTTP side, for the firmware boot
// test: it answers the endpoints a booting machine uses exactly as Matchbox
// does (../../../../shared/reference/matchbox.md §2, http/server.go), with
// the group selection and `/ipxe` rendering of the project's own boot-preview
// code (lib/matchbox/selection.ts), over the store that preview computes from
// the synthesized matchbox-config stack (what Matchbox holds after Terraform).
//
//   /boot.ipxe, /boot.ipxe.0  Matchbox's fixed chain script (BOOT_IPXE)
//   /ipxe?<labels>            the selected group's profile rendered by Matchbox's
//                             template; 404 "404 page not found" when no group
//                             matches or its profile is missing
//   /assets/<path>            files below the assets directory (GET/HEAD)
//   /                         "matchbox"
//   anything else             404
//
// Run inside a test namespace (it must listen where the gateway DNATs to):
//   tsx matchbox-standin.ts --port 8080 --store store.json --assets DIR
// where store.json is serializeStore(synthesizedMatchboxStore(site)). It prints
// "ready" when listening and one "REQ {json}" line per request (what was asked,
// by whom, what was answered: status, group, profile, bytes), which the test
// reads to see what each VM fetched.
import { createReadStream, readFileSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { join, resolve, sep } from "node:path";
import { BOOT_IPXE, labelsFromQuery, renderIpxe, selectGroup, type MatchboxStore, type StoredGroup, type StoredProfile } from "../../../lib/matchbox/selection";

/** One request as the stand-in saw and answered it. */
export interface StandInRequest {
  readonly remote: string;
  readonly method: string;
  /** Path and query as sent. */
  readonly url: string;
  readonly status: number;
  /** For /ipxe: the labels Matchbox would parse from the query. */
  readonly labels?: Record<string, string>;
  readonly group?: string;
  readonly profile?: string;
  /** Body bytes sent (assets: the file size). */
  readonly bytes: number;
}

export interface SerializedStore {
  readonly profiles: StoredProfile[];
  readonly groups: StoredGroup[];
}

export function serializeStore(store: MatchboxStore): SerializedStore {
  return { profiles: [...store.profiles.values()], groups: [...store.groups] };
}

export function deserializeStore(value: SerializedStore): MatchboxStore {
  return { profiles: new Map(value.profiles.map((p) => [p.name, p])), groups: value.groups };
}

const NOT_FOUND = "404 page not found\n"; // Go's http.NotFound

/** Matchbox's answers for one request; `log` receives what was answered. */
export function matchboxHandler(store: MatchboxStore, assetsDir: string, log: (r: StandInRequest) => void) {
  const assets = resolve(assetsDir);
  return (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? "/", "http://matchbox");
    const remote = req.socket.remoteAddress ?? "";
    const method = req.method ?? "GET";
    const text = (status: number, body: string, extra: Partial<StandInRequest> = {}) => {
      res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(body) });
      res.end(method === "HEAD" ? undefined : body);
      log({ remote, method, url: req.url ?? "", status, bytes: Buffer.byteLength(body), ...extra });
    };
    if (method !== "GET" && method !== "HEAD") return text(405, "method not allowed\n");
    const path = url.pathname;
    if (path === "/") return text(200, "matchbox\n");
    if (path === "/boot.ipxe" || path === "/boot.ipxe.0") return text(200, BOOT_IPXE);
    if (path === "/ipxe") {
      const labels = labelsFromQuery(url.searchParams);
      const group = selectGroup(store.groups, labels);
      if (!group) return text(404, NOT_FOUND, { labels });
      const profile = store.profiles.get(group.profile);
      if (!profile) return text(404, NOT_FOUND, { labels, group: group.name });
      return text(200, renderIpxe(profile), { labels, group: group.name, profile: profile.name });
    }
    if (path.startsWith("/assets/")) {
      let name: string;
      try {
        name = decodeURIComponent(path.slice("/assets/".length));
      } catch {
        return text(400, "bad path\n");
      }
      const file = resolve(assets, name);
      if (!file.startsWith(assets + sep)) return text(404, NOT_FOUND);
      let size: number;
      try {
        const st = statSync(file);
        if (!st.isFile()) return text(404, NOT_FOUND);
        size = st.size;
      } catch {
        return text(404, NOT_FOUND);
      }
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": size });
      const done = () => log({ remote, method, url: req.url ?? "", status: 200, bytes: method === "HEAD" ? 0 : size });
      if (method === "HEAD") {
        res.end();
        done();
      } else {
        createReadStream(file).on("end", done).pipe(res);
      }
      return;
    }
    return text(404, NOT_FOUND);
  };
}

/** Starts the stand-in in this process (tests of the stand-in itself). */
export function startMatchboxStandIn(store: MatchboxStore, assetsDir: string, port: number, host: string, log: (r: StandInRequest) => void): Promise<Server> {
  const server = createServer(matchboxHandler(store, assetsDir, log));
  return new Promise((resolveServer, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolveServer(server));
  });
}

/** Parses the "REQ {json}" lines the CLI prints. */
export function parseStandInLog(output: string): StandInRequest[] {
  return output
    .split("\n")
    .filter((l) => l.startsWith("REQ "))
    .map((l) => JSON.parse(l.slice(4)) as StandInRequest);
}

function main(argv: string[]): void {
  const arg = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    if (i < 0 || i + 1 >= argv.length) throw new Error(`usage: matchbox-standin.ts --port N --store store.json --assets DIR (missing --${name})`);
    return argv[i + 1];
  };
  const store = deserializeStore(JSON.parse(readFileSync(arg("store"), "utf8")) as SerializedStore);
  const assets = arg("assets");
  statSync(join(assets, "."));
  startMatchboxStandIn(store, assets, Number(arg("port")), "0.0.0.0", (r) => process.stdout.write(`REQ ${JSON.stringify(r)}\n`)).then(
    () => process.stdout.write("ready\n"),
    (err: Error) => {
      process.stderr.write(`matchbox stand-in: ${err.message}\n`);
      process.exit(1);
    },
  );
  process.on("SIGTERM", () => process.exit(0));
}

if (require.main === module) main(process.argv.slice(2));
