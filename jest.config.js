// Projects: `unit` (fast: settings, snapshots, renderers), `terraform` (the
// real Terraform CLI and the Go Matchbox stand-in), `user-repo` (a copy of the
// repository with a user's edits), `e2e` (real WireGuard /
// QEMU in network namespaces; slow, bounded per test) and `plan` (GitHub Actions).
// Type errors are caught by `tsc --noEmit` in `npm test`; ts-jest only transpiles
// (isolatedModules in tsconfig.json), which keeps the unit run fast.

/** What every project shares. */
const common = {
  testEnvironment: "node",
  transform: { "^.+\\.ts$": ["ts-jest", { diagnostics: false }] },
  // Builds dist/ (the bundled app and commands) once per run; tests run them as npm does.
  globalSetup: "<rootDir>/test/global-setup.js",
  globalTeardown: "<rootDir>/test/global-teardown.js",
  // In each test file's context: no formatted stack traces for cdktf's tokens,
  // as in the app. After the environment: jest installs source-map-support's
  // formatter after setupFiles, and this wraps it (real errors keep it).
  setupFilesAfterEnv: ["<rootDir>/test/setup-token-stack-traces.ts"],
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    { ...common, displayName: "unit", testMatch: ["<rootDir>/test/unit/**/*.test.ts"] },
    // The real Terraform CLI on provider-less stand-ins of every stack, and
    // the Go Matchbox stand-in (test/support/matchbox-standin): slower than
    // unit tests, bounded per test; skips visibly without terraform or go.
    { ...common, displayName: "terraform", testMatch: ["<rootDir>/test/terraform/**/*.test.ts"] },
    { ...common, displayName: "e2e", testMatch: ["<rootDir>/test/e2e/**/*.test.ts"] },
    // A copy of the repository with the live data edited as a user's pull
    // request does; runs the commands and the unit project in it (~1-2 min).
    { ...common, displayName: "user-repo", testMatch: ["<rootDir>/test/user-repo/**/*.test.ts"] },
    // terraform validate/plan and the provider-schema comparison: run with
    // PLAN_TESTS=1 where Terraform and its registry are reachable (CI).
    { ...common, displayName: "plan", testMatch: ["<rootDir>/test/plan/**/*.test.ts"] },
  ],
  reporters: ["default", "<rootDir>/test/skip-reporter.js"],
};
