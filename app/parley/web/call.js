// One guest's call: the signaling link, the room's participants, the call's media
// (a mesh of peers, or the server's SFU: whichever the welcome says, and moved live
// when the server says media_mode: route.js MediaRoute), its chat, and this guest's
// presence flags. No DOM here.
//
// Events: roster {participants}, media {id, role, stream}, peerstate {id, state},
//   mediamode {mode}, chat {entry, live}, chaterror {text} (a chat message refused),
//   waiting (in the lobby), lost, restored, ended {reason, text}, problem {text}

import { Chat } from "./chat.js";
import { errorText } from "./protocol.js";
import { MediaRoute } from "./route.js";
import { Signaling } from "./signaling.js";

export class Call extends EventTarget {
  /**
   * @param {object} options {url, room, name, token, local (LocalMedia),
   *   layout (roles of our own offers, in order), receiveOnly}
   */
  constructor(options) {
    super();
    this.options = options;
    this.participants = new Map();
    this.route = null;  // MediaRoute, from the welcome
    this.chat = new Chat({ send: (type, fields) => this.signaling.send(type, fields),
                           localId: () => this.id });
    this.chat.addEventListener("message", (e) => this._emit("chat", e.detail));
    this.flags = { audio_muted: options.local.muted, video_paused: !options.local.camera,
                   hand_raised: false, screen_sharing: false, no_microphone: false };
    this.signaling = new Signaling(options.url, {
      session_id: options.room, display_name: options.name, token: options.token || null,
      audio_muted: this.flags.audio_muted, video_paused: this.flags.video_paused });
    this.signaling.addEventListener("message", (e) => this._message(e.detail.message));
    this.signaling.addEventListener("waiting", () => this._emit("waiting"));
    this.signaling.addEventListener("lost", () => this._emit("lost"));
    this.signaling.addEventListener("restored", (e) => this._restored(e.detail.welcome));
    this.signaling.addEventListener("ended", (e) => this._ended(e.detail));
    this._missing = new Map();
    this._stopped = new Set();  // participants whose SFU media stopped (sfu_feed)
    this._silent = new Set();  // ... or reaches this guest no more (sfu.js's own watch)
  }

  get id() {
    return this.signaling.participantId;
  }

  /** The media path moved to last (mesh.js MeshMedia or sfu.js SfuMedia), or null. */
  get media() {
    return this.route ? this.route.current : null;
  }

  /** The mesh's peer connections by participant id (none through the SFU). */
  get peers() {
    return this.media ? this.media.peers : new Map();
  }

  /** Whether a screen can be shared in this call now (not through the SFU yet). */
  get canShare() {
    return Boolean(this.route && this.route.canShare);
  }

  /** Join; throws a JoinError with words to show. */
  async join() {
    const welcome = await this.signaling.connect();
    this._takeList(welcome);
    this._startMedia(welcome.media || "mesh");
    // no microphone (none, refused, or failed): the others show the mic-off badge
    if (!this.options.local.audio) this._update({ no_microphone: true });
    return welcome;
  }

  leave() {
    this.signaling.leave();
  }

  // ---------------------------------------------------------------- own flags

  setMuted(muted) {
    this.options.local.setMuted(muted);
    this._update({ audio_muted: muted });
  }

  async setCameraOn(on) {
    const track = await this.options.local.setCameraOn(on);
    if (this.route) await this.route.setTrack("camera", track);
    this._update({ video_paused: !track });
  }

  setHand(raised) {
    this._update({ hand_raised: raised });
  }

  async startShare() {
    if (!this.canShare) {
      this._emit("problem", { text: "Screen sharing is not available in this call yet." });
      return false;
    }
    const track = await this.options.local.startScreen();
    if (!track) return false;
    this.options.local.addEventListener("screenended", () => this.stopShare(), { once: true });
    await this.route.setTrack("screen", track);
    this._update({ screen_sharing: true });
    return true;
  }

  async stopShare() {
    this.options.local.stopScreen();
    if (this.route) await this.route.setTrack("screen", null);
    this._update({ screen_sharing: false });
  }

  _update(fields) {
    Object.assign(this.flags, fields);
    this.signaling.send("update", fields);
  }

  // ---------------------------------------------------------------- the room

  _message(message) {
    switch (message.type) {
      case "participant_joined":
        this._upsert(message.participant);
        break;
      case "participant_updated":
        this._upsert(message.participant);
        break;
      case "participant_reconnecting":
        this._flag(message.participant_id, true);
        break;
      case "participant_restored":
        this._flag(message.participant_id, false);
        if (this.route) this.route.resync(message.participant_id);
        break;
      case "participant_left":
        this._remove(message.participant_id);
        break;
      case "media_mode":
        if (this.route) this.route.move(message.mode, message.generation);
        break;
      case "sfu_feed":
        this._feed(message.participant_id, message.flowing);
        break;
      case "error":
        if (message.code !== "unknown_participant") {  // a relay racing a departure
          const text = errorText(message.code, message.message, message.ref);
          this._emit(message.ref === "chat" ? "chaterror" : "problem", { text });
        }
        break;
      default:
        // media signals (the mode's own), chat; anything else: room for additive evolution
        if (!(this.route && this.route.handle(message))) this.chat.handle(message);
        break;
    }
  }

  _takeList(welcome) {
    const listed = new Set(welcome.participants.map((p) => p.id));
    for (const id of [...this.participants.keys()]) {
      if (listed.has(id) || id === this.id) continue;
      if (welcome.room_recreated) {
        // a restarted server: the others may not have resumed yet
        this._missing.set(id, setTimeout(() => this._remove(id),
                                         welcome.departure_timeout * 1000));
      } else {
        this._remove(id);
      }
    }
    for (const participant of welcome.participants) this._upsert(participant);
  }

  _upsert(participant) {
    const known = this.participants.has(participant.id);
    const before = this.participants.get(participant.id);
    this.participants.set(participant.id, {
      ...participant, local: participant.id === this.id,
      presenceReconnecting: Boolean(before && before.presenceReconnecting) });
    clearTimeout(this._missing.get(participant.id));
    this._missing.delete(participant.id);
    if (!known && participant.id !== this.id && this.route) this.route.add(participant.id);
    this._roster();
  }

  _flag(id, reconnecting) {
    const participant = this.participants.get(id);
    if (!participant) return;
    participant.presenceReconnecting = reconnecting;
    this._roster();
  }

  /** sfu_feed: the SFU stopped receiving ``id``'s media (or receives it again); shown
   * as reconnecting, as the desktop does, while this call is on the SFU. */
  _feed(id, flowing) {
    if (flowing) this._stopped.delete(id);
    else this._stopped.add(id);
    this._roster();
  }

  /** sfu.js's own watch: nothing of ``id`` reached this guest for 2.5 s (or again). */
  _silence(id, silent) {
    if (silent) this._silent.add(id);
    else this._silent.delete(id);
    this._roster();
  }

  _remove(id) {
    this._stopped.delete(id);
    this._silent.delete(id);
    if (!this.participants.delete(id)) return;
    if (this.route) this.route.remove(id);
    this._roster();
  }

  _roster() {
    const sfu = this.route && this.route.mode === "sfu";
    for (const [id, participant] of this.participants) {
      participant.reconnecting = Boolean(participant.presenceReconnecting
                                         || (sfu && (this._stopped.has(id)
                                                     || this._silent.has(id))));
    }
    this._emit("roster", { participants: [...this.participants.values()] });
  }

  /** The welcome's media ("mesh" or "sfu"), moved live on media_mode. */
  _startMedia(mode) {
    const { local, layout, receiveOnly } = this.options;
    const route = this.route = new MediaRoute(this.id, mode, {
      send: (type, fields) => this.signaling.send(type, fields),
      iceServers: () => this._iceServers(), local, layout, receiveOnly,
      sendsVideo: (id) => !(this.participants.get(id) || {}).video_paused });
    for (const name of ["media", "peerstate", "problem"]) {
      route.addEventListener(name, (e) => this._emit(name, e.detail));
    }
    route.addEventListener("silence", (e) => this._silence(e.detail.id, e.detail.silent));
    route.addEventListener("mediamode", (e) => {
      // the SFU's word and a path's silence are void on every move: the new path's own
      // watch starts afresh (one kept from an old SFU path would show "Reconnecting..."
      // for good after a later move back to the SFU, its new watch never clearing it)
      this._stopped.clear();
      this._silent.clear();
      this._roster();  // an sfu_feed counts only on the SFU
      // the SFU carries no screen (as in the desktop app): a share stops with the move
      if (e.detail.mode === "sfu" && this.flags.screen_sharing) this.stopShare();
      this._emit("mediamode", e.detail);
    });
    this._emit("mediamode", { mode: route.mode });
    route.start([...this.participants.keys()]);
  }

  _iceServers() {
    const servers = (this.signaling.welcome && this.signaling.welcome.ice_servers) || [];
    return servers.map((s) => ({ urls: s.urls, username: s.username || undefined,
                                 credential: s.credential || undefined }));
  }

  _restored(welcome) {
    this._takeList(welcome);
    // a move while the link was down, or a restarted server (its generations start over)
    if (this.route && welcome.media) {
      this.route.move(welcome.media, null, Boolean(welcome.room_recreated));
    }
    const { hand_raised, screen_sharing, no_microphone } = this.flags;
    this.signaling.send("update", { hand_raised, screen_sharing, no_microphone });
    if (this.route) this.route.resync();
    this._emit("restored");
  }

  _ended(detail) {
    if (this.route) this.route.close();
    this.options.local.stopAll();
    this._emit("ended", detail);
  }

  _emit(name, detail = {}) {
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }
}
