#!/usr/bin/env node
// netboot boot-report receiver: what Talos machines report while they boot,
// install and run, kept as a small per-machine status and written to stdout
// as one JSON line per report. Node's standard library only: it runs in a
// stock Node image (constructs/boot-report-receiver/index.ts), and the unit
// tests run this same file (test/unit/boot-report-receiver.test.ts).
//
// Listens on (docs/adr/0017-boot-report-receiver.md):
//   REPORT_EVENTS_PORT (4002)  gRPC over plaintext HTTP/2 (h2c, prior knowledge):
//       events.EventSinkService/Publish, siderolabs/siderolink api/events/events.proto
//       (EventRequest{data Any = 1, id = 2, actor_id = 3}); Talos dials it with
//       insecure credentials (talos internal/app/machined/pkg/controllers/runtime/events_sink.go)
//   REPORT_LOGS_PORT (4001)    JSON lines over TCP (newline-delimited) and UDP
//       (one line per datagram), talos internal/app/machined/pkg/runtime/logging/sender_jsonlines.go
//   REPORT_STATUS_PORT (4003)  HTTP: GET /status (netboot.boot-status/v1), GET /healthz
//
// Every input is untrusted: sizes, rates and connection counts are bounded,
// a malformed message is refused and counted, a hostile connection is cut;
// nothing a sender does ends this process.
"use strict";

const http = require("node:http");
const http2 = require("node:http2");
const net = require("node:net");
const dgram = require("node:dgram");
const fs = require("node:fs");

const PORTS = { logs: 4001, events: 4002, status: 4003 };

/** Limits; each can be set by an environment variable of the same name (REPORT_<NAME>). */
const DEFAULT_LIMITS = {
  // Size of one gRPC message (EventRequest). Talos's events are small; a
  // config error message is the largest text they carry.
  MAX_MESSAGE_BYTES: 64 * 1024,
  // One JSON log line (TCP) or datagram (UDP). A kmsg record is at most ~1 KiB.
  MAX_LOG_LINE_BYTES: 16 * 1024,
  // Open connections: HTTP/2 sessions on the events port, TCP connections on the logs port.
  MAX_EVENT_SESSIONS: 128,
  MAX_LOG_CONNECTIONS: 128,
  // Token buckets (per second, burst). Talos sends its whole event backlog on
  // connect (WithTailEvents(-1)) and resends from the last accepted event
  // after a refused Publish, so a refusal loses nothing.
  CONN_EVENTS_PER_SECOND: 50,
  CONN_EVENTS_BURST: 1000,
  TOTAL_EVENTS_PER_SECOND: 200,
  TOTAL_EVENTS_BURST: 4000,
  CONN_LOG_LINES_PER_SECOND: 200,
  CONN_LOG_LINES_BURST: 4000,
  TOTAL_LOG_LINES_PER_SECOND: 1000,
  TOTAL_LOG_LINES_BURST: 10000,
  // Connections quiet for this long are closed (Talos reconnects when it has something to send).
  IDLE_SECONDS: 1800,
  // A new events connection must send HTTP/2's connection preface within this time.
  PREFACE_SECONDS: 10,
  // Machines kept in the status; the least recently seen unlisted one goes first.
  MAX_MACHINES: 512,
  // Strings kept from a report (messages, errors): longer ones are cut.
  MAX_STRING_CHARS: 1024,
  // At most one drop line per source and reason per this many seconds (the rest are counted in it).
  DROP_LOG_SECONDS: 10,
  // How often the inventory file is checked for changes (a ConfigMap volume updates in place).
  INVENTORY_RELOAD_SECONDS: 30,
};

// ---------------------------------------------------------------------------
// Protocol Buffers wire format (https://protobuf.dev/programming-guides/encoding/),
// only what the messages below need: varint (0), 64-bit (1), length-delimited (2), 32-bit (5).

class Malformed extends Error {}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function readVarint(buf, pos) {
  let result = 0;
  let shift = 0;
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) throw new Malformed("truncated varint");
    const byte = buf[pos++];
    // Beyond 2^53 a Number loses precision; no field read here needs more, so the value is only kept approximately.
    result += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if ((byte & 0x80) === 0) return [result, pos];
  }
  throw new Malformed("varint longer than 10 bytes");
}

/** Splits a message into fields: Map<field number, Array<{wire, value}>> (value: Number for varints, Buffer otherwise). */
function decodeFields(buf) {
  const fields = new Map();
  let pos = 0;
  while (pos < buf.length) {
    let key;
    [key, pos] = readVarint(buf, pos);
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (field < 1 || field > 536870911) throw new Malformed(`field number ${field} out of range`);
    let value;
    switch (wire) {
      case 0:
        [value, pos] = readVarint(buf, pos);
        break;
      case 1:
        if (pos + 8 > buf.length) throw new Malformed("truncated 64-bit field");
        value = buf.subarray(pos, pos + 8);
        pos += 8;
        break;
      case 2: {
        let len;
        [len, pos] = readVarint(buf, pos);
        if (len > buf.length - pos) throw new Malformed(`field ${field}: length ${len} beyond the message`);
        value = buf.subarray(pos, pos + len);
        pos += len;
        break;
      }
      case 5:
        if (pos + 4 > buf.length) throw new Malformed("truncated 32-bit field");
        value = buf.subarray(pos, pos + 4);
        pos += 4;
        break;
      default:
        throw new Malformed(`wire type ${wire} (field ${field}) is not allowed`);
    }
    if (!fields.has(field)) fields.set(field, []);
    fields.get(field).push({ wire, value });
  }
  return fields;
}

// Accessors: proto3 semantics (absent = default; for a repeated scalar the last one wins).
function last(fields, n, wire) {
  const all = fields.get(n);
  if (!all) return undefined;
  const f = all[all.length - 1];
  if (f.wire !== wire) throw new Malformed(`field ${n} has wire type ${f.wire}, expected ${wire}`);
  return f.value;
}
const str = (fields, n) => {
  const b = last(fields, n, 2);
  if (b === undefined) return "";
  try {
    return utf8.decode(b);
  } catch {
    throw new Malformed(`field ${n} is not valid UTF-8`);
  }
};
const bytes = (fields, n) => last(fields, n, 2) ?? Buffer.alloc(0);
const uint = (fields, n) => last(fields, n, 0) ?? 0;
const bool = (fields, n) => uint(fields, n) !== 0;
const msg = (fields, n) => {
  const b = last(fields, n, 2);
  return b === undefined ? undefined : decodeFields(b);
};
const repeatedStr = (fields, n) =>
  (fields.get(n) ?? []).map((f) => {
    if (f.wire !== 2) throw new Malformed(`field ${n} has wire type ${f.wire}, expected 2`);
    try {
      return utf8.decode(f.value);
    } catch {
      throw new Malformed(`field ${n} is not valid UTF-8`);
    }
  });
const repeatedMsg = (fields, n) =>
  (fields.get(n) ?? []).map((f) => {
    if (f.wire !== 2) throw new Malformed(`field ${n} has wire type ${f.wire}, expected 2`);
    return decodeFields(f.value);
  });
const enumName = (names, value) => names[value] ?? `UNKNOWN_${value}`;

// Enums and messages of siderolabs/talos api/machine/machine.proto and
// api/common/common.proto at v1.13.9 (field numbers and enum values as declared there).
const SEQUENCE_ACTIONS = ["NOOP", "START", "STOP"];
const PHASE_ACTIONS = ["START", "STOP"];
const TASK_ACTIONS = ["START", "STOP"];
const SERVICE_ACTIONS = ["INITIALIZED", "PREPARING", "WAITING", "RUNNING", "STOPPING", "FINISHED", "FAILED", "SKIPPED", "STARTING"];
const MACHINE_STAGES = ["UNKNOWN", "BOOTING", "INSTALLING", "MAINTENANCE", "RUNNING", "REBOOTING", "SHUTTING_DOWN", "RESETTING", "UPGRADING"];
const ERROR_CODES = ["FATAL", "LOCKED", "CANCELED"];

/** common.Error {Code code = 1; string message = 2; repeated Any details = 3} */
const decodeError = (f) => (f === undefined ? null : { code: enumName(ERROR_CODES, uint(f, 1)), message: str(f, 2) });

/** Decoders by full message name; each returns plain JSON-able fields. */
const EVENT_DECODERS = {
  // SequenceEvent {string sequence = 1; Action action = 2; common.Error error = 3}
  "machine.SequenceEvent": (f) => ({ sequence: str(f, 1), action: enumName(SEQUENCE_ACTIONS, uint(f, 2)), error: decodeError(msg(f, 3)) }),
  // PhaseEvent {string phase = 1; Action action = 2}
  "machine.PhaseEvent": (f) => ({ phase: str(f, 1), action: enumName(PHASE_ACTIONS, uint(f, 2)) }),
  // TaskEvent {string task = 1; Action action = 2}
  "machine.TaskEvent": (f) => ({ task: str(f, 1), action: enumName(TASK_ACTIONS, uint(f, 2)) }),
  // ServiceStateEvent {string service = 1; Action action = 2; string message = 3; ServiceHealth health = 4}
  // ServiceHealth {bool unknown = 1; bool healthy = 2; string last_message = 3; Timestamp last_change = 4}
  "machine.ServiceStateEvent": (f) => {
    const h = msg(f, 4);
    return {
      service: str(f, 1),
      action: enumName(SERVICE_ACTIONS, uint(f, 2)),
      message: str(f, 3),
      health: h === undefined ? null : { unknown: bool(h, 1), healthy: bool(h, 2), lastMessage: str(h, 3) },
    };
  },
  // RestartEvent {int64 cmd = 1}
  "machine.RestartEvent": (f) => ({ cmd: uint(f, 1) }),
  // ConfigLoadErrorEvent / ConfigValidationErrorEvent {string error = 1}
  "machine.ConfigLoadErrorEvent": (f) => ({ error: str(f, 1) }),
  "machine.ConfigValidationErrorEvent": (f) => ({ error: str(f, 1) }),
  // AddressEvent {string hostname = 1; repeated string addresses = 2}
  "machine.AddressEvent": (f) => ({ hostname: str(f, 1), addresses: repeatedStr(f, 2) }),
  // MachineStatusEvent {MachineStage stage = 1; MachineStatus status = 2}
  // MachineStatus {bool ready = 1; repeated UnmetCondition unmet_conditions = 2}; UnmetCondition {string name = 1; string reason = 2}
  "machine.MachineStatusEvent": (f) => {
    const s = msg(f, 2);
    return {
      stage: enumName(MACHINE_STAGES, uint(f, 1)),
      ready: s === undefined ? false : bool(s, 1),
      unmetConditions: s === undefined ? [] : repeatedMsg(s, 2).map((c) => ({ name: str(c, 1), reason: str(c, 2) })),
    };
  },
};

/**
 * events.EventRequest {google.protobuf.Any data = 1; string id = 2; string actor_id = 3},
 * Any {string type_url = 1; bytes value = 2}. Talos wraps the event with
 * anypb.New (type URL `type.googleapis.com/machine.PhaseEvent`); its own
 * machine API uses `talos/runtime/machine.PhaseEvent`: the name after the last
 * `/` is what counts. An unknown type is kept as its name only.
 */
function decodeEventRequest(buf) {
  const req = decodeFields(buf);
  const any = msg(req, 1);
  if (any === undefined) throw new Malformed("EventRequest without data");
  const typeUrl = str(any, 1);
  const type = typeUrl.slice(typeUrl.lastIndexOf("/") + 1);
  if (type === "" || !/^[A-Za-z0-9_.]{1,128}$/.test(type)) throw new Malformed(`unusable type URL ${JSON.stringify(typeUrl.slice(0, 80))}`);
  const decoder = EVENT_DECODERS[type];
  const payload = decoder ? decoder(decodeFields(bytes(any, 2))) : null;
  return { id: str(req, 2), actorId: str(req, 3), type, known: Boolean(decoder), payload };
}

// ---------------------------------------------------------------------------
// Small helpers

/** One line, control characters escaped, at most `max` characters: safe to print and to quote. */
function oneLine(value, max) {
  const s = String(value);
  const escaped = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) =>
    c === "\n" ? "\\n" : c === "\r" ? "\\r" : c === "\t" ? "\\t" : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return escaped.length > max ? `${escaped.slice(0, max)}…(${escaped.length - max} more)` : escaped;
}

/** Every string in a decoded value cut to `max` characters (arrays to 32 entries). */
function capStrings(value, max) {
  if (typeof value === "string") return oneLine(value, max);
  if (Array.isArray(value)) return value.slice(0, 32).map((v) => capStrings(v, max));
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, capStrings(v, max)]));
  return value;
}

class TokenBucket {
  constructor(perSecond, burst, now = Date.now) {
    this.rate = perSecond;
    this.burst = burst;
    this.tokens = burst;
    this.now = now;
    this.at = now();
  }
  take() {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.at) / 1000) * this.rate);
    this.at = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** The address a machine reported for itself (its first IPv4 one), not the connection's: null until it says. */
const reportedAddress = (rec) => rec.addresses.find((a) => !a.includes(":")) ?? rec.addresses[0] ?? null;
const plainAddress = (a) => (typeof a === "string" && a.startsWith("::ffff:") ? a.slice(7) : (a ?? "unknown"));
const MAC_RE = /^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$/i;
const canonicalMac = (m) => (MAC_RE.test(m) ? m.toLowerCase().replace(/-/g, ":") : null);

/**
 * What a kernel or Talos log line says about the machine (the log stream
 * carries no hostname or MAC field of its own):
 * - the kernel's "Kernel command line: ..." carries the booting NIC's MAC
 *   (iPXE's ${mac:hexhyp}): in `talos.config=…/generic?mac=aa-bb-…` on
 *   installing machines, in `netboot.mac=aa-bb-…` on maintenance (discovery);
 * - "[talos] [initramfs] booting Talos v1.13.9" (talos internal/app/init/main.go);
 * - "[talos] setting hostname {… "hostname": "cp-01" …}" (network/hostname_spec.go);
 * - "[talos] assigned address {… "address": "10.0.20.10/24" …}" (network/address_spec.go).
 */
function logFacts(line) {
  const facts = {};
  const cmdline = /Kernel command line:.*?(?:[?&]|\snetboot\.)mac=([0-9A-Fa-f]{2}(?:[-:][0-9A-Fa-f]{2}){5})(?![0-9A-Fa-f])/.exec(line);
  if (cmdline) facts.mac = canonicalMac(cmdline[1]);
  const version = /\bbooting Talos (v\d+\.\d+\.\d+[0-9A-Za-z.+-]*)/.exec(line);
  if (version) facts.talosVersion = version[1].slice(0, 64);
  if (line.includes("setting hostname")) {
    const h = /"hostname": ?"([A-Za-z0-9.-]{1,253})"/.exec(line);
    if (h) facts.hostname = h[1].toLowerCase();
  }
  if (line.includes("assigned address")) {
    const a = /"address": ?"([0-9.]{7,15})\/\d{1,2}"/.exec(line);
    if (a && net.isIPv4(a[1])) facts.addresses = [a[1]];
  }
  return facts;
}

/** The most disks a machine's kernel-log facts keep. */
const MAX_KERNEL_DISKS = 32;

/**
 * What one kernel log line says about the hardware, for a machine no one has
 * read the maintenance API of yet (discovery's pull request is written from
 * these). The kernel's own messages:
 * - "DMI: <vendor> <product>/<board>, BIOS <version> <date>" (dmi_setup);
 * - "Memory: <available>K/<total>K available (…)" (mem_init, x86);
 * - "scsi H:C:T:L: Direct-Access <vendor, 8> <model, 16> <rev, 4> PQ: …" (scsi_scan.c);
 * - "sd H:C:T:L: [sda] <n> <size>-byte logical blocks: (<SI>/<IEC>)" (sd.c);
 * - "virtio_blk virtioN: [vda] <n> <size>-byte logical blocks (<SI>/<IEC>)" (virtio_blk.c).
 * Their text comes from the machine: values are capped to one line.
 */
function kernelFacts(line) {
  const dmi = /^DMI: (.+?)(?:, BIOS .*)?$/s.exec(line);
  if (dmi) return { dmi: oneLine(dmi[1], 128) };
  const memory = /^Memory: \d+K\/(\d+)K available\b/.exec(line);
  if (memory) return { memoryMiB: Math.round(Number(memory[1]) / 1024) };
  const scsi = /^scsi (\d+:\d+:\d+:\d+): Direct-Access +(.{8}) (.{16}) .{4} PQ: /.exec(line);
  if (scsi) return { scsiModel: { scsi: scsi[1], model: oneLine(`${scsi[2].trim()} ${scsi[3].trim()}`.trim(), 64) } };
  const disk = /^(?:sd (\d+:\d+:\d+:\d+)|virtio_blk virtio\d+): \[([a-z]{2,4}[a-z0-9]{0,4})\] (\d+) (\d+)-byte logical blocks:? \(([^/)]{1,16})\/[^)]{1,16}\)/.exec(line);
  if (disk) return { disk: { name: disk[2], scsi: disk[1] ?? null, size: Number(disk[3]) * Number(disk[4]), prettySize: disk[5], model: null } };
  return null;
}

// ---------------------------------------------------------------------------
// Inventory: JSON [{name, mac, hostname, address?}], re-read when it changes.

function parseInventory(text) {
  const data = JSON.parse(text);
  const list = Array.isArray(data) ? data : data.machines;
  if (!Array.isArray(list)) throw new Error("expected a list of machines");
  return list.map((m) => ({
    name: String(m.name),
    mac: m.mac ? canonicalMac(String(m.mac)) : null,
    hostname: m.hostname ? String(m.hostname).toLowerCase() : null,
    address: m.address ? String(m.address) : null,
  }));
}

// ---------------------------------------------------------------------------
// State: one record per machine as far as its reports tell them apart.

const PHASE_BY_STAGE = { BOOTING: "booting", INSTALLING: "installing", MAINTENANCE: "maintenance", RUNNING: "running", UPGRADING: "installing" };

class Receiver {
  constructor(options = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...(options.limits ?? {}) };
    this.now = options.now ?? Date.now;
    this.out = options.out ?? ((line) => process.stdout.write(`${line}\n`));
    this.inventory = options.inventory ?? [];
    this.startedAt = new Date(this.now()).toISOString();
    this.records = new Set();
    this.index = new Map(); // "hostname:x" | "mac:x" | "address:x" -> record
    this.nextId = 1;
    this.nextConn = 1;
    this.totalEvents = new TokenBucket(this.limits.TOTAL_EVENTS_PER_SECOND, this.limits.TOTAL_EVENTS_BURST, this.now);
    this.totalLogs = new TokenBucket(this.limits.TOTAL_LOG_LINES_PER_SECOND, this.limits.TOTAL_LOG_LINES_BURST, this.now);
    this.dropLog = new Map(); // "source|reason" -> {at, suppressed}
    this.totals = { events: 0, logLines: 0, dropped: 0 };
  }

  iso() {
    return new Date(this.now()).toISOString();
  }

  emit(fields) {
    try {
      this.out(JSON.stringify({ ts: this.iso(), ...fields }));
    } catch {
      // stdout gone: nothing useful to do, and nothing to crash for.
    }
  }

  /** A connection's view of its machine: starts anonymous, gains a record when the first report counts. */
  newConnection(kind, source) {
    const id = `${kind === "events" ? "e" : "l"}${this.nextConn++}`;
    return { id, kind, source, record: null, events: new TokenBucket(this.limits.CONN_EVENTS_PER_SECOND, this.limits.CONN_EVENTS_BURST, this.now), logs: new TokenBucket(this.limits.CONN_LOG_LINES_PER_SECOND, this.limits.CONN_LOG_LINES_BURST, this.now) };
  }

  newRecord(source) {
    const t = this.iso();
    const rec = {
      id: this.nextId++,
      hostname: null,
      mac: null,
      addresses: [],
      peerAddress: source,
      firstSeen: t,
      lastSeen: t,
      talosVersion: null,
      phase: "booting",
      phaseSince: t,
      stage: null,
      ready: null,
      installedAt: null,
      error: null,
      etcd: null,
      hardware: null,
      scsiModels: {},
      events: 0,
      logLines: 0,
      dropped: 0,
      lastEventAt: 0,
    };
    this.records.add(rec);
    this.evict();
    return rec;
  }

  evict() {
    while (this.records.size > this.limits.MAX_MACHINES) {
      let victim = null;
      for (const r of this.records) {
        if (this.inventoryMatch(r)) continue;
        if (!victim || r.lastSeen < victim.lastSeen) victim = r;
      }
      if (!victim) for (const r of this.records) if (!victim || r.lastSeen < victim.lastSeen) victim = r;
      this.removeRecord(victim);
      this.totals.dropped++;
      this.emit({ kind: "drop", source: victim.peerAddress, machine: null, reason: `more than ${this.limits.MAX_MACHINES} machines: forgot the least recently seen unlisted one`, count: 1 });
    }
  }

  removeRecord(rec) {
    this.records.delete(rec);
    for (const [k, v] of this.index) if (v === rec) this.index.delete(k);
  }

  recordOf(conn) {
    conn.record = this.liveRecord(conn) ?? this.newRecord(conn.source);
    return conn.record;
  }

  /** The connection's record as it is now, or null: a record merged into another (possibly more than once) lives on in the last one. */
  liveRecord(conn) {
    let rec = conn.record;
    for (let i = 0; rec && !this.records.has(rec) && i < 64; i++) rec = rec.mergedInto;
    return rec && this.records.has(rec) ? rec : null;
  }

  /**
   * What a report changed in its machine's line state (its name and
   * lineStatus fields), or ["connection"] for a connection's first report:
   * most kernel log lines change nothing, and a reader of Cloud Logging
   * (boot-status --source logging) keeps only log lines that did.
   */
  changedFields(before, rec) {
    if (before === null) return ["connection"];
    const after = this.lineState(rec);
    return Object.keys(after).filter((k) => JSON.stringify(after[k]) !== JSON.stringify(before[k]));
  }

  lineState(rec) {
    return { machine: this.machineName(rec), ...this.lineStatus(rec) };
  }

  /** Adds what a report said about the machine; records that turn out to be one machine are merged. */
  learn(conn, facts) {
    let rec = this.recordOf(conn);
    const keys = [];
    if (facts.mac) keys.push(`mac:${facts.mac}`);
    if (facts.hostname) keys.push(`hostname:${facts.hostname}`);
    for (const a of facts.addresses ?? []) keys.push(`address:${a}`);
    for (const key of keys) {
      const other = this.index.get(key);
      if (other && other !== rec && this.records.has(other)) rec = this.merge(rec, other);
    }
    if (facts.mac) rec.mac = facts.mac;
    if (facts.hostname) rec.hostname = facts.hostname;
    if (facts.addresses && facts.addresses.length > 0) rec.addresses = facts.addresses.slice(0, 16);
    if (facts.talosVersion) rec.talosVersion = facts.talosVersion;
    for (const key of keys) this.index.set(key, rec);
    conn.record = rec;
    return rec;
  }

  /** Adds a kernel log line's hardware facts (kernelFacts) to the record; true when they changed it. */
  learnHardware(rec, facts) {
    // Plain data: the JSON text is both the copy to edit and what "changed" is judged by.
    const before = JSON.stringify(rec.hardware ?? { dmi: null, memoryMiB: null, disks: [] });
    const hw = JSON.parse(before);
    if (facts.dmi) hw.dmi = facts.dmi;
    if (facts.memoryMiB !== undefined) hw.memoryMiB = facts.memoryMiB;
    if (facts.scsiModel) {
      // The SCSI scan names the model before sd names the disk; a later scan line updates it.
      if (Object.keys(rec.scsiModels).length < MAX_KERNEL_DISKS * 2) rec.scsiModels[facts.scsiModel.scsi] = facts.scsiModel.model;
      for (const d of hw.disks) if (d.scsi === facts.scsiModel.scsi) d.model = facts.scsiModel.model;
    }
    if (facts.disk) {
      const d = { ...facts.disk, model: facts.disk.scsi ? (rec.scsiModels[facts.disk.scsi] ?? null) : null };
      const at = hw.disks.findIndex((x) => x.name === d.name);
      if (at >= 0) hw.disks[at] = d;
      else if (hw.disks.length < MAX_KERNEL_DISKS) hw.disks.push(d);
    }
    const changed = JSON.stringify(hw) !== before;
    if (changed) rec.hardware = hw;
    return changed;
  }

  /** Keeps `into`, folds `from` into it. */
  merge(from, into) {
    into.firstSeen = from.firstSeen < into.firstSeen ? from.firstSeen : into.firstSeen;
    if (from.lastSeen > into.lastSeen) into.lastSeen = from.lastSeen;
    into.events += from.events;
    into.logLines += from.logLines;
    into.dropped += from.dropped;
    for (const k of ["hostname", "mac", "talosVersion", "installedAt", "etcd", "stage", "ready"]) if (into[k] === null && from[k] !== null) into[k] = from[k];
    if (into.addresses.length === 0) into.addresses = from.addresses;
    if (into.hardware === null) into.hardware = from.hardware;
    into.scsiModels = { ...from.scsiModels, ...into.scsiModels };
    // The phase reported last wins.
    if (from.lastEventAt > into.lastEventAt) {
      into.phase = from.phase;
      into.phaseSince = from.phaseSince;
      into.error = from.error;
      into.lastEventAt = from.lastEventAt;
    }
    for (const [k, v] of this.index) if (v === from) this.index.set(k, into);
    this.records.delete(from);
    from.mergedInto = into;
    return into;
  }

  setPhase(rec, phase, error) {
    if (rec.phase !== phase) {
      rec.phase = phase;
      rec.phaseSince = this.iso();
    }
    if (error !== undefined) rec.error = error;
  }

  /** Rate limits, then the event's effect on the record. Returns a gRPC status code (0 = accepted). */
  acceptEvent(conn, event) {
    if (!conn.events.take()) return this.drop(conn, "rate: more events per connection than allowed", 8);
    if (!this.totalEvents.take()) return this.drop(conn, "rate: more events in total than allowed", 8);
    const max = this.limits.MAX_STRING_CHARS;
    const p = event.payload ? capStrings(event.payload, max) : null;
    const rec = event.type === "machine.AddressEvent" && p
      ? this.learn(conn, { hostname: /^[A-Za-z0-9.-]{1,253}$/.test(p.hostname) ? p.hostname.toLowerCase() : null, addresses: p.addresses.filter((a) => net.isIP(a)) })
      : this.recordOf(conn);
    rec.events++;
    this.totals.events++;
    rec.lastSeen = this.iso();
    rec.lastEventAt = this.now();
    if (p) this.applyEvent(rec, event.type, p);
    this.emit({ kind: "event", source: conn.source, conn: conn.id, machine: this.machineName(rec), type: event.type, id: oneLine(event.id, 64), actorId: oneLine(event.actorId, 64), ...(p ?? { note: "event type not decoded (not in Talos v1.13's machine.proto)" }), machineState: this.lineStatus(rec) });
    return 0;
  }

  /**
   * Phases follow Talos's own reading of its events
   * (talos internal/app/machined/pkg/controllers/runtime/machine_status.go):
   * "installing" when the install sequence's phase `install` starts,
   * "installed" when it reaches phase `kexec` (the sequencer stops at the
   * first failed phase, so `install` and the META and volume phases after it
   * succeeded; v1alpha1_sequencer.go Install), "maintenance" while the task
   * runningMaintenance runs, "running" when the boot sequence stops without
   * error; a sequence error or a config load/validation error is "failed".
   */
  applyEvent(rec, type, p) {
    switch (type) {
      case "machine.SequenceEvent":
        rec.sequence = p.action === "START" ? p.sequence : p.action === "STOP" ? null : rec.sequence;
        if (p.error && p.error.message) this.setPhase(rec, "failed", `${p.sequence} sequence: ${p.error.message}`);
        else if (p.action === "STOP" && p.sequence === "boot") this.setPhase(rec, "running", null);
        break;
      case "machine.PhaseEvent":
        if (p.action !== "START") break;
        if (rec.sequence === "install" && p.phase === "install") this.setPhase(rec, "installing");
        if (rec.sequence === "install" && p.phase === "kexec") {
          rec.installedAt = this.iso();
          this.setPhase(rec, "installed", null);
        }
        break;
      case "machine.TaskEvent":
        if (p.task === "runningMaintenance" && p.action === "START") this.setPhase(rec, "maintenance");
        break;
      case "machine.ConfigLoadErrorEvent":
      case "machine.ConfigValidationErrorEvent":
        this.setPhase(rec, "failed", `${type === "machine.ConfigLoadErrorEvent" ? "config load" : "config validation"}: ${p.error}`);
        break;
      case "machine.ServiceStateEvent":
        if (p.service === "etcd") rec.etcd = p.action === "RUNNING" ? "running" : "not-running";
        break;
      case "machine.MachineStatusEvent": {
        rec.stage = p.stage;
        rec.ready = p.ready;
        const phase = PHASE_BY_STAGE[p.stage];
        // An installed machine boots from its disk next: it stays "installed" until it runs.
        if (phase && !(rec.phase === "installed" && phase === "booting") && !(rec.phase === "failed" && phase === "booting")) this.setPhase(rec, phase, phase === "running" ? null : undefined);
        break;
      }
      default:
        break;
    }
  }

  /** One JSON log line (already split and size-checked). */
  acceptLogLine(conn, text) {
    if (!conn.logs.take()) return this.drop(conn, "rate: more log lines per connection than allowed");
    if (!this.totalLogs.take()) return this.drop(conn, "rate: more log lines in total than allowed");
    let entry;
    try {
      entry = JSON.parse(text);
    } catch {
      return this.drop(conn, "malformed: log line is not JSON");
    }
    if (!entry || typeof entry !== "object" || Array.isArray(entry) || typeof entry.msg !== "string") return this.drop(conn, "malformed: log line is not a JSON object with a msg string");
    const facts = logFacts(entry.msg);
    const known = this.liveRecord(conn);
    const before = known ? this.lineState(known) : null;
    const rec = Object.keys(facts).length > 0 ? this.learn(conn, facts) : this.recordOf(conn);
    const changed = this.changedFields(before, rec);
    const hardware = kernelFacts(entry.msg);
    // The hardware facts ride only on the line that changed them (a reader keeps the newest it saw).
    const hardwareChanged = hardware !== null && this.learnHardware(rec, hardware);
    if (hardwareChanged) changed.push("hardware");
    rec.logLines++;
    this.totals.logLines++;
    rec.lastSeen = this.iso();
    const max = this.limits.MAX_STRING_CHARS;
    const pick = (k) => (typeof entry[k] === "string" ? oneLine(entry[k], 64) : typeof entry[k] === "number" ? entry[k] : undefined);
    this.emit({
      kind: "log",
      source: conn.source,
      conn: conn.id,
      machine: this.machineName(rec),
      msg: oneLine(entry.msg, max),
      talosTime: pick("talos-time"),
      talosLevel: pick("talos-level"),
      talosService: pick("talos-service"),
      facility: pick("facility"),
      priority: pick("priority"),
      seq: pick("seq"),
      // One string, not a list: Cloud Logging's read tests it with `:*`, which a string certainly answers.
      ...(changed.length > 0 ? { changed: changed.join(",") } : {}),
      ...(hardwareChanged ? { hardware: rec.hardware } : {}),
      machineState: this.lineStatus(rec),
    });
    return 0;
  }

  /** Counts a refused report and logs it (at most once per source and reason per DROP_LOG_SECONDS). */
  drop(conn, reason, grpcStatus = 0) {
    this.totals.dropped++;
    if (conn) {
      const rec = conn.record && this.records.has(conn.record) ? conn.record : null;
      if (rec) rec.dropped++;
    }
    const source = conn ? conn.source : "unknown";
    const key = `${source}|${reason}`;
    const t = this.now();
    const seen = this.dropLog.get(key);
    if (seen && t - seen.at < this.limits.DROP_LOG_SECONDS * 1000) {
      seen.suppressed++;
    } else {
      this.emit({ kind: "drop", source, conn: conn ? conn.id : null, machine: conn && conn.record ? this.machineName(conn.record) : null, reason, count: 1 + (seen ? seen.suppressed : 0) });
      this.dropLog.set(key, { at: t, suppressed: 0 });
      if (this.dropLog.size > 4096) this.dropLog.clear();
    }
    return grpcStatus || 3;
  }

  inventoryMatch(rec) {
    for (const m of this.inventory) if (m.hostname && rec.hostname === m.hostname) return { machine: m, by: "hostname" };
    for (const m of this.inventory) if (m.mac && rec.mac === m.mac) return { machine: m, by: "mac" };
    for (const m of this.inventory) if (m.address && rec.addresses.includes(m.address)) return { machine: m, by: "address" };
    return null;
  }

  machineName(rec) {
    const m = this.inventoryMatch(rec);
    return m ? m.machine.name : null;
  }

  /**
   * The record's state after this report, in /status's field names, on every
   * event and log line: Cloud Logging keeps the lines, not the receiver's
   * memory, so a reader of the logs (boot-status --source logging, the
   * close-boot-windows workflow) gets the same phase and install time as
   * /status without re-deriving them from Talos's events.
   */
  lineStatus(rec) {
    const m = this.inventoryMatch(rec);
    return {
      mac: rec.mac ?? (m ? m.machine.mac : null),
      // What this receiver merges records by, so a reader of the lines can merge them the same way,
      // and the address the machine reported (every connection comes from the gateway's).
      hostname: rec.hostname,
      address: reportedAddress(rec),
      identifiedBy: m ? m.by : null,
      talosVersion: rec.talosVersion,
      phase: rec.phase,
      installedAt: rec.installedAt,
      error: rec.error,
      etcd: rec.etcd,
    };
  }

  /** GET /status (CONTRACT-22.md, netboot.boot-status/v1): records of one inventory machine are shown as one. */
  status() {
    const byMachine = new Map();
    const rows = [];
    for (const rec of this.records) {
      const m = this.inventoryMatch(rec);
      const row = {
        machine: m ? m.machine.name : null,
        mac: rec.mac ?? (m ? m.machine.mac : null),
        address: reportedAddress(rec) ?? rec.peerAddress,
        identifiedBy: m ? m.by : null,
        firstSeen: rec.firstSeen,
        lastSeen: rec.lastSeen,
        talosVersion: rec.talosVersion,
        phase: rec.phase,
        phaseSince: rec.phaseSince,
        installedAt: rec.installedAt,
        error: rec.error,
        etcd: rec.etcd,
        events: rec.events,
        logLines: rec.logLines,
        dropped: rec.dropped,
        hostname: rec.hostname,
        addresses: rec.addresses,
        peerAddress: rec.peerAddress,
        stage: rec.stage,
        ready: rec.ready,
        hardware: rec.hardware,
        _at: rec.lastEventAt,
      };
      if (!row.machine) {
        rows.push(row);
        continue;
      }
      const prev = byMachine.get(row.machine);
      if (!prev) {
        byMachine.set(row.machine, row);
        continue;
      }
      const [older, newer] = prev._at >= row._at ? [row, prev] : [prev, row];
      byMachine.set(row.machine, {
        ...newer,
        mac: newer.mac ?? older.mac,
        talosVersion: newer.talosVersion ?? older.talosVersion,
        installedAt: newer.installedAt ?? older.installedAt,
        etcd: newer.etcd ?? older.etcd,
        hostname: newer.hostname ?? older.hostname,
        hardware: newer.hardware ?? older.hardware,
        firstSeen: older.firstSeen < newer.firstSeen ? older.firstSeen : newer.firstSeen,
        lastSeen: older.lastSeen > newer.lastSeen ? older.lastSeen : newer.lastSeen,
        events: older.events + newer.events,
        logLines: older.logLines + newer.logLines,
        dropped: older.dropped + newer.dropped,
      });
    }
    const machines = [...byMachine.values(), ...rows]
      .sort((a, b) => (a.machine ?? "\uffff").localeCompare(b.machine ?? "\uffff") || a.firstSeen.localeCompare(b.firstSeen))
      .map(({ _at, ...row }) => row);
    return { schema: "netboot.boot-status/v1", generatedAt: this.iso(), receiverStartedAt: this.startedAt, totals: { ...this.totals }, machines };
  }
}

// ---------------------------------------------------------------------------
// Servers

/**
 * Runs the handling of one report; a bug of ours that throws on some input
 * refuses that report (logged as kind "error") instead of ending the process.
 */
function guarded(receiver, conn, fn, onError) {
  try {
    return fn();
  } catch (err) {
    receiver.emit({ kind: "error", source: conn.source, conn: conn.id, reason: `report not handled: ${oneLine(err && err.stack ? err.stack : String(err), 2000)}` });
    return onError;
  }
}

const GRPC_PATH = "/events.EventSinkService/Publish";
/** EventResponse {} framed: not compressed, length 0. */
const EMPTY_RESPONSE = Buffer.from([0, 0, 0, 0, 0]);

function grpcTrailersOnly(stream, code, message) {
  if (stream.destroyed || stream.headersSent) return;
  try {
    stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": String(code), "grpc-message": encodeURIComponent(message) }, { endStream: true });
  } catch {
    stream.destroy();
  }
}

function startEventsServer(receiver, port, host) {
  const L = receiver.limits;
  let sessions = 0;
  const server = http2.createServer({
    maxSessionMemory: 4,
    maxHeaderListPairs: 64,
    maxSessionInvalidFrames: 100,
    maxSessionRejectedStreams: 100,
    settings: { maxConcurrentStreams: 16, maxHeaderListSize: 16 * 1024 },
  });
  const sources = new WeakMap();
  server.on("session", (session) => {
    const source = plainAddress(session.socket && session.socket.remoteAddress);
    const conn = receiver.newConnection("events", source);
    sources.set(session, source);
    session.on("error", () => {});
    if (sessions >= L.MAX_EVENT_SESSIONS) {
      receiver.drop(conn, `connections: more than ${L.MAX_EVENT_SESSIONS} event sessions open`);
      session.destroy();
      return;
    }
    sessions++;
    session.once("close", () => sessions--);
    // A client's connection preface and SETTINGS come first (RFC 9113 3.4); a
    // sender that does not send them in 10 s (a TLS hello, a stalled scanner) is cut.
    const preface = setTimeout(() => {
      receiver.drop(conn, `malformed: no HTTP/2 connection preface within ${L.PREFACE_SECONDS} s; Talos speaks gRPC over plaintext HTTP/2`);
      session.destroy();
    }, L.PREFACE_SECONDS * 1000);
    preface.unref();
    session.once("remoteSettings", () => clearTimeout(preface));
    session.once("close", () => clearTimeout(preface));
    session.setTimeout(L.IDLE_SECONDS * 1000, () => session.close());
    session.on("stream", (stream, headers) => handleStream(receiver, conn, stream, headers));
  });
  // Bytes that are not HTTP/2 (a port scan, a TLS hello, HTTP/1) or broken
  // HTTP/2 framing: the session fails and its socket is destroyed.
  server.on("sessionError", (err, session) => {
    const source = (session && sources.get(session)) ?? "unknown";
    receiver.drop(receiver.newConnection("events", source), `malformed: HTTP/2 session failed (${oneLine(err && err.code ? err.code : "error", 40)}); Talos speaks gRPC over plaintext HTTP/2`);
    if (session) session.destroy();
  });
  server.on("connection", (socket) => socket.on("error", () => {}));
  server.on("error", (err) => receiver.emit({ kind: "error", reason: `events server: ${err.message}` }));
  server.listen(port, host);
  return server;
}

function handleStream(receiver, conn, stream, headers) {
  const L = receiver.limits;
  stream.on("error", () => {});
  if (headers[":method"] !== "POST" || !String(headers["content-type"] ?? "").startsWith("application/grpc")) {
    receiver.drop(conn, "malformed: not a gRPC request");
    grpcTrailersOnly(stream, 12, "only events.EventSinkService/Publish is served here");
    return;
  }
  if (headers[":path"] !== GRPC_PATH) {
    receiver.drop(conn, `malformed: unknown gRPC method ${oneLine(String(headers[":path"]), 80)}`);
    grpcTrailersOnly(stream, 12, "only events.EventSinkService/Publish is served here");
    return;
  }
  const chunks = [];
  let size = 0;
  let refused = false;
  stream.setTimeout(30_000, () => {
    receiver.drop(conn, "malformed: request body not finished within 30 s");
    grpcTrailersOnly(stream, 4, "timeout");
    stream.close(http2.constants.NGHTTP2_CANCEL);
  });
  stream.on("data", (chunk) => {
    if (refused) return;
    size += chunk.length;
    if (size > L.MAX_MESSAGE_BYTES + 5) {
      refused = true;
      receiver.drop(conn, `size: gRPC message larger than ${L.MAX_MESSAGE_BYTES} bytes`);
      grpcTrailersOnly(stream, 8, `message larger than ${L.MAX_MESSAGE_BYTES} bytes`);
      stream.close(http2.constants.NGHTTP2_CANCEL);
      return;
    }
    chunks.push(chunk);
  });
  stream.on("end", () => {
    if (refused) return;
    const body = Buffer.concat(chunks);
    let code;
    let message = "";
    if (body.length < 5) {
      code = receiver.drop(conn, "malformed: gRPC frame shorter than its 5-byte header");
      message = "no gRPC message";
    } else if (body[0] !== 0) {
      code = receiver.drop(conn, "malformed: compressed or flagged gRPC message (no compression is negotiated)");
      message = "compressed messages are not accepted";
    } else if (body.readUInt32BE(1) !== body.length - 5) {
      code = receiver.drop(conn, "malformed: gRPC frame length does not match the body (a unary call carries exactly one message)");
      message = "frame length mismatch";
    } else {
      let event;
      try {
        event = decodeEventRequest(body.subarray(5));
      } catch (err) {
        // Malformed input, or a bug of this decoder: either way this one message is refused, the receiver goes on.
        event = null;
        code = receiver.drop(conn, `malformed: ${err instanceof Malformed ? err.message : "undecodable EventRequest"}`);
        message = `malformed EventRequest: ${err.message}`;
      }
      if (event) {
        code = guarded(receiver, conn, () => receiver.acceptEvent(conn, event), 13);
        if (code === 8) message = "rate limit: retry later";
        if (code === 13) message = "internal error";
      }
    }
    if (stream.destroyed) return;
    if (code !== 0) {
      grpcTrailersOnly(stream, code, message);
      return;
    }
    try {
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end(EMPTY_RESPONSE);
    } catch {
      stream.destroy();
    }
  });
}

function startLogServers(receiver, port, host) {
  const L = receiver.limits;
  let open = 0;
  const tcp = net.createServer((socket) => {
    socket.on("error", () => {});
    const conn = receiver.newConnection("logs", plainAddress(socket.remoteAddress));
    if (open >= L.MAX_LOG_CONNECTIONS) {
      receiver.drop(conn, `connections: more than ${L.MAX_LOG_CONNECTIONS} log connections open`);
      socket.destroy();
      return;
    }
    open++;
    socket.once("close", () => open--);
    socket.setTimeout(L.IDLE_SECONDS * 1000, () => socket.destroy());
    // Talos never reads from this connection: nothing is written back.
    let pending = [];
    let pendingBytes = 0;
    socket.on("data", (chunk) => {
      let start = 0;
      for (;;) {
        const nl = chunk.indexOf(0x0a, start);
        if (nl === -1) break;
        const piece = chunk.subarray(start, nl);
        const total = pendingBytes + piece.length;
        const line = pending.length === 0 ? piece : Buffer.concat([...pending, piece]);
        pending = [];
        pendingBytes = 0;
        start = nl + 1;
        if (total > L.MAX_LOG_LINE_BYTES) {
          receiver.drop(conn, `size: log line longer than ${L.MAX_LOG_LINE_BYTES} bytes; connection closed`);
          socket.destroy();
          return;
        }
        if (line.length > 0) guarded(receiver, conn, () => receiver.acceptLogLine(conn, line.toString("utf8")), 0);
        if (socket.destroyed) return;
      }
      const rest = chunk.subarray(start);
      pendingBytes += rest.length;
      if (pendingBytes > L.MAX_LOG_LINE_BYTES) {
        receiver.drop(conn, `size: log line longer than ${L.MAX_LOG_LINE_BYTES} bytes; connection closed`);
        socket.destroy();
        return;
      }
      if (rest.length > 0) pending.push(rest);
    });
  });
  tcp.on("error", (err) => receiver.emit({ kind: "error", reason: `logs server (TCP): ${err.message}` }));
  tcp.listen(port, host);

  // UDP: one JSON line per datagram (sender_jsonlines.go adds no newline for udp://).
  const udpConns = new Map();
  const udp = dgram.createSocket({ type: net.isIPv6(host) ? "udp6" : "udp4", recvBufferSize: 1 << 20 });
  udp.on("message", (buf, rinfo) => {
    const key = `${rinfo.address}:${rinfo.port}`;
    let conn = udpConns.get(key);
    if (!conn) {
      if (udpConns.size >= L.MAX_LOG_CONNECTIONS) udpConns.clear();
      conn = receiver.newConnection("logs-udp", plainAddress(rinfo.address));
      udpConns.set(key, conn);
    }
    if (buf.length > L.MAX_LOG_LINE_BYTES) {
      receiver.drop(conn, `size: log datagram longer than ${L.MAX_LOG_LINE_BYTES} bytes`);
      return;
    }
    const text = buf.toString("utf8").replace(/\n$/, "");
    if (text.length > 0) guarded(receiver, conn, () => receiver.acceptLogLine(conn, text), 0);
  });
  udp.on("error", (err) => receiver.emit({ kind: "error", reason: `logs server (UDP): ${err.message}` }));
  udp.bind(port, host);
  return { tcp, udp };
}

function startStatusServer(receiver, port, host) {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET", "content-type": "text/plain" }).end("GET only\n");
      return;
    }
    if (path === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
      return;
    }
    if (path === "/status") {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" }).end(`${JSON.stringify(receiver.status(), null, 2)}\n`);
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" }).end("GET /status or /healthz\n");
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.maxConnections = 32;
  server.on("clientError", (_err, socket) => socket.destroy());
  server.listen(port, host);
  return server;
}

function limitsFromEnv(env) {
  const limits = {};
  for (const name of Object.keys(DEFAULT_LIMITS)) {
    const v = env[`REPORT_${name}`];
    if (v === undefined || v === "") continue;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`REPORT_${name}=${v}: expected a positive number`);
    limits[name] = n;
  }
  return limits;
}

function portFromEnv(env, name, fallback) {
  const v = env[name];
  if (v === undefined || v === "") return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name}=${v}: expected a port number`);
  return n;
}

/** Starts all servers; resolves with their bound ports once they listen. */
async function main(env = process.env) {
  const host = env.REPORT_BIND ?? "0.0.0.0";
  const inventoryFile = env.REPORT_INVENTORY;
  const receiver = new Receiver({ limits: limitsFromEnv(env) });
  const loadInventory = (quiet) => {
    if (!inventoryFile) return;
    try {
      receiver.inventory = parseInventory(fs.readFileSync(inventoryFile, "utf8"));
      if (!quiet) receiver.emit({ kind: "inventory", file: inventoryFile, machines: receiver.inventory.length });
    } catch (err) {
      receiver.emit({ kind: "error", reason: `inventory ${inventoryFile}: ${err.message}; machines stay unnamed until it is readable` });
    }
  };
  loadInventory(false);
  let lastInventory = "";
  const reload = setInterval(() => {
    if (!inventoryFile) return;
    try {
      const text = fs.readFileSync(inventoryFile, "utf8");
      if (text !== lastInventory) {
        lastInventory = text;
        loadInventory(false);
      }
    } catch {
      // reported by loadInventory on the next change
    }
  }, receiver.limits.INVENTORY_RELOAD_SECONDS * 1000);
  reload.unref();

  const events = startEventsServer(receiver, portFromEnv(env, "REPORT_EVENTS_PORT", PORTS.events), host);
  const logs = startLogServers(receiver, portFromEnv(env, "REPORT_LOGS_PORT", PORTS.logs), host);
  const status = startStatusServer(receiver, portFromEnv(env, "REPORT_STATUS_PORT", PORTS.status), host);
  // Registered in the same tick as listen(): 'listening' is emitted later.
  const listening = (s) => new Promise((resolve, reject) => (s.once("listening", resolve), s.once("error", reject)));
  await Promise.all([listening(events), listening(logs.tcp), listening(logs.udp), listening(status)]);
  const bound = { events: events.address().port, logs: logs.tcp.address().port, logsUdp: logs.udp.address().port, status: status.address().port };
  receiver.emit({ kind: "ready", ports: bound, limits: receiver.limits });
  return { receiver, bound, close: () => Promise.all([events, logs.tcp, status].map((s) => new Promise((r) => s.close(() => r())))).then(() => logs.udp.close()) };
}

module.exports = { PORTS, DEFAULT_LIMITS, Malformed, decodeFields, decodeEventRequest, logFacts, kernelFacts, parseInventory, oneLine, Receiver, TokenBucket, main };

if (require.main === module) {
  const stop = () => process.exit(0);
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  main().catch((err) => {
    process.stderr.write(`boot-report-receiver: FATAL: ${err.message}\n`);
    process.exit(1);
  });
}
