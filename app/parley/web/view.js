// What the guest sees: the join form, the grid of tiles, the controls, the
// "Reconnecting…" overlay, problems and the end of the call. DOM only: the page
// controller (app.js) decides what to show.

const $ = (id) => document.getElementById(id);

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

const BADGES = [
  ["audio_muted", "badge mic-off", "Muted"],
  ["no_microphone", "badge mic-off", "No microphone"],
  ["no_camera", "badge camera-off", "No camera"],
  ["video_paused", "badge camera-off", "Camera off"],
  ["hand_raised", "badge hand", "Hand raised"],
  ["screen_sharing", "badge sharing", "Sharing"],
  ["reconnecting", "badge reconnecting", "Reconnecting…"],
];

export class View {
  constructor() {
    this.tiles = new Map();  // "<id>/<role>" -> figure
    this.screens = new Map();  // id -> the stream of its screen m-line
    this.participants = [];
    this.localTrack = null;
  }

  show(screen) {
    for (const id of ["join", "call", "ended"]) $(id).hidden = id !== screen;
  }

  // ---------------------------------------------------------------- joining

  setRoom(room) {
    $("room-name").textContent = room;
    document.title = `${room} · Parley`;
  }

  setDevices(select, devices, chosen) {
    const node = $(select);
    node.replaceChildren();
    for (const { id, label } of devices) node.append(new Option(label, id, false, id === chosen));
    node.append(new Option(select === "camera" ? "No camera" : "No microphone", "none", false,
                           chosen === "none"));
  }

  setPreview(track) {
    $("preview").srcObject = track ? new MediaStream([track]) : null;
    $("preview-off").hidden = Boolean(track);
  }

  note(text) {
    $("capture-note").textContent = text || "";
    $("capture-note").hidden = !text;
  }

  joinError(text) {
    $("join-error").textContent = text || "";
    $("join-error").hidden = !text;
  }

  /** busy: true (joining), "waiting" (in the lobby, for a host) or false. */
  joining(busy) {
    $("join-button").disabled = Boolean(busy);
    $("join-button").textContent = busy === "waiting" ? "Waiting for the host to let you in…"
      : busy ? "Joining…" : "Join";
  }

  // ---------------------------------------------------------------- the call

  roster(participants, localTrack) {
    const wanted = new Set();
    for (const participant of participants) {
      const key = `${participant.id}/camera`;
      wanted.add(key);
      const tile = this._tile(participant.id, "camera");
      this._label(tile, participant.local ? `${participant.name} (you)` : participant.name,
                  participant);
      if (participant.local) {
        tile.classList.add("local");
        this._attach(tile, localTrack ? new MediaStream([localTrack]) : null, true);
      }
      tile.classList.toggle("camera-off", Boolean(participant.video_paused));
      const screen = this.screens.get(participant.id);
      if (screen && participant.screen_sharing && !participant.local) {
        const screenTile = this._tile(participant.id, "screen");
        wanted.add(screenTile.dataset.key);
        this._label(screenTile, `${participant.name}'s screen`, {});
        this._attach(screenTile, screen, true);
      }
    }
    this.participants = participants;
    this.localTrack = localTrack;
    for (const [key, tile] of this.tiles) {
      if (!wanted.has(key)) {
        tile.remove();
        this.tiles.delete(key);
      }
    }
    this._layout();
  }

  media(id, role, stream) {
    if (role === "screen") {  // shown while its owner says it shares
      this.screens.set(id, stream);
      this.roster(this.participants, this.localTrack);
      return;
    }
    if (!stream && !this.tiles.has(`${id}/${role}`)) return;  // gone already
    this._attach(this._tile(id, role), stream, false);
    this._layout();
  }

  peerState(id, state) {
    const tile = this.tiles.get(`${id}/camera`);
    if (tile) tile.dataset.link = state;
  }

  controls(flags, canShare) {
    $("mute").textContent = flags.audio_muted ? "Unmute" : "Mute";
    $("mute").setAttribute("aria-pressed", String(flags.audio_muted));
    $("camera-toggle").textContent = flags.video_paused ? "Camera on" : "Camera off";
    $("camera-toggle").setAttribute("aria-pressed", String(flags.video_paused));
    $("hand").textContent = flags.hand_raised ? "Lower hand" : "Raise hand";
    $("hand").setAttribute("aria-pressed", String(flags.hand_raised));
    $("share").textContent = flags.screen_sharing ? "Stop sharing" : "Share screen";
    $("share").disabled = !canShare;
    $("share").title = canShare ? "" : "Screen sharing is not available in this call yet";
  }

  overlay(visible) {
    $("overlay").hidden = !visible;
  }

  problem(text) {
    const line = element("p", "problem", text);
    $("problems").append(line);
    setTimeout(() => line.remove(), 8000);
  }

  ended(title, text) {
    $("ended-title").textContent = title;
    $("ended-text").textContent = text;
    for (const tile of this.tiles.values()) tile.remove();
    this.tiles.clear();
    this.screens.clear();
    this.participants = [];
    this.overlay(false);
    this.show("ended");
  }

  // ---------------------------------------------------------------- tiles

  _tile(id, role) {
    const key = `${id}/${role}`;
    let tile = this.tiles.get(key);
    if (!tile) {
      tile = element("figure", `tile ${role}`);
      tile.dataset.key = key;
      tile.dataset.pid = id;
      tile.dataset.role = role;
      const video = element("video");
      video.autoplay = true;
      video.playsInline = true;
      tile.append(video, element("figcaption"));
      $("grid").append(tile);
      this.tiles.set(key, tile);
    }
    return tile;
  }

  _attach(tile, stream, muted) {
    const video = tile.querySelector("video");
    video.muted = muted;
    if (video.srcObject !== stream) video.srcObject = stream;
    if (stream) video.play().catch(() => {});  // autoplay is allowed after the Join click
  }

  _label(tile, name, flags) {
    const caption = tile.querySelector("figcaption");
    const badges = BADGES.filter(([flag]) => flags[flag] && !(flag === "screen_sharing"))
      .map(([flag, className, text]) => element("span", className, text));
    caption.replaceChildren(element("span", "name", name), ...badges);
    if (flags.guest) caption.append(element("span", "badge guest", "Guest"));
  }

  _layout() {
    const count = Math.max(1, this.tiles.size);
    const columns = Math.ceil(Math.sqrt(count));
    $("grid").style.setProperty("--columns", String(columns));
    $("grid").style.setProperty("--rows", String(Math.ceil(count / columns)));
  }
}
