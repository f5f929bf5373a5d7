// The guest page at /join/<room>?token=...: pick a name and devices, join, call.
//
// Diagnostics (query string): mlines=camera,audio,... sets the roles, and their
// order, of the m-lines this page offers (default audio,camera,screen).

import { Call } from "./call.js";
import { ChatPanel } from "./chatpanel.js";
import { LocalMedia, NONE, canCapture, listDevices } from "./devices.js";
import { ROLES } from "./protocol.js";
import { View } from "./view.js";

const $ = (id) => document.getElementById(id);
const NAME_KEY = "parley.name";

function readLocation() {
  const parts = location.pathname.split("/");
  const at = parts.lastIndexOf("join");
  const room = decodeURIComponent(parts[at + 1] || "");
  const query = new URLSearchParams(location.search);
  const token = query.get("token");
  const mlines = (query.get("mlines") || "audio,camera,screen").split(",")
    .filter((role) => ROLES.includes(role));
  if (token) {  // out of the address bar (and of screenshots and shared screens)
    query.delete("token");
    const rest = query.toString();
    history.replaceState(null, "", location.pathname + (rest ? `?${rest}` : ""));
  }
  // The call server that served this page: its /ws beside /join/ (behind any proxy path).
  const base = location.pathname.slice(0, location.pathname.lastIndexOf("/join/") + 1);
  const url = `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}${base}ws`;
  return { room, token, url, layout: mlines.length ? mlines : [...ROLES] };
}

class Page {
  constructor() {
    this.view = new View();
    this.where = readLocation();
    this.local = new LocalMedia();
    this.call = null;
    this.chatPanel = new ChatPanel();
    this.local.addEventListener("problem", (e) => this._problem(e.detail.text));
    this.chatPanel.addEventListener("send", (e) => this._say(e.detail.text));
    window.parley = this;  // for diagnostics and tests: page.call, page.local, page.chatPanel
  }

  async start() {
    const { view, where } = this;
    view.setRoom(where.room);
    view.show("join");
    $("name").value = localStorage.getItem(NAME_KEY) || "";
    $("join-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.join();
    });
    $("camera").addEventListener("change", () => this._preview());
    $("microphone").addEventListener("change", () => this._preview());
    $("rejoin").addEventListener("click", () => this._again());
    this._wireControls();
    if (!canCapture()) {
      view.note("Camera and microphone need a secure page (https://). You can still join " +
                "to watch and listen.");
    }
    await this._preview(true);
  }

  /** Reopen the chosen devices for the preview, one choice after the other. */
  _preview(first = false) {
    this._previewing = (this._previewing || Promise.resolve()).then(() => this._open(first));
    return this._previewing;
  }

  async _open(first) {
    const camera = first ? null : $("camera").value;
    const microphone = first ? null : $("microphone").value;
    this.local.stopAll();
    await this.local.open(microphone, camera);
    if (first) {  // device names are only known once one was opened
      const { cameras, microphones } = await listDevices();
      const pick = (track, list) => {
        const id = track && track.getSettings ? track.getSettings().deviceId : null;
        return id || (list.length ? list[0].id : NONE);
      };
      this.view.setDevices("camera", cameras, pick(this.local.camera, cameras));
      this.view.setDevices("microphone", microphones, pick(this.local.audio, microphones));
      if (!this.local.camera) $("camera").value = NONE;
      if (!this.local.audio) $("microphone").value = NONE;
    }
    this.view.setPreview(this.local.camera);
  }

  async join() {
    const { view, where, local } = this;
    const name = $("name").value.trim();
    if (!name) {
      view.joinError("Type your name first.");
      return;
    }
    localStorage.setItem(NAME_KEY, name);
    view.joinError("");
    view.joining(true);
    this.chatPanel.clear();
    const call = new Call({ url: where.url, room: where.room, name, token: where.token, local,
                            layout: where.layout, receiveOnly: !local.audio && !local.camera });
    this._listen(call);
    try {
      await call.join();
    } catch (error) {
      view.joining(false);
      view.joinError(error.message);
      return;
    }
    this.call = call;
    view.joining(false);
    this.chatPanel.setEnabled(true);
    view.show("call");
    this._render();
  }

  _listen(call) {
    const view = this.view;
    call.addEventListener("roster", () => this._render());
    call.addEventListener("media", (e) => view.media(e.detail.id, e.detail.role, e.detail.stream));
    call.addEventListener("peerstate", (e) => view.peerState(e.detail.id, e.detail.state));
    call.addEventListener("waiting", () => view.joining("waiting"));
    call.addEventListener("chat", (e) => this.chatPanel.add(e.detail.entry));
    call.addEventListener("chaterror", (e) => this.chatPanel.setError(e.detail.text));
    call.addEventListener("mediamode", () => this._render());
    call.addEventListener("lost", () => {
      view.overlay(true);
      this.chatPanel.setEnabled(false);
    });
    call.addEventListener("restored", () => {
      view.overlay(false);
      this.chatPanel.setEnabled(true);
    });
    call.addEventListener("problem", (e) => this._problem(e.detail.text));
    call.addEventListener("ended", (e) => {
      const titles = { left: "You left the call", closed: "The call is over",
                       refused: "You are no longer in the call" };
      view.ended(titles[e.detail.reason] || "The call is over", e.detail.text);
    });
  }

  _render() {
    const call = this.call;
    if (!call) return;
    this.view.roster([...call.participants.values()], this.local.camera);
    this.view.controls(call.flags, call.canShare && Boolean(navigator.mediaDevices &&
                                                            navigator.mediaDevices.getDisplayMedia));
  }

  _wireControls() {
    const act = (id, action) => $(id).addEventListener("click", async () => {
      if (!this.call) return;
      $(id).disabled = true;
      try {
        await action(this.call);
      } finally {
        $(id).disabled = false;
        this._render();
      }
    });
    act("mute", (call) => call.setMuted(!call.flags.audio_muted));
    act("camera-toggle", (call) => call.setCameraOn(call.flags.video_paused));
    act("hand", (call) => call.setHand(!call.flags.hand_raised));
    act("share", (call) => (call.flags.screen_sharing ? call.stopShare() : call.startShare()));
    act("leave", (call) => call.leave());
  }

  async _again() {
    this.call = null;
    this.view.show("join");
    await this._preview();
  }

  _say(text) {
    if (!this.call) return;
    const problem = this.call.chat.send(text);
    if (problem) this.chatPanel.setError(problem);
    else this.chatPanel.sent();
  }

  _problem(text) {
    if (this.call) this.view.problem(text);
    else this.view.note(text);
  }
}

new Page().start();
