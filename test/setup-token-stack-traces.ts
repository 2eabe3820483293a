// Every jest project: the app's policy for cdktf's token stack traces
// (lib/commands/token-stack-traces.ts). Under jest each one went through
// source-map-support, about a second of every test file's first synth.
import { skipTokenStackTraces } from "../lib/commands/token-stack-traces";

skipTokenStackTraces();
