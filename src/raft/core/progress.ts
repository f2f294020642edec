/** The leader's view of one peer (etcd tracker.Progress), with a bounded window of in-flight appends. */
export class Progress {
  match = 0;
  next: number;
  state: "probe" | "replicate" | "snapshot" = "probe";
  /** probe: an append is outstanding, wait for a response or heartbeat */
  probeSent = false;
  pendingSnapshot = 0;
  snapshotTicks = 0;
  recentActive = false;
  lastContactTicks: number;
  /** leader's tick at which it sent the latest heartbeat this peer acknowledged (lease) */
  leaseTick = Number.NEGATIVE_INFINITY;
  learner: boolean;
  /** last index of each in-flight append, oldest first */
  inflights: number[] = [];

  constructor(
    next: number,
    learner: boolean,
    readonly maxInflight: number,
    lastContactTicks: number,
  ) {
    this.next = next;
    this.learner = learner;
    this.lastContactTicks = lastContactTicks;
  }

  private resetState(state: Progress["state"]): void {
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.snapshotTicks = 0;
    this.state = state;
    this.inflights = [];
  }

  becomeProbe(): void {
    if (this.state === "snapshot") {
      const pending = this.pendingSnapshot;
      this.resetState("probe");
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.resetState("probe");
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.resetState("replicate");
    this.next = this.match + 1;
  }

  becomeSnapshot(index: number): void {
    this.resetState("snapshot");
    this.pendingSnapshot = index;
  }

  /** an ack for index n; returns whether match advanced */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  /** a rejection of the append after `rejected`; `matchHint` is the follower's hint */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === "replicate") {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.probeSent = false;
    return true;
  }

  isPaused(): boolean {
    if (this.state === "probe") return this.probeSent;
    if (this.state === "replicate") return this.inflights.length >= this.maxInflight;
    return true;
  }

  sentEntries(lastIndex: number, count: number): void {
    if (this.state === "replicate") {
      if (count > 0) {
        this.next = lastIndex + 1;
        this.inflights.push(lastIndex);
      }
    } else if (this.state === "probe") {
      this.probeSent = true;
    }
  }

  freeLE(index: number): void {
    let n = 0;
    while (n < this.inflights.length && this.inflights[n]! <= index) n++;
    if (n > 0) this.inflights = this.inflights.slice(n);
  }
}
