import { Agent, request } from "node:http";
import { events, newUserId, sign, webhookBody, type TestEvent } from "../../support/webhook-client.js";
import type { FaultLineApi } from "./fault-line-api.js";
import { mulberry32 } from "../../support/numbers.js";
import { preciseNow, sleep } from "./numbers.js";

// Residents writing to the bot: each sends its own sequence of signed text-message webhooks, one
// after the other, each with a unique webhookEventId and reply token (registered with the fake
// LINE API, whose 60 s start then). An event not answered 200 is sent again after a while, as LINE
// redelivers (same webhookEventId, deliveryContext.isRedelivery true), until acked or given up.
// The prompts have different answers (seeds/intents: greeting, help, furusato_nozei, certificate)
// and leave no conversation state behind, so every event gets exactly one answer of its own.
export const PROMPTS = ["こんにちは", "ヘルプ", "ふるさと納税", "住民票をコンビニで"];

export interface Attempt {
  target: string;
  sentAt: number;
  endedAt: number;
  // null: no answer (connection refused or reset, or the client's timeout).
  status: number | null;
  error: string | null;
  connectionClose: boolean;
}

export interface SentEvent {
  eventId: string;
  userId: string;
  replyToken: string;
  resident: number;
  // Position in the resident's sequence (0, 1, 2, …).
  index: number;
  text: string;
  attempts: Attempt[];
  ackedAt: number | null;
}

export interface LoadOptions {
  line: FaultLineApi;
  // Where to send: event k of a resident goes to targets[k % targets.length].
  targets: string[];
  residents: number;
  // Each resident stops after this many events, or when the duration is over, or at stop().
  eventsPerResident?: number;
  durationMs?: number;
  thinkMs?: [number, number];
  // Events come in bursts of this many, each 0–10 ms after the previous one's ack (a resident
  // sending a message and a sticker), with thinkMs between bursts. Default 1.
  burst?: number;
  // As LINE does, send the next event after the think time without waiting for the previous one's
  // 200 (a fixed offered rate, whatever the bot's speed); each event's timestamp is still later
  // than the one before. Default: wait for the previous event's 200 (or its giving up).
  overlap?: boolean;
  redeliver?: { delayMs: number; giveUpMs: number } | null;
  requestTimeoutMs?: number;
  // Kept-alive connections shared by the residents (default: 16 sockets per target).
  agent?: Agent;
  seed?: number;
}

export class ResidentLoad {
  readonly events: SentEvent[] = [];
  readonly done: Promise<void>;
  readonly userIds: string[];
  #stopping = false;
  #abandoned = false;
  readonly #agent: Agent;
  readonly #random: () => number;

  constructor(private readonly options: LoadOptions) {
    this.#agent = options.agent ?? new Agent({ keepAlive: true, maxSockets: 16 });
    this.#random = mulberry32(options.seed ?? 7);
    this.userIds = Array.from({ length: options.residents }, () => newUserId());
    const until = options.durationMs === undefined ? Infinity : Date.now() + options.durationMs;
    this.done = Promise.all(this.userIds.map((userId, resident) => this.#resident(resident, userId, until))).then(() => {});
  }

  // No new events from now on; events being (re)delivered still finish.
  async stop(): Promise<void> {
    this.#stopping = true;
    await this.done;
  }

  // No new events and no more redeliveries (the bot is gone for good).
  async abandon(): Promise<void> {
    this.#abandoned = true;
    await this.stop();
  }

  acked(): SentEvent[] {
    return this.events.filter((event) => event.ackedAt !== null);
  }

  attempts(): Attempt[] {
    return this.events.flatMap((event) => event.attempts);
  }

  async #resident(resident: number, userId: string, until: number): Promise<void> {
    const { eventsPerResident = Infinity, thinkMs = [100, 300] } = this.options;
    const inFlight: Promise<void>[] = [];
    let lastTimestamp = 0;
    for (let index = 0; index < eventsPerResident && !this.#stopping && Date.now() < until; index += 1) {
      const text = PROMPTS[(resident + index) % PROMPTS.length]!;
      lastTimestamp = Math.max(Date.now(), lastTimestamp + 1);
      const event = events.text(userId, text, { timestamp: lastTimestamp });
      const sent: SentEvent = { eventId: event.webhookEventId, userId, replyToken: event.replyToken!, resident, index, text, attempts: [], ackedAt: null };
      this.events.push(sent);
      this.options.line.issueReplyToken(sent.replyToken, userId);
      const delivered = this.#deliver(event, sent, this.options.targets[index % this.options.targets.length]!);
      if (this.options.overlap) inFlight.push(delivered);
      else await delivered;
      const [low, high] = (index + 1) % (this.options.burst ?? 1) === 0 ? thinkMs : [0, 10];
      await sleep(low + this.#random() * (high - low));
    }
    await Promise.all(inFlight);
  }

  async #deliver(event: TestEvent, sent: SentEvent, target: string): Promise<void> {
    const redeliver = this.options.redeliver === undefined ? { delayMs: 1_000, giveUpMs: 120_000 } : this.options.redeliver;
    const firstSentAt = Date.now();
    for (;;) {
      const redelivery = sent.attempts.length > 0;
      const body = webhookBody([redelivery ? { ...event, deliveryContext: { isRedelivery: true } } : event]);
      const attempt = await postSigned(target, body, this.#agent, this.options.requestTimeoutMs ?? 30_000);
      sent.attempts.push(attempt);
      if (attempt.status === 200) {
        sent.ackedAt = attempt.endedAt;
        return;
      }
      if (!redeliver || this.#abandoned || Date.now() - firstSentAt > redeliver.giveUpMs) return;
      await sleep(redeliver.delayMs);
    }
  }
}

// One signed POST /webhook; never throws.
export function postSigned(baseUrl: string, body: string | Buffer, agent: Agent, timeoutMs: number): Promise<Attempt> {
  const sentAt = preciseNow();
  const url = new URL("/webhook", baseUrl);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (status: number | null, error: string | null, connectionClose = false) => {
      if (settled) return;
      settled = true;
      resolve({ target: baseUrl, sentAt, endedAt: preciseNow(), status, error, connectionClose });
    };
    const req = request(
      url,
      {
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "x-line-signature": sign(body), "content-length": Buffer.byteLength(body) },
        timeout: timeoutMs,
      },
      (res) => {
        res.resume();
        res.on("end", () => finish(res.statusCode ?? null, null, /close/i.test(String(res.headers.connection ?? ""))));
        res.on("error", (error) => finish(res.statusCode ?? null, String(error)));
      },
    );
    req.on("timeout", () => {
      req.destroy(new Error(`no answer within ${timeoutMs} ms`));
    });
    req.on("error", (error) => finish(null, error.message));
    req.end(body);
  });
}
