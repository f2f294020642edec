/**
 * An HTTP proxy in front of the PowerDNS API that can hold writes: `holdAfter(n)` lets the next
 * `n` PATCH requests through and holds every later one (it is never forwarded). Used to kill pipam
 * in the middle of a cycle's writes deterministically: some zones written, others not. When
 * PowerDNS itself is down it answers 502, as a reverse proxy in front of it would.
 */

export interface PdnsGate {
  /** http://127.0.0.1:<port>: use as [dns.powerdns] url */
  url: string;
  /** PATCH requests seen (forwarded or held). */
  readonly patches: number;
  /** Forward `n` more PATCHes, then hold; resolves when one is being held (or rejects after timeoutMs). */
  holdAfter(n: number, timeoutMs: number): Promise<{ zone: string }>;
  /** Stop holding; held requests are answered 502 without being forwarded. */
  open(): void;
  stop(): void;
}

export function startPdnsGate(target: string): PdnsGate {
  let allow = Number.POSITIVE_INFINITY;
  let patches = 0;
  let release: (() => void) | undefined;
  let released = Promise.resolve();
  let onHeld: ((zone: string) => void) | undefined;

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 60,
    async fetch(req) {
      const u = new URL(req.url);
      const body = req.method === "GET" || req.method === "HEAD" ? undefined : await req.arrayBuffer();
      if (req.method === "PATCH") {
        patches++;
        if (allow <= 0) {
          onHeld?.(decodeURIComponent(u.pathname.split("/").pop() ?? ""));
          await released;
          return new Response("held by the test gate, never forwarded", { status: 502 });
        }
        allow--;
      }
      const headers = new Headers(req.headers);
      headers.delete("host");
      let res: Response;
      try {
        res = await fetch(`${target}${u.pathname}${u.search}`, { method: req.method, headers, body });
      } catch (e) {
        // PowerDNS down: answer as a reverse proxy (nginx) in front of it would
        return new Response(`upstream unreachable: ${e instanceof Error ? e.message : e}`, { status: 502 });
      }
      const out = new Headers(res.headers);
      out.delete("content-encoding");
      out.delete("content-length");
      return new Response(await res.arrayBuffer(), { status: res.status, headers: out });
    },
  });

  return {
    url: `http://127.0.0.1:${server.port}`,
    get patches() {
      return patches;
    },
    holdAfter(n, timeoutMs) {
      allow = n;
      released = new Promise<void>((r) => {
        release = r;
      });
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          onHeld = undefined;
          reject(new Error(`no PATCH held within ${timeoutMs} ms (${patches} seen)`));
        }, timeoutMs);
        onHeld = (zone) => {
          clearTimeout(timer);
          onHeld = undefined;
          resolve({ zone });
        };
      });
    },
    open() {
      allow = Number.POSITIVE_INFINITY;
      onHeld = undefined;
      release?.();
    },
    stop() {
      this.open();
      server.stop(true);
    },
  };
}
