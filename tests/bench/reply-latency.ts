import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { Pool } from "undici";
import { events, newUserId, sign, webhookBody } from "../support/webhook-client.js";
import { mulberry32 } from "../support/numbers.js";
import type { Conversation, Step } from "./conversation-scripts.js";
import { cpuBetween, cpuSnapshot, type CpuShares } from "./cpu-usage.js";

// The reply-latency part of bench:webhook: simulated residents follow scripted conversations
// (conversation-scripts.ts) against the real bot, at a fixed total rate of webhook events (open
// loop), and the LINE API stand-in below runs in this same process, so that both ends of
// "ack → reply" are read from one clock (performance.now()):
// - ack: the webhook's HTTP response reached this process;
// - reply: the bot's reply request (POST /v2/bot/message/reply) fully arrived here; its replyToken
//   says which event it answers.
// A resident sends its next step only after the previous one was both acked and answered, plus a
// think time, so each resident's events are strictly ordered, as a person's are.

type Message = Record<string, unknown>;

// A stand-in for api.line.me and api-data.line.me that answers every request at once: 200, a photo
// for any message's content, and tells the listener when each reply request arrived. Pushes are
// counted: in this bench a push means a reply token was not used in time (or was refused), i.e. the
// resident got no reply.
// A phone photo as LINE delivers it: JPEG, 200 KB (only its first bytes are checked).
const PHOTO = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(200 * 1024, 7)]);

export class RecordingLineApi {
  url = "";
  replies = 0;
  pushes = 0;
  contents = 0;
  others = 0;
  onReply: (replyToken: string, arrivedAt: number, messages: Message[]) => void = () => {};
  #server: Server | null = null;

  async start(): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const arrivedAt = performance.now();
        if (req.method === "GET" && /^\/v2\/bot\/message\/\d+\/content$/.test(req.url ?? "")) {
          this.contents += 1;
          res.writeHead(200, { "content-type": "image/jpeg", "content-length": String(PHOTO.byteLength) }).end(PHOTO);
          return;
        }
        res.writeHead(200, { "content-type": "application/json" }).end('{"sentMessages":[{"id":"1","quoteToken":"q"}]}');
        if (req.method === "POST" && req.url === "/v2/bot/message/reply") {
          this.replies += 1;
          const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { replyToken: string; messages: Message[] };
          this.onReply(body.replyToken, arrivedAt, body.messages);
        } else if (req.method === "POST" && req.url === "/v2/bot/message/push") this.pushes += 1;
        else this.others += 1;
      });
    });
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.#server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}

export interface ConversationLoadOptions {
  rate: number; // webhook events per second, all residents together
  seconds: number; // measured
  warmUpSeconds: number; // sent at the same rate before the measured window, not counted
  thinkMs: number; // a resident's pause between an answer and its next step
  // After the last event, replies still due are waited for while they keep coming (a backlog
  // draining), until none came for quietMs, or for at most graceMs.
  graceMs: number;
  quietMs: number;
  seed: number;
  botPid: number; // for the CPU accounting of the measured window
  // The Postgres processes working for the bot (its backends, the shared background ones); null: all.
  postgresPids?: () => Promise<Set<number> | null>;
  // Statements the bot sent to the database so far (count-queries.ts); absent where not counted.
  queryCount?: () => Promise<number>;
}

export interface ConversationLoadResult {
  sent: number;
  acked: number;
  ackErrors: number;
  replied: number;
  missing: number;
  seconds: number;
  ackToReplyMs: number[];
  dueToAckMs: number[];
  ackToReplyByConversation: Map<string, number[]>;
  repliesBeforeAck: number;
  duplicateReplies: number;
  unknownReplies: number;
  pushes: number;
  deviations: number;
  deviationExamples: string[];
  conversationsStarted: number;
  conversationsFinished: number;
  missingAll: number; // missing replies counting the warm-up too
  generatorLoopDelayP99Ms: number;
  cpu: CpuShares; // during the measured window
  repliesInWindow: number; // reply requests that arrived during the measured window, whichever event they answer
  queriesInWindow: number; // statements (round trips) the bot sent to the database during the window; NaN if not counted
  drainSeconds: number; // how long replies still came after the last event was acked
}

interface Resident {
  userId: string;
  conversation: Conversation;
  next: number;
  lastReply: Message[];
  readyAt: number;
}

interface Sent {
  resident: Resident;
  step: Step;
  dueAt: number;
  measured: boolean;
  ackAt: number | null;
  ackOk: boolean;
  replyAt: number | null;
  messages: Message[] | null;
}

// LINE message ids are numeric strings, unique per message (photos are fetched by them).
let messageSequence = 0;
const messageId = () => `${Date.now()}${String((messageSequence += 1)).padStart(6, "0")}`;


// The action of the button with this label in an answer: quick-reply items and Flex buttons alike.
export function findAction(messages: Message[], label: string | RegExp): { type: string; data?: string; text?: string } | null {
  const matches = (value: unknown) => typeof value === "string" && (typeof label === "string" ? value === label : label.test(value));
  const stack: unknown[] = [...messages];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i -= 1) stack.push(node[i]);
    } else if (node && typeof node === "object") {
      const record = node as Record<string, unknown>;
      if (matches(record.label) && (record.type === "postback" || record.type === "message")) return record as { type: string; data?: string; text?: string };
      for (const value of Object.values(record)) if (value && typeof value === "object") stack.push(value);
    }
  }
  return null;
}

export async function conversationLoad(
  webhookUrl: string,
  secret: string,
  lineApi: RecordingLineApi,
  conversations: Conversation[],
  options: ConversationLoadOptions,
): Promise<ConversationLoadResult> {
  const random = mulberry32(options.seed);
  const totalWeight = conversations.reduce((sum, conversation) => sum + conversation.weight, 0);
  const pickConversation = () => {
    let r = random() * totalWeight;
    for (const conversation of conversations) {
      r -= conversation.weight;
      if (r < 0) return conversation;
    }
    return conversations.at(-1)!;
  };

  const pool = new Pool(webhookUrl, { connections: 64, pipelining: 1, headersTimeout: 30_000, bodyTimeout: 30_000 });
  const byToken = new Map<string, Sent>();
  const all: Sent[] = [];
  // Residents waiting for their next step, in the order they became ready (readyAt never decreases).
  const ready: Resident[] = [];
  let readyHead = 0;
  let deviations = 0;
  const deviationExamples: string[] = [];
  let conversationsStarted = 0;
  let conversationsFinished = 0;
  let repliesBeforeAck = 0;
  let duplicateReplies = 0;
  let unknownReplies = 0;
  const pushesBefore = lineApi.pushes;
  let inWindow = false;
  let repliesInWindow = 0;

  const deviate = (resident: Resident, why: string) => {
    deviations += 1;
    if (deviationExamples.length < 5) deviationExamples.push(`${resident.conversation.name}, step ${resident.next + 1}: ${why}`);
  };

  // Both the ack and the reply are in: check the answer, then the resident thinks and goes on.
  const settle = (sent: Sent) => {
    const resident = sent.resident;
    resident.lastReply = sent.messages!;
    const expected = sent.step.expect;
    const answer = expected === undefined ? "" : JSON.stringify(sent.messages);
    if (expected !== undefined && !(typeof expected === "string" ? answer.includes(expected) : expected.test(answer))) {
      deviate(resident, `answer lacks ${String(expected)}: ${answer.slice(0, 200)}`);
      return;
    }
    resident.next += 1;
    if (resident.next >= resident.conversation.steps.length) {
      conversationsFinished += 1;
      return;
    }
    resident.readyAt = Math.max(sent.ackAt!, sent.replyAt!) + options.thinkMs;
    ready.push(resident);
  };

  lineApi.onReply = (replyToken, arrivedAt, messages) => {
    if (inWindow) repliesInWindow += 1;
    const sent = byToken.get(replyToken);
    if (!sent) {
      unknownReplies += 1;
      return;
    }
    if (sent.replyAt !== null) {
      duplicateReplies += 1;
      return;
    }
    sent.replyAt = arrivedAt;
    sent.messages = messages;
    if (sent.ackAt === null) repliesBeforeAck += 1;
    else if (sent.ackOk) settle(sent);
  };

  const eventFor = (resident: Resident, step: Step): { replyToken?: string } | null => {
    switch (step.kind) {
      case "text":
        return events.text(resident.userId, step.text);
      case "sticker":
        return events.sticker(resident.userId);
      case "postback":
        return events.postback(resident.userId, step.data);
      case "location":
        return events.location(resident.userId, { message: { id: messageId(), type: "location", title: "九日町", address: "熊本県人吉市九日町", latitude: 32.2127, longitude: 130.7586 } });
      case "image":
        return events.image(resident.userId, { message: { id: messageId(), type: "image", contentProvider: { type: "line" }, quoteToken: `q${messageId()}` } });
      case "tap": {
        const action = findAction(resident.lastReply, step.label);
        if (!action) {
          deviate(resident, `no button ${String(step.label)} in the previous answer`);
          return null;
        }
        return action.type === "postback" ? events.postback(resident.userId, action.data ?? "") : events.text(resident.userId, action.text ?? "");
      }
    }
  };

  // The resident whose turn it is: the longest-ready one, or a new one starting a conversation.
  const nextEvent = (now: number): { resident: Resident; step: Step; event: { replyToken?: string } } => {
    for (;;) {
      let resident: Resident;
      if (readyHead < ready.length && ready[readyHead]!.readyAt <= now) {
        resident = ready[readyHead]!;
        readyHead += 1;
      } else {
        resident = { userId: newUserId(), conversation: pickConversation(), next: 0, lastReply: [], readyAt: now };
        conversationsStarted += 1;
      }
      const step = resident.conversation.steps[resident.next]!;
      const event = eventFor(resident, step);
      if (event) return { resident, step, event };
    }
  };

  const post = async (sent: Sent, body: string) => {
    try {
      const response = await pool.request({
        method: "POST",
        path: "/webhook",
        headers: { "content-type": "application/json", "x-line-signature": sign(body, secret) },
        body,
      });
      sent.ackAt = performance.now();
      sent.ackOk = response.statusCode === 200;
      await response.body.dump();
    } catch {
      sent.ackAt = performance.now();
      sent.ackOk = false;
    }
    if (sent.ackOk && sent.replyAt !== null) settle(sent);
  };

  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const warmUpEvents = Math.round(options.rate * options.warmUpSeconds);
  const total = warmUpEvents + Math.round(options.rate * options.seconds);
  const started = performance.now();
  let measuredFrom = started;
  let cpuBefore: ReturnType<typeof cpuSnapshot> = Promise.resolve(null);
  let queriesBefore: Promise<number> = Promise.resolve(Number.NaN);
  const postgresPids = options.postgresPids ?? (() => Promise.resolve(null));
  const queryCount = options.queryCount ?? (() => Promise.resolve(Number.NaN));
  const requests: Promise<void>[] = [];
  for (let i = 0; i < total; i += 1) {
    const due = started + (i * 1000) / options.rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    if (i === warmUpEvents) {
      measuredFrom = performance.now();
      loopDelay.reset();
      cpuBefore = postgresPids().then((pids) => cpuSnapshot(options.botPid, pids));
      queriesBefore = queryCount();
      inWindow = true;
    }
    const { resident, step, event } = nextEvent(performance.now());
    const sent: Sent = { resident, step, dueAt: Math.min(due, performance.now()), measured: i >= warmUpEvents, ackAt: null, ackOk: false, replyAt: null, messages: null };
    byToken.set(event.replyToken!, sent);
    all.push(sent);
    requests.push(post(sent, webhookBody([event])));
  }
  inWindow = false;
  const measuredSeconds = (performance.now() - measuredFrom) / 1000;
  const cpu = cpuBetween(await cpuBefore, await cpuSnapshot(options.botPid, await postgresPids()));
  const queriesInWindow = (await queryCount()) - (await queriesBefore);
  await Promise.all(requests);
  const generatorLoopDelayP99Ms = loopDelay.percentile(99) / 1e6;
  loopDelay.disable();
  const drainFrom = performance.now();
  const deadline = drainFrom + options.graceMs;
  let lastReplyAt = drainFrom;
  lineApi.onReply = ((onReply) => (replyToken: string, arrivedAt: number, messages: Message[]) => {
    lastReplyAt = arrivedAt;
    onReply(replyToken, arrivedAt, messages);
  })(lineApi.onReply);
  while (all.some((sent) => sent.ackOk && sent.replyAt === null) && performance.now() < deadline && performance.now() - lastReplyAt < options.quietMs) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const drainSeconds = (performance.now() - drainFrom) / 1000;
  await pool.close();
  lineApi.onReply = () => {};

  const measured = all.filter((sent) => sent.measured);
  const ackToReplyByConversation = new Map<string, number[]>();
  const ackToReplyMs: number[] = [];
  for (const sent of measured) {
    if (!sent.ackOk || sent.replyAt === null) continue;
    const latency = sent.replyAt - sent.ackAt!;
    ackToReplyMs.push(latency);
    const name = sent.resident.conversation.name;
    ackToReplyByConversation.set(name, [...(ackToReplyByConversation.get(name) ?? []), latency]);
  }
  return {
    sent: measured.length,
    acked: measured.filter((sent) => sent.ackOk).length,
    ackErrors: measured.filter((sent) => !sent.ackOk).length,
    replied: measured.filter((sent) => sent.replyAt !== null).length,
    missing: measured.filter((sent) => sent.ackOk && sent.replyAt === null).length,
    missingAll: all.filter((sent) => sent.ackOk && sent.replyAt === null).length,
    seconds: measuredSeconds,
    ackToReplyMs,
    dueToAckMs: measured.filter((sent) => sent.ackOk).map((sent) => sent.ackAt! - sent.dueAt),
    ackToReplyByConversation,
    repliesBeforeAck,
    duplicateReplies,
    unknownReplies,
    pushes: lineApi.pushes - pushesBefore,
    deviations,
    deviationExamples,
    conversationsStarted,
    conversationsFinished,
    generatorLoopDelayP99Ms,
    cpu,
    repliesInWindow,
    queriesInWindow,
    drainSeconds,
  };
}
