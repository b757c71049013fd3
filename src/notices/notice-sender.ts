import { HTTPFetchError, messagingApi } from "@line/bot-sdk";
import { outcomeOf, type LineMessage, type SendOutcome } from "../line/line-client.js";

// The Messaging API calls a notice needs. Both sends carry the batch's X-Line-Retry-Key: a request
// retried with the same key is accepted once, and LINE answers 409 Conflict to a key it has
// already accepted, which therefore counts as sent
// (https://developers.line.biz/en/reference/messaging-api/#retry-api-request).
export interface NoticeSender {
  multicast(to: string[], messages: LineMessage[], retryKey: string): Promise<SendOutcome>;
  broadcast(messages: LineMessage[], retryKey: string): Promise<SendOutcome>;
  quota(): Promise<MonthlyQuota>;
}

// This month's target limit (null: no limit set) and the messages counted against it so far
// (https://developers.line.biz/en/reference/messaging-api/#get-quota and #get-consumption).
export interface MonthlyQuota {
  limit: number | null;
  used: number;
}

export function createNoticeSender(options: { channelAccessToken: string; apiBaseUrl: string }): NoticeSender {
  const client = new messagingApi.MessagingApiClient({ channelAccessToken: options.channelAccessToken, baseURL: options.apiBaseUrl });
  return {
    // https://developers.line.biz/en/reference/messaging-api/#send-multicast-message
    multicast: (to, messages, retryKey) => outcomeOf(() => client.multicastWithHttpInfo({ to, messages }, retryKey), true),
    // https://developers.line.biz/en/reference/messaging-api/#send-broadcast-message
    broadcast: (messages, retryKey) => outcomeOf(() => client.broadcastWithHttpInfo({ messages }, retryKey), true),
    async quota() {
      try {
        const [quota, consumption] = await Promise.all([client.getMessageQuota(), client.getMessageQuotaConsumption()]);
        return { limit: quota.type === "limited" ? Number(quota.value ?? 0) : null, used: Number(consumption.totalUsage) };
      } catch (error) {
        const detail = error instanceof HTTPFetchError ? `${error.status} ${error.body.slice(0, 200)}` : String(error);
        throw new QuotaUnavailableError(detail);
      }
    },
  };
}

export class QuotaUnavailableError extends Error {
  constructor(detail: string) {
    super(`LINE's monthly message quota could not be read (${detail}); nothing was sent. Try again in a few minutes.`);
  }
}
