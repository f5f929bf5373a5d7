// The call's media route (docs/protocol.md, "Moving between mesh and SFU"): the path
// that plays everyone (mesh.js MeshMedia or sfu.js SfuMedia) and, during a live move
// (media_mode), the new path beside it, make-before-break as the desktop's
// media/route.py MediaRoute does:
// 1. the new path is built beside the old one, with everyone in the roster;
// 2. each participant is played from the old path until the new one delivers that
//    participant's first video frame (its first audio when it sends no video); from
//    then on only the new path speaks for it;
// 3. once the new path carries everyone (or after MOVE_TIMEOUT) the old path plays
//    nobody but keeps sending for RETIRE_AFTER (the others may still play from it),
//    then closes; leaving the SFU ends with sfu_leave.
// No DOM here but a detached <video> that waits for a first frame.
//
// Events: media {id, role, stream}, peerstate {id, state}, silence {id, silent} (the SFU
//   path's own watch), problem {text}, mediamode
//   {mode}: the path's, from whichever path plays that participant.

import { MeshMedia } from "./mesh.js";
import { SfuMedia } from "./sfu.js";

const MEDIA = { mesh: MeshMedia, sfu: SfuMedia };
export const MOVE_TIMEOUT = 10000;  // ms: the move ends by then, delivered or not
export const RETIRE_AFTER = 10000;  // ms: the old path keeps sending for the others

/** Calls ``then`` once ``track`` delivers: a first video frame (a detached <video>'s
 * requestVideoFrameCallback), or for audio its first unmute (Chromium unmutes a remote
 * track on its first packet). Returns a function that stops waiting. */
export function onDelivered(track, then) {
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    stop();
    then();
  };
  let video = null;
  const stop = () => {
    track.removeEventListener("unmute", once);
    if (video) video.srcObject = null;
  };
  if (track.kind === "video" && typeof document !== "undefined"
      && "requestVideoFrameCallback" in HTMLVideoElement.prototype) {
    video = document.createElement("video");
    video.muted = true;
    video.srcObject = new MediaStream([track]);
    video.requestVideoFrameCallback(once);
    video.play().catch(() => {});  // a detached, muted video: only its frames matter
  } else if (!track.muted) {
    queueMicrotask(once);
  } else {
    track.addEventListener("unmute", once);
  }
  return () => {
    done = true;
    stop();
  };
}

export class MediaRoute extends EventTarget {
  /**
   * @param {string} localId this guest's participant id
   * @param {string} mode the welcome's media ("mesh" or "sfu")
   * @param {object} options the paths' {send, iceServers, local, layout, receiveOnly},
   *   and sendsVideo(id): whether participant ``id`` says it sends video
   */
  constructor(localId, mode, options) {
    super();
    this.localId = localId;
    this.options = options;
    this.ids = new Set();  // everyone else in the roster
    this.generation = 0;
    this.retiring = new Set();
    this._meshGenerations = new Map();  // id -> the last generation of closed meshes
    this._latest = new Map();  // path -> Map "id/role" -> {id, role, stream}
    this._states = new Map();  // path -> Map id -> state (the mesh's links)
    this.path = this._build(mode);  // plays everyone not handed over to ``next``
    this.next = null;  // the path being built during a move
    this.handed = new Set();  // participants ``next`` plays already
    this._waits = new Map();  // "id/trackid" -> stop waiting
    this._deadline = null;
    this.closed = false;
  }

  /** The path moved to last. */
  get current() {
    return this.next || this.path;
  }

  get mode() {
    return this.current.mode;
  }

  get canShare() {
    return !this.next && this.path.canShare;
  }

  start(ids) {
    for (const id of ids) if (id !== this.localId) this.ids.add(id);
    this.path.start([...this.ids]);
  }

  add(id) {
    if (id === this.localId) return;
    this.ids.add(id);
    if (this.next) {
      this.handed.add(id);  // a newcomer during a move is received on the new path only
      this.next.add(id);
    } else {
      this.path.add(id);
    }
  }

  remove(id) {
    this.ids.delete(id);
    this.handed.delete(id);
    for (const path of this._paths()) path.remove(id);
    this._maybeFinish();
  }

  /** A signal for the newest live path of its kind; false when no path takes it. */
  handle(message) {
    return this._paths().reverse().some((path) => !path.stale && path.handle(message));
  }

  resync(id = null) {
    for (const path of this._paths()) path.resync(id);
  }

  async setTrack(role, track) {
    const paths = [...this._paths(), ...this.retiring];
    await Promise.all(paths.map((path) => path.setTrack(role, track)));
  }

  /** Move to ``mode``; false when there already, for an older ``generation`` than one
   * seen, or for a mode not known. ``fresh``: the server recreated the room, so its
   * generations start over and an SFU path of before is dead (never kept). */
  move(mode, generation = null, fresh = false) {
    if (!MEDIA[mode] || this.closed) return false;
    if (fresh) {
      this.generation = 0;
      for (const path of this._paths()) if (path.mode === "sfu") path.stale = true;
    }
    if (generation !== null) {
      if (generation < this.generation) return false;
      this.generation = generation;
    }
    if (mode === this.current.mode && !this.current.stale) return false;
    if (this.next) {  // moving back before the move ended: the new path goes
      const abandoned = this.next;
      this.next = null;
      this.handed = new Set();
      this._stopWaiting();
      this._retire(abandoned, 0);
      for (const id of this.ids) this.path.add(id);
      this._replay(this.path);
    }
    console.info(`parley: media moves ${this.path.mode} -> ${mode}`);
    if (mode === this.path.mode && !this.path.stale) {
      this._emit("mediamode", { mode });
      return true;
    }
    this.next = this._build(mode);
    this.handed = new Set();
    this.next.start([...this.ids]);
    clearTimeout(this._deadline);
    this._deadline = setTimeout(() => this._finish(), MOVE_TIMEOUT);
    this._emit("mediamode", { mode });
    this._maybeFinish();
    return true;
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this._deadline);
    this._stopWaiting();
    for (const path of [...this.retiring, ...this._paths()]) this._close(path);
    this.retiring.clear();
  }

  // ---------------------------------------------------------------- the paths

  _build(mode) {
    const { send, iceServers, local, layout, receiveOnly } = this.options;
    const path = new MEDIA[mode](this.localId, { send, iceServers, local, layout,
                                                 receiveOnly,
                                                 generations: this._lastGenerations() });
    this._latest.set(path, new Map());
    this._states.set(path, new Map());  // participant id -> its last peerstate
    path.addEventListener("media", (e) => this._media(path, e.detail));
    path.addEventListener("peerstate", (e) => {
      const states = this._states.get(path);
      if (states) states.set(e.detail.id, e.detail.state);
      if (this._plays(path, e.detail.id)) this._emit("peerstate", e.detail);
    });
    path.addEventListener("silence", (e) => {  // the SFU path's own watch
      if (this._plays(path, e.detail.id)) this._emit("silence", e.detail);
    });
    path.addEventListener("problem", (e) => {
      if (path === this.current) this._emit("problem", e.detail);
    });
    return path;
  }

  _paths() {
    return [this.path, this.next].filter(Boolean);
  }

  _plays(path, id) {
    if (path !== this.path && path !== this.next) return false;  // retiring: nobody
    if (!this.next) return true;
    return (path === this.next) === this.handed.has(id);
  }

  _media(path, detail) {
    const latest = this._latest.get(path);
    if (!latest) return;  // closed
    const key = `${detail.id}/${detail.role}`;
    if (detail.stream) latest.set(key, detail);
    else latest.delete(key);
    if (this._plays(path, detail.id)) {
      this._emit("media", detail);
    } else if (path === this.next && detail.stream) {
      this._watch(detail.id, detail.stream);
    }
  }

  /** The new path plays ``id`` from its first video frame (first audio without video). */
  _watch(id, stream) {
    const video = stream.getVideoTracks();
    const tracks = video.length && this.options.sendsVideo(id) ? video : stream.getAudioTracks();
    for (const track of tracks) {
      const key = `${id}/${track.id}`;
      if (this._waits.has(key)) continue;
      const path = this.next;
      this._waits.set(key, onDelivered(track, () => {
        this._waits.delete(key);
        if (this.next === path && this.ids.has(id) && !this.handed.has(id)) this._hand(id);
      }));
    }
  }

  _stopWaiting() {
    for (const stop of this._waits.values()) stop();
    this._waits.clear();
  }

  _hand(id) {
    this.handed.add(id);
    console.info(`parley: ${id} handed over to ${this.next.mode}`);
    const roles = new Set();
    for (const detail of this._latest.get(this.next).values()) {
      if (detail.id !== id) continue;
      roles.add(detail.role);
      this._emit("media", detail);
    }
    for (const detail of this._latest.get(this.path).values()) {  // what the new one lacks
      if (detail.id === id && !roles.has(detail.role)) {
        this._emit("media", { id, role: detail.role, stream: null });
      }
    }
    // the new path delivered: its link state now (the SFU's has none: it is up)
    const state = this._states.get(this.next).get(id) || "connected";
    this._emit("peerstate", { id, state });
    this._maybeFinish();
  }

  /** Everything ``path`` has for everyone, shown again (it plays them all now). */
  _replay(path) {
    for (const detail of this._latest.get(path).values()) this._emit("media", detail);
  }

  _maybeFinish() {
    if (this.next && [...this.ids].every((id) => this.handed.has(id))) this._finish();
  }

  _finish() {
    if (!this.next || this.closed) return;
    clearTimeout(this._deadline);
    this._deadline = null;
    const missing = [...this.ids].filter((id) => !this.handed.has(id));
    if (missing.length) console.warn(`parley: media moved without ${missing.join(", ")}`);
    const old = this.path;
    this.path = this.next;
    this.next = null;
    this.handed = new Set();
    this._stopWaiting();
    for (const id of missing) {  // shown from the new path from now on, whatever it has
      for (const detail of this._latest.get(this.path).values()) {
        if (detail.id === id) this._emit("media", detail);
      }
    }
    console.info(`parley: media moved to ${this.path.mode}`);
    this._retire(old, RETIRE_AFTER);
  }

  _retire(path, after) {
    this.retiring.add(path);
    if (path.retire) path.retire();  // stop receiving: decoding everyone twice costs
    setTimeout(() => {
      if (!this.retiring.delete(path) || this.closed) return;
      this._close(path);
      if (path.mode === "sfu" && !path.stale
          && !this._paths().some((p) => p.mode === "sfu")) {
        this.options.send("sfu_leave", { generation: this.generation });
      }
    }, after);
  }

  /** The last mesh generation of each pair, over every mesh of this route: a mesh built
   * again counts on past them (both counting from 0, an old mesh's late answer was taken
   * for the new one's offer). */
  _lastGenerations() {
    const last = new Map(this._meshGenerations);
    const meshes = [...this.retiring, this.path, this.next].filter((p) => p && p.lastGenerations);
    for (const mesh of meshes) {
      for (const [id, generation] of mesh.lastGenerations()) {
        last.set(id, Math.max(generation, last.has(id) ? last.get(id) : -1));
      }
    }
    return last;
  }

  _close(path) {
    if (path.lastGenerations) {
      for (const [id, generation] of path.lastGenerations()) {
        // the highest: meshes may close out of order (an older one's lower generations
        // must not let a later mesh take a stale signal for a new one)
        this._meshGenerations.set(id, Math.max(generation, this._meshGenerations.get(id) ?? -1));
      }
    }
    path.close();
    this._latest.delete(path);
    this._states.delete(path);
  }

  _emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }
}
