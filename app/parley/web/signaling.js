// The link to the call server (docs/protocol.md): join, heartbeats, resume.
//
// Events (CustomEvent, details in brackets):
//   waiting  {message}  the join waits in the lobby for a host (lobby_waiting)
//   message  {message}  every server message after the welcome
//   lost                the link is down; resuming
//   restored {welcome}  resumed with the same participant id
//   ended    {reason, text}  for good: "left", "closed" (server or host), "refused"

import { FINAL_CLOSES, closeText, errorText, frame, parse } from "./protocol.js";

const RETRY_DELAYS = [0, 0.25, 0.5, 1, 2];  // seconds; the last one repeats

export class JoinError extends Error {
  constructor(code, text) {
    super(text);
    this.code = code;
  }
}

export class Signaling extends EventTarget {
  /**
   * @param {string} url the WebSocket URL (ws://host:port/ws)
   * @param {object} join {session_id, display_name, token, audio_muted, video_paused}
   */
  constructor(url, join) {
    super();
    this.url = url;
    this.join = join;
    this.welcome = null;
    this.resumeToken = null;
    this.socket = null;
    this.state = "idle";  // idle, joined, reconnecting, ended
    this._heard = 0;
    this._pinger = null;
    this._lostAt = 0;
  }

  get participantId() {
    return this.welcome ? this.welcome.participant_id : null;
  }

  /** Join; resolves with the welcome, rejects with a JoinError. */
  async connect() {
    const welcome = await this._open(null);
    this.state = "joined";
    return welcome;
  }

  /** Send one message; false when the link is down now (nothing was sent). */
  send(type, fields = {}) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN && this.state === "joined") {
      this.socket.send(frame(type, fields));
      return true;
    }
    return false;
  }

  /** Leave for good (idempotent). */
  leave() {
    if (this.state === "ended") return;
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(frame("leave"));
    }
    this._end("left", "You left the call.");
  }

  /** Drop the socket as a dead network would (for tests and diagnostics). */
  drop() {
    if (this.socket) this.socket.close(4999, "dropped by the page");
  }

  // ---------------------------------------------------------------- one socket

  _open(resumeToken) {
    return new Promise((resolve, reject) => {
      let welcomed = false;
      let refusal = null;
      let lobbyPinger = null;  // pings while a host decides (docs/protocol.md, the lobby)
      const socket = new WebSocket(this.url);
      const settle = (error) => {
        clearInterval(lobbyPinger);
        if (welcomed) return;
        welcomed = true;
        reject(error);
      };
      socket.onopen = () => {
        socket.send(frame("join", { ...this.join, resume_token: resumeToken }));
      };
      socket.onmessage = (event) => {
        const message = parse(event.data);
        if (!message) return;
        this._heard = performance.now();
        if (!welcomed) {
          if (message.type === "welcome") {
            welcomed = true;
            clearInterval(lobbyPinger);
            this._adopt(socket, message);
            resolve(message);
          } else if (message.type === "lobby_waiting" && !lobbyPinger) {
            lobbyPinger = setInterval(() => socket.send(frame("ping", {
              t: performance.now() / 1000 })), message.heartbeat_interval * 1000);
            this.dispatchEvent(new CustomEvent("waiting", { detail: { message } }));
          } else if (message.type === "error") {
            refusal = new JoinError(message.code, errorText(message.code, message.message));
          }
          return;
        }
        if (socket === this.socket) this._handle(message);
      };
      socket.onclose = (event) => {
        if (!welcomed) {
          settle(refusal || new JoinError(String(event.code),
            closeText(event.code) || "The call server cannot be reached."));
          return;
        }
        if (socket === this.socket) this._closed(event.code);
      };
    });
  }

  _adopt(socket, welcome) {
    this.socket = socket;
    this.welcome = welcome;
    this.resumeToken = welcome.resume_token;
    clearInterval(this._pinger);
    const interval = welcome.heartbeat_interval * 1000;
    const timeout = welcome.heartbeat_timeout * 1000;
    this._heard = performance.now();
    this._pinger = setInterval(() => {
      if (performance.now() - this._heard > timeout) {
        this._lose();  // nothing heard for the timeout: the link is lost
        return;
      }
      socket.send(frame("ping", { t: performance.now() / 1000 }));
    }, interval);
  }

  _handle(message) {
    switch (message.type) {
      case "pong":
        if (message.resume_token) this.resumeToken = message.resume_token;
        return;
      case "going_away":
        this._lose((message.retry_after || 0) * 1000);
        return;
      case "room_closed":
        this._end("closed", "The host ended the call.");
        return;
      default:
        this.dispatchEvent(new CustomEvent("message", { detail: { message } }));
    }
  }

  _closed(code) {
    if (this.state === "ended") return;
    if (FINAL_CLOSES.has(code)) {
      this._end(code === 4011 ? "closed" : "refused", closeText(code) || "The call ended.");
      return;
    }
    this._lose();
  }

  // ---------------------------------------------------------------- resume

  _lose(delay = 0) {
    if (this.state !== "joined") return;
    clearInterval(this._pinger);
    const socket = this.socket;
    this.socket = null;
    if (socket) socket.close();
    this.state = "reconnecting";
    this._lostAt = performance.now();
    this.dispatchEvent(new CustomEvent("lost"));
    this._resume(delay, 0);
  }

  _resume(delay, attempt) {
    const grace = (this.welcome.departure_timeout || 20) * 1000;
    setTimeout(async () => {
      if (this.state !== "reconnecting") return;
      if (performance.now() - this._lostAt > grace) {
        this._end("closed", "The connection to the call could not be restored.");
        return;
      }
      try {
        const welcome = await this._open(this.resumeToken);
        if (this.state !== "reconnecting") {
          this.socket.close();
          return;
        }
        this.state = "joined";
        this.dispatchEvent(new CustomEvent("restored", { detail: { welcome } }));
      } catch (error) {
        if (error.code === "room_closed" || error.code === "4011") {  // ended while away
          this._end("closed", "The host ended the call.");
          return;
        }
        if (error.code === "resume_refused" || error.code === "4010") {
          this._end("refused", error.message);
          return;
        }
        const next = RETRY_DELAYS[Math.min(attempt + 1, RETRY_DELAYS.length - 1)];
        this._resume(next * 1000, attempt + 1);
      }
    }, delay);
  }

  _end(reason, text) {
    if (this.state === "ended") return;
    this.state = "ended";
    clearInterval(this._pinger);
    const socket = this.socket;
    this.socket = null;
    if (socket && socket.readyState <= WebSocket.OPEN) socket.close(1000);
    this.dispatchEvent(new CustomEvent("ended", { detail: { reason, text } }));
  }
}
