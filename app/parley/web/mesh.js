// The call's media as a mesh (docs/protocol.md, "Media between participants"): a Peer,
// one negotiated pair of connections, for each other participant. No DOM here.
//
// The Call drives it through the interface SfuMedia (sfu.js) has too: start(ids),
// add(id), remove(id), handle(message), resync(id?), setTrack(role, track), close();
// `mode` and `canShare` say what it is and can do.
//
// Events: media {id, role, stream}, peerstate {id, state}.

import { Peer } from "./peer.js";

const SIGNALS = new Set(["offer", "answer", "candidate"]);

export class MeshMedia extends EventTarget {
  /**
   * @param {string} localId this guest's participant id
   * @param {object} options {send(type, fields), iceServers() (the latest welcome's),
   *   local (LocalMedia), layout (roles of our own offers, in order), receiveOnly}
   */
  constructor(localId, options) {
    super();
    this.mode = "mesh";
    this.canShare = true;
    this.localId = localId;
    this.options = options;
    this.peers = new Map();  // participant id -> Peer
    // the last generation used with each participant: a mesh built again by a move
    // counts on past its predecessors' (their late signals stay stale), as a peer
    // removed and added again does
    this.generations = new Map(options.generations || []);
  }

  start(ids) {
    for (const id of ids) this.add(id);
  }

  add(id) {
    if (id === this.localId || this.peers.has(id)) return;
    const { send, iceServers, local, layout, receiveOnly } = this.options;
    const last = this.generations.has(id) ? this.generations.get(id) : -1;
    const peer = new Peer(this.localId, id, {
      send, iceServers: iceServers(), local, layout, receiveOnly, firstGeneration: last + 1 });
    peer.addEventListener("media", (e) => this._emit("media", { id, ...e.detail }));
    peer.addEventListener("state", (e) => this._emit("peerstate", { id, ...e.detail }));
    this.peers.set(id, peer);
    peer.start();
  }

  remove(id) {
    const peer = this.peers.get(id);
    this.peers.delete(id);
    if (peer) {
      this.generations.set(id, peer.generation);
      peer.close();
    }
  }

  /** The last generation used with each participant, removed ones included. */
  lastGenerations() {
    const last = new Map(this.generations);
    for (const [id, peer] of this.peers) last.set(id, peer.generation);
    return last;
  }

  /** A relayed offer, answer or candidate; false for any other message. */
  handle(message) {
    if (!SIGNALS.has(message.type)) return false;
    const peer = this.peers.get(message.from);
    if (peer) peer.handle(message);  // else someone already gone
    return true;
  }

  /** The signaling link (everyone's, or ``id``'s) came back: offer again where needed. */
  resync(id = null) {
    for (const [pid, peer] of this.peers) if (id === null || pid === id) peer.resync();
  }

  async setTrack(role, track) {
    await Promise.all([...this.peers.values()].map((peer) => peer.setTrack(role, track)));
  }

  close() {
    for (const peer of this.peers.values()) peer.close();
    this.peers.clear();
  }

  _emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }
}
