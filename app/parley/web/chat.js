// The call's chat (docs/protocol.md: chat, chat_message, chat_history), as the desktop
// app's sdk/chat.py ChatLog has it: each message once and in order, this guest's own
// too (the server's relay is the acknowledgement), and the call's earlier chat when
// joining late or resuming after missing some. No DOM here.
//
// Events: message {entry, live} where entry is {seq, from, name, text, sentAt (Unix
//   seconds), local}; live is false for the history sent after a welcome.

export const MAX_CHAT_LENGTH = 2000;
const SAFE_SCHEMES = new Set(["http:", "https:", "mailto:"]);
// The desktop's ui/linkify.py rule: a web or mail link runs to the first space,
// quote, bracket or backtick; trailing punctuation is not part of it.
const URL_PATTERN = /(?:https?:\/\/|mailto:)[^\s<>"'`]+/gi;
const TRAILING = /[.,;:!?)\]}]+$/;
// Control characters (Unicode category Cc) other than a line break and a tab.
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

/** Why ``text`` may not be sent (parley.protocol.chattext's rule), or null. */
export function chatTextProblem(text) {
  if (typeof text !== "string" || !text.trim()) return "Type a message first.";
  if ([...text].length > MAX_CHAT_LENGTH) {
    return `A message holds at most ${MAX_CHAT_LENGTH} characters.`;
  }
  if (CONTROLS.test(text)) return "A message cannot hold control characters.";
  return null;
}

/** Whether ``href`` may become a link: a web or mail address, nothing else. */
export function isSafeLink(href) {
  try {
    return SAFE_SCHEMES.has(new URL(href).protocol);
  } catch (error) {
    return false;
  }
}

/** ``text`` cut into parts to show: {text} as it is, or {link} (its own text too). */
export function chatParts(text) {
  const parts = [];
  let position = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const link = match[0].replace(TRAILING, "");
    if (!link || !isSafeLink(link)) continue;
    if (match.index > position) parts.push({ text: text.slice(position, match.index) });
    parts.push({ link });
    position = match.index + link.length;
  }
  if (position < text.length) parts.push({ text: text.slice(position) });
  return parts;
}

export class Chat extends EventTarget {
  /**
   * @param {object} options {send(type, fields) (false when not sent), localId()}
   */
  constructor(options) {
    super();
    this.options = options;
    this.entries = [];
  }

  /** Send ``text`` to everyone; the words of a problem, or null when it went. */
  send(text) {
    const problem = chatTextProblem(text);
    if (problem) return problem;
    if (this.options.send("chat", { text }) === false) {
      return "Not connected: the message was not sent.";
    }
    return null;
  }

  /** One server message; false when it is not about chat. */
  handle(message) {
    if (message.type === "chat_message") {
      // a live message is always new: a lower seq means the server restarted and the
      // call's chat started again
      this._take(message, true);
    } else if (message.type === "chat_history") {
      for (const old of message.messages || []) this._take(old, false);
    } else {
      return false;
    }
    return true;
  }

  _take(message, live) {
    const last = this.entries.length ? this.entries[this.entries.length - 1].seq : 0;
    if (!live && message.seq <= last) return;  // seen already (a resume sends it all again)
    if (typeof message.text !== "string") return;
    const entry = {
      seq: message.seq, from: message.from, name: message.name || "Guest",
      text: message.text, sentAt: message.sent_at,
      local: Boolean(message.from) && message.from === this.options.localId() };
    this.entries.push(entry);
    this.dispatchEvent(new CustomEvent("message", { detail: { entry, live } }));
  }
}
