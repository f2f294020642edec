/** One line of `pipam health` / `/readyz`: ✓ or ✗ with a detail and, on failure, a hint. */
export interface HealthCheck {
  /** e.g. "proxmox[pve1] reachable", "powerdns zone example.com." */
  name: string;
  ok: boolean;
  detail: string;
  hint?: string;
}
