// The peer heartbeat (docs/protocol.md, "Peer heartbeat"): a ping every 0.5 s on
// the connection's data channel, every ping answered at once with a pong echoing
// its "t"; no pong for 2 s (or 4 x the smoothed round trip, if longer; or, on a
// lossy link, a run of lost pings as unlikely as 1 in 10^4 at the pings' own loss,
// counted only when a later pong came: parley/media/heartbeat.py) is death.

import { HEARTBEAT } from "./protocol.js";

const LOSS_WINDOW = 40;  // pings the loss is measured over ...
const LOSS_SAMPLES = 10;  // ... once this many are known
const FALSE_ALARM = 1e-4;

export class Heartbeat {
  constructor(channel, { onAlive, onDead }) {
    this.channel = channel;
    this.onAlive = onAlive;
    this.onDead = onDead;
    this.alive = false;
    this.dead = false;
    this.srtt = null;
    this._pinger = null;
    this._deadline = null;
    this._unanswered = [];  // the t of pings with no pong yet, oldest first
    this._outcomes = [];  // true: a ping lost (a later one was answered)
    channel.onmessage = (event) => this._received(event.data);
    channel.onopen = () => this.start();
    channel.onclose = () => this._expire();
    if (channel.readyState === "open") this.start();
  }

  get loss() {
    if (this._outcomes.length < LOSS_SAMPLES) return 0;
    return this._outcomes.filter(Boolean).length / this._outcomes.length;
  }

  get timeout() {
    const timeout = Math.max(HEARTBEAT.timeout, 4 * (this.srtt || 0));
    const loss = this.loss;
    if (loss <= 0 || loss >= 1) return timeout;
    const run = HEARTBEAT.interval * Math.log(FALSE_ALARM) / Math.log(loss) + (this.srtt || 0);
    return Math.max(timeout, Math.min(run, 5 * HEARTBEAT.timeout));
  }

  _answered(t) {
    const at = this._unanswered.indexOf(t);
    if (at < 0) return;
    for (const sent of this._unanswered.splice(0, at + 1)) {
      this._outcomes.push(sent !== t);
      if (this._outcomes.length > LOSS_WINDOW) this._outcomes.shift();
    }
  }

  start() {
    if (this.dead || this._pinger) return;
    this._arm();
    const ping = () => {
      const t = performance.now() / 1000;
      this._unanswered.push(t);
      if (this._unanswered.length > LOSS_WINDOW) this._unanswered.shift();
      this._send({ type: "ping", t });
    };
    ping();
    this._pinger = setInterval(ping, HEARTBEAT.interval * 1000);
  }

  stop() {
    clearInterval(this._pinger);
    clearTimeout(this._deadline);
    this._pinger = null;
  }

  _send(body) {
    if (this.channel.readyState === "open") {
      try {
        this.channel.send(JSON.stringify(body));
      } catch (error) {
        // closing under us: the deadline decides
      }
    }
  }

  _received(data) {
    let body;
    try {
      body = JSON.parse(data);
    } catch (error) {
      return;
    }
    if (body.type === "ping") {
      this._send({ type: "pong", t: body.t });
    } else if (body.type === "pong" && !this.dead) {
      const rtt = performance.now() / 1000 - body.t;
      if (rtt >= 0 && rtt < 60) this.srtt = this.srtt === null ? rtt : 0.875 * this.srtt + 0.125 * rtt;
      this._answered(body.t);
      this._arm();
      if (!this.alive) {
        this.alive = true;
        this.onAlive();
      }
    }
  }

  _arm() {
    clearTimeout(this._deadline);
    this._deadline = setTimeout(() => this._expire(), this.timeout * 1000);
  }

  _expire() {
    if (this.dead) return;
    this.dead = true;
    this.alive = false;
    this.stop();
    this.onDead();
  }
}
