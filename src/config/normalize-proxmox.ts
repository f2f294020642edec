/** [proxmox] / [[proxmox]] → ProxmoxConfig[]: names, token id, secret, TLS settings. */
import { resolve } from "node:path";
import { httpUrl, type NormalizeContext, type Sink } from "./normalize-util.ts";
import type { RawConfig } from "./schema.ts";
import { envName } from "./secrets.ts";
import type { ProxmoxConfig } from "./types.ts";

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** PVE's token name rule (realm regex): a letter, then at least one more character. */
const TOKEN_NAME_RE = /^[A-Za-z][A-Za-z0-9.\-_]+$/;

export function normalizeProxmox(raw: RawConfig["proxmox"], s: Sink, ctx: NormalizeContext): ProxmoxConfig[] {
  const multi = raw.length > 1;
  const names = new Set<string>();
  const proxmox: ProxmoxConfig[] = [];
  raw.forEach((p, i) => {
    const at = ["proxmox", i] as const;
    const name = p.name ?? (multi ? undefined : "default");
    if (name === undefined)
      s.issue([...at, "name"], "each [[proxmox]] needs a unique name when there are several");
    else if (!NAME_RE.test(name))
      s.issue([...at, "name"], `"${name}" must be letters, digits, "-", "_" or "."`);
    else if (names.has(name)) s.issue([...at, "name"], `duplicate cluster name "${name}"`);
    else names.add(name);

    const u = httpUrl(p.url);
    let url = "";
    if ("error" in u) s.issue([...at, "url"], u.error);
    else {
      url = u.url.replace(/\/api2\/json$/, "");
      if (u.protocol === "http:")
        s.warn(`proxmox ${name}: url uses plain http; the token travels unencrypted`);
    }

    let userRealm = p.user.trim();
    if (userRealm === "" || userRealm.startsWith("@"))
      s.issue([...at, "user"], "must name the token's user, e.g. pipam@pve");
    if (!userRealm.includes("@")) userRealm = `${userRealm}@${p.realm ?? "pam"}`;
    else if (p.realm !== undefined && !userRealm.endsWith(`@${p.realm}`)) {
      s.issue([...at, "realm"], `realm "${p.realm}" contradicts user "${p.user}"`);
    }
    let tokenId = p.token_id.trim();
    if (tokenId.includes("!")) {
      if (!tokenId.startsWith(`${userRealm}!`))
        s.issue([...at, "token_id"], `"${tokenId}" is not a token of ${userRealm}`);
    } else {
      if (!TOKEN_NAME_RE.test(tokenId)) {
        s.issue(
          [...at, "token_id"],
          `"${tokenId}" is not a valid token name (letters, digits, ".", "-", "_")`,
        );
      }
      tokenId = `${userRealm}!${tokenId}`;
    }

    const env = [
      ...(name ? [`PIPAM_PROXMOX_${envName(name)}_TOKEN_UUID`] : []),
      ...(multi ? [] : ["PIPAM_PROXMOX_TOKEN_UUID"]),
    ];
    const value = s.secret(
      at,
      {
        env,
        file: p.token_uuid_file,
        inline: p.token_uuid,
        fileKey: "token_uuid_file",
        inlineKey: "token_uuid",
      },
      {
        label: `proxmox ${name ?? i}`,
        missing: `no API token secret: set token_uuid_file, or the env var ${env.join(" or ")}`,
      },
    );

    let fingerprint: string | undefined;
    if (p.fingerprint !== undefined) {
      // several (comma-separated) are allowed, e.g. old and new certificate during a renewal
      const prints = p.fingerprint.split(",").map((f) => f.replace(/[:\s]/g, "").toUpperCase());
      if (prints.some((hex) => !/^[0-9A-F]{64}$/.test(hex))) {
        s.issue(
          [...at, "fingerprint"],
          "must be a SHA-256 fingerprint: 32 hex bytes, e.g. AB:CD:…:89 (pvenode cert info shows it); several separated by commas",
        );
      } else fingerprint = prints.map((hex) => hex.match(/../g)?.join(":")).join(",");
    }
    let caFile: string | undefined;
    if (p.ca_file !== undefined) {
      caFile = resolve(ctx.baseDir, p.ca_file);
      try {
        ctx.readFile(caFile);
      } catch (err) {
        s.issue(
          [...at, "ca_file"],
          `cannot read ${caFile}: ${(err as { code?: string }).code ?? String(err)}`,
        );
      }
      if (p.insecure) s.warn(`proxmox ${name}: ca_file is not used because insecure = true`);
    }
    if (p.timeout <= 0) s.issue([...at, "timeout"], "must be greater than 0");
    proxmox.push({
      name: name ?? `#${i}`,
      url,
      tokenId,
      secret: value ?? "",
      insecure: p.insecure,
      ...(caFile !== undefined ? { caFile } : {}),
      ...(fingerprint !== undefined ? { fingerprint } : {}),
      timeoutMs: p.timeout,
      concurrencyPerNode: p.concurrency_per_node,
    });
  });
  return proxmox;
}
