// One guest's call: the signaling link, the room's participants, a Peer for each
// other participant, and this guest's presence flags. No DOM here.
//
// Events: roster {participants}, peer {id, peer}, media {id, role, stream},
//   peerstate {id, state}, waiting (in the lobby), lost, restored, ended {reason, text},
//   problem {text}

import { Peer } from "./peer.js";
import { errorText } from "./protocol.js";
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
    this.peers = new Map();
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
  }

  get id() {
    return this.signaling.participantId;
  }

  /** Join; throws a JoinError with words to show. */
  async join() {
    const welcome = await this.signaling.connect();
    this._takeList(welcome);
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
    await this._everyPeer((peer) => peer.setTrack("camera", track));
    this._update({ video_paused: !track });
  }

  setHand(raised) {
    this._update({ hand_raised: raised });
  }

  async startShare() {
    const track = await this.options.local.startScreen();
    if (!track) return false;
    this.options.local.addEventListener("screenended", () => this.stopShare(), { once: true });
    await this._everyPeer((peer) => peer.setTrack("screen", track));
    this._update({ screen_sharing: true });
    return true;
  }

  async stopShare() {
    this.options.local.stopScreen();
    await this._everyPeer((peer) => peer.setTrack("screen", null));
    this._update({ screen_sharing: false });
  }

  _update(fields) {
    Object.assign(this.flags, fields);
    this.signaling.send("update", fields);
  }

  async _everyPeer(action) {
    await Promise.all([...this.peers.values()].map(action));
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
        if (this.peers.has(message.participant_id)) this.peers.get(message.participant_id).resync();
        break;
      case "participant_left":
        this._remove(message.participant_id);
        break;
      case "offer":
      case "answer":
      case "candidate":
        this._signal(message);
        break;
      case "error":
        if (message.code !== "unknown_participant") {  // a relay racing a departure
          this._emit("problem", { text: errorText(message.code, message.message) });
        }
        break;
      default:
        break;  // room for additive evolution
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
    this.participants.set(participant.id, { ...participant, local: participant.id === this.id });
    clearTimeout(this._missing.get(participant.id));
    this._missing.delete(participant.id);
    if (!known && participant.id !== this.id) this._addPeer(participant.id);
    this._emit("roster", { participants: [...this.participants.values()] });
  }

  _flag(id, reconnecting) {
    const participant = this.participants.get(id);
    if (!participant) return;
    participant.reconnecting = reconnecting;
    this._emit("roster", { participants: [...this.participants.values()] });
  }

  _remove(id) {
    if (!this.participants.delete(id)) return;
    const peer = this.peers.get(id);
    this.peers.delete(id);
    if (peer) peer.close();
    this._emit("roster", { participants: [...this.participants.values()] });
  }

  _addPeer(id) {
    const { local, layout, receiveOnly } = this.options;
    const peer = new Peer(this.id, id, {
      send: (type, fields) => this.signaling.send(type, fields),
      iceServers: this._iceServers(), local, layout, receiveOnly });
    peer.addEventListener("media", (e) => this._emit("media", { id, ...e.detail }));
    peer.addEventListener("state", (e) => this._emit("peerstate", { id, ...e.detail }));
    this.peers.set(id, peer);
    this._emit("peer", { id, peer });
    peer.start();
  }

  _signal(message) {
    const id = message.from;
    if (!this.participants.has(id)) return;  // someone already gone
    this.peers.get(id).handle(message);
  }

  _iceServers() {
    const servers = (this.signaling.welcome && this.signaling.welcome.ice_servers) || [];
    return servers.map((s) => ({ urls: s.urls, username: s.username || undefined,
                                 credential: s.credential || undefined }));
  }

  _restored(welcome) {
    this._takeList(welcome);
    const { hand_raised, screen_sharing, no_microphone } = this.flags;
    this.signaling.send("update", { hand_raised, screen_sharing, no_microphone });
    for (const peer of this.peers.values()) peer.resync();
    this._emit("restored");
  }

  _ended(detail) {
    for (const peer of this.peers.values()) peer.close();
    this.peers.clear();
    this.options.local.stopAll();
    this._emit("ended", detail);
  }

  _emit(name, detail = {}) {
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }
}
