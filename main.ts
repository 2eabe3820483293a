import { App } from "cdktf";
import { exitOnDataFileError } from "./lib/commands/cli";
import { loadNetbootSite } from "./lib/input/site";
import { addNetbootStacks } from "./stacks";

// cdktf records a full stack trace for every token it creates (as a string,
// on a plain object, not an Error). Formatting those, through source maps when
// run by tsx, was most of the synth time of a large inventory; real errors keep
// their stack traces.
process.setSourceMapsEnabled(false);
const formatStack = Error.prepareStackTrace;
Error.prepareStackTrace = (error, frames) => {
  if (!(error instanceof Error)) return "";
  return formatStack ? formatStack(error, frames) : `${String(error)}\n${frames.map((f) => `    at ${f}`).join("\n")}`;
};

const site = exitOnDataFileError(() => loadNetbootSite());
const app = new App();
addNetbootStacks(app, site);
app.synth();
