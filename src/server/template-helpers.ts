/** @module Formatting helpers the templates call as `it.h.*`, and the labels they show. */
import { guestState, type SyncState } from "./status.ts";
import {
  ago,
  duration,
  type GuestQuery,
  guestQueryString,
  pageLinks,
  type STATE_FILTERS,
  scrubSecrets,
} from "./view.ts";

const STATE_LABELS: Record<SyncState, string> = {
  "in-sync": "in sync",
  pending: "pending",
  failed: "failed",
  conflict: "conflict",
};

export const FILTER_LABELS: Record<(typeof STATE_FILTERS)[number], string> = {
  all: "All states",
  problems: "Needs attention",
  failed: "Failed",
  pending: "Pending",
  conflict: "Conflict",
  "in-sync": "In sync",
};

export const helpers = {
  ago,
  duration,
  guestState,
  pageLinks,
  scrub: scrubSecrets,
  qs: (q: GuestQuery, page: number) => guestQueryString(q, page),
  stateLabel: (s: SyncState) => STATE_LABELS[s] ?? s,
  num: (n: number) => n.toLocaleString("en-US"),
  iso: (ms: number) => new Date(ms).toISOString(),
  clock: (ms: number) => new Date(ms).toISOString().slice(11, 19),
};
