import { describe, expect, it } from "vitest";
import { REPLACEMENT_CHARACTER, TOO_DEEP_MARKER, storableText, toStorableJson } from "../../src/line/storable-json.js";
import { LATEST_STORABLE_TIME_MS, MAX_EVENT_DEPTH, parseWebhookBody } from "../../src/line/webhook-body.js";
import { isDataError } from "../../src/store/data-errors.js";
import { refusedEventRow, rowRefusedByDatabase, storeRowsApart } from "../../src/inbox/poison.js";
import type { NewInboxEvent } from "../../src/store/tables/inbox.js";

const R = REPLACEMENT_CHARACTER;

describe("storable text", () => {
  it("replaces NUL and lone surrogates by U+FFFD and keeps everything else", () => {
    expect(storableText("a\u0000b\u0000")).toBe(`a${R}b${R}`);
    expect(storableText("x\ud800y")).toBe(`x${R}y`);
    expect(storableText("\udc00x")).toBe(`${R}x`);
    expect(storableText("x\ud83d")).toBe(`x${R}`);
    // A pair in the wrong order is two lone surrogates.
    expect(storableText("\ude00\ud83d")).toBe(`${R}${R}`);
  });
  it("returns the very same string when there is nothing to replace", () => {
    for (const text of ["", "人吉市役所", "😀 emoji pairs", "tab\tnewline\n\u0001\u001f", "\ufffd already"]) {
      expect(storableText(text)).toBe(text);
    }
  });
});

describe("storable JSON", () => {
  it("cleans every string of a parsed body, values and keys, and counts them", () => {
    const parsed = JSON.parse('{"a":"\\u0000","b":["ok","\\ud800",{"c\\u0000":"\\udfff"}],"n":1,"t":true,"z":null}');
    const result = toStorableJson(parsed, 10);
    expect(result.value).toEqual({ a: R, b: ["ok", R, { [`c${R}`]: R }], n: 1, t: true, z: null });
    expect(result.replacedStrings).toBe(4);
    expect(result.tooDeep).toBe(false);
    // What Postgres' jsonb would refuse is gone from the text sent to it.
    expect(JSON.stringify(result.value)).not.toMatch(/\\u0000|\\ud[89a-f]/i);
  });
  it("does not change the value it is given", () => {
    const parsed = { text: "a\u0000" };
    toStorableJson(parsed, 10);
    expect(parsed.text).toBe("a\u0000");
  });
  it("returns a value that needs no change as it is, without copying it", () => {
    const parsed = JSON.parse('{"type":"message","source":{"userId":"U1"},"message":{"text":"人吉😀"},"list":[1,"a",null]}');
    const result = toStorableJson(parsed, 10);
    expect(result.value).toBe(parsed);
    expect(result).toMatchObject({ replacedStrings: 0, tooDeep: false });
    // A lone surrogate deep inside still makes a cleaned copy.
    const dirty = JSON.parse('{"a":{"b":["ok","\\ud800"]}}');
    expect(toStorableJson(dirty, 10).value).not.toBe(dirty);
  });
  it("keeps a __proto__ key as data", () => {
    const parsed = JSON.parse('{"__proto__":{"polluted":"\\u0000"}}');
    const { value } = toStorableJson(parsed, 10);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.hasOwn(value as object, "__proto__")).toBe(true);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });
  it("replaces what nests deeper than the limit, without walking it (no stack overflow)", () => {
    const depth = 300_000;
    const deep = JSON.parse(`${"[".repeat(depth)}1${"]".repeat(depth)}`);
    const result = toStorableJson({ keep: "x", deep }, 3);
    expect(result.tooDeep).toBe(true);
    expect(result.value).toEqual({ keep: "x", deep: [[TOO_DEEP_MARKER]] });
    expect(() => JSON.stringify(result.value)).not.toThrow();
    expect(toStorableJson({ a: { b: 1 } }, 2)).toMatchObject({ tooDeep: false, value: { a: { b: 1 } } });
    expect(toStorableJson({ a: { b: {} } }, 2)).toMatchObject({ tooDeep: true, value: { a: { b: TOO_DEEP_MARKER } } });
  });
});

describe("webhook body rules", () => {
  const text = (id: string, overrides: Record<string, unknown> = {}) => ({
    type: "message",
    mode: "active",
    timestamp: 1_700_000_000_000,
    source: { type: "user", userId: "U0123456789abcdef0123456789abcdef" },
    webhookEventId: id,
    deliveryContext: { isRedelivery: false },
    message: { id: "1", type: "text", text: "hi", quoteToken: "q" },
    replyToken: "r",
    ...overrides,
  });
  const parse = (events: unknown[]) => {
    const parsed = parseWebhookBody({ destination: "U0", events });
    if (!parsed.ok) throw new Error(parsed.error);
    return parsed.value;
  };

  it("cleans a text and handles the event as usual", () => {
    const parsed = parse([text("01A", { message: { id: "1", type: "text", text: "道路\u0000に穴\ud800" } })]);
    expect(parsed.refusals.size).toBe(0);
    expect(parsed.cleanedStrings).toBe(1);
    expect((parsed.events[0] as unknown as { message: { text: string } }).message.text).toBe(`道路${R}に穴${R}`);
  });

  it("refuses an event whose ids had to be cleaned, keeping it cleaned", () => {
    const parsed = parse([
      text("01A\u0000"),
      text("01B", { source: { type: "user", userId: "U1\ud800" } }),
      text("01C", { replyToken: "r\u0000" }),
      text("01D", { message: { id: "1\u0000", type: "text", text: "hi" } }),
      text("01E"),
    ]);
    expect(parsed.events.map((event) => event.webhookEventId)).toEqual([`01A${R}`, "01B", "01C", "01D", "01E"]);
    expect([...parsed.refusals.keys()]).toEqual([`01A${R}`, "01B", "01C", "01D"]);
    expect(parsed.refusals.get("01B")).toMatch(/^not a LINE event: source\.userId: /);
    expect(parsed.refusals.get("01D")).toMatch(/message\.id/);
  });

  it("refuses a timestamp outside 1970–9999 and any that is not an integer", () => {
    const ok = [0, 1_700_000_000_000, LATEST_STORABLE_TIME_MS];
    const refused = [LATEST_STORABLE_TIME_MS + 1, Date.UTC(10_000, 0, 1), 8.64e15 + 1, -1, 1.5, Number.MAX_VALUE, "yesterday", null];
    const parsed = parse([...ok, ...refused].map((timestamp, index) => text(`t${index}`, { timestamp })));
    expect([...parsed.refusals.keys()]).toEqual(refused.map((_, index) => `t${index + ok.length}`));
    expect(parsed.refusals.get(`t${ok.length}`)).toMatch(/^not a LINE event: timestamp: must be a time/);
    expect(new Date(LATEST_STORABLE_TIME_MS).toISOString()).toBe("9999-12-31T23:59:59.999Z");
  });

  it("refuses an event nested deeper than LINE's, keeping the others of the body", () => {
    const deep = JSON.parse(`{"destination":"U0","events":[${JSON.stringify(text("01A")).replace(/}$/, `,"x":${"[".repeat(5000)}${"]".repeat(5000)}}`)},${JSON.stringify(text("01B"))}]}`);
    const parsed = parseWebhookBody(deep);
    expect(parsed.ok && [...parsed.value.refusals]).toEqual([["01A", expect.stringContaining(`deeper than ${MAX_EVENT_DEPTH} levels`)]]);
    expect(parsed.ok && parsed.value.events.map((event) => event.webhookEventId)).toEqual(["01A", "01B"]);
    expect(() => JSON.stringify(parsed.ok && parsed.value.events)).not.toThrow();
  });

  it("refuses an event whose envelope or handled fields have the wrong type", () => {
    const cases: Record<string, unknown> = {
      a: { type: 5 },
      b: { deliveryContext: "x" },
      c: { source: "U1" },
      d: { message: "hi" },
      e: { message: { id: 1, type: "text", text: "hi" } },
      f: { message: { id: "1", type: "text", text: 42 } },
      g: { message: { id: "1", type: "location", latitude: 1e300, longitude: 0 } },
      h: { type: "postback", postback: { data: {} } },
      i: { type: "unsend", unsend: null },
      j: { type: "follow", follow: { isUnblocked: "no" } },
      k: { replyToken: [] },
      l: { mode: {} },
    };
    const parsed = parse(Object.entries(cases).map(([id, overrides]) => text(id, overrides as Record<string, unknown>)));
    expect([...parsed.refusals.keys()]).toEqual(Object.keys(cases));
    expect(parsed.refusals.get("f")).toMatch(/message\.text/);
    expect(parsed.refusals.get("h")).toMatch(/postback\.data/);
  });

  it("stores unknown event types and unknown fields, and does not look up inherited names", () => {
    const parsed = parse([
      text("01A", { type: "somethingNew", extra: { nested: [1, 2] } }),
      text("01B", { type: "constructor" }),
      text("01C", { type: "__proto__" }),
      text("01D", { message: { id: "1", type: "toString" } }),
    ]);
    expect(parsed.refusals.size).toBe(0);
  });

  it("answers 400 to a body whose event has no usable id, or that is not a webhook body", () => {
    for (const events of [[text("")], [text("x".repeat(129))], [{ ...text("01A"), webhookEventId: undefined }], [5], [[text("01A")]], [null]]) {
      const parsed = parseWebhookBody({ destination: "U0", events });
      expect(parsed).toMatchObject({ ok: false, error: expect.stringMatching(/^not a LINE webhook body: events\.0/) });
    }
    expect(parseWebhookBody({ destination: 5, events: [] })).toMatchObject({ ok: false });
    expect(parseWebhookBody({ destination: "U0", events: Array.from({ length: 1001 }, (_, index) => text(String(index))) })).toMatchObject({ ok: false });
    expect(parseWebhookBody("text")).toMatchObject({ ok: false });
  });
});

describe("data errors", () => {
  it("are SQLSTATE classes 22 and 54, and 23 except unique_violation", () => {
    for (const code of ["22021", "22P05", "22P02", "22007", "22008", "22009", "22003", "54001", "54000", "23502", "23514"]) {
      expect(isDataError(Object.assign(new Error("x"), { code }))).toBe(true);
    }
    for (const code of ["23505", "08006", "57P01", "53300", "57014", "40001", "42601", "IL001", "XX000", "ECONNRESET", "EPIPE", 22021]) {
      expect(isDataError(Object.assign(new Error("x"), { code }))).toBe(false);
    }
    expect(isDataError(new Error("Connection terminated unexpectedly"))).toBe(false);
    expect(isDataError(null)).toBe(false);
    expect(isDataError(undefined)).toBe(false);
    expect(isDataError("22021")).toBe(false);
  });
});

describe("stored as failed", () => {
  const receivedAt = new Date("2026-05-01T00:00:00Z");
  it("takes a refused event's columns only from fields of the right type", () => {
    const event = { type: 5, timestamp: 1e20, webhookEventId: "01A", source: "U1", deliveryContext: { isRedelivery: "yes" } };
    const row = refusedEventRow(event as never, receivedAt, "not a LINE event: type: …");
    expect(row).toMatchObject({ webhook_event_id: "01A", event_type: "unknown", user_id: null, event_time: receivedAt, is_redelivery: false, status: "failed" });
    expect(JSON.parse(row.payload)).toEqual(event);
    const fine = refusedEventRow({ type: "message", timestamp: 1_700_000_000_000, webhookEventId: "01B", source: { type: "user", userId: "U1" } } as never, receivedAt, "r");
    expect(fine).toMatchObject({ event_type: "message", user_id: "U1", event_time: new Date(1_700_000_000_000), last_error: "r" });
  });

  const row = (id: string): NewInboxEvent => ({ webhook_event_id: id, event_type: "message", user_id: "U1\u0000", payload: "{}", event_time: receivedAt, received_at: receivedAt });
  const refusing = (bad: Set<string>, error: object) => {
    const stored: NewInboxEvent[][] = [];
    const store = async (rows: NewInboxEvent[]) => {
      // As the database would: the row kept in its place holds nothing of what it refused.
      if (rows.some((candidate) => bad.has(candidate.webhook_event_id) && candidate.status !== "failed")) throw error;
      stored.push(rows);
    };
    return { stored, store };
  };

  it("stores a request's events apart when one carries a value the database refuses", async () => {
    const refused = Object.assign(new Error("unsupported Unicode escape sequence"), { code: "22P05" });
    const { stored, store } = refusing(new Set(["b"]), refused);
    await storeRowsApart([row("a"), row("b"), row("c")], store);
    expect(stored.map((rows) => rows.map((candidate) => candidate.webhook_event_id))).toEqual([["a"], ["b"], ["c"]]);
    expect(stored[1]![0]).toMatchObject({ status: "failed", user_id: `U1${R}`, last_error: expect.stringContaining("SQLSTATE 22P05: unsupported Unicode escape sequence") });
    expect(JSON.parse(stored[1]![0]!.payload)).toEqual({ webhookEventId: "b", type: "message" });
  });

  it("stores them together when they pass alone, and gives up on an unreachable database", async () => {
    const fine = refusing(new Set(), new Error());
    await storeRowsApart([row("a"), row("b")], fine.store);
    expect(fine.stored).toHaveLength(1);
    const down = refusing(new Set(["a"]), Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }));
    await expect(storeRowsApart([row("a")], down.store)).rejects.toThrow("ECONNREFUSED");
  });

  it("keeps the reason storable", () => {
    const failed = rowRefusedByDatabase(row("a\u0000"), { code: "22021", message: "bad \u0000 byte" });
    expect(failed.webhook_event_id).toBe(`a${R}`);
    expect(failed.last_error).toBe(`the database refused the event (SQLSTATE 22021: bad ${R} byte); only its id and type were kept`);
  });
});
