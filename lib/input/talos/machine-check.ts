import type { InstallDiskSelector, NodeTaint, RawMachine } from "../inventory";
import type { SiteSettings } from "../settings";
import { kernelArgProblem } from "./kernel-args";
import { readPatchFile, type PatchReader } from "./patch-files";
import { quote } from "../safe-text";
import { CONTROL_CHARACTER } from "../tokens";
import { baseTalosKernelArgs } from "./settings-check";
import type { FieldPath } from "../yaml-source";

export const DEFAULT_INSTALL_DISK = "/dev/sda";

/** Kubernetes label and taint syntax (k8s.io/apimachinery validation: qualified names and label values). */
const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
const EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"] as const;

/** Why `key` is not a Kubernetes qualified name ([prefix/]name), or undefined. */
export function qualifiedNameProblem(key: string): string | undefined {
  const slash = key.lastIndexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !PREFIX.test(prefix))) {
    return `"${key}": the prefix before "/" must be a DNS subdomain (lower case letters, digits, '-', '.'; at most 253 characters)`;
  }
  if (!NAME.test(name)) return `"${key}": the name must be 1-63 characters of letters, digits, '-', '_', '.', starting and ending with a letter or digit`;
  return undefined;
}

/**
 * Labels a kubelet may set on its own Node: the API server's NodeRestriction
 * admission plugin refuses other kubernetes.io / k8s.io labels from a node.
 */
function restrictedLabelProblem(key: string): string | undefined {
  const prefix = key.includes("/") ? key.slice(0, key.lastIndexOf("/")) : "";
  const kubernetesOwned = /(^|\.)(kubernetes\.io|k8s\.io)$/.test(prefix);
  const allowedPrefix = ["kubelet.kubernetes.io", "node.kubernetes.io"].some((p) => prefix === p || prefix.endsWith(`.${p}`));
  const allowedLabels = [
    "kubernetes.io/hostname",
    "kubernetes.io/arch",
    "kubernetes.io/os",
    "beta.kubernetes.io/instance-type",
    "node.kubernetes.io/instance-type",
    "failure-domain.beta.kubernetes.io/region",
    "failure-domain.beta.kubernetes.io/zone",
    "topology.kubernetes.io/region",
    "topology.kubernetes.io/zone",
  ];
  if (kubernetesOwned && !allowedPrefix && !allowedLabels.includes(key)) {
    return `"${key}": a node may not set labels under kubernetes.io or k8s.io except kubelet.kubernetes.io/*, node.kubernetes.io/*, topology.kubernetes.io/{region,zone} and a few others (Kubernetes NodeRestriction admission); use your own prefix, e.g. example.com/rack`;
  }
  return undefined;
}

/** Parses a taint in kubectl syntax, `key[=value]:Effect`. */
export function parseTaint(text: string): NodeTaint | string {
  const colon = text.lastIndexOf(":");
  if (colon < 0) return `"${text}" has no effect; write key[=value]:Effect with Effect one of ${EFFECTS.join(", ")}, e.g. dedicated=storage:NoSchedule`;
  const effect = text.slice(colon + 1);
  if (!(EFFECTS as readonly string[]).includes(effect)) return `"${text}": effect "${effect}"; allowed: ${EFFECTS.join(", ")}`;
  const [key, value, extra] = text.slice(0, colon).split("=");
  if (extra !== undefined) return `"${text}" has more than one "="; write key[=value]:Effect`;
  const keyProblem = qualifiedNameProblem(key);
  if (keyProblem) return keyProblem;
  if (value !== undefined && !VALUE.test(value)) return `"${text}": the value must be at most 63 characters of letters, digits, '-', '_', '.'`;
  return { key, ...(value ? { value } : {}), effect: effect as NodeTaint["effect"] };
}

/** A problem of one inventory entry, by the field's path inside the entry (so its line is the field's, not the entry's). */
type Report = (field: string | FieldPath, message: string) => void;

/** The Talos fields of one inventory entry, checked; problems go to `problem(field, message)`. */
export function checkMachineTalosFields(
  m: RawMachine,
  site: SiteSettings,
  problem: Report,
  readPatch: PatchReader = readPatchFile,
): Pick<import("../inventory").Machine, "installDisk" | "installDiskSelector" | "kernelArgs" | "nodeLabels" | "nodeTaints" | "patches"> {
  if (m.installDisk !== undefined && m.installDiskSelector !== undefined) {
    problem("installDiskSelector", "give either installDisk or installDiskSelector, not both");
  }
  if (m.installDisk !== undefined && m.installDisk.split("/").includes("..")) {
    problem("installDisk", `${m.installDisk} leaves /dev; allowed: a device path under /dev without "..", e.g. /dev/sda or /dev/disk/by-id/...`);
  }
  // Written into the machine config and shown by boot-diff: one line each (a bare carriage return would hide what precedes it).
  if (m.installDisk !== undefined && CONTROL_CHARACTER.test(m.installDisk)) {
    problem("installDisk", `${quote(m.installDisk)} contains a line break or another control character; allowed: a device path on one line, e.g. /dev/sda`);
  }
  for (const [key, value] of Object.entries(m.installDiskSelector ?? {})) {
    if (typeof value === "string" && CONTROL_CHARACTER.test(value)) {
      problem(["installDiskSelector", key], `${quote(value)} contains a line break or another control character; allowed: a value on one line, as the disk reports it (talosctl get disks)`);
    }
  }
  const installDiskSelector: InstallDiskSelector | undefined = m.installDiskSelector;
  const installDisk = installDiskSelector ? undefined : (m.installDisk ?? DEFAULT_INSTALL_DISK);

  const line = [...baseTalosKernelArgs(site), ...site.talos.kernelArgs];
  (m.kernelArgs ?? []).forEach((arg, i) => {
    const why = kernelArgProblem(arg, line);
    if (why) problem(["kernelArgs", i], why);
    line.push(arg);
  });

  for (const [key, value] of Object.entries(m.nodeLabels ?? {})) {
    const why = qualifiedNameProblem(key) ?? restrictedLabelProblem(key) ?? (VALUE.test(value) ? undefined : `"${value}": a label value must be at most 63 characters of letters, digits, '-', '_', '.', starting and ending with a letter or digit (or empty)`);
    if (why) problem(["nodeLabels", key], why);
  }

  const nodeTaints: NodeTaint[] = [];
  (m.nodeTaints ?? []).forEach((text, i) => {
    const taint = parseTaint(text);
    if (typeof taint === "string") return problem(["nodeTaints", i], taint);
    if (nodeTaints.some((t) => t.key === taint.key)) return problem(["nodeTaints", i], `a second taint with key "${taint.key}"; Talos keeps one taint per key`);
    nodeTaints.push(taint);
  });
  if (nodeTaints.length > 0 && m.role === "worker") {
    problem("nodeTaints", "Talos applies node taints with the node's own credentials, which Kubernetes' NodeRestriction admission refuses for worker nodes; taint workers with kubectl, or use nodeLabels");
  }

  (m.patches ?? []).forEach((path, i) => {
    const read = readPatch(path);
    if ("error" in read) problem(["patches", i], `${quote(path)} ${read.error}`);
  });

  return { installDisk, installDiskSelector, kernelArgs: m.kernelArgs ?? [], nodeLabels: m.nodeLabels ?? {}, nodeTaints, patches: m.patches ?? [] };
}
