/** Test helper: reads ../shared/fixtures/proxmox/<name> (relative to the repo root), unwrapping `{"data": …}`. */
import { resolve } from "node:path";

export const FIXTURE_DIR = resolve(import.meta.dir, "../../../../shared/fixtures/proxmox");

export async function fixture(name: string): Promise<unknown> {
  const json = (await Bun.file(resolve(FIXTURE_DIR, name)).json()) as unknown;
  const hasEnvelope =
    json !== null && typeof json === "object" && !Array.isArray(json) && Object.keys(json).includes("data");
  return hasEnvelope ? (json as { data: unknown }).data : json;
}
