"""The SFU back end: Janus's VideoRoom behind the call server (docs/sfu.md)."""
