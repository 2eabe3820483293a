// The gcloud stand-in's filter evaluation (test/support/gcloud-logging-standin.js)
// on known cases of the Logging query language, so the tests that read
// "Cloud Logging" through it rest on a filter that can reject.
import { keptByLoggingFilter, loggingFilter, RECEIVER } from "../../lib/commands/boot-status";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parseFilter, FilterSyntax } = require("../support/gcloud-logging-standin.js") as { parseFilter(f: string): (e: unknown) => boolean; FilterSyntax: new () => Error };

const entry = (jsonPayload: Record<string, unknown>, resource: { type: string; labels: Record<string, string> } = { type: "k8s_container", labels: { namespace_name: RECEIVER.namespace, container_name: RECEIVER.container } }) => ({ resource, jsonPayload });

describe("gcloud logging stand-in: filter semantics", () => {
  test("string equality is not case-sensitive; a missing field matches nothing; :* tests presence; a list matches any", () => {
    expect(parseFilter('jsonPayload.kind="EVENT"')(entry({ kind: "event" }))).toBe(true);
    expect(parseFilter('jsonPayload.kind="event"')(entry({}))).toBe(false);
    expect(parseFilter("jsonPayload.changed:*")(entry({ changed: "mac" }))).toBe(true);
    expect(parseFilter("jsonPayload.changed:*")(entry({ kind: "log" }))).toBe(false);
    expect(parseFilter('jsonPayload.kind=("drop" OR "ready")')(entry({ kind: "ready" }))).toBe(true);
    expect(parseFilter('jsonPayload.kind=("drop" OR "ready")')(entry({ kind: "log" }))).toBe(false);
    expect(parseFilter('resource.type="k8s_container" AND jsonPayload.kind="log"')(entry({ kind: "log" }, { type: "gce_instance", labels: { namespace_name: "", container_name: "" } }))).toBe(false);
  });

  test("AND and OR mixed without parentheses, NOT and substring matches are refused, not guessed", () => {
    expect(() => parseFilter('a="1" AND b="2" OR c="3"')).toThrow(FilterSyntax);
    expect(() => parseFilter('NOT a="1"')).toThrow(FilterSyntax);
    expect(() => parseFilter("a:foo")).toThrow(FilterSyntax);
  });
});

describe("the receiver read's filter", () => {
  const keep = parseFilter(loggingFilter(RECEIVER.namespace, RECEIVER.container));
  test.each([
    [{ kind: "event", machine: "cp-01" }, true],
    [{ kind: "drop", reason: "x" }, true],
    [{ kind: "ready", ports: {} }, true],
    [{ kind: "log", msg: "[talos] nothing new" }, false],
    [{ kind: "log", msg: "Kernel command line: …", changed: "mac,hostname" }, true],
    [{ kind: "inventory", machines: 3 }, false],
  ])("%j: kept %s, by the stand-in and by keptByLoggingFilter alike", (line, kept) => {
    expect(keep(entry(line))).toBe(kept);
    expect(keptByLoggingFilter(line)).toBe(kept);
  });

  test("only the receiver container's lines", () => {
    expect(keep(entry({ kind: "event" }, { type: "k8s_container", labels: { namespace_name: RECEIVER.namespace, container_name: "matchbox" } }))).toBe(false);
  });
});
