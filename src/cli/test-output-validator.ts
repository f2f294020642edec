// Test helper (not part of the binary): validates against the published JSON Schema.
import { resolve } from "node:path";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

/** The published JSON Schema (docs/output-schema.json) as a validator. */
export async function outputValidator() {
  const schema = await Bun.file(resolve(import.meta.dir, "../../docs/output-schema.json")).json();
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats(ajv);
  return ajv.compile(schema);
}
