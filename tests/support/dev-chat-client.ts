import type { RunningBot } from "../../src/bot.js";
import { LOCAL_CHANNEL_SECRET } from "../../src/config.js";
import type { CapturedRequest } from "../../src/devchat/line-api-standin/captured-requests.js";
import type { ShownRichMenu } from "../../src/devchat/chat-rich-menu.js";
import { events, newUserId, sendEvents, waitFor, type TestEvent } from "./webhook-client.js";

// What the dev chat page (src/devchat/chat-page.html) does, over HTTP, for tests without a browser:
// it sends signed webhook events as its user, reads what the bot sent from the page's feed
// (/dev/chat/api/captured) as the page does, and reads and taps the user's rich menu.
export type Message = { type: string; text?: string; altText?: string; quickReply?: { items: { action: Record<string, string> }[] } };

export class DevChatClient {
  #since = 0;
  readonly replyTokens = new Set<string>();

  constructor(
    readonly bot: RunningBot,
    readonly userId = newUserId(),
  ) {}

  // As the page opens: only what the bot sends from now on is this page's.
  async open(): Promise<this> {
    this.#since = (await this.feed(0)).next;
    return this;
  }

  async feed(since = this.#since): Promise<{ next: number; requests: CapturedRequest[] }> {
    const response = await fetch(`${this.bot.url}/dev/chat/api/captured?since=${since}`);
    if (!response.ok) throw new Error(`the feed answered ${response.status}`);
    return (await response.json()) as { next: number; requests: CapturedRequest[] };
  }

  // What the page shows its user: replies to its events, pushes to it, multicasts naming it, broadcasts.
  async delivered(): Promise<CapturedRequest[]> {
    const { requests } = await this.feed();
    return requests.filter(
      (request) =>
        (request.kind === "reply" && this.replyTokens.has(request.replyToken)) ||
        (request.kind === "push" && request.to === this.userId) ||
        (request.kind === "multicast" && request.to.includes(this.userId)) ||
        request.kind === "broadcast",
    );
  }

  async send(event: TestEvent): Promise<void> {
    if (event.replyToken) this.replyTokens.add(event.replyToken);
    await sendEvents(this.bot.url, [event], LOCAL_CHANNEL_SECRET);
  }

  // Sends an event and waits for the bot's reply to it.
  async say(event: TestEvent): Promise<Message[]> {
    await this.send(event);
    const reply = await waitFor(async () => (await this.delivered()).find((request) => request.kind === "reply" && request.replyToken === event.replyToken), `the reply to ${event.type}`);
    return reply.messages as Message[];
  }

  follow(): Promise<Message[]> {
    return this.say(events.follow(this.userId));
  }

  text(text: string): Promise<Message[]> {
    return this.say(events.text(this.userId, text));
  }

  // A quick reply button of the bot's last answer, pressed.
  press(messages: Message[], label: string): Promise<Message[]> {
    const action = messages.flatMap((message) => message.quickReply?.items ?? []).find((item) => item.action.label === label)?.action;
    if (!action) throw new Error(`no quick reply 「${label}」 in ${JSON.stringify(messages.map((message) => message.quickReply?.items.map((item) => item.action.label)))}`);
    return this.say(action.type === "postback" ? events.postback(this.userId, action.data!) : events.text(this.userId, action.text!));
  }

  async richMenu(): Promise<ShownRichMenu | null> {
    const response = await fetch(`${this.bot.url}/dev/chat/api/richmenu?userId=${this.userId}`);
    if (!response.ok) throw new Error(`the rich menu answered ${response.status}: ${await response.text()}`);
    return ((await response.json()) as { richMenu: ShownRichMenu | null }).richMenu;
  }

  // A tap on the area of `menu` with this label, sent as LINE sends it: a message action as the
  // user's text, a postback as a postback, a tab as a postback with the new alias in its params
  // (then the tab's menu is returned instead of messages: the bot answers a tab with silence).
  async tap(menu: ShownRichMenu, label: string): Promise<{ messages: Message[] } | { switchedTo: ShownRichMenu; event: TestEvent }> {
    const action = menu.areas.find((area) => area.action?.label === label)?.action as Record<string, string> | undefined;
    if (!action) throw new Error(`no area 「${label}」 in ${menu.name}`);
    if (action.type === "message") return { messages: await this.say(events.text(this.userId, action.text!)) };
    if (action.type === "postback") return { messages: await this.say(events.postback(this.userId, action.data!)) };
    if (action.type !== "richmenuswitch") throw new Error(`a ${action.type} area sends no event`);
    const response = await fetch(`${this.bot.url}/dev/chat/api/richmenu/alias/${action.richMenuAliasId}`);
    if (!response.ok) throw new Error(`the tab's menu answered ${response.status}`);
    const switchedTo = ((await response.json()) as { richMenu: ShownRichMenu }).richMenu;
    const event = events.postback(this.userId, action.data!, { postback: { data: action.data, params: { newRichMenuAliasId: action.richMenuAliasId, status: "SUCCESS" } } });
    await this.send(event);
    return { switchedTo, event };
  }
}
