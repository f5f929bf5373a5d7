// The chat side panel, as the desktop app's ui/chat_panel.py: the call's messages (who,
// when, the text) and a box to write in; Enter sends, Shift+Enter starts a new line.
// The chat button counts what others said while the panel was closed.
//
// Text is only ever set as text (textContent, text nodes): markup in a message shows
// as the characters it is. Web and mail links become anchors whose text is the
// address itself, opened in a new tab without a referrer or an opener.
//
// Events: send {text} (the page hands it to the call and calls sent() or failed()).

import { chatParts } from "./chat.js";

const $ = (id) => document.getElementById(id);
const NEAR_BOTTOM = 40;  // px: a reader scrolled further up is not pulled down

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** HH:MM of a Unix time, in this machine's time zone (as the desktop app shows it). */
export function clock(seconds) {
  const when = new Date(seconds * 1000);
  const pad = (n) => String(n).padStart(2, "0");
  return `${pad(when.getHours())}:${pad(when.getMinutes())}`;
}

/** The text of a message as nodes: text nodes, and anchors for its links. */
export function textNodes(text) {
  return chatParts(text).map((part) => {
    if (part.text !== undefined) return document.createTextNode(part.text);
    const anchor = element("a", "link", part.link);
    anchor.href = part.link;
    anchor.target = "_blank";
    anchor.rel = "noopener noreferrer";
    return anchor;
  });
}

export class ChatPanel extends EventTarget {
  constructor() {
    super();
    this.open = false;
    this.unread = 0;
    $("chat-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    $("chat-input").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.submit();
      }
    });
    $("chat-toggle").addEventListener("click", () => this.setOpen(!this.open));
    $("chat-close").addEventListener("click", () => this.setOpen(false));
  }

  setOpen(open) {
    this.open = open;
    $("chat").hidden = !open;
    $("chat-toggle").setAttribute("aria-pressed", String(open));
    if (open) this.unread = 0;
    this._label();
    if (open) {
      this._scroll(true);
      $("chat-input").focus();
    }
  }

  /** Show one entry of the call's chat (chat.js): who, when, the text. */
  add(entry) {
    const list = $("chat-messages");
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < NEAR_BOTTOM;
    const item = element("li", entry.local ? "message local" : "message");
    item.dataset.seq = String(entry.seq);
    item.dataset.from = entry.from || "";
    const head = element("p", "head");
    const time = element("time", "when", clock(entry.sentAt));
    time.dateTime = new Date(entry.sentAt * 1000).toISOString();
    head.append(element("span", "who", entry.local ? `${entry.name} (you)` : entry.name),
                " ", time);
    const body = element("p", "text");
    body.append(...textNodes(entry.text));
    item.append(head, body);
    list.append(item);
    $("chat-empty").hidden = true;
    this._scroll(atBottom || entry.local);
    if (!this.open && !entry.local) this.setUnread(this.unread + 1);
  }

  setUnread(count) {
    this.unread = count;
    this._label();
  }

  /** The button's badge, and its name as the desktop's: "Show chat (2 unread)". */
  _label() {
    const count = this.unread;
    const badge = $("chat-unread");
    badge.textContent = count < 100 ? String(count) : "99+";
    badge.hidden = count === 0;
    const name = this.open ? "Hide chat" : count ? `Show chat (${count} unread)` : "Show chat";
    $("chat-toggle").setAttribute("aria-label", name);
    $("chat-toggle").title = name;
  }

  /** Sending is possible only while connected; a draft is kept meanwhile. */
  setEnabled(enabled) {
    $("chat-input").disabled = !enabled;
    $("chat-send").disabled = !enabled;
  }

  clear() {
    $("chat-messages").replaceChildren();
    $("chat-empty").hidden = false;
    $("chat-input").value = "";
    this.setError("");
    this.setUnread(0);
    this.setOpen(false);
  }

  submit() {
    const text = $("chat-input").value;
    if (!text.trim()) return;
    this.dispatchEvent(new CustomEvent("send", { detail: { text: text.trim() } }));
  }

  /** The message went: empty the box. */
  sent() {
    $("chat-input").value = "";
    this.setError("");
  }

  setError(text) {
    $("chat-error").textContent = text || "";
    $("chat-error").hidden = !text;
  }

  _scroll(down) {
    const list = $("chat-messages");
    if (down) list.scrollTop = list.scrollHeight;
  }
}
