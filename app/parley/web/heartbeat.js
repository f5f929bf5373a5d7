// The peer heartbeat (docs/protocol.md, "Peer heartbeat"): a ping every 0.5 s on
// the connection's data channel, every ping answered at once with a pong echoing
// its "t"; no pong for 2 s (or 4 x the smoothed round trip, if longer) is death.

import { HEARTBEAT } from "./protocol.js";

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
    channel.onmessage = (event) => this._received(event.data);
    channel.onopen = () => this.start();
    channel.onclose = () => this._expire();
    if (channel.readyState === "open") this.start();
  }

  get timeout() {
    return Math.max(HEARTBEAT.timeout, 4 * (this.srtt || 0));
  }

  start() {
    if (this.dead || this._pinger) return;
    this._arm();
    const ping = () => this._send({ type: "ping", t: performance.now() / 1000 });
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
