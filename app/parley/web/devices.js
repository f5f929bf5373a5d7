// This guest's own media: the chosen microphone and camera, the shared screen.
// A device that cannot be opened is reported and left out: the call goes on.

export const NONE = "none";

/** Camera and microphone need a secure page (https:, or this machine's own address). */
export function canCapture() {
  return Boolean(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
}

export async function listDevices() {
  if (!canCapture()) return { cameras: [], microphones: [] };
  const devices = await navigator.mediaDevices.enumerateDevices();
  const named = (kind, fallback) => devices.filter((d) => d.kind === kind)
    .map((d, i) => ({ id: d.deviceId, label: d.label || `${fallback} ${i + 1}` }));
  return { cameras: named("videoinput", "Camera"), microphones: named("audioinput", "Microphone") };
}

function describe(error) {
  const reasons = {
    NotAllowedError: "permission was refused",
    NotFoundError: "no such device",
    NotReadableError: "the device is in use or failed",
    OverconstrainedError: "the device cannot do what was asked",
  };
  return reasons[error.name] || error.message || String(error);
}

export class LocalMedia extends EventTarget {
  // Events: problem {text}, screenended
  constructor() {
    super();
    this.audio = null;
    this.camera = null;
    this.screen = null;
    this.microphoneId = null;
    this.cameraId = null;
    this.muted = false;
  }

  /** The track of a role (audio, camera, screen), or null. */
  track(role) {
    return this[role === "audio" ? "audio" : role] || null;
  }

  /** Open the chosen devices (an id, NONE, or null for the default one). */
  async open(microphoneId, cameraId) {
    this.microphoneId = microphoneId;
    this.cameraId = cameraId;
    this.audio = microphoneId === NONE ? null : await this._get("audio", microphoneId);
    if (this.audio) this.audio.enabled = !this.muted;
    this.camera = cameraId === NONE ? null : await this._get("video", cameraId);
  }

  async _get(kind, deviceId) {
    if (!canCapture()) return null;
    const constraint = deviceId ? { deviceId: { exact: deviceId } } : true;
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ [kind]: constraint });
      return stream.getTracks()[0];
    } catch (error) {
      const what = kind === "audio" ? "microphone" : "camera";
      this._problem(`The ${what} could not be opened: ${describe(error)}.`);
      return null;
    }
  }

  setMuted(muted) {
    this.muted = muted;
    if (this.audio) this.audio.enabled = !muted;  // silence keeps flowing
  }

  /** Camera off stops the device (its light goes out); on opens it again. */
  async setCameraOn(on) {
    if (!on) {
      if (this.camera) this.camera.stop();
      this.camera = null;
    } else if (!this.camera && this.cameraId !== NONE) {
      this.camera = await this._get("video", this.cameraId);
    }
    return this.camera;
  }

  async startScreen() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getDisplayMedia) {
      this._problem("This browser cannot share a screen here.");
      return null;
    }
    try {
      const stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
      this.screen = stream.getVideoTracks()[0];
      this.screen.onended = () => this.dispatchEvent(new CustomEvent("screenended"));
      return this.screen;
    } catch (error) {
      if (error.name !== "NotAllowedError") {
        this._problem(`The screen could not be shared: ${describe(error)}.`);
      }
      return null;
    }
  }

  stopScreen() {
    if (this.screen) this.screen.stop();
    this.screen = null;
  }

  stopAll() {
    for (const track of [this.audio, this.camera, this.screen]) if (track) track.stop();
    this.audio = this.camera = this.screen = null;
  }

  _problem(text) {
    this.dispatchEvent(new CustomEvent("problem", { detail: { text } }));
  }
}
