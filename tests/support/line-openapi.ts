import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import { parse } from "yaml";

// Validates request bodies against LINE's official OpenAPI documents kept in tests/line-openapi/.
// OpenAPI discriminators (Message, Action, FlexComponent, Event, …) are turned into JSON Schema:
// the base keeps its own properties as `X__base`; `X` itself requires the discriminator value to
// be one of the mapping keys and, for each key, applies the subtype's schema. Subtypes `allOf` the
// base, so their reference is pointed at `X__base`, or the check would recurse forever.
// Limits LINE documents but the YAML does not state are checked afterwards (see extraLimitErrors).

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const specDir = process.env.LINE_OPENAPI_DIR ?? path.resolve(repoRoot, "tests", "line-openapi");

type Json = any;
interface Spec {
  paths: Record<string, Record<string, Json>>;
  components: { schemas: Record<string, Json> };
}

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function loadSpec(file: string): Spec {
  return parse(readFileSync(path.join(specDir, file), "utf8")) as Spec;
}

function refName(ref: string): string {
  return ref.replace("#/components/schemas/", "");
}

function toJsonSchema(specId: string, schemas: Record<string, Json>): Record<string, Json> {
  const discriminated = new Set(Object.keys(schemas).filter((name) => schemas[name].discriminator));
  const convert = (node: Json, inAllOf = false): Json => {
    if (Array.isArray(node)) return node.map((item) => convert(item, inAllOf));
    if (node === null || typeof node !== "object") return node;
    const out: Json = {};
    for (const [key, value] of Object.entries(node)) {
      if (["example", "examples", "externalDocs", "xml", "discriminator", "description"].includes(key)) continue;
      if (key === "$ref") {
        const name = refName(value as string);
        out.$ref = `${specId}#/definitions/${inAllOf && discriminated.has(name) ? `${name}__base` : name}`;
      } else if (key === "allOf") {
        out.allOf = (value as Json[]).map((item) => convert(item, true));
      } else if (key === "nullable") {
        continue;
      } else {
        out[key] = convert(value);
      }
    }
    if (node.nullable === true) {
      if (typeof out.type === "string") out.type = [out.type, "null"];
      if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
    }
    return out;
  };
  const definitions: Record<string, Json> = {};
  for (const [name, schema] of Object.entries(schemas)) {
    if (!discriminated.has(name)) {
      definitions[name] = convert(schema);
      continue;
    }
    const { propertyName, mapping } = schema.discriminator as { propertyName: string; mapping: Record<string, string> };
    definitions[`${name}__base`] = convert(schema);
    definitions[name] = {
      type: "object",
      required: [propertyName],
      properties: { [propertyName]: { enum: Object.keys(mapping) } },
      allOf: [
        { $ref: `${specId}#/definitions/${name}__base` },
        ...Object.entries(mapping).map(([key, ref]) => ({
          if: { properties: { [propertyName]: { const: key } }, required: [propertyName] },
          then: { $ref: `${specId}#/definitions/${refName(ref)}` },
        })),
      ],
    };
  }
  return definitions;
}

interface Loaded {
  ajv: Ajv;
  messaging: Spec;
  webhookValidator: ValidateFunction;
  byOperation: Map<string, ValidateFunction>;
}

let loaded: Loaded | null = null;
function load(): Loaded {
  if (loaded) return loaded;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  for (const format of ["int32", "int64", "double", "float", "binary", "byte", "^[0-9]{8}$"]) ajv.addFormat(format, true);
  const messaging = loadSpec("messaging-api.yml");
  const webhook = loadSpec("webhook.yml");
  ajv.addSchema({ $id: "messaging", definitions: toJsonSchema("messaging", messaging.components.schemas) });
  ajv.addSchema({ $id: "webhook", definitions: toJsonSchema("webhook", webhook.components.schemas) });
  const webhookValidator = ajv.getSchema("webhook#/definitions/CallbackRequest")!;
  loaded = { ajv, messaging, webhookValidator, byOperation: new Map() };
  return loaded;
}

function findOperation(spec: Spec, method: string, urlPath: string): { id: string; schemaRef: string | null } {
  const pathname = urlPath.startsWith("http") ? new URL(urlPath).pathname : urlPath.split("?")[0]!;
  for (const [template, operations] of Object.entries(spec.paths)) {
    const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`);
    const operation = operations[method.toLowerCase()];
    if (!pattern.test(pathname) || !operation) continue;
    const schema = operation.requestBody?.content?.["application/json"]?.schema;
    // Operations such as linking a rich menu to a user take no body at all.
    if (!operation.requestBody) return { id: operation.operationId, schemaRef: null };
    if (!schema?.$ref) throw new Error(`${method} ${pathname} (${operation.operationId}) takes no JSON body in the spec`);
    return { id: operation.operationId, schemaRef: refName(schema.$ref) };
  }
  throw new Error(`${method} ${pathname} is not an operation of LINE's Messaging API spec`);
}

// What a request to this operation carries: a JSON body (checked against its schema), binary
// content (an image upload) or nothing. Throws for a path the spec does not have.
export function requestBodyKind(method: string, urlPath: string): "json" | "binary" | "none" {
  const { messaging } = load();
  const pathname = urlPath.split("?")[0]!;
  for (const [template, operations] of Object.entries(messaging.paths)) {
    const operation = operations[method.toLowerCase()];
    if (!operation || !new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`).test(pathname)) continue;
    const content = operation.requestBody?.content;
    if (!content) return "none";
    return content["application/json"] ? "json" : "binary";
  }
  throw new Error(`${method} ${pathname} is not an operation of LINE's Messaging API spec`);
}

function formatErrors(validate: ValidateFunction): string[] {
  return (validate.errors ?? [])
    .filter((error) => error.keyword !== "if")
    .map((error) => `${error.instancePath || "/"}: ${error.message}${error.keyword === "enum" ? ` (${JSON.stringify(error.params)})` : ""}`);
}

export function messagingSchemaErrors(method: string, urlPath: string, body: unknown): string[] {
  const { ajv, messaging, byOperation } = load();
  const operation = findOperation(messaging, method, urlPath);
  if (operation.schemaRef === null) {
    const empty = body === undefined || body === null || (typeof body === "object" && Object.keys(body).length === 0);
    return empty ? [] : [`${operation.id} takes no request body`];
  }
  let validate = byOperation.get(operation.id);
  if (!validate) {
    validate = ajv.getSchema(`messaging#/definitions/${operation.schemaRef}`)!;
    byOperation.set(operation.id, validate);
  }
  const errors = validate(body) ? [] : formatErrors(validate);
  return [...new Set([...errors, ...extraLimitErrors(body)])].map((error) => `${operation.id} ${error}`);
}

// Loads the documents and compiles the checks of the send operations now, not at the first request
// (about a second): a fake LINE API calls it at start, so its first answers are not held up.
export function prepareSendChecks(): void {
  for (const path of ["/v2/bot/message/reply", "/v2/bot/message/push"]) messagingSchemaErrors("POST", path, {});
}

// The operation id of a Messaging API request (any method), or null when the spec has no such path.
export function messagingOperationId(method: string, urlPath: string): string | null {
  try {
    return findOperation(load().messaging, method, urlPath).id;
  } catch {
    return null;
  }
}

export function webhookSchemaErrors(body: unknown): string[] {
  const { webhookValidator } = load();
  return webhookValidator(body) ? [] : formatErrors(webhookValidator);
}

export function assertValidMessagingRequest(method: string, urlPath: string, body: unknown): void {
  const errors = messagingSchemaErrors(method, urlPath, body);
  if (errors.length > 0) throw new Error(`LINE would reject this ${method} ${urlPath} body:\n${errors.join("\n")}`);
}

export function assertValidWebhookBody(body: unknown): void {
  const errors = webhookSchemaErrors(body);
  if (errors.length > 0) throw new Error(`not a valid LINE webhook body:\n${errors.join("\n")}`);
}

// Limits from LINE's Messaging API reference that the YAML leaves out. Lengths are counted in
// UTF-16 code units, as LINE's reference does for text (an emoji outside the BMP counts as 2).
function extraLimitErrors(body: unknown): string[] {
  const errors: string[] = [];
  const messages = (body as { messages?: unknown })?.messages;
  if (!Array.isArray(messages)) return errors;
  if (messages.length === 0) errors.push("/messages: must have at least 1 message");
  if (messages.length > 5) errors.push("/messages: must have at most 5 messages");
  messages.forEach((message: Json, index: number) => {
    const at = `/messages/${index}`;
    if (message?.type === "text" && typeof message.text === "string") {
      if (message.text.length > 5000) errors.push(`${at}/text: must NOT have more than 5000 characters`);
      if (message.text.length === 0) errors.push(`${at}/text: must not be empty`);
    }
    if (typeof message?.altText === "string" && message.altText.length > 1500) {
      errors.push(`${at}/altText: must NOT have more than 1500 characters`);
    }
    const items = message?.quickReply?.items;
    if (Array.isArray(items)) {
      if (items.length > 13) errors.push(`${at}/quickReply/items: must have at most 13 items`);
      items.forEach((item: Json, itemIndex: number) => {
        const label = item?.action?.label;
        if (typeof label === "string" && label.length > 20) {
          errors.push(`${at}/quickReply/items/${itemIndex}/action/label: must NOT have more than 20 characters`);
        }
      });
    }
  });
  return errors;
}

// The operation a request is for, preferring the template with the fewest parameters (GET
// /v2/bot/richmenu/list is getRichMenuList, not getRichMenu with the id "list"), and the host it
// belongs on: LINE's data API (api-data.line.me) for the operations whose `servers` name it.
interface LocatedOperation {
  id: string;
  host: "api" | "data";
  operation: Json;
}
function locateOperation(method: string, urlPath: string): LocatedOperation | null {
  const pathname = urlPath.split("?")[0]!;
  const candidates = Object.entries(load().messaging.paths)
    .filter(([template, operations]) => operations[method.toLowerCase()] && new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`).test(pathname))
    .sort(([a], [b]) => (a.match(/\{/g)?.length ?? 0) - (b.match(/\{/g)?.length ?? 0));
  const [, operations] = candidates[0] ?? [];
  if (!operations) return null;
  const operation = operations[method.toLowerCase()];
  const servers: { url: string }[] = operation.servers ?? operations.servers ?? [];
  return { id: operation.operationId, host: servers.some((server) => server.url.includes("api-data")) ? "data" : "api", operation };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// Everything LINE's document says about a request, as a list of problems: an operation LINE has,
// sent to the host it belongs on, with its required query parameters, a UUID where a header must be
// one (X-Line-Retry-Key), and the body the operation takes (JSON valid against its schema, binary
// content with a Content-Type, or none).
export function messagingRequestProblems(request: { host: "api" | "data"; method: string; path: string; query: Record<string, unknown>; headers: Record<string, unknown>; body: unknown }): string[] {
  const located = locateOperation(request.method, request.path);
  if (!located) return [`${request.method} ${request.path} is not an operation of LINE's Messaging API`];
  const problems: string[] = [];
  if (located.host !== request.host) problems.push(`${located.id} belongs on the ${located.host === "data" ? "api-data.line.me" : "api.line.me"} host`);
  for (const parameter of (located.operation.parameters ?? []) as Json[]) {
    if (parameter.in === "query" && parameter.required && (request.query[parameter.name] === undefined || request.query[parameter.name] === "")) {
      problems.push(`${located.id} needs the query parameter ${parameter.name}`);
    }
    const header = request.headers[String(parameter.name).toLowerCase()];
    if (parameter.in === "header" && header !== undefined && parameter.schema?.format === "uuid" && !UUID.test(String(header))) {
      problems.push(`${located.id}: the ${parameter.name} header must be a UUID`);
    }
  }
  const content = located.operation.requestBody?.content;
  const body = request.body;
  const empty = body === undefined || body === null || (typeof body === "object" && !Buffer.isBuffer(body) && Object.keys(body).length === 0);
  if (!content) {
    if (!empty) problems.push(`${located.id} takes no request body`);
  } else if (content["application/json"]) {
    problems.push(...messagingSchemaErrors(request.method, request.path, body));
  } else if (!Buffer.isBuffer(body) || body.length === 0 || !request.headers["content-type"]) {
    problems.push(`${located.id} takes binary content with its Content-Type`);
  }
  return problems;
}

// Whether an answer is one LINE's document describes: an error is an ErrorResponse; a success has
// the status and schema the operation documents, or is an empty JSON object where none is given.
// (An answer to a request for no operation of LINE's is left to the request's check.)
export function messagingResponseProblems(method: string, urlPath: string, status: number, body: unknown): string[] {
  const located = locateOperation(method, urlPath);
  if (!located) return [];
  const { ajv } = load();
  const check = (schema: string) => {
    const validate = ajv.getSchema(`messaging#/definitions/${schema}`)!;
    return validate(body) ? [] : formatErrors(validate).map((error) => `${located.id} ${status} answer ${error}`);
  };
  if (status >= 400) return check("ErrorResponse");
  const documented = located.operation.responses?.[String(status)];
  if (!documented) return [`${located.id} has no documented ${status} answer`];
  const ref = documented.content?.["application/json"]?.schema?.$ref;
  if (ref) return check(refName(ref));
  return typeof body === "object" && body !== null && Object.keys(body).length === 0 ? [] : [`${located.id} answers ${status} with an empty JSON object, not ${JSON.stringify(body).slice(0, 200)}`];
}
