import { App } from "cdktf";
import { exitOnDataFileError } from "./lib/cli";
import { loadSite } from "./lib/settings";
import { addNetbootStacks } from "./stacks";

const loaded = exitOnDataFileError(() => loadSite());
const app = new App();
addNetbootStacks(app, loaded.settings);
app.synth();
