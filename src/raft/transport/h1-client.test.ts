/**
 * The HTTP/1.1 peer client: the response parser on hand-written bytes, and `post` over real
 * sockets on 127.0.0.1 (Bun.serve for a normal server, Bun.listen for servers that write
 * hand-made HTTP bytes, close at chosen moments or never answer).
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { Socket, TCPSocketListener } from "bun";
import { createH1Client, type H1Client, parseResponse } from "./h1-client.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const bytes = (s: string) => enc.encode(s);
const text = (b: Uint8Array) => dec.decode(b);
/** status, body text, bytes used and keep-alive of a parsed answer, for one toEqual */
const summary = (r: ReturnType<typeof parseResponse>) =>
  r && { status: r.res.status, body: text(r.res.body), used: r.used, keepAlive: r.keepAlive };

/** Polls `cond` every 5 ms; fails after `ms`. */
async function waitFor(cond: () => boolean, ms = 1000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await Bun.sleep(5);
  }
}

describe("parseResponse", () => {
  test("Content-Length body split across chunks: undefined until complete", () => {
    const whole = bytes("HTTP/1.1 200 OK\r\nContent-Length: 11\r\nX-A: 1\r\n\r\nhello world");
    // every proper prefix is incomplete, whether or not the header section is complete
    for (const cut of [0, 5, 17, 30, whole.length - 11, whole.length - 6, whole.length - 1]) {
      expect(parseResponse(whole.subarray(0, cut), false)).toBeUndefined();
    }
    const r = parseResponse(whole, false)!;
    expect(r.res.status).toBe(200);
    expect(text(r.res.body)).toBe("hello world");
    expect(r.res.headers.get("x-a")).toBe("1");
    expect(r.used).toBe(whole.length);
    expect(r.keepAlive).toBe(true);
  });

  test("Content-Length: bytes after the body (the next response) are not consumed", () => {
    const first = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nab";
    const r = parseResponse(bytes(`${first}HTTP/1.1 404 Nope\r\n`), false)!;
    expect(text(r.res.body)).toBe("ab");
    expect(r.used).toBe(first.length);
  });

  test("chunked body with several chunks, chunk extensions and trailer lines", () => {
    const head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    const bodyPart = '5;x=y\r\nhello\r\n1\r\n,\r\nb ; name="v"\r\n big world!\r\n0\r\n';
    const trailer = "X-Checksum: abc\r\nX-Other: 2\r\n\r\n";
    const whole = bytes(head + bodyPart + trailer);
    for (const cut of [head.length, head.length + 3, head.length + 10, head.length + bodyPart.length]) {
      expect(parseResponse(whole.subarray(0, cut), false)).toBeUndefined();
    }
    // the trailer is not finished until its empty line
    expect(parseResponse(whole.subarray(0, whole.length - 2), false)).toBeUndefined();
    const r = parseResponse(whole, false)!;
    expect(summary(r)).toEqual({
      status: 200,
      body: "hello, big world!",
      used: whole.length,
      keepAlive: true,
    });
  });

  test("chunked body, upper-case hex sizes and no trailer", () => {
    const body = "x".repeat(0x1a);
    const r = parseResponse(
      bytes(`HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1A\r\n${body}\r\n0\r\n\r\n`),
      false,
    )!;
    expect(text(r.res.body)).toBe(body);
  });

  test("chunked body with a bad chunk size throws", () => {
    expect(() =>
      parseResponse(bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"), false),
    ).toThrow(/chunk size/);
  });

  test("close-delimited body: undefined until eof, then everything to the end", () => {
    const whole = bytes("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nno length here");
    expect(parseResponse(whole, false)).toBeUndefined();
    const r = parseResponse(whole, true)!;
    expect(summary(r)).toEqual({ status: 200, body: "no length here", used: whole.length, keepAlive: false });
  });

  test("204 has no body even without a length, and keeps the connection", () => {
    const head = "HTTP/1.1 204 No Content\r\nX-Y: z\r\n\r\n";
    const r = parseResponse(bytes(head), false)!;
    expect(r.res.status).toBe(204);
    expect(r.res.body.length).toBe(0);
    expect(r.used).toBe(head.length);
    expect(r.keepAlive).toBe(true);
  });

  test("a 100 Continue interim response is skipped; the real 200 follows", () => {
    const interim = "HTTP/1.1 100 Continue\r\n\r\n";
    const real = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc";
    expect(parseResponse(bytes(interim), false)).toBeUndefined();
    expect(parseResponse(bytes(interim + real.slice(0, -1)), false)).toBeUndefined();
    const r = parseResponse(bytes(interim + real), false)!;
    expect(r.res.status).toBe(200);
    expect(text(r.res.body)).toBe("abc");
    expect(r.used).toBe(interim.length + real.length);
  });

  test("Connection: close → keepAlive false", () => {
    const r = parseResponse(
      bytes("HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n"),
      false,
    )!;
    expect(r.keepAlive).toBe(false);
    const r2 = parseResponse(
      bytes("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n"),
      false,
    )!;
    expect(r2.keepAlive).toBe(true);
  });

  test("HTTP/1.0 → keepAlive false", () => {
    const r = parseResponse(bytes("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"), false)!;
    expect(r.res.status).toBe(200);
    expect(text(r.res.body)).toBe("ok");
    expect(r.keepAlive).toBe(false);
  });

  test("repeated header names are joined with ', ' and names are lower-cased", () => {
    const r = parseResponse(
      bytes(
        "HTTP/1.1 200 OK\r\nVary: a\r\nX-Multi: one\r\nvary: b\r\nx-multi:  two \r\nContent-Length: 0\r\n\r\n",
      ),
      false,
    )!;
    expect(r.res.headers.get("vary")).toBe("a, b");
    expect(r.res.headers.get("x-multi")).toBe("one, two");
    expect(r.res.headers.has("Vary")).toBe(false);
  });

  test("malformed status lines throw", () => {
    for (const line of ["HTTP/2 200 OK", "HTTP/1.1 OK", "FOO 200", "HTTP/1.1 20 OK", "http/1.1 200 OK"]) {
      expect(() => parseResponse(bytes(`${line}\r\nContent-Length: 0\r\n\r\n`), false)).toThrow(
        /status line/,
      );
    }
  });

  test("a bad content-length throws", () => {
    for (const v of ["abc", "-1", "1.5", "5, 6"]) {
      expect(() => parseResponse(bytes(`HTTP/1.1 200 OK\r\nContent-Length: ${v}\r\n\r\n`), false)).toThrow(
        /content-length/,
      );
    }
  });

  test("a header section over 64 KiB without its end throws; at 64 KiB it waits", () => {
    const start = "HTTP/1.1 200 OK\r\nX-Big: ";
    const atLimit = bytes(start + "a".repeat(64 * 1024 - start.length));
    expect(atLimit.length).toBe(64 * 1024);
    expect(parseResponse(atLimit, false)).toBeUndefined();
    const over = bytes(start + "a".repeat(64 * 1024 + 1 - start.length));
    expect(() => parseResponse(over, false)).toThrow(/64 KiB/);
  });
});

// ---- servers on 127.0.0.1 ----

interface RawReq {
  method: string;
  path: string;
  headers: Map<string, string>;
  body: Uint8Array;
}

interface RawConn {
  id: number;
  buf: Uint8Array;
  closed: boolean;
}

interface RawServer {
  port: number;
  url: string;
  conns: RawConn[];
  reqs: RawReq[];
  stop(): void;
}

/**
 * A raw TCP server that reads HTTP/1.1 requests (Content-Length bodies only) and hands each to
 * `onRequest`, which writes whatever bytes it likes to the socket (and may close it).
 */
function rawServer(
  onRequest: (s: Socket<RawConn>, req: RawReq, conn: RawConn, nth: number) => void,
): RawServer {
  const conns: RawConn[] = [];
  const reqs: RawReq[] = [];
  const listener: TCPSocketListener<RawConn> = Bun.listen<RawConn>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(s) {
        const c: RawConn = { id: conns.length, buf: new Uint8Array(0), closed: false };
        conns.push(c);
        s.data = c;
      },
      data(s, d) {
        const c = s.data;
        const merged = new Uint8Array(c.buf.length + d.length);
        merged.set(c.buf);
        merged.set(d, c.buf.length);
        c.buf = merged;
        // at most as many requests as there are bytes: a bounded loop
        for (let guard = c.buf.length; guard > 0; guard--) {
          const headEnd = text(c.buf).indexOf("\r\n\r\n");
          if (headEnd < 0) return;
          const lines = text(c.buf.subarray(0, headEnd)).split("\r\n");
          const [method = "", path = ""] = lines[0]!.split(" ");
          const headers = new Map<string, string>();
          for (const l of lines.slice(1)) {
            const k = l.indexOf(":");
            headers.set(l.slice(0, k).trim().toLowerCase(), l.slice(k + 1).trim());
          }
          const len = Number(headers.get("content-length") ?? "0");
          if (c.buf.length < headEnd + 4 + len) return;
          const req = { method, path, headers, body: c.buf.slice(headEnd + 4, headEnd + 4 + len) };
          c.buf = c.buf.slice(headEnd + 4 + len);
          reqs.push(req);
          onRequest(s, req, c, reqs.length - 1);
        }
      },
      close(s) {
        s.data.closed = true;
      },
    },
  });
  return {
    port: listener.port,
    url: `http://127.0.0.1:${listener.port}`,
    conns,
    reqs,
    stop: () => listener.stop(true),
  };
}

const okResponse = (body: string, extra = "") =>
  `HTTP/1.1 200 OK\r\nContent-Length: ${enc.encode(body).length}\r\n${extra}\r\n${body}`;

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanups.splice(0)) {
    try {
      f();
    } catch {
      // already stopped
    }
  }
});

function client(opts?: { maxIdle?: number }): H1Client {
  const c = createH1Client(opts);
  cleanups.push(() => c.close());
  return c;
}

function raw(onRequest: Parameters<typeof rawServer>[0]): RawServer {
  const s = rawServer(onRequest);
  cleanups.push(() => s.stop());
  return s;
}

describe("createH1Client().post", () => {
  test("against Bun.serve: method, path with query, exact body, host, content-length, extra headers", async () => {
    const seen: { method: string; url: string; headers: Headers; body: Uint8Array }[] = [];
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(req) {
        seen.push({
          method: req.method,
          url: req.url,
          headers: req.headers,
          body: new Uint8Array(await req.arrayBuffer()),
        });
        return new Response("answer body", { status: 201, headers: { "x-reply": "yes" } });
      },
    });
    cleanups.push(() => server.stop(true));
    const h1 = client();
    // every byte value, so nothing is re-encoded on the way
    const body = new Uint8Array(256);
    for (let i = 0; i < 256; i++) body[i] = i;
    const res = await h1.post(
      `http://127.0.0.1:${server.port}/pipam.v1.Raft/Step?a=1&b=two`,
      "content-type: application/proto\r\nauthorization: Bearer s3cret\r\n",
      body,
      1000,
    );
    expect(res.status).toBe(201);
    expect(text(res.body)).toBe("answer body");
    expect(res.headers.get("x-reply")).toBe("yes");
    expect(seen.length).toBe(1);
    const got = seen[0]!;
    expect(got.method).toBe("POST");
    const u = new URL(got.url);
    expect(`${u.pathname}${u.search}`).toBe("/pipam.v1.Raft/Step?a=1&b=two");
    expect(got.body).toEqual(body);
    expect(got.headers.get("host")).toBe(`127.0.0.1:${server.port}`);
    expect(got.headers.get("content-length")).toBe("256");
    expect(got.headers.get("content-type")).toBe("application/proto");
    expect(got.headers.get("authorization")).toBe("Bearer s3cret");
  });

  test("an empty body and no extra headers", async () => {
    const srv = raw((s) => s.write(okResponse("empty ok")));
    const res = await client().post(`${srv.url}/x`, "", new Uint8Array(0), 1000);
    expect(text(res.body)).toBe("empty ok");
    expect(srv.reqs[0]!.headers.get("content-length")).toBe("0");
    expect(srv.reqs[0]!.body.length).toBe(0);
  });

  test("sequential posts reuse one TCP connection", async () => {
    const srv = raw((s, req, _c, nth) => s.write(okResponse(`#${nth}:${text(req.body)}`)));
    const h1 = client();
    for (let i = 0; i < 5; i++) {
      const res = await h1.post(`${srv.url}/p`, "", bytes(`m${i}`), 1000);
      expect(res.status).toBe(200);
      expect(text(res.body)).toBe(`#${i}:m${i}`);
    }
    expect(srv.reqs.length).toBe(5);
    expect(srv.conns.length).toBe(1);
  });

  test("sequential posts to Bun.serve reuse one TCP connection (same client port)", async () => {
    const ports: number[] = [];
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch(req, srv) {
        ports.push(srv.requestIP(req)!.port);
        return new Response("ok");
      },
    });
    cleanups.push(() => server.stop(true));
    const h1 = client();
    for (let i = 0; i < 4; i++) {
      const res = await h1.post(`http://127.0.0.1:${server.port}/`, "", bytes("x"), 1000);
      expect(text(res.body)).toBe("ok");
    }
    expect(ports.length).toBe(4);
    expect(new Set(ports).size).toBe(1);
  });

  test("concurrent posts open separate connections, and at most maxIdle are kept", async () => {
    const srv = raw((s, req) => {
      // answer late so the three requests overlap
      setTimeout(() => s.write(okResponse(text(req.body))), 20);
    });
    const h1 = client({ maxIdle: 2 });
    const all = await Promise.all([0, 1, 2].map((i) => h1.post(srv.url, "", bytes(`c${i}`), 1000)));
    expect(all.map((r) => text(r.body))).toEqual(["c0", "c1", "c2"]);
    expect(srv.conns.length).toBe(3);
    // the third idle connection is closed by the client
    await waitFor(() => srv.conns.filter((c) => c.closed).length === 1);
    // the two kept ones are reused
    await Promise.all([0, 1].map((i) => h1.post(srv.url, "", bytes(`d${i}`), 1000)));
    expect(srv.conns.length).toBe(3);
  });

  test("a server that closes an idle connection: the next post succeeds on a new one", async () => {
    const srv = raw((s, _req, c) => {
      s.write(okResponse(`conn ${c.id}`));
      // close while idle, a little after answering
      setTimeout(() => s.end(), 10);
    });
    const h1 = client();
    const a = await h1.post(srv.url, "", bytes("1"), 1000);
    expect(text(a.body)).toBe("conn 0");
    await waitFor(() => srv.conns[0]!.closed);
    const b = await h1.post(srv.url, "", bytes("2"), 1000);
    expect(text(b.body)).toBe("conn 1");
    expect(srv.conns.length).toBe(2);
    expect(srv.reqs.length).toBe(2);
  });

  test("a reused connection closed before answering is retried once on a new connection", async () => {
    // the first connection answers its first request, then drops the second without a byte
    const srv = raw((s, req, c) => {
      if (c.id === 0 && text(req.body) === "2") s.end();
      else s.write(okResponse(`conn ${c.id} got ${text(req.body)}`));
    });
    const h1 = client();
    expect(text((await h1.post(srv.url, "", bytes("1"), 1000)).body)).toBe("conn 0 got 1");
    const b = await h1.post(srv.url, "", bytes("2"), 1000);
    expect(text(b.body)).toBe("conn 1 got 2");
    expect(srv.conns.length).toBe(2);
    expect(srv.reqs.map((r) => text(r.body))).toEqual(["1", "2", "2"]);
  });

  test("a fresh connection closed before answering is not retried", async () => {
    const srv = raw((s) => s.end());
    const err = await client()
      .post(srv.url, "", bytes("x"), 1000)
      .then(
        () => undefined,
        (e: Error) => e,
      );
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toMatch(/closed before an answer/);
    expect(srv.conns.length).toBe(1);
  });

  test("a server that never answers: TimeoutError after timeoutMs", async () => {
    const srv = raw(() => {
      // read the request, answer nothing
    });
    const t0 = performance.now();
    const err = await client()
      .post(srv.url, "", bytes("hello?"), 200)
      .then(
        () => undefined,
        (e: Error) => e,
      );
    const elapsed = performance.now() - t0;
    expect(err).toBeInstanceOf(Error);
    expect(err!.name).toBe("TimeoutError");
    expect(elapsed).toBeGreaterThanOrEqual(150);
    expect(elapsed).toBeLessThan(2000);
    // the timed-out connection is closed by the client
    await waitFor(() => srv.conns[0]?.closed === true);
  });

  test("connection refused: rejects with 'cannot connect'", async () => {
    const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = probe.port;
    probe.stop(true);
    const t0 = performance.now();
    const err = await client()
      .post(`http://127.0.0.1:${port}/`, "", bytes("x"), 1000)
      .then(
        () => undefined,
        (e: Error) => e,
      );
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toContain("cannot connect");
    expect(err!.message).toContain(`127.0.0.1:${port}`);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  test("a close in the middle of a Content-Length body rejects", async () => {
    const srv = raw((s) => {
      s.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part of it");
      setTimeout(() => s.end(), 10);
    });
    const err = await client()
      .post(srv.url, "", bytes("x"), 1000)
      .then(
        (r) => new Error(`resolved with ${r.status} ${JSON.stringify(text(r.body))}`),
        (e: Error) => e,
      );
    expect(err.message).toMatch(/middle of the answer/);
    // it is not retried: only the one request reached the server
    expect(srv.reqs.length).toBe(1);
  });

  test("a chunked response round-trips (written in pieces)", async () => {
    const srv = raw((s) => {
      s.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-K: v\r\n\r\n5;ext=1\r\nhel");
      setTimeout(() => s.write("lo\r\n7\r\n, world\r\n"), 5);
      setTimeout(() => s.write("0\r\nX-Trailer: t\r\n\r\n"), 10);
    });
    const h1 = client();
    const res = await h1.post(srv.url, "", bytes("x"), 1000);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-k")).toBe("v");
    expect(text(res.body)).toBe("hello, world");
    // the connection stays usable after a chunked answer
    const again = await h1.post(srv.url, "", bytes("y"), 1000);
    expect(text(again.body)).toBe("hello, world");
    expect(srv.conns.length).toBe(1);
  });

  test("a close-delimited response resolves at the close", async () => {
    const srv = raw((s) => {
      s.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil ");
      setTimeout(() => s.end("the end"), 10);
    });
    const res = await client().post(srv.url, "", bytes("x"), 1000);
    expect(text(res.body)).toBe("until the end");
  });

  test("100 Continue then the answer, over a socket", async () => {
    const srv = raw((s) => {
      s.write("HTTP/1.1 100 Continue\r\n\r\n");
      setTimeout(() => s.write(okResponse("after continue")), 5);
    });
    const res = await client().post(srv.url, "", bytes("x"), 1000);
    expect(res.status).toBe(200);
    expect(text(res.body)).toBe("after continue");
  });

  test("Connection: close in the answer: the next post opens a new connection", async () => {
    const srv = raw((s, _req, c) => s.write(okResponse(`conn ${c.id}`, "Connection: close\r\n")));
    const h1 = client();
    expect(text((await h1.post(srv.url, "", bytes("1"), 1000)).body)).toBe("conn 0");
    expect(text((await h1.post(srv.url, "", bytes("2"), 1000)).body)).toBe("conn 1");
    expect(srv.conns.length).toBe(2);
    await waitFor(() => srv.conns[0]!.closed);
  });

  test("a malformed answer rejects", async () => {
    const srv = raw((s) => s.write("garbage\r\n\r\n"));
    await expect(client().post(srv.url, "", bytes("x"), 1000)).rejects.toThrow(/status line/);
  });

  test("a large body (written past the socket buffer) arrives intact", async () => {
    let got: Uint8Array | undefined;
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(req) {
        got = new Uint8Array(await req.arrayBuffer());
        return new Response(String(got.length));
      },
    });
    cleanups.push(() => server.stop(true));
    const body = new Uint8Array(8 * 1024 * 1024);
    for (let i = 0; i < body.length; i += 4096) body[i] = (i / 4096) & 0xff;
    const res = await client().post(`http://127.0.0.1:${server.port}/big`, "", body, 5000);
    expect(text(res.body)).toBe(String(body.length));
    expect(got!.length).toBe(body.length);
    expect(got!).toEqual(body);
  });

  test("an unsupported URL scheme rejects", async () => {
    await expect(client().post("ftp://127.0.0.1:1/", "", bytes("x"), 1000)).rejects.toThrow(
      /unsupported URL/,
    );
  });

  test("close(): idle connections are closed and later posts reject", async () => {
    const srv = raw((s) => s.write(okResponse("ok")));
    const h1 = createH1Client();
    expect(text((await h1.post(srv.url, "", bytes("1"), 1000)).body)).toBe("ok");
    h1.close();
    await waitFor(() => srv.conns[0]!.closed);
    await expect(h1.post(srv.url, "", bytes("2"), 1000)).rejects.toThrow(/closed/);
    expect(srv.reqs.length).toBe(1);
  });
});

describe("connections are not leaked", () => {
  test("close() during a post: that post's connection is closed once it is answered", async () => {
    const srv = raw((s) => setTimeout(() => s.write(okResponse("ok")), 50));
    const h1 = client();
    const p = h1.post(srv.url, "", bytes("x"), 1000);
    await Bun.sleep(10);
    h1.close();
    expect((await p).status).toBe(200);
    await waitFor(() => srv.conns[0]!.closed, 500);
  });

  test("bytes arriving on an idle connection: it is closed, not reused", async () => {
    const srv = raw((s) => {
      s.write(okResponse("ok"));
      setTimeout(() => s.write("HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n"), 20);
    });
    const h1 = client();
    await h1.post(srv.url, "", bytes("x"), 1000);
    await Bun.sleep(50);
    await h1.post(srv.url, "", bytes("x"), 1000);
    expect(srv.conns.length).toBe(2);
    await waitFor(() => srv.conns[0]!.closed, 500);
  });
});
