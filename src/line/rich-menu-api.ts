import { HTTPFetchError, messagingApi } from "@line/bot-sdk";

// The rich menu endpoints a deploy uses, through the SDK's clients: the Messaging API host for the
// objects, aliases and the default, the data host (LINE_DATA_API_BASE_URL) for images. Every
// failure names the call and LINE's answer, so whoever runs the deploy knows what LINE refused.
export interface RichMenuApi {
  validate(request: messagingApi.RichMenuRequest): Promise<void>;
  list(): Promise<messagingApi.RichMenuResponse[]>;
  create(request: messagingApi.RichMenuRequest): Promise<string>;
  hasImage(richMenuId: string): Promise<boolean>;
  uploadImage(richMenuId: string, image: Buffer, contentType: "image/png" | "image/jpeg"): Promise<void>;
  aliases(): Promise<messagingApi.RichMenuAliasResponse[]>;
  createAlias(aliasId: string, richMenuId: string): Promise<void>;
  updateAlias(aliasId: string, richMenuId: string): Promise<void>;
  defaultMenuId(): Promise<string | null>;
  setDefault(richMenuId: string): Promise<void>;
  // Moves every resident linked to `from` over to `to` (LINE's batch control of rich menus);
  // resolves when LINE reports the batch finished.
  relink(from: string, to: string): Promise<void>;
  remove(richMenuId: string): Promise<void>;
}

export class RichMenuApiError extends Error {
  constructor(
    readonly call: string,
    readonly status: number | null,
    detail: string,
  ) {
    super(`${call} failed: ${detail}`);
  }
}

export interface RichMenuApiOptions {
  channelAccessToken: string;
  apiBaseUrl: string;
  dataApiBaseUrl: string;
  // How long to wait between looks at a batch's progress (tests use 0).
  batchPollMs?: number;
  batchTimeoutMs?: number;
}

export function createRichMenuApi(options: RichMenuApiOptions): RichMenuApi {
  const client = new messagingApi.MessagingApiClient({ channelAccessToken: options.channelAccessToken, baseURL: options.apiBaseUrl });
  const blob = new messagingApi.MessagingApiBlobClient({ channelAccessToken: options.channelAccessToken, baseURL: options.dataApiBaseUrl });
  const pollMs = options.batchPollMs ?? 1_000;
  const timeoutMs = options.batchTimeoutMs ?? 120_000;
  return {
    validate: (request) => call("POST /v2/bot/richmenu/validate", () => client.validateRichMenuObject(request)).then(() => undefined),
    list: () => call("GET /v2/bot/richmenu/list", () => client.getRichMenuList()).then((answer) => answer.richmenus),
    create: (request) => call("POST /v2/bot/richmenu", () => client.createRichMenu(request)).then((answer) => answer.richMenuId),
    async hasImage(richMenuId) {
      try {
        // Only whether it exists matters: the download is dropped unread.
        (await blob.getRichMenuImage(richMenuId)).destroy();
        return true;
      } catch (error) {
        if (error instanceof HTTPFetchError && error.status === 404) return false;
        throw explain(`GET /v2/bot/richmenu/${richMenuId}/content`, error);
      }
    },
    uploadImage: (richMenuId, image, contentType) =>
      call(`POST /v2/bot/richmenu/${richMenuId}/content`, () => blob.setRichMenuImage(richMenuId, new Blob([new Uint8Array(image)], { type: contentType }))).then(() => undefined),
    aliases: () => call("GET /v2/bot/richmenu/alias/list", () => client.getRichMenuAliasList()).then((answer) => answer.aliases),
    createAlias: (aliasId, richMenuId) => call("POST /v2/bot/richmenu/alias", () => client.createRichMenuAlias({ richMenuAliasId: aliasId, richMenuId })).then(() => undefined),
    updateAlias: (aliasId, richMenuId) => call(`POST /v2/bot/richmenu/alias/${aliasId}`, () => client.updateRichMenuAlias(aliasId, { richMenuId })).then(() => undefined),
    async defaultMenuId() {
      try {
        return (await client.getDefaultRichMenuId()).richMenuId;
      } catch (error) {
        // LINE answers 404 when no default rich menu is set.
        if (error instanceof HTTPFetchError && error.status === 404) return null;
        throw explain("GET /v2/bot/user/all/richmenu", error);
      }
    },
    setDefault: (richMenuId) => call(`POST /v2/bot/user/all/richmenu/${richMenuId}`, () => client.setDefaultRichMenu(richMenuId)).then(() => undefined),
    async relink(from, to) {
      const what = "POST /v2/bot/richmenu/batch";
      const { httpResponse } = await call(what, () => client.richMenuBatchWithHttpInfo({ operations: [{ type: "link", from, to }] }));
      // The batch's progress is looked up by the request id LINE gave the batch request.
      const requestId = httpResponse.headers.get("x-line-request-id");
      if (!requestId) throw new RichMenuApiError(what, httpResponse.status, "LINE gave no x-line-request-id to follow the batch with");
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const progress = await call("GET /v2/bot/richmenu/progress/batch", () => client.getRichMenuBatchProgress(requestId));
        if (progress.phase === "succeeded") return;
        if (progress.phase === "failed") throw new RichMenuApiError(what, null, `moving residents from ${from} to ${to} failed for some of them; run the deploy again`);
        if (Date.now() > deadline) throw new RichMenuApiError(what, null, `moving residents from ${from} to ${to} was still under way after ${timeoutMs / 1000} s; run the deploy again later`);
        await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
    },
    remove: (richMenuId) => call(`DELETE /v2/bot/richmenu/${richMenuId}`, () => client.deleteRichMenu(richMenuId)).then(() => undefined),
  };
}

async function call<T>(what: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    throw explain(what, error);
  }
}

function explain(what: string, error: unknown): RichMenuApiError {
  if (error instanceof HTTPFetchError) return new RichMenuApiError(what, error.status, `LINE answered ${error.status} ${error.statusText}: ${error.body.slice(0, 500)}`);
  const cause = error instanceof Error ? `${error.message}${error.cause instanceof Error ? ` (${error.cause.message})` : ""}` : String(error);
  return new RichMenuApiError(what, null, `network: ${cause}`);
}
