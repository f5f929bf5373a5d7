// The call's media through the server's SFU (docs/protocol.md, "Media through the
// SFU"), in place of the mesh when the welcome says media "sfu". No DOM here.
//
// Two RTCPeerConnections, whoever is in the call, both negotiated with the call server
// only (the SFU's API, ids and secrets are never seen here):
// - the publisher: send only, audio then camera, offered once (sfu_publish) and
//   answered by the server (sfu_published). It is offered even without a camera or a
//   microphone (empty m-lines): the server subscribes a seat once its publisher is up,
//   and a camera turned on later just replaces the empty track;
// - the subscriber: receive only, offered by the server (sfu_offer, again whenever whom
//   it receives changes; its `streams` say whose media each m-line carries now) and
//   answered (sfu_answer) in order.
// An sfu_restart (the SFU node died; the server moved the call to another) closes both
// and publishes again; the subscriber offers follow as on a first join.
// Trickle is off: a description is sent once its candidates are gathered.
//
// The interface is the mesh's (mesh.js); screen sharing is not available through the
// SFU yet (canShare false), as in the desktop app.
//
// Events: media {id, role: "camera", stream} (the stream carries the audio too; null
//   when nothing of ``id`` is received any more), silence {id, silent} (no packet from
//   ``id`` for SILENCE ms, or packets again), problem {text}.
//
// Its own liveness watch, as the desktop's SfuMedia: a participant heard (a packet
// received) whose packets stop arriving here for SILENCE counts as stopped (shown
// reconnecting), whatever the server's sfu_feed says (that one tells what the SFU
// receives; this, what reaches this guest). Audio never stops by itself through the
// SFU (muted audio is silence, and DTX still sends). After an sfu_restart silence is
// not judged for RESTART_GRACE: everyone publishes again then.

const GATHER_PATIENCE = 5000;  // ms: send what was gathered by then
const SILENCE = 2500;  // ms without a packet from a participant heard
const RESTART_GRACE = 5000;  // ms
const WATCH_EVERY = 500;  // ms between two looks at the subscriber's counters
const STREAM_ROLES = ["audio", "camera"];

/** Resolves once ``pc`` has gathered its candidates (or after GATHER_PATIENCE). */
export function gathered(pc) {
  return new Promise((resolve) => {
    if (pc.iceGatheringState === "complete") {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener("icegatheringstatechange", check);
      resolve();
    };
    const check = () => {
      if (pc.iceGatheringState === "complete") done();
    };
    const timer = setTimeout(done, GATHER_PATIENCE);
    pc.addEventListener("icegatheringstatechange", check);
  });
}

export class SfuMedia extends EventTarget {
  /**
   * @param {string} localId this guest's participant id
   * @param {object} options {send(type, fields), iceServers() (the latest welcome's),
   *   local (LocalMedia), receiveOnly}
   */
  constructor(localId, options) {
    super();
    this.mode = "sfu";
    this.canShare = false;
    this.localId = localId;
    this.options = options;
    this.publisher = null;
    this.subscriber = null;
    this.senders = {};  // role -> the publisher's RTCRtpSender
    this.streams = new Map();  // mid -> {participant_id, role}, as the last sfu_offer says
    this.version = 0;  // of the last sfu_offer answered
    this.peers = new Map();  // no peer connection per participant here (the mesh's field)
    this._others = new Set();
    this._shown = new Map();  // participant id -> {stream, tracks: [MediaStreamTrack]}
    this._chain = Promise.resolve();
    this._failed = false;
    this.closed = false;
    this.stale = false;  // the server recreated the room: this path's SFU side is gone
    this._packets = new Map();  // participant id -> {count, at}: its packets received
    this._silent = new Set();  // participants heard whose packets stopped for SILENCE
    this._judgeAfter = 0;  // performance.now() before which silence is not judged
    this._watch = null;
    this._looking = false;
  }

  start(ids) {
    for (const id of ids) this.add(id);
    this._watch = setInterval(() => this._look(), WATCH_EVERY);
    this._run(() => this._publish());
  }

  add(id) {
    if (id === this.localId || this._others.has(id)) return;
    this._others.add(id);
    this._show();  // its streams may have come before its participant_joined
  }

  remove(id) {
    this._others.delete(id);
    this._packets.delete(id);
    this._silent.delete(id);
    this._show();
  }

  /** sfu_published, sfu_offer or sfu_restart; false for any other message. */
  handle(message) {
    if (message.type === "sfu_restart") {
      this._run(() => this._restart());
    } else if (message.type === "sfu_published") {
      this._run(() => this._published(message.sdp));
    } else if (message.type === "sfu_offer") {
      this._run(() => this._subscribe(message));
    } else {
      return false;
    }
    return true;
  }

  /** This guest's signaling link came back (``id`` null; another participant's link
   * needs nothing here): the SFU kept both connections meanwhile, but an sfu_publish
   * sent just before the loss may have gone unanswered: send it again. */
  resync(id = null) {
    if (id !== null) return;  // someone else's link: nothing of ours to redo
    this._run(async () => {
      const pc = this.publisher;
      if (pc && pc.signalingState === "have-local-offer" && pc.localDescription) {
        this.options.send("sfu_publish", { sdp: pc.localDescription.sdp });
      }
    });
  }

  async setTrack(role, track) {
    const sender = this.senders[role];
    if (sender) await sender.replaceTrack(track);
  }

  /** Moving to the mesh: stop receiving (decoding everyone twice costs what the move
   * needs) but keep publishing for the others until close(). */
  retire() {
    if (this.subscriber) this.subscriber.close();
    this.subscriber = null;
    clearInterval(this._watch);
  }

  close() {
    this.closed = true;
    clearInterval(this._watch);
    for (const pc of [this.publisher, this.subscriber]) if (pc) pc.close();
    this.publisher = this.subscriber = null;
    for (const id of [...this._shown.keys()]) this._emit("media", { id, role: "camera",
                                                                   stream: null });
    this._shown.clear();
  }

  // ---------------------------------------------------------------- negotiation

  _run(operation) {
    this._chain = this._chain.then(async () => {
      if (this.closed) return;
      try {
        await operation();
      } catch (error) {
        console.warn("sfu:", error);
        this._problem();
      }
    });
  }

  _connection() {
    const pc = new RTCPeerConnection({ iceServers: this.options.iceServers(),
                                       bundlePolicy: "max-bundle" });
    pc.addEventListener("connectionstatechange", () => {
      if (pc.connectionState === "failed" && !this.closed) this._problem();
    });
    return pc;
  }

  async _publish() {
    const { local, receiveOnly } = this.options;
    const pc = this.publisher = this._connection();
    for (const role of STREAM_ROLES) {
      const track = receiveOnly ? null : local.track(role);
      const kind = role === "audio" ? "audio" : "video";
      this.senders[role] = pc.addTransceiver(track || kind, { direction: "sendonly" }).sender;
    }
    await pc.setLocalDescription();
    await gathered(pc);
    this.options.send("sfu_publish", { sdp: pc.localDescription.sdp });
  }

  async _restart() {
    this._judgeAfter = performance.now() + RESTART_GRACE;
    for (const pc of [this.publisher, this.subscriber]) if (pc) pc.close();
    this.publisher = this.subscriber = null;
    this.streams = new Map();  // the tiles keep their streams until the new ones come
    this._failed = false;
    await this._publish();
  }

  async _published(sdp) {
    const pc = this.publisher;
    if (pc && pc.signalingState === "have-local-offer") {
      await pc.setRemoteDescription({ type: "answer", sdp });
    }
  }

  async _subscribe(offer) {
    if (offer.version === this.version && this.subscriber) {
      // offered again (our answer may have been lost with the link): the same answer
      this.options.send("sfu_answer", { sdp: this.subscriber.localDescription.sdp,
                                        version: offer.version });
      return;
    }
    if (offer.version < this.version) return;  // stale: a newer one was answered
    let pc = this.subscriber;
    if (!pc) {
      pc = this.subscriber = this._connection();
      pc.addEventListener("track", () => this._show());
    }
    await pc.setRemoteDescription({ type: "offer", sdp: offer.sdp });
    this.streams = new Map((offer.streams || []).map((s) => [String(s.mid), s]));
    await pc.setLocalDescription();
    await gathered(pc);
    this.version = offer.version;
    this.options.send("sfu_answer", { sdp: pc.localDescription.sdp, version: offer.version });
    this._show();
  }

  // ---------------------------------------------------------------- media

  /** Who is received on which m-line now, as one stream per participant. */
  _wanted() {
    const wanted = new Map();
    if (!this.subscriber) return wanted;
    for (const transceiver of this.subscriber.getTransceivers()) {
      const stream = transceiver.mid === null ? null : this.streams.get(transceiver.mid);
      if (!stream || !STREAM_ROLES.includes(stream.role) || transceiver.stopped) continue;
      if (!this._others.has(stream.participant_id)) continue;  // gone, or not yet known
      const tracks = wanted.get(stream.participant_id) || [];
      tracks.push(transceiver.receiver.track);
      wanted.set(stream.participant_id, tracks);
    }
    return wanted;
  }

  _show() {
    if (this.closed) return;
    const wanted = this._wanted();
    for (const [id, tracks] of wanted) {
      const shown = this._shown.get(id);
      const same = shown && shown.tracks.length === tracks.length
        && tracks.every((t) => shown.tracks.includes(t));
      if (same) continue;
      const stream = new MediaStream(tracks);
      this._shown.set(id, { stream, tracks });
      this._emit("media", { id, role: "camera", stream });
    }
    for (const id of [...this._shown.keys()]) {
      if (wanted.has(id)) continue;
      this._shown.delete(id);
      this._emit("media", { id, role: "camera", stream: null });
    }
  }

  // ---------------------------------------------------------------- liveness

  /** Each participant's packets received, from the subscriber's counters: one heard
   * whose count stood still for SILENCE is silent (``silence``), until it moves. */
  async _look() {
    const pc = this.subscriber;
    if (!pc || this._looking || this.closed) return;
    this._looking = true;
    try {
      const counts = new Map();
      (await pc.getStats()).forEach((s) => {
        const stream = s.type === "inbound-rtp" ? this.streams.get(String(s.mid)) : null;
        if (!stream || !this._others.has(stream.participant_id)) return;
        const id = stream.participant_id;
        counts.set(id, (counts.get(id) || 0) + (s.packetsReceived || 0));
      });
      const now = performance.now();
      for (const [id, count] of counts) {
        const last = this._packets.get(id);
        if (!last || count !== last.count) {
          this._packets.set(id, { count, at: now });
          if (last && this._silent.delete(id)) this._emit("silence", { id, silent: false });
        } else if (count > 0 && !this._silent.has(id) && now > this._judgeAfter
                   && now - Math.max(last.at, this._judgeAfter) > SILENCE) {
          this._silent.add(id);
          console.info(`parley: no media from ${id} for ${SILENCE} ms`);
          this._emit("silence", { id, silent: true });
        }
      }
    } catch (err) {  // the connection closed under it (a restart, the end)
      if (!this.closed && this.subscriber === pc) console.warn("parley: stats", err);
    } finally {
      this._looking = false;
    }
  }

  _problem() {
    if (this._failed || this.closed) return;
    this._failed = true;  // once: the call itself goes on
    this._emit("problem", { text: "The call's media could not connect through the server." });
  }

  _emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }
}
