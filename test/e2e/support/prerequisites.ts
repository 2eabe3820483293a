// What an end-to-end test needs from the machine, and what happens when it is
// missing: a visible skip whose title says why (test/skip-reporter.js lists it
// at the end of `npm test`), or, with REQUIRE_E2E=1 (CI, `.ci/run`), a failure
// with the same reason. Shared by the tunnel test and the QEMU boot test.
import { spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/** Where tools are looked up: PATH plus the sbin directories non-login shells often lack. */
export const E2E_PATH = [...(process.env.PATH ?? "").split(delimiter).filter(Boolean), "/usr/local/sbin", "/usr/sbin", "/sbin"]
  .filter((dir, i, all) => all.indexOf(dir) === i)
  .join(delimiter);

export interface Prerequisite {
  /** Returns why the test cannot run here, or undefined when this need is met. */
  readonly missing: () => string | undefined;
  /**
   * A probe that does something (e.g. creates a namespace): evaluated only
   * when every cheaper prerequisite before it is met.
   */
  readonly probe?: boolean;
}

export function findCommand(name: string): string | undefined {
  for (const dir of E2E_PATH.split(delimiter)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export const runsAsRoot: Prerequisite = {
  missing: () => {
    const uid = process.getuid?.();
    return uid === 0 ? undefined : `not root (uid ${uid ?? "unknown"}; network namespaces need root)`;
  },
};

/** Commands that must be installed; `debianPackage` goes into the reason as an install hint. */
export function commands(needs: Record<string, string>): Prerequisite {
  return {
    missing: () => {
      const absent = Object.keys(needs).filter((cmd) => !findCommand(cmd));
      if (absent.length === 0) return undefined;
      const packages = [...new Set(absent.map((cmd) => needs[cmd]))].join(" ");
      return `${absent.join(", ")} not installed (apt-get install ${packages})`;
    },
  };
}

export const tunDevice: Prerequisite = {
  missing: () => {
    try {
      accessSync("/dev/net/tun", constants.F_OK);
      return undefined;
    } catch {
      return "/dev/net/tun does not exist (userspace WireGuard needs the TUN device)";
    }
  },
};

/** Creates a throwaway namespace and runs `iptables` in it: proves namespaces and the packet filter work here. */
export const namespacesWithIptables: Prerequisite = {
  probe: true,
  missing: () => {
    const ns = `nbe2e-probe-${process.pid.toString(36)}`;
    const env = { ...process.env, PATH: E2E_PATH };
    const run = (args: string[]) => spawnSync(args[0], args.slice(1), { env, encoding: "utf8", timeout: 10_000 });
    const add = run(["ip", "netns", "add", ns]);
    if (add.status !== 0) return `cannot create a network namespace (ip netns add: ${(add.stderr || add.error?.message || "").trim()})`;
    try {
      for (const table of ["filter", "nat", "mangle", "raw"]) {
        const ipt = run(["ip", "netns", "exec", ns, "iptables", "-t", table, "-S"]);
        if (ipt.status !== 0) return `iptables does not work in a network namespace (table ${table}: ${(ipt.stderr || ipt.error?.message || "").trim()})`;
      }
      return undefined;
    } finally {
      run(["ip", "netns", "del", ns]);
    }
  },
};

/** Evaluates prerequisites in order; probes run only when everything before them is met. */
export function missingPrerequisites(prerequisites: readonly Prerequisite[]): string[] {
  const reasons: string[] = [];
  for (const p of prerequisites) {
    if (p.probe && reasons.length > 0) continue;
    const reason = p.missing();
    if (reason) reasons.push(reason);
  }
  return reasons;
}

export const e2eRequired = (env: NodeJS.ProcessEnv = process.env) => env.REQUIRE_E2E === "1" || env.REQUIRE_E2E === "true";

/**
 * `describe(title, body)` when the machine has what the test needs. Otherwise
 * a single skipped test titled "SKIPPED: <reasons> — <title>", or, when
 * REQUIRE_E2E=1, a single failing test with the same reasons.
 */
export function describeE2E(title: string, prerequisites: readonly Prerequisite[], body: () => void): void {
  const reasons = missingPrerequisites(prerequisites);
  if (reasons.length === 0) {
    describe(title, body);
    return;
  }
  const why = reasons.join("; ");
  if (e2eRequired()) {
    test(`${title}: prerequisites (REQUIRE_E2E=1)`, () => {
      throw new Error(`REQUIRE_E2E=1, so this end-to-end test may not be skipped, but it cannot run here: ${why}`);
    });
  } else {
    test.skip(`SKIPPED: ${why} — ${title} (REQUIRE_E2E=1 turns this into a failure)`, () => {});
  }
}
