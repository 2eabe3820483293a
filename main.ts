import { App } from "cdktf";
import { exitOnDataFileError } from "./lib/cli";
import { loadNetbootSite } from "./lib/site";
import { addNetbootStacks } from "./stacks";

const site = exitOnDataFileError(() => loadNetbootSite());
const app = new App();
addNetbootStacks(app, site);
app.synth();
