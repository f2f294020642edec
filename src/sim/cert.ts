/**
 * A throwaway CA and a server certificate for 127.0.0.1/::1/localhost, made with `openssl` once
 * per process (like a PVE cluster CA + pve-ssl.pem). The temp dir is removed right after.
 */
import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface SimCert {
  certPem: string;
  keyPem: string;
  caPem: string;
  /** SHA-256 of the leaf, upper-case colon-hex (as PVE's `ssl_fingerprint`). */
  fingerprint: string;
}

let cached: Promise<SimCert> | undefined;

async function run(cmd: string[], cwd: string): Promise<void> {
  const p = Bun.spawn(cmd, { cwd, stdout: "ignore", stderr: "pipe" });
  const code = await p.exited;
  if (code !== 0)
    throw new Error(`${cmd.slice(0, 3).join(" ")} failed (${code}): ${await new Response(p.stderr).text()}`);
}

async function generate(): Promise<SimCert> {
  const dir = mkdtempSync(join(tmpdir(), "pipam-sim-cert-"));
  try {
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    await run(
      [
        "openssl",
        "req",
        "-x509",
        ...ec,
        "-days",
        "30",
        "-subj",
        "/CN=pipam-sim CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
      ],
      dir,
    );
    await run(
      ["openssl", "req", ...ec, "-subj", "/CN=localhost", "-keyout", "leaf.key", "-out", "leaf.csr"],
      dir,
    );
    await Bun.write(
      join(dir, "ext.cnf"),
      "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nbasicConstraints=CA:FALSE\n",
    );
    await run(
      [
        "openssl",
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "30",
        "-extfile",
        "ext.cnf",
        "-out",
        "leaf.pem",
      ],
      dir,
    );
    const certPem = await Bun.file(join(dir, "leaf.pem")).text();
    return {
      certPem,
      keyPem: await Bun.file(join(dir, "leaf.key")).text(),
      caPem: await Bun.file(join(dir, "ca.pem")).text(),
      fingerprint: new X509Certificate(certPem).fingerprint256.toUpperCase(),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function simCert(): Promise<SimCert> {
  cached ??= generate().catch((err) => {
    cached = undefined;
    throw err;
  });
  return cached;
}
