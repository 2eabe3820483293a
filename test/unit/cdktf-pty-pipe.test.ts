// scripts/cdktf-pty-pipe: what cdktf-cli gets when it requires
// @cdktf/node-pty-prebuilt-multiarch (package.json `overrides`). The native
// package has no build for Node 24 (ABI 137), and cdktf-cli requires it on every
// command, so `npm run synth` failed there (issue 25). These tests hold the
// replacement to the parts of node-pty's contract cdktf relies on
// (@cdktf/cli-core/src/lib/models/pty-process.js): merged output, answers on
// stdin, Ctrl-C, the exit code.
import { readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";

const REPO = join(__dirname, "..", "..");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pty = require("@cdktf/node-pty-prebuilt-multiarch") as {
  spawn(file: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv }): {
    pid: number;
    onData(l: (d: string) => void): { dispose(): void };
    onExit(l: (e: { exitCode: number; signal?: number }) => void): { dispose(): void };
    write(d: string): void;
  };
};

function run(file: string, args: string[], input?: (write: (d: string) => void, output: () => string) => void) {
  return new Promise<{ output: string; exitCode: number; signal?: number }>((resolve) => {
    const p = pty.spawn(file, args, { cwd: REPO, env: process.env });
    let output = "";
    p.onData((d) => (output += d));
    p.onExit(({ exitCode, signal }) => resolve({ output, exitCode, signal }));
    input?.((d) => p.write(d), () => output);
  });
}

// The installed tree's own copy of the replacement: node_modules links to it
// (npm's `file:` dependency). In the user-repo project's copy of the repository,
// node_modules is a link to the original checkout's, so the package resolves
// there, not under this copy's REPO: compare where it lives and what it holds.
const INSTALLED_REPLACEMENT = realpathSync(join(REPO, "node_modules/@cdktf/node-pty-prebuilt-multiarch/index.js"));

test("cdktf-cli resolves the package to scripts/cdktf-pty-pipe, not the native addon", () => {
  expect(INSTALLED_REPLACEMENT.endsWith(join("scripts", "cdktf-pty-pipe", "index.js"))).toBe(true);
  expect(readFileSync(INSTALLED_REPLACEMENT, "utf8")).toBe(readFileSync(join(REPO, "scripts/cdktf-pty-pipe/index.js"), "utf8"));
  for (const dependent of ["@cdktf/cli-core", "cdktf-cli"]) {
    const from = realpathSync(join(REPO, "node_modules", dependent, "package.json"));
    expect(realpathSync(require.resolve("@cdktf/node-pty-prebuilt-multiarch", { paths: [from] }))).toBe(INSTALLED_REPLACEMENT);
  }
});

test("stdout and stderr arrive as one stream in the order the program wrote them", async () => {
  const r = await run("sh", ["-c", "echo one; echo two >&2; echo three; echo four >&2"]);
  expect(r).toEqual({ output: "one\ntwo\nthree\nfour\n", exitCode: 0, signal: undefined });
});

test("arguments reach the program unchanged (no shell parsing)", async () => {
  const r = await run("printf", ["%s|", "a b", "$HOME", "'q'", "*"]);
  expect(r.output).toBe("a b|$HOME|'q'|*|");
});

test("an answer written to it is the program's stdin, as a prompt's answer on a terminal", async () => {
  const r = await run("sh", ["-c", 'printf "Enter a value: "; read answer; echo "got $answer"; exit 3'], (write) => write("yes\n"));
  expect(r).toEqual({ output: "Enter a value: got yes\n", exitCode: 3, signal: undefined });
});

test("Ctrl-C interrupts the program (SIGINT), and an interrupted program never exits 0", async () => {
  const r = await run("sh", ["-c", "echo started; exec sleep 30"], (write, output) => {
    const wait = setInterval(() => {
      if (output().includes("started")) {
        clearInterval(wait);
        write("\x03");
      }
    }, 20);
  });
  expect(r.signal).toBe(2);
  expect(r.exitCode).toBe(130);
});

test("a program that is not installed exits 127 with the reason", async () => {
  const r = await run("netboot-no-such-program", []);
  expect(r.exitCode).toBe(127);
  expect(r.output).toMatch(/netboot-no-such-program: .*not found/);
});
