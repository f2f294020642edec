/**
 * A small HTTP/1.1 keep-alive client for the Raft peer calls, on `Bun.connect` sockets, which
 * live on the JavaScript thread. Bun's `fetch` hands each request to its HTTP client thread and
 * each response back again; on a busy machine either hand-off can wait for a CPU, and both sit on
 * the commit path of every proposal (the leader's appends and the followers' answers). Measured
 * on the 3-node benchmark: see docs/benchmarks.md.
 *
 * What it does: POST a byte body with prepared header lines; read a response with Content-Length,
 * chunked or close-delimited body; one request per connection at a time, idle connections kept
 * (a few per origin) and reused; a request on a reused connection that the server had closed
 * before answering anything is retried once on a new connection; a timeout closes the connection.
 * http:// and https:// (TLS, system trust store). Errors are plain Errors; the caller (the lean
 * Connect client) turns them into ConnectErrors.
 */

export interface H1Response {
  status: number;
  /** header names lower-case */
  headers: Map<string, string>;
  body: Uint8Array;
}

type Sock = Awaited<ReturnType<typeof Bun.connect>>;

interface Pending {
  resolve: (r: H1Response) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
  /** nothing of the answer arrived yet (a retry on a fresh connection is safe) */
  got: number;
}

class Conn {
  sock!: Sock;
  buf: Uint8Array = EMPTY;
  pending: Pending | undefined;
  closed = false;
  /** bytes of the request the socket did not take yet */
  rest: Uint8Array | undefined;
}

export class ClosedBeforeAnswer extends Error {}

const EMPTY = new Uint8Array(0);
const latin1 = new TextDecoder("latin1");
const enc = new TextEncoder();

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function indexOfCrlf(b: Uint8Array, from: number, double: boolean): number {
  for (let i = from; i + (double ? 3 : 1) < b.length; i++) {
    if (b[i] === 13 && b[i + 1] === 10 && (!double || (b[i + 2] === 13 && b[i + 3] === 10))) return i;
  }
  return -1;
}

/**
 * Parses one response at the start of `b`: undefined when more bytes are needed (or, at `eof`,
 * a close-delimited body ends here). Throws on malformed input.
 */
export function parseResponse(
  b: Uint8Array,
  eof: boolean,
): { res: H1Response; used: number; keepAlive: boolean } | undefined {
  const he = indexOfCrlf(b, 0, true);
  if (he < 0) {
    if (b.length > 64 * 1024) throw new Error("HTTP response header larger than 64 KiB");
    return undefined;
  }
  const lines = latin1.decode(b.subarray(0, he)).split("\r\n");
  const m = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(lines[0]!);
  const status = Number(m?.[2]);
  if (!m || status < 100)
    throw new Error(`malformed HTTP status line: ${JSON.stringify(lines[0]!.slice(0, 60))}`);
  let keepAlive = m[1] === "1";
  const headers = new Map<string, string>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const k = line.indexOf(":");
    if (k <= 0) continue;
    const name = line.slice(0, k).trim().toLowerCase();
    const value = line.slice(k + 1).trim();
    const prev = headers.get(name);
    headers.set(name, prev === undefined ? value : `${prev}, ${value}`);
  }
  const conn = headers.get("connection");
  if (conn !== undefined) keepAlive = !/\bclose\b/i.test(conn);
  let p = he + 4;
  if (status >= 100 && status < 200) {
    // an interim answer (100 Continue): skip it, the real one follows
    const next = parseResponse(b.subarray(p), eof);
    return next && { ...next, used: next.used + p };
  }
  if (status === 204 || status === 304) return { res: { status, headers, body: EMPTY }, used: p, keepAlive };
  if (/\bchunked\b/i.test(headers.get("transfer-encoding") ?? "")) {
    const parts: Uint8Array[] = [];
    for (;;) {
      const eol = indexOfCrlf(b, p, false);
      if (eol < 0) return undefined;
      const size = Number.parseInt(latin1.decode(b.subarray(p, eol)).split(";")[0]!.trim(), 16);
      if (!Number.isFinite(size) || size < 0) throw new Error("bad chunk size in HTTP response");
      p = eol + 2;
      if (size === 0) {
        // optional trailer lines, then an empty line
        for (;;) {
          const t = indexOfCrlf(b, p, false);
          if (t < 0) return undefined;
          const empty = t === p;
          p = t + 2;
          if (empty) break;
        }
        let n = 0;
        for (const x of parts) n += x.length;
        const body = new Uint8Array(n);
        n = 0;
        for (const x of parts) {
          body.set(x, n);
          n += x.length;
        }
        return { res: { status, headers, body }, used: p, keepAlive };
      }
      if (b.length < p + size + 2) return undefined;
      if (b[p + size] !== 13 || b[p + size + 1] !== 10) throw new Error("chunk data not followed by CRLF");
      parts.push(b.subarray(p, p + size));
      p += size + 2;
    }
  }
  const cl = headers.get("content-length");
  if (cl !== undefined) {
    if (!/^\d+$/.test(cl)) throw new Error(`bad content-length ${JSON.stringify(cl)}`);
    const len = Number(cl);
    if (b.length < p + len) return undefined;
    return { res: { status, headers, body: b.slice(p, p + len) }, used: p + len, keepAlive };
  }
  // no length: the body ends when the server closes the connection
  if (!eof) return undefined;
  return { res: { status, headers, body: b.slice(p) }, used: b.length, keepAlive: false };
}

export interface H1Client {
  /**
   * POST `body` to `url` with `head` (header lines, each ending in CRLF, without Host and
   * Content-Length). Rejects on a connection error, or when `timeoutMs` (connecting, a retry and
   * the answer together) has passed.
   */
  post(url: string, head: string, body: Uint8Array, timeoutMs: number): Promise<H1Response>;
  close(): void;
}

export function createH1Client(opts: { maxIdle?: number } = {}): H1Client {
  const maxIdle = opts.maxIdle ?? 2;
  const idle = new Map<string, Conn[]>();
  const targets = new Map<
    string,
    { key: string; host: string; port: number; tls: boolean; path: string; hostHeader: string }
  >();
  let closedAll = false;

  function target(url: string) {
    let t = targets.get(url);
    if (!t) {
      const u = new URL(url);
      if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error(`unsupported URL ${url}`);
      const tls = u.protocol === "https:";
      t = {
        key: `${u.protocol}//${u.host}`,
        host: u.hostname.startsWith("[") ? u.hostname.slice(1, -1) : u.hostname,
        port: Number(u.port || (tls ? 443 : 80)),
        tls,
        path: `${u.pathname}${u.search}`,
        hostHeader: u.host,
      };
      targets.set(url, t);
    }
    return t;
  }

  function fail(c: Conn, e: Error) {
    c.closed = true;
    const p = c.pending;
    c.pending = undefined;
    if (p) {
      clearTimeout(p.timer);
      p.reject(e);
    }
    try {
      c.sock?.end();
    } catch {
      // already gone
    }
  }

  function onBytes(c: Conn, eof: boolean) {
    const p = c.pending;
    if (!p) {
      // bytes (or a close) while idle: the connection is not reusable
      if (!c.closed) {
        c.closed = true;
        c.sock.end();
      }
      return;
    }
    let r: ReturnType<typeof parseResponse>;
    try {
      r = parseResponse(c.buf, eof);
    } catch (e) {
      fail(c, e as Error);
      return;
    }
    if (!r) {
      if (eof)
        fail(
          c,
          p.got === 0
            ? new ClosedBeforeAnswer("connection closed before an answer")
            : new Error("connection closed in the middle of the answer"),
        );
      return;
    }
    // bytes beyond the answer: the two sides disagree on where it ended; do not reuse
    const extra = r.used < c.buf.length;
    c.buf = EMPTY;
    c.pending = undefined;
    clearTimeout(p.timer);
    if (!r.keepAlive || eof || extra) {
      c.closed = true;
      c.sock.end();
    }
    p.resolve(r.res);
  }

  async function open(t: ReturnType<typeof target>): Promise<Conn> {
    const c = new Conn();
    c.sock = await Bun.connect({
      hostname: t.host,
      port: t.port,
      tls: t.tls ? { serverName: t.host } : undefined,
      socket: {
        data(_s, d) {
          if (c.pending) c.pending.got += d.length;
          c.buf = concat(c.buf, d);
          onBytes(c, false);
        },
        drain(s) {
          if (!c.rest) return;
          const n = s.write(c.rest);
          c.rest = n < c.rest.length ? c.rest.subarray(Math.max(0, n)) : undefined;
        },
        close() {
          if (c.closed && !c.pending) return;
          onBytes(c, true);
          c.closed = true;
        },
        end() {
          onBytes(c, true);
          c.closed = true;
        },
        error(_s, err) {
          fail(c, err);
        },
        connectError(_s, err) {
          fail(c, err);
        },
      },
    });
    c.sock.setNoDelay(true);
    return c;
  }

  /** open() bounded by the call's timeout (a connection that arrives late is closed) */
  function connectWithin(t: ReturnType<typeof target>, timeoutMs: number): Promise<Conn> {
    return new Promise<Conn>((resolve, reject) => {
      let late = false;
      const timer = setTimeout(() => {
        late = true;
        reject(
          Object.assign(new Error(`cannot connect to ${t.key} within ${timeoutMs} ms`), {
            name: "TimeoutError",
          }),
        );
      }, timeoutMs);
      open(t).then(
        (c) => {
          clearTimeout(timer);
          if (late) c.sock.end();
          else resolve(c);
        },
        (e: unknown) => {
          clearTimeout(timer);
          reject(new Error(`cannot connect to ${t.key}: ${e instanceof Error ? e.message : String(e)}`));
        },
      );
    });
  }

  function release(key: string, c: Conn) {
    if (c.closed) return;
    if (closedAll) {
      c.closed = true;
      c.sock.end();
      return;
    }
    const list = idle.get(key) ?? [];
    if (list.length >= maxIdle) {
      c.closed = true;
      c.sock.end();
      return;
    }
    list.push(c);
    idle.set(key, list);
  }

  function exchange(c: Conn, bytes: Uint8Array, timeoutMs: number): Promise<H1Response> {
    return new Promise<H1Response>((resolve, reject) => {
      const timer = setTimeout(
        () => fail(c, Object.assign(new Error("no answer in time"), { name: "TimeoutError" })),
        timeoutMs,
      );
      c.pending = { resolve, reject, timer, got: 0 };
      c.buf = EMPTY;
      const n = c.sock.write(bytes);
      if (n < bytes.length) c.rest = bytes.subarray(Math.max(0, n));
    });
  }

  return {
    async post(url, head, body, timeoutMs) {
      if (closedAll) throw new Error("client closed");
      const t = target(url);
      const headBytes = enc.encode(
        `POST ${t.path} HTTP/1.1\r\nhost: ${t.hostHeader}\r\ncontent-length: ${body.length}\r\n${head}\r\n`,
      );
      const bytes = concat(headBytes, body);
      const deadline = performance.now() + timeoutMs;
      const left = () => Math.max(1, Math.ceil(deadline - performance.now()));
      for (let attempt = 0; ; attempt++) {
        let reused = attempt === 0 ? idle.get(t.key)?.pop() : undefined;
        while (reused?.closed) {
          reused.sock.end();
          reused = idle.get(t.key)?.pop();
        }
        const c = reused ?? (await connectWithin(t, left()));
        try {
          const res = await exchange(c, bytes, left());
          release(t.key, c);
          return res;
        } catch (e) {
          if (e instanceof ClosedBeforeAnswer && reused && attempt === 0) continue;
          throw e;
        }
      }
    },
    close() {
      closedAll = true;
      for (const list of idle.values()) for (const c of list) c.sock.end();
      idle.clear();
    },
  };
}
