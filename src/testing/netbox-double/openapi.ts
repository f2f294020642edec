/**
 * NetBox's own OpenAPI schema (4.2.6, /work/shared/netbox/openapi-4.2.6.yaml) compiled into ajv
 * validators for request bodies and query strings.
 *
 * Known schema defects are corrected here, each one as the real server behaves
 * (reference/netbox-api.md §10 and "Corrections"):
 *  - bulk PATCH/DELETE items need `id` (the schema omits it) and take the *writable* serializer;
 *  - list POST also takes an array (bulk create);
 *  - nested tag references accept `{"slug": …}`, `{"name": …}`, `{"id": …}` or an id;
 *  - `dns_name: ""` is accepted;
 *  - `brief`, `fields`, `omit`, `exclude` are honoured query parameters;
 *  - OpenAPI 3.0's boolean `exclusiveMaximum` is turned into draft-07's numeric form.
 * Stricter than NetBox on purpose: properties a request schema does not list (read-only fields such
 * as an interface's `mac_address`, typos) are rejected, because NetBox silently drops them; and
 * unknown query parameters are rejected, because NetBox silently ignores an unknown filter and
 * answers with the unfiltered list.
 *
 * Parsing the 4 MB YAML takes seconds, so the parsed document is cached as JSON in the temp dir.
 */
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { parse } from "yaml";

export const SCHEMA_PATH = resolve(import.meta.dir, "../../../../shared/netbox/openapi-4.2.6.yaml");

type Json = Record<string, unknown>;
interface Param {
  name: string;
  in: string;
  schema?: Json;
}
interface OpenApi {
  paths: Record<
    string,
    Record<string, { parameters?: Param[]; requestBody?: { content: Record<string, { schema: Json }> } }>
  >;
  components: { schemas: Record<string, Json> };
}

function loadDoc(path: string): OpenApi {
  const st = statSync(path);
  const cache = join(tmpdir(), `pipam-netbox-openapi-${st.size}-${Math.floor(st.mtimeMs)}.json`);
  if (existsSync(cache)) {
    try {
      return JSON.parse(readFileSync(cache, "utf8")) as OpenApi;
    } catch {
      // rewritten below
    }
  }
  const doc = parse(readFileSync(path, "utf8")) as OpenApi;
  const tmp = `${cache}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(doc));
  renameSync(tmp, cache);
  return doc;
}

/** Walks a schema tree, fixing OpenAPI 3.0-isms and closing request objects. */
function fixSchema(node: unknown, close: boolean): void {
  if (Array.isArray(node)) {
    for (const x of node) fixSchema(x, close);
    return;
  }
  if (typeof node !== "object" || node === null) return;
  const n = node as Json;
  if (n.nullable !== undefined && n.type === undefined) {
    const rest: Json = { ...n };
    delete rest.nullable;
    for (const k of Object.keys(n)) delete n[k];
    if (rest.oneOf || rest.allOf || rest.anyOf || rest.$ref) {
      if (rest.description !== undefined) n.description = rest.description;
      n.anyOf = [rest, { type: "null" }];
    } else Object.assign(n, rest);
  }
  if (n.exclusiveMaximum === true && typeof n.maximum === "number") {
    n.exclusiveMaximum = n.maximum;
    delete n.maximum;
  } else if (n.exclusiveMaximum === false) delete n.exclusiveMaximum;
  if (n.exclusiveMinimum === true && typeof n.minimum === "number") {
    n.exclusiveMinimum = n.minimum;
    delete n.minimum;
  } else if (n.exclusiveMinimum === false) delete n.exclusiveMinimum;
  if (close && n.type === "object" && n.properties && n.additionalProperties === undefined) {
    n.additionalProperties = false;
  }
  for (const [k, v] of Object.entries(n)) if (k !== "enum") fixSchema(v, close);
}

export interface Issue {
  /** Field name ("" for the whole body). */
  field: string;
  message: string;
}

export interface ListEndpoint {
  /** e.g. /api/virtualization/virtual-machines/ */
  path: string;
  /** Body of one create (POST). */
  create(body: unknown): Issue[];
  /** Body of one partial update (PATCH, without `id`). */
  update(body: unknown): Issue[];
  /** Query of the list GET: problems with names or values. */
  query(params: URLSearchParams): Issue[];
}

const EXTRA_QUERY = new Set(["brief", "fields", "omit", "exclude"]);

function issues(errors: ErrorObject[] | null | undefined): Issue[] {
  return (errors ?? []).map((e) => {
    const path = e.instancePath.split("/").filter(Boolean);
    const extra =
      e.keyword === "additionalProperties"
        ? ` ("${(e.params as { additionalProperty: string }).additionalProperty}")`
        : "";
    const field =
      e.keyword === "required" ? (e.params as { missingProperty: string }).missingProperty : (path[0] ?? "");
    return { field, message: `${e.instancePath || "body"} ${e.message ?? "is invalid"}${extra}` };
  });
}

export interface NetboxSchema {
  endpoint(path: string): ListEndpoint;
  /** Validates one value against a named component schema (for tests). */
  validate(component: string, value: unknown): Issue[];
}

let cached: NetboxSchema | undefined;

export function loadNetboxSchema(path = SCHEMA_PATH): NetboxSchema {
  if (cached && path === SCHEMA_PATH) return cached;
  const doc = loadDoc(path);
  const schemas = doc.components.schemas;
  for (const [name, s] of Object.entries(schemas)) fixSchema(s, name.endsWith("Request"));
  schemas.NestedTagRequest = {
    anyOf: [
      { type: "integer" },
      {
        type: "object",
        properties: {
          id: { type: "integer" },
          name: { type: "string", minLength: 1, maxLength: 100 },
          slug: { type: "string", minLength: 1, maxLength: 100, pattern: "^[-\\w]+$" },
          color: { type: "string", pattern: "^[0-9a-f]{6}$" },
        },
        minProperties: 1,
        additionalProperties: false,
      },
    ],
  };
  for (const n of ["WritableIPAddressRequest", "PatchedWritableIPAddressRequest"]) {
    const dns = (schemas[n]?.properties as Json | undefined)?.dns_name as Json | undefined;
    if (dns) dns.pattern = `^$|${dns.pattern as string}`;
  }
  const ajv = new Ajv({ strict: false, allErrors: true, logger: false, validateSchema: false });
  addFormats(ajv);
  ajv.addFormat("double", true).addFormat("int64", true).addFormat("binary", true);
  ajv.addSchema({ $id: "nb", components: { schemas } });
  const compiled = new Map<string, ValidateFunction>();
  const compile = (schema: Json): ValidateFunction => {
    const key = JSON.stringify(schema);
    let v = compiled.get(key);
    if (!v) {
      const s = JSON.parse(key.replaceAll('"#/components/', '"nb#/components/')) as Json;
      v = ajv.compile(s);
      compiled.set(key, v);
    }
    return v;
  };
  const endpoints = new Map<string, ListEndpoint>();

  const api: NetboxSchema = {
    endpoint(p) {
      const hit = endpoints.get(p);
      if (hit) return hit;
      const list = doc.paths[p];
      const detail = doc.paths[`${p}{id}/`];
      if (!list?.post || !list.get) throw new Error(`netbox-double: ${p} is not in the schema`);
      const createSchema = list.post.requestBody?.content["application/json"]?.schema;
      const updateSchema = detail?.patch?.requestBody?.content["application/json"]?.schema;
      if (!createSchema) throw new Error(`netbox-double: no POST body schema for ${p}`);
      const vCreate = compile(createSchema);
      const vUpdate = updateSchema ? compile(updateSchema) : undefined;
      const params = new Map<string, Param>();
      for (const prm of list.get.parameters ?? []) if (prm.in === "query") params.set(prm.name, prm);
      const ep: ListEndpoint = {
        path: p,
        create: (body) => (vCreate(body) ? [] : issues(vCreate.errors)),
        update: (body) => {
          if (!vUpdate) return [{ field: "", message: `${p} has no PATCH in the schema` }];
          return vUpdate(body) ? [] : issues(vUpdate.errors);
        },
        query: (q) => {
          const out: Issue[] = [];
          for (const name of new Set(q.keys())) {
            if (EXTRA_QUERY.has(name)) continue;
            const prm = params.get(name);
            if (!prm?.schema) {
              out.push({
                field: name,
                message: `unknown query parameter "${name}" (NetBox would ignore it)`,
              });
              continue;
            }
            const s = prm.schema;
            const itemSchema = (s.type === "array" ? s.items : s) as Json;
            const values = q.getAll(name);
            if (s.type !== "array" && values.length > 1) {
              out.push({ field: name, message: `"${name}" given ${values.length} times` });
            }
            const v = compile(itemSchema);
            for (const raw of values) {
              const val = coerce(raw, itemSchema);
              if (!v(val))
                out.push({ field: name, message: `${name}=${raw}: ${v.errors?.[0]?.message ?? "invalid"}` });
            }
          }
          return out;
        },
      };
      endpoints.set(p, ep);
      return ep;
    },
    validate(component, value) {
      const v = compile({ $ref: `#/components/schemas/${component}` });
      return v(value) ? [] : issues(v.errors);
    },
  };
  if (path === SCHEMA_PATH) cached = api;
  return api;
}

function coerce(raw: string, s: Json): unknown {
  const t = s.type;
  if (raw === "null" && s.nullable) return null;
  if (t === "integer" || t === "number")
    return raw.trim() !== "" && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  if (t === "boolean")
    return raw === "true" || raw === "True" ? true : raw === "false" || raw === "False" ? false : raw;
  return raw;
}
