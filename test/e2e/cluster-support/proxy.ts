/**
 * A small TCP fault-injecting proxy (Bun.listen/Bun.connect) placed between two pipam nodes. It
 * forwards bytes both ways to the port `target()` returns at connection time; `cut()` closes every
 * open connection and refuses new ones (closes them at once) until `heal()`.
 */
import type { Socket } from "bun";

export interface FaultProxy {
  port: number;
  url: string;
  readonly isCut: boolean;
  /** Connections accepted since start (forwarded or refused). */
  readonly accepted: number;
  cut(): void;
  heal(): void;
  stop(): void;
}

/** One direction's socket with a queue for what the kernel did not take yet (backpressure). */
interface Side {
  sock?: Socket<Pair>;
  queue: Uint8Array[];
}
interface Pair {
  client: Side;
  upstream: Side;
  closed: boolean;
}

function send(side: Side, chunk: Uint8Array): void {
  if (!side.sock || side.queue.length > 0) {
    side.queue.push(chunk);
    return;
  }
  const n = side.sock.write(chunk);
  if (n < chunk.length) side.queue.push(chunk.subarray(Math.max(0, n)));
}

function flush(side: Side): void {
  while (side.sock && side.queue.length > 0) {
    const chunk = side.queue[0]!;
    const n = side.sock.write(chunk);
    if (n < chunk.length) {
      side.queue[0] = chunk.subarray(Math.max(0, n));
      return;
    }
    side.queue.shift();
  }
}

/** `target()` gives the node's current real port (it changes when a node restarts on port 0). */
export function startFaultProxy(target: () => number | undefined): FaultProxy {
  let isCut = false;
  let accepted = 0;
  const pairs = new Set<Pair>();
  const close = (p: Pair) => {
    if (p.closed) return;
    p.closed = true;
    pairs.delete(p);
    p.client.sock?.end();
    p.upstream.sock?.end();
  };
  const listener = Bun.listen<Pair>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(client) {
        accepted++;
        const pair: Pair = { client: { sock: client, queue: [] }, upstream: { queue: [] }, closed: false };
        client.data = pair;
        const port = target();
        if (isCut || port === undefined) {
          close(pair);
          return;
        }
        pairs.add(pair);
        Bun.connect<Pair>({
          hostname: "127.0.0.1",
          port,
          data: pair,
          socket: {
            open(up) {
              if (pair.closed) {
                up.end();
                return;
              }
              pair.upstream.sock = up;
              flush(pair.upstream);
            },
            data(_up, chunk) {
              if (!pair.closed) send(pair.client, new Uint8Array(chunk));
            },
            drain() {
              flush(pair.upstream);
            },
            close() {
              close(pair);
            },
            error() {
              close(pair);
            },
            connectError() {
              close(pair);
            },
          },
        }).catch(() => close(pair));
      },
      data(client, chunk) {
        if (!client.data.closed) send(client.data.upstream, new Uint8Array(chunk));
      },
      drain(client) {
        flush(client.data.client);
      },
      close(client) {
        close(client.data);
      },
      error(client) {
        close(client.data);
      },
    },
  });
  const port = listener.port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    get isCut() {
      return isCut;
    },
    get accepted() {
      return accepted;
    },
    cut() {
      isCut = true;
      for (const p of [...pairs]) close(p);
    },
    heal() {
      isCut = false;
    },
    stop() {
      isCut = true;
      for (const p of [...pairs]) close(p);
      listener.stop(true);
    },
  };
}
