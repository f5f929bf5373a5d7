// One remote participant: the pair's RTCPeerConnections, negotiated as
// docs/protocol.md says ("Negotiation", "Generations", "Track roles", "Candidates").
//
// Perfect negotiation, polite = the higher id. The impolite side offers the first
// connection; either side offers a new one (the next generation) when its
// heartbeat dies; an offer of the current generation renegotiates the connection
// (this page does so to add a screen m-line). Glare: the impolite side ignores the
// other's offer, the polite side gives way (a fresh connection is dropped and the
// other's offer answered on a new one; on an established one setRemoteDescription
// rolls back implicitly).
//
// Events: state {state}, media {role, stream} (role camera carries the audio too).

import { Heartbeat } from "./heartbeat.js";
import { HEARTBEAT, ROLES, ROLE_KIND, isPolite } from "./protocol.js";

const CHECK_EVERY = 500;  // ms
const OFFER_PATIENCE = HEARTBEAT.timeout * 1000;  // an unanswered offer
const CONNECT_PATIENCE = Math.max(3 * HEARTBEAT.timeout, 5) * 1000;  // an answered one

/** The m-lines of an SDP, in order: {kind, mid, port}. */
export function mlines(sdp) {
  const found = [];
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith("m=")) {
      const [kind, port] = line.slice(2).split(" ");
      found.push({ kind, mid: null, port: parseInt(port, 10) });
    } else if (line.startsWith("a=mid:") && found.length) {
      found[found.length - 1].mid = line.slice(6).trim();
    }
  }
  return found;
}

/** Roles of an offer's m-lines by mid: declared, else audio / camera; the first of each. */
export function offerRoles(sdp, tracks) {
  const declared = new Map((tracks || []).map((t) => [t.mid, t.role]));
  const roles = new Map();
  const taken = new Set();
  for (const { kind, mid, port } of mlines(sdp)) {
    if (mid === null || port === 0 || !(kind in { audio: 1, video: 1 })) continue;
    const role = declared.get(mid) || (kind === "audio" ? "audio" : "camera");
    if (ROLE_KIND[role] !== kind || taken.has(role)) continue;
    taken.add(role);
    roles.set(mid, role);
  }
  return roles;
}

export class Peer extends EventTarget {
  /**
   * @param {object} options {send(type, fields), iceServers, local (LocalMedia),
   *   layout (roles of our own offers, in order), receiveOnly, firstGeneration (the
   *   generation to count on from: 0, or one past what an earlier mesh used)}
   */
  constructor(localId, remoteId, options) {
    super();
    this.localId = localId;
    this.remoteId = remoteId;
    this.polite = isPolite(localId, remoteId);
    this.options = options;
    this.state = "connecting";
    this.generation = (options.firstGeneration || 0) - 1;
    this.pc = null;
    this.link = null;  // {generation, roles: Map(mid -> role), own: Map(transceiver -> role), ...}
    this.ignoringOffer = false;
    this._chain = Promise.resolve();
    this._offerPending = false;
    this._lastOffer = -Infinity;
    this._checker = setInterval(() => this._check(), CHECK_EVERY);
  }

  start() {
    if (!this.polite) this._rebuild();
  }

  handle(message) {
    const step = { offer: this._onOffer, answer: this._onAnswer, candidate: this._onCandidate };
    const handler = step[message.type];
    if (handler) this._run(() => handler.call(this, message));
  }

  /** The signaling link came back: offer again if ours may have been lost. */
  resync() {
    if (this.state === "connected" || !this._mayOffer()) return;
    const link = this.link;
    if (!link || link.dead || (this.pc && this.pc.signalingState === "have-local-offer")) {
      this._rebuild();
    }
  }

  /** Send ``track`` (or nothing: null) as our ``role``. An m-line that only received
   * starts sending, and a missing one is added: both renegotiate this connection. */
  async setTrack(role, track) {
    const link = this.link;
    if (!link) return;
    const transceiver = this._transceiverOf(role);
    if (transceiver) {
      await transceiver.sender.replaceTrack(track);
      if (track && transceiver.direction === "recvonly") transceiver.direction = "sendrecv";
    } else if (track) {
      link.own.set(this.pc.addTransceiver(track, { direction: "sendrecv" }), role);
    }
  }

  close() {
    clearInterval(this._checker);
    this._setState("closed");
    this._dropLink();
  }

  // ---------------------------------------------------------------- state

  _setState(state) {
    if (state === this.state || this.state === "closed") return;
    this.state = state;
    this.dispatchEvent(new CustomEvent("state", { detail: { state } }));
  }

  _mayOffer() {
    return !this.polite || this.state === "reconnecting";
  }

  _alive(link) {
    if (link === this.link) this._setState("connected");
  }

  _dead(link) {
    if (link !== this.link || link.dead) return;
    link.dead = true;
    if (this.state === "connected") this._setState("reconnecting");
    // never two offers within OFFER_PATIENCE: _check() offers when that allows
    if (this._mayOffer() && performance.now() - this._lastOffer >= OFFER_PATIENCE) {
      this._rebuild();
    }
  }

  _check() {
    if (this.state === "connected" || this.state === "closed" || !this._mayOffer()) return;
    if (this._offerPending) return;
    const link = this.link;
    const now = performance.now();
    const patience = link && link.answered ? CONNECT_PATIENCE : OFFER_PATIENCE;
    if (!link || link.dead || now - link.builtAt > patience) {
      if (now - this._lastOffer >= OFFER_PATIENCE) this._rebuild();
    }
  }

  _rebuild() {
    if (this._offerPending || this.state === "closed") return;
    this._offerPending = true;
    this._lastOffer = performance.now();
    this._run(() => this._offerNew());
  }

  _run(operation) {
    this._chain = this._chain.then(async () => {
      if (this.state === "closed") return;
      try {
        await operation();
      } catch (error) {
        console.warn(`peer ${this.remoteId}:`, error);  // retried by the checks
      }
    });
  }

  // ---------------------------------------------------------------- connections

  _newLink(generation) {
    this._dropLink();
    this.generation = Math.max(this.generation, generation);
    const pc = new RTCPeerConnection({ iceServers: this.options.iceServers || [],
                                       bundlePolicy: "max-bundle" });
    const link = { generation, pc, roles: new Map(), own: new Map(), answered: false,
                   dead: false, builtAt: performance.now(), described: false, queued: [],
                   heartbeat: null, streams: {} };
    this.pc = pc;
    this.link = link;
    pc.onicecandidate = (event) => this._candidate(link, event.candidate);
    pc.ontrack = (event) => this._track(link, event);
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === "failed" || pc.connectionState === "closed") this._dead(link);
    };
    pc.onnegotiationneeded = () => this._run(() => this._renegotiate(link));
    return link;
  }

  _dropLink() {
    const link = this.link;
    this.link = null;
    this.pc = null;
    if (!link) return;
    link.dead = true;
    if (link.heartbeat) link.heartbeat.stop();
    link.pc.close();
  }

  _openHeartbeat(link) {
    if (link.heartbeat) return;
    const channel = link.pc.createDataChannel(HEARTBEAT.label, {
      negotiated: true, id: HEARTBEAT.id, ordered: false, maxRetransmits: 0 });
    link.heartbeat = new Heartbeat(channel, {
      onAlive: () => this._alive(link), onDead: () => this._dead(link) });
  }

  _tracksOf(link) {
    const tracks = [];
    for (const transceiver of link.pc.getTransceivers()) {
      const role = link.own.get(transceiver) || link.roles.get(transceiver.mid);
      if (transceiver.mid !== null && role) tracks.push({ mid: transceiver.mid, role });
    }
    return tracks;
  }

  _transceiverOf(role) {
    const link = this.link;
    for (const transceiver of link.pc.getTransceivers()) {
      if ((link.own.get(transceiver) || link.roles.get(transceiver.mid)) === role) {
        return transceiver;
      }
    }
    return null;
  }

  // ---------------------------------------------------------------- negotiation

  async _offerNew() {
    try {
      const link = this._newLink(this.generation + 1);
      const { local, layout, receiveOnly } = this.options;
      for (const role of layout) {
        const track = receiveOnly ? null : local.track(role);
        const transceiver = link.pc.addTransceiver(track || ROLE_KIND[role], {
          direction: receiveOnly ? "recvonly" : "sendrecv" });
        link.own.set(transceiver, role);
      }
      this._openHeartbeat(link);
      await link.pc.setLocalDescription();
      for (const [transceiver, role] of link.own) link.roles.set(transceiver.mid, role);
      this._describe(link, "offer", { tracks: this._tracksOf(link) });
    } finally {
      this._offerPending = false;
      this._lastOffer = performance.now();
    }
  }

  async _renegotiate(link) {
    const pc = link.pc;
    if (link !== this.link || !link.answered || pc.signalingState !== "stable") return;
    await pc.setLocalDescription();
    for (const [transceiver, role] of link.own) {
      if (transceiver.mid !== null) link.roles.set(transceiver.mid, role);
    }
    this._describe(link, "offer", { tracks: this._tracksOf(link) });
  }

  async _onOffer(message) {
    const generation = message.generation;
    if (generation < this.generation) return;  // stale
    this.ignoringOffer = false;
    const link = this.link;
    if (link && link.generation === generation && !link.dead) {
      const collision = link.pc.signalingState !== "stable";
      if (!collision) {
        await this._answer(link, message);  // a renegotiation of this connection
        return;
      }
      if (!this.polite) {
        this.ignoringOffer = true;  // our offer stands
        return;
      }
      if (link.answered) {  // an established connection: roll back implicitly, answer
        await this._answer(link, message);
        return;
      }
    } else if (this.state === "connected") {
      this._setState("reconnecting");  // the other side started over
    }
    await this._answer(this._newLink(generation), message);
  }

  async _answer(link, message) {
    const pc = link.pc;
    const roles = offerRoles(message.sdp, message.tracks);
    for (const [mid, role] of roles) link.roles.set(mid, role);
    await pc.setRemoteDescription({ type: "offer", sdp: message.sdp });
    const { local, receiveOnly } = this.options;
    for (const transceiver of pc.getTransceivers()) {
      const role = link.roles.get(transceiver.mid);
      if (transceiver.mid === null || transceiver.stopped || link.own.has(transceiver)) continue;
      if (!role) {
        transceiver.direction = "inactive";
      } else if (receiveOnly) {
        transceiver.direction = "recvonly";
      } else {
        if (!transceiver.sender.track) await transceiver.sender.replaceTrack(local.track(role));
        transceiver.direction = "sendrecv";
      }
    }
    if (mlines(message.sdp).some((m) => m.kind === "application")) this._openHeartbeat(link);
    await pc.setLocalDescription();
    link.answered = true;
    this._describe(link, "answer", {});
  }

  async _onAnswer(message) {
    const link = this.link;
    if (!link || message.generation !== link.generation) return;
    if (link.pc.signalingState !== "have-local-offer") return;
    this.ignoringOffer = false;
    await link.pc.setRemoteDescription({ type: "answer", sdp: message.sdp });
    link.answered = true;
  }

  async _onCandidate(message) {
    const link = this.link;
    if (!link || message.generation !== link.generation || this.ignoringOffer) return;
    if (!message.candidate) {
      await link.pc.addIceCandidate(null);
      return;
    }
    await link.pc.addIceCandidate({ candidate: message.candidate, sdpMid: message.sdp_mid,
                                    sdpMLineIndex: message.sdp_mline_index });
  }

  // ---------------------------------------------------------------- signals out

  _describe(link, type, fields) {
    this.options.send(type, { sdp: link.pc.localDescription.sdp, generation: link.generation,
                              ...fields, to: this.remoteId });
    link.described = true;
    for (const candidate of link.queued.splice(0)) this._candidate(link, candidate);
  }

  _candidate(link, candidate) {
    if (link !== this.link) return;
    if (!link.described) {  // candidates follow their description
      link.queued.push(candidate);
      return;
    }
    if (candidate && !candidate.candidate) return;  // a per-m-line end; null ends them all
    this.options.send("candidate", {
      candidate: candidate ? candidate.candidate : "",
      sdp_mid: candidate ? candidate.sdpMid : null,
      sdp_mline_index: candidate ? candidate.sdpMLineIndex : null,
      generation: link.generation, to: this.remoteId });
  }

  // ---------------------------------------------------------------- media

  _track(link, event) {
    if (link !== this.link) return;
    const role = link.roles.get(event.transceiver.mid);
    if (!ROLES.includes(role)) return;
    const streamRole = role === "screen" ? "screen" : "camera";  // audio plays with the camera
    let stream = link.streams[streamRole];
    if (!stream) {
      stream = link.streams[streamRole] = new MediaStream();
    }
    stream.addTrack(event.track);
    this.dispatchEvent(new CustomEvent("media", { detail: { role: streamRole, stream } }));
  }
}
