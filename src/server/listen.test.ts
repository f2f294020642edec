import { expect, test } from "bun:test";
import { parseListen } from "./listen.ts";

test("parseListen accepts host:port, [v6]:port, :port", () => {
  expect(parseListen("127.0.0.1:9180").addr).toEqual({ hostname: "127.0.0.1", port: 9180 });
  expect(parseListen("[::1]:0").addr).toEqual({ hostname: "::1", port: 0 });
  expect(parseListen(":8080").addr).toEqual({ hostname: "127.0.0.1", port: 8080 });
  expect(parseListen("0.0.0.0:80").addr).toEqual({ hostname: "0.0.0.0", port: 80 });
  expect(parseListen("pipam.local:9180").addr).toEqual({ hostname: "pipam.local", port: 9180 });
});

test("parseListen names the bad value", () => {
  for (const bad of ["9180", "::1:9180", "host:", "host:99999", "a b:1", "[::1]"]) {
    const r = parseListen(bad);
    expect(r.addr).toBeUndefined();
    expect(r.error).toMatch(/^server\.listen: /);
  }
});
