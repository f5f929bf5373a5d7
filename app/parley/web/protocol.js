// The wire facts of docs/protocol.md that the guest client needs, and the words it
// shows for them. Nothing here touches the network or the page.

export const PROTOCOL_VERSION = 1;

/** The roles an offer declares for its m-lines (docs/protocol.md, "Track roles"). */
export const ROLES = ["audio", "camera", "screen"];
export const ROLE_KIND = { audio: "audio", camera: "video", screen: "video" };

/** The heartbeat channel every peer connection carries ("Peer heartbeat"). */
export const HEARTBEAT = { label: "parley-heartbeat", id: 0, interval: 0.5, timeout: 2.0 };

/** One frame: the envelope {"v": 1, "type": ...} around the fields. */
export function frame(type, fields = {}) {
  return JSON.stringify({ v: PROTOCOL_VERSION, type, ...fields });
}

/** A frame from the server, or null when it is not one (the page ignores it then). */
export function parse(text) {
  try {
    const message = JSON.parse(text);
    if (message && message.v === PROTOCOL_VERSION && typeof message.type === "string") {
      return message;
    }
  } catch (error) {
    // not JSON: fall through
  }
  return null;
}

/** The polite side of a pair is the one with the higher id (code-point order). */
export function isPolite(localId, remoteId) {
  return localId > remoteId;
}

const ERROR_TEXT = {
  token_required: "This call needs an invitation. Open the link you were sent.",
  token_invalid: "This invitation link is not valid. Ask for a new one.",
  token_expired: "This invitation has expired. Ask for a new one.",
  token_wrong_room: "This invitation is for another call.",
  token_used_up: "This invitation has been used as often as it allows. Ask for a new one.",
  room_full: "This call is full.",
  too_many_rooms: "The call server is too busy to start another call.",
  resume_refused: "Your place in the call was given up.",
  invalid_session_id: "This is not a call name: use 1-64 letters, digits, _ . or -.",
  invalid_field: "Your name was refused: use 1-64 printable characters.",
  unsupported_version: "This page does not speak the call server's protocol version.",
  rate_limited: "Too many messages: slow down.",
  not_host: "Only the host can end the call.",
  lobby_denied: "The host did not let you in.",
  lobby_timeout: "Nobody let you in: the wait timed out.",
};

const CLOSE_TEXT = {
  1009: "A message was too large for the call server.",
  4001: ERROR_TEXT.token_invalid,
  4003: ERROR_TEXT.room_full,
  4010: "The call server no longer holds your place in the call.",
  4011: "The host ended the call.",
  4012: "You joined this call from somewhere else.",
  4013: "You were not let in.",
};

// Where the refused message (the error's ref) changes what the code means.
const REF_ERROR_TEXT = {
  chat: {
    rate_limited: "Too many chat messages at once: that one was not sent. Wait a moment.",
    invalid_field: "That chat message was refused: use 1-2000 characters of plain text.",
  },
};

/** Words for an error the server sent ({code, message, ref}). */
export function errorText(code, message, ref = null) {
  const forRef = REF_ERROR_TEXT[ref] || {};
  return forRef[code] || ERROR_TEXT[code] || `The call server refused: ${message || code}`;
}

/** Words for a socket the server closed with ``code``, or null for an ordinary loss. */
export function closeText(code) {
  return CLOSE_TEXT[code] || null;
}

/** Close codes after which resuming is pointless (docs/protocol.md, "Error codes"). */
export const FINAL_CLOSES = new Set([1000, 4001, 4003, 4010, 4011, 4012, 4013]);
