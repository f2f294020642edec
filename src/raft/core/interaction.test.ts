/**
 * Datadriven interaction tests: each testdata/*.txt is a list of blocks
 *   <command> <args...>
 *   ----
 *   <expected output>
 * separated by blank lines (lines starting with # are comments). UPDATE=1 bun test rewrites the files.
 */
import { expect, test } from "bun:test";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { InteractionEnv } from "./interaction-env.ts";

const dir = join(import.meta.dir, "testdata");
const update = process.env.UPDATE === "1";

interface Block {
  comments: string[];
  cmd: string;
  expected: string;
}

function parse(text: string): Block[] {
  const blocks: Block[] = [];
  const lines = text.split("\n");
  let i = 0;
  let comments: string[] = [];
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.startsWith("#")) comments.push(line);
    if (line.trim() === "" || line.startsWith("#")) {
      i++;
      continue;
    }
    const cmd = line.trim();
    i++;
    if (lines[i] !== "----") throw new Error(`line ${i + 1}: expected ---- after "${cmd}"`);
    i++;
    const out: string[] = [];
    while (i < lines.length && lines[i] !== "") out.push(lines[i++]!);
    blocks.push({ comments, cmd, expected: out.join("\n") });
    comments = [];
  }
  return blocks;
}

for (const file of readdirSync(dir)
  .filter((f) => f.endsWith(".txt"))
  .sort()) {
  test(`interaction ${file}`, () => {
    const path = join(dir, file);
    const text = readFileSync(path, "utf8");
    const env = new InteractionEnv();
    const rewritten: string[] = [];
    for (const b of parse(text)) {
      const [cmd, ...args] = b.cmd.split(/\s+/);
      let got: string;
      try {
        got = env.run(cmd!, args);
      } catch (err) {
        got = `panic: ${(err as Error).message}`;
      }
      rewritten.push(...b.comments);
      rewritten.push(b.cmd, "----", got, "");
      if (!update) expect(`${file}: ${b.cmd}\n${got}`).toBe(`${file}: ${b.cmd}\n${b.expected}`);
    }
    if (update) writeFileSync(path, rewritten.join("\n"));
  });
}
