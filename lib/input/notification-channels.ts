// observability.notificationChannels: whom the alert policies notify. Each
// entry is an email address (the boot-server stack creates an email
// notification channel for it) or the id of a channel that exists already
// (Slack, PagerDuty, SMS… are made in the console, where they need a login or
// a token that must not be in this repository), as Cloud Monitoring names it:
// projects/<project id or number>/notificationChannels/<numeric id>.

import { quote } from "./safe-text";

/** A Cloud Monitoring notification channel's resource name. */
export const CHANNEL_ID = /^projects\/(?:[a-z][a-z0-9-]{4,28}[a-z0-9]|[0-9]+)\/notificationChannels\/[0-9]+$/;

/** An email address as a channel's `email_address` label takes it: one @, a dotted domain, no spaces or template syntax. */
export const EMAIL = /^[A-Za-z0-9.!#%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

export interface NotificationTargets {
  /** Addresses to create an email channel for, in the site's order. */
  readonly emails: readonly string[];
  /** Existing channels, in the site's order. */
  readonly channelIds: readonly string[];
}

/** Why an entry is neither form, or undefined when it is one. */
export function notificationChannelProblem(entry: string): string | undefined {
  if (CHANNEL_ID.test(entry) || EMAIL.test(entry)) return undefined;
  const hint = entry.includes("notificationChannels")
    ? "a channel id is projects/<project id or number>/notificationChannels/<numeric id> (gcloud beta monitoring channels list --format='value(name)')"
    : entry.startsWith("projects/")
      ? "a channel id is projects/<project id or number>/notificationChannels/<numeric id>"
      : "an email address is name@domain.example";
  return `${quote(entry)} is neither an email address nor a notification channel id (${hint}); allowed: an email address (an email channel is created for it) or the id of an existing channel`;
}

/** Splits validated entries into the two kinds. */
export function notificationTargets(entries: readonly string[]): NotificationTargets {
  return { emails: entries.filter((e) => !CHANNEL_ID.test(e)), channelIds: entries.filter((e) => CHANNEL_ID.test(e)) };
}
