import { HTTPFetchError, messagingApi } from "@line/bot-sdk";
import { Agent, setGlobalDispatcher } from "undici";

export type LineMessage = messagingApi.Message;

// What a send attempt came to, decided from LINE's answer:
// - sent: accepted (a 409 on push means this retry key was accepted before: also sent).
// - retry: 429, 5xx or a network failure; try again later with the same retry key. maybeDelivered:
//   no answer came back after the request may have reached LINE (a connection reset or a timeout,
//   not a refused connection), so LINE may have acted on it.
// - rejected: any other 4xx; trying again would fail the same way.
export type SendOutcome =
  | { kind: "sent"; status: number }
  | { kind: "retry"; status: number | null; error: string; maybeDelivered: boolean }
  | { kind: "rejected"; status: number; error: string };

export interface LineSender {
  reply(replyToken: string, messages: LineMessage[]): Promise<SendOutcome>;
  push(to: string, messages: LineMessage[], retryKey: string): Promise<SendOutcome>;
}

export function createLineSender(options: { channelAccessToken: string; apiBaseUrl: string }): LineSender {
  const client = new messagingApi.MessagingApiClient({
    channelAccessToken: options.channelAccessToken,
    baseURL: options.apiBaseUrl,
  });
  return {
    reply: (replyToken, messages) =>
      outcomeOf(() => client.replyMessageWithHttpInfo({ replyToken, messages }), false),
    // https://developers.line.biz/en/reference/messaging-api/#retry-api-request : a push retried
    // with the same X-Line-Retry-Key is delivered once; LINE answers 409 to the duplicate.
    push: (to, messages, retryKey) =>
      outcomeOf(() => client.pushMessageWithHttpInfo({ to, messages }, retryKey), true),
  };
}

export async function outcomeOf(send: () => Promise<{ httpResponse: Response }>, conflictMeansSent: boolean): Promise<SendOutcome> {
  try {
    const { httpResponse } = await send();
    return { kind: "sent", status: httpResponse.status };
  } catch (error) {
    if (error instanceof HTTPFetchError) {
      const detail = `${error.status} ${error.statusText}: ${error.body.slice(0, 500)}`;
      if (error.status === 409 && conflictMeansSent) return { kind: "sent", status: 409 };
      if (error.status === 429 || error.status >= 500) return { kind: "retry", status: error.status, error: detail, maybeDelivered: false };
      return { kind: "rejected", status: error.status, error: detail };
    }
    const message = error instanceof Error ? `${error.message}${causeOf(error)}` : String(error);
    return { kind: "retry", status: null, error: `network: ${message}`, maybeDelivered: !neverSent(error) };
  }
}

// Errors that happen before a request can reach the server: nothing was sent.
const notSentCodes = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_CONNECT_TIMEOUT"]);

function neverSent(error: unknown): boolean {
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause;
  const code = (cause as { code?: unknown } | undefined)?.code ?? (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && notSentCodes.has(code);
}

function causeOf(error: Error): string {
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? ` (${cause.message})` : "";
}

// The SDK's clients call the global fetch with no time limit: a LINE API that accepts the
// connection and never answers would hold a send forever. Every fetch of the process gets these
// limits (the SDK offers no per-client setting); a call past them fails as a network error, which
// the outbox retries (a push with its retry key, a reply as "may have reached LINE").
export function limitLineRequestTime(timeoutMs: number): void {
  setGlobalDispatcher(new Agent({ connect: { timeout: Math.min(timeoutMs, 5_000) }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs }));
}
