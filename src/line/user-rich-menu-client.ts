import { messagingApi } from "@line/bot-sdk";
import { outcomeOf, type SendOutcome } from "./line-client.js";

// Per-user rich menus (Messaging API reference, "Rich menu"): resolve an alias to a rich menu id
// (GET /v2/bot/richmenu/alias/{richMenuAliasId}), link a menu to a user (POST
// /v2/bot/user/{userId}/richmenu/{richMenuId}) and unlink it (DELETE /v2/bot/user/{userId}/richmenu),
// after which the default menu applies. Each answer is read as a send is: done, retry later, or
// rejected. Deploying menus (src/line/rich-menu-api.ts) is a separate client on purpose: a deploy
// stops at the first error, while these calls run in a job that retries what LINE may accept later.
export type AliasLookup = { kind: "found"; richMenuId: string } | Exclude<SendOutcome, { kind: "sent" }>;

export interface UserRichMenuApi {
  resolveAlias(alias: string): Promise<AliasLookup>;
  link(userId: string, richMenuId: string): Promise<SendOutcome>;
  unlink(userId: string): Promise<SendOutcome>;
}

export function createUserRichMenuApi(options: { channelAccessToken: string; apiBaseUrl: string }): UserRichMenuApi {
  const client = new messagingApi.MessagingApiClient({ channelAccessToken: options.channelAccessToken, baseURL: options.apiBaseUrl });
  return {
    async resolveAlias(alias) {
      let richMenuId = "";
      const outcome = await outcomeOf(async () => {
        const response = await client.getRichMenuAliasWithHttpInfo(alias);
        richMenuId = response.body.richMenuId;
        return response;
      }, false);
      return outcome.kind === "sent" ? { kind: "found", richMenuId } : outcome;
    },
    link: (userId, richMenuId) => outcomeOf(() => client.linkRichMenuIdToUserWithHttpInfo(userId, richMenuId), false),
    unlink: (userId) => outcomeOf(() => client.unlinkRichMenuIdFromUserWithHttpInfo(userId), false),
  };
}
