/**
 * Guest names → DNS names. The rule (also in NAMES.md):
 *
 * 1. Take the QEMU `name` / LXC `hostname`, trim it, lowercase it, drop one trailing dot.
 * 2. If it is a name *inside* the zone (`web.example.com` for zone `example.com.`), it is used
 *    as it is: the operator already wrote the FQDN. Each label is still cleaned (step 4).
 * 3. Otherwise only its first label is used, like `hostname -s`: `vm2.com` → `vm2.<zone>`,
 *    `db1.prod.internal` → `db1.<zone>`. Two guests that end up with one name are an fqdn
 *    conflict, resolved by the conflict rule, never silently merged.
 * 4. A label is cleaned: every character outside `a-z 0-9 -` becomes `-`, runs of `-` collapse to
 *    one, leading and trailing `-` are trimmed, and it is cut to 63 characters (then trimmed again).
 * 5. Rejected, with a reason: an empty name, a label that is empty after cleaning, a name equal to
 *    the zone apex (pipam never writes apex records), a FQDN longer than 253 characters.
 */

export type NameResult = { fqdn: string; error?: undefined } | { fqdn?: undefined; error: string };

export const MAX_LABEL = 63;
export const MAX_NAME = 253;

/** One cleaned label (step 4); "" when nothing valid remains. */
export function cleanLabel(label: string): string {
  let s = label.toLowerCase().replace(/[^a-z0-9-]+/g, "-");
  s = s.replace(/-{2,}/g, "-").replace(/^-+|-+$/g, "");
  if (s.length > MAX_LABEL) s = s.slice(0, MAX_LABEL).replace(/-+$/, "");
  return s;
}

/** The FQDN (absolute, lowercase, trailing dot) of a guest named `name` in `zone`, or why not. */
export function guestFqdn(name: string, zone: string): NameResult {
  const z = zone.toLowerCase().replace(/\.$/, "");
  let n = name.trim().toLowerCase();
  if (n.endsWith(".")) n = n.slice(0, -1);
  if (n === "") return { error: "guest has no name" };
  if (n === z)
    return { error: `name ${JSON.stringify(name)} is the zone apex ${z}.; pipam never writes apex records` };
  let labels: string[];
  if (n.endsWith(`.${z}`)) labels = n.slice(0, -(z.length + 1)).split(".");
  else labels = [n.split(".")[0] ?? ""];
  const cleaned = labels.map(cleanLabel);
  if (cleaned.some((l) => l === "")) {
    return { error: `name ${JSON.stringify(name)} has no valid DNS label (allowed: a-z, 0-9, -)` };
  }
  const fqdn = `${[...cleaned, z].join(".")}.`;
  if (fqdn.length - 1 > MAX_NAME) return { error: `name ${fqdn} is longer than ${MAX_NAME} characters` };
  return { fqdn };
}
