import { App } from "cdktf";
import { exitOnDataFileError } from "./lib/cli";
import { loadNetbootSite } from "./lib/site";
import { addNetbootStacks } from "./stacks";

// cdktf records a full stack trace for every token it creates; mapped through
// tsx's source maps each one costs about a millisecond, which made 1,000
// machines take 13 s instead of 5 s. Errors here are reported as messages.
process.setSourceMapsEnabled(false);

const site = exitOnDataFileError(() => loadNetbootSite());
const app = new App();
addNetbootStacks(app, site);
app.synth();
