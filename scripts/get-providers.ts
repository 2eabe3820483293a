/**
 * Offline replacement for `cdktf get`.
 *
 * Online `cdktf get` runs `terraform init` + `terraform providers schema -json`
 * (registry access), then feeds the schema to @cdktf/provider-generator. This
 * script feeds the same generator a schema checked into `provider-schemas/`,
 * so `.gen/` can be regenerated without terraform or network access. The
 * Talos schema holds only the resources and data sources we use; the plan
 * tests (GitHub Actions) check it against the real provider's.
 *
 * Output layout matches online `cdktf get` for TypeScript:
 *   .gen/providers/<name>/{index.ts,lazy-index.ts,<resource>/index.ts,<resource>/README.md}
 *   .gen/versions.json, .gen/constraints.json
 *
 * Usage: `npm run get` (writes `.gen/`), or `tsx scripts/get-providers.ts <outdir>`.
 */
import * as fs from "fs";
import * as path from "path";
import type { ProviderSchema, TerraformProviderConstraint } from "@cdktf/commons";

type Generator = typeof import("@cdktf/provider-generator");
type Commons = typeof import("@cdktf/commons");

/**
 * Loading @cdktf/commons (also pulled in by @cdktf/provider-generator) spawns
 * `terraform version -json` as a module side effect, and terraform then makes
 * a checkpoint (update check) request unless CHECKPOINT_DISABLE is set. The
 * generator itself never uses terraform, so disable that before loading.
 */
function loadGenerator(): { gen: Generator; commons: Commons } {
  process.env.CHECKPOINT_DISABLE ??= "1";
  /* eslint-disable @typescript-eslint/no-require-imports */
  const gen = require("@cdktf/provider-generator") as Generator;
  const commons = require("@cdktf/commons") as Commons;
  /* eslint-enable @typescript-eslint/no-require-imports */
  return { gen, commons };
}

export interface OfflineProvider {
  /** Exactly as in cdktf.json `terraformProviders`. */
  readonly constraint: string;
  /** `terraform providers schema -json` output, relative to the repo root. */
  readonly schemaFile: string;
  /**
   * The provider version the schema was taken from. Online `cdktf get` reads it
   * from `terraform version -json` (`provider_selections`); it ends up in the
   * generated docs links and `providerVersion` metadata.
   */
  readonly version: string;
}

export const REPO_ROOT = path.resolve(__dirname, "..");

export const OFFLINE_PROVIDERS: readonly OfflineProvider[] = [
  {
    constraint: "poseidon/matchbox@~> 0.5",
    schemaFile: "provider-schemas/matchbox.json",
    version: "0.5.4",
  },
  {
    // Exact pin: the bindings, the checked-in schema and every machine config
    // the provider renders (Talos machinery v1.13.0 inside it) belong to this
    // one release. A newer release is adopted on purpose: schema, `npm run get`.
    constraint: "siderolabs/talos@= 0.11.0",
    schemaFile: "provider-schemas/talos.json",
    version: "0.11.0",
  },
];

function fqpnOf(schema: ProviderSchema, schemaFile: string): string {
  const keys = Object.keys(schema.provider_schemas ?? {});
  if (keys.length !== 1) {
    throw new Error(`${schemaFile}: expected exactly one provider schema, found ${keys.length}`);
  }
  return keys[0];
}

/**
 * Generates TypeScript bindings for `providers` into `outdir` (the contents
 * that `cdktf get` would write into `.gen/`). Existing `providers/<name>`
 * folders for these providers are replaced; nothing else in `outdir` is touched
 * except versions.json and constraints.json, which are rewritten.
 */
export async function generateProviderBindings(
  outdir: string,
  providers: readonly OfflineProvider[] = OFFLINE_PROVIDERS,
  repoRoot: string = REPO_ROOT,
): Promise<string[]> {
  const {
    gen: { CodeMaker, TerraformProviderConstraint, TerraformProviderGenerator },
    commons: { ConstructsMakerProviderTarget, DISPLAY_VERSION, Language },
  } = loadGenerator();
  const code = new CodeMaker();
  const versions: Record<string, string | undefined> = {};
  const constraints: TerraformProviderConstraint[] = [];

  for (const p of providers) {
    const schemaPath = path.resolve(repoRoot, p.schemaFile);
    const schema = JSON.parse(fs.readFileSync(schemaPath, "utf8")) as ProviderSchema;
    const fqpn = fqpnOf(schema, p.schemaFile);
    // `cdktf get` builds its constraints from readConfigSync(), which already
    // holds TerraformProviderConstraint objects, and wraps them again; that
    // copy constructor sets fqn = name ("matchbox"), which is the key online
    // `cdktf get` writes to constraints.json and later compares against to
    // decide whether a provider is up to date. Do the same so an online
    // `cdktf get` sees these bindings as current and leaves them alone.
    const constraint = new TerraformProviderConstraint(new TerraformProviderConstraint(p.constraint));
    // Same shape as @cdktf/provider-schema's readProviderSchema() result.
    const withVersions: ProviderSchema = { ...schema, provider_versions: { [fqpn]: p.version } };
    const generator = new TerraformProviderGenerator(code, withVersions);
    generator.generate(new ConstructsMakerProviderTarget(constraint, Language.TYPESCRIPT));
    Object.assign(versions, generator.versions);
    constraints.push(constraint);
  }

  // Same files and formatting as ConstructsMaker.updateVersionsFile / emitConstraintsFile.
  code.openFile("versions.json");
  code.line(JSON.stringify(versions, null, 2));
  code.closeFile("versions.json");
  code.openFile("constraints.json");
  code.line(
    JSON.stringify(
      {
        cdktf: DISPLAY_VERSION,
        providers: [...constraints]
          .sort((a, b) => a.fqn.localeCompare(b.fqn))
          .reduce<Record<string, string | undefined>>((acc, c) => ({ ...acc, [c.fqn]: c.version }), {}),
      },
      null,
      2,
    ),
  );
  code.closeFile("constraints.json");

  for (const c of constraints) {
    fs.rmSync(path.join(outdir, "providers", c.name), { recursive: true, force: true });
  }
  fs.mkdirSync(outdir, { recursive: true });
  return code.save(outdir);
}

async function main(): Promise<void> {
  const outdir = path.resolve(process.argv[2] ?? path.join(REPO_ROOT, ".gen"));
  const started = Date.now();
  const files = await generateProviderBindings(outdir);
  const rel = path.relative(process.cwd(), outdir) || ".";
  console.log(`Generated ${files.length} files in ${rel} (${Date.now() - started} ms):`);
  for (const p of OFFLINE_PROVIDERS) console.log(`  ${p.constraint} from ${p.schemaFile} (v${p.version})`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
