import { App } from "cdktf";
import { exitOnDataFileError } from "./lib/commands/cli";
import { loadNetbootSite } from "./lib/input/site";
import { skipTokenStackTraces } from "./lib/commands/token-stack-traces";
import { addNetbootStacks } from "./stacks";

// Source maps off and no formatted stack traces for cdktf's tokens
// (lib/commands/token-stack-traces.ts): real errors keep theirs.
process.setSourceMapsEnabled(false);
skipTokenStackTraces();

const site = exitOnDataFileError(() => loadNetbootSite());
const app = new App();
addNetbootStacks(app, site);
app.synth();
