// Two projects: `unit` (fast: settings, snapshots, renderers) and `e2e`
// (real WireGuard / QEMU in network namespaces; slow, bounded per test).
// Type errors are caught by `tsc --noEmit` in `npm test`; ts-jest only transpiles
// (isolatedModules in tsconfig.json), which keeps the unit run fast.
const tsJest = ["ts-jest", { diagnostics: false }];

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      displayName: "unit",
      testEnvironment: "node",
      testMatch: ["<rootDir>/test/unit/**/*.test.ts"],
      transform: { "^.+\\.ts$": tsJest },
      setupFilesAfterEnv: ["<rootDir>/test/setup.ts"],
    },
    {
      displayName: "e2e",
      testEnvironment: "node",
      testMatch: ["<rootDir>/test/e2e/**/*.test.ts"],
      transform: { "^.+\\.ts$": tsJest },
      setupFilesAfterEnv: ["<rootDir>/test/setup.ts"],
    },
    {
      // terraform validate/plan and the provider-schema comparison: run with
      // PLAN_TESTS=1 where Terraform and its registry are reachable (CI).
      displayName: "plan",
      testEnvironment: "node",
      testMatch: ["<rootDir>/test/plan/**/*.test.ts"],
      transform: { "^.+\\.ts$": tsJest },
      setupFilesAfterEnv: ["<rootDir>/test/setup.ts"],
    },
  ],
  reporters: ["default", "<rootDir>/test/skip-reporter.js"],
};
