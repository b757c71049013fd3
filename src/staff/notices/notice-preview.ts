import { html, type SafeHtml } from "../html.js";

// A notice as the LINE app shows it: a chat bubble beside the account's icon; Flex bubbles with
// their header, hero, body and footer blocks; boxes laid out vertically, horizontally or on a
// baseline; text, images, buttons and separators. Colours from the message are carried in data-*
// attributes and applied by notice-compose.js (the console's CSP allows no inline styles).
// The message was checked against LINE's schema before it was saved; the preview reads it loosely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any Flex node, read field by field
type Json = Record<string, any>;

export function messagePreview(messages: unknown[], accountName: string): SafeHtml {
  return html`<div class="line-preview" aria-label="LINEでの見え方">
  <div class="line-preview-bar">${accountName}</div>
  ${messages.map((message) => html`<div class="line-row"><span class="line-icon" aria-hidden="true">市</span>${oneMessage(message as Json)}</div>`)}
</div>`;
}

function oneMessage(message: Json): SafeHtml {
  switch (message.type) {
    case "text":
      return html`<div class="line-bubble line-text">${linkified(String(message.text ?? ""))}</div>`;
    case "image":
      return html`<div class="line-image"><img src="${message.previewImageUrl}" alt="画像（${message.originalContentUrl}）"></div>`;
    case "flex":
      return message.contents?.type === "carousel"
        ? html`<div class="flex-carousel">${(message.contents.contents as Json[]).map(bubble)}</div>`
        : bubble(message.contents as Json);
    default:
      return html`<div class="line-bubble line-text">${message.altText ?? `（${message.type}）`}</div>`;
  }
}

function linkified(text: string): SafeHtml[] {
  return text.split(/(https?:\/\/[^\s]+)/g).map((part, index) => (index % 2 === 1 ? html`<a href="${part}" rel="noreferrer" target="_blank">${part}</a>` : html`${part}`));
}

function bubble(node: Json): SafeHtml {
  const sections = (["header", "hero", "body", "footer"] as const).filter((name) => node[name]);
  return html`<div class="flex-bubble${node.size ? ` size-${node.size}` : ""}">${sections.map(
    (name) => html`<div class="flex-${name}"${colour("bg", node.styles?.[name]?.backgroundColor ?? node[name].backgroundColor)}>${component(node[name])}</div>`,
  )}</div>`;
}

function component(node: Json): SafeHtml {
  switch (node.type) {
    case "box":
      return html`<div class="flex-box ${node.layout ?? "vertical"}${node.spacing ? ` spacing-${node.spacing}` : ""}${flexClass(node)}"${colour("bg", node.backgroundColor)}>${((node.contents ?? []) as Json[]).map(component)}</div>`;
    case "text":
      return html`<p class="flex-text size-${node.size ?? "md"}${node.weight === "bold" ? " bold" : ""}${node.wrap ? " wrap" : ""}${node.align ? ` align-${node.align}` : ""}${flexClass(node)}"${colour("fg", node.color)}>${node.text ?? ""}</p>`;
    case "image":
      return html`<img class="flex-image ratio-${String(node.aspectRatio ?? "1:1").replace(":", "-")}${node.size === "full" ? " full" : ""}" src="${node.url}" alt="">`;
    case "button":
      return html`<a class="flex-button ${node.style ?? "link"}" href="${node.action?.uri ?? "#"}" rel="noreferrer" target="_blank"${colour(node.style === "link" || !node.style ? "fg" : "bg", node.color)}>${node.action?.label ?? ""}</a>`;
    case "separator":
      return html`<hr class="flex-separator">`;
    case "filler":
    case "spacer":
      return html`<div class="flex-filler"></div>`;
    default:
      return html``;
  }
}

function flexClass(node: Json): string {
  return typeof node.flex === "number" ? ` grow-${Math.min(Math.max(node.flex, 0), 9)}` : "";
}

function colour(kind: "fg" | "bg", value: unknown): SafeHtml {
  return typeof value === "string" && /^#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?$/.test(value) ? html` data-${kind}="${value}"` : html``;
}
