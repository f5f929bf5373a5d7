"""What each m-line of a peer's offer carries, by mid and kind, never by position.

Pure (no aiortc, no I/O): it reads and rewrites SDP text, so that Parley can answer
any compliant peer's offer (docs/protocol.md, *Track roles*):

- Every audio/video m-line has a role, ``audio``, ``camera`` or ``screen``: the one
  the offer declares for its mid (``Offer.tracks``), else ``audio`` for an audio
  m-line and ``camera`` for a video one. A role is symmetric: the answerer sends
  its own track of that role on the m-line.
- The first m-line (in SDP order) of each role is used, and the first SCTP
  application m-line carries the heartbeat. Every other m-line is *rejected*: a
  duplicate role, a role that does not fit the kind or is unknown, another kind
  (``m=text``...), a second application, one without a codec in common, one
  without a mid, one the offerer itself rejected (port 0).
- aiortc never sees the rejected m-lines (it would misread unknown kinds and fail
  the whole offer on an unsupported codec): :class:`OfferPlan` hands it the offer
  without them and puts them back, port 0, into its answer, as JSEP wants.
- An answer that rejects one of Parley's own m-lines (port 0) is turned into an
  inactive one for aiortc (:func:`accept_answer`), which cannot represent a
  rejection.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

AUDIO, CAMERA, SCREEN, DATA = "audio", "camera", "screen", "data"
ROLE_KINDS: Mapping[str, str] = {AUDIO: "audio", CAMERA: "video", SCREEN: "video"}
"""The kind of m-line each declared role needs."""
DEFAULT_ROLES: Mapping[str, str] = {"audio": AUDIO, "video": CAMERA}
"""The role of an m-line the offer declares nothing for."""

# Payload formats that carry no media by themselves
_NOT_MEDIA = frozenset({"rtx", "red", "ulpfec", "flexfec-03", "telephone-event", "cn"})
_STATIC_PAYLOADS = {"0": "pcmu", "8": "pcma", "9": "g722"}
_DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")
_TRANSPORT_ATTRIBUTES = ("a=ice-ufrag:", "a=ice-pwd:", "a=ice-options:", "a=fingerprint:",
                         "a=setup:")
_SENDER_ATTRIBUTES = ("a=ssrc:", "a=ssrc-group:", "a=msid:", "a=candidate:",
                      "a=end-of-candidates")


@dataclass(frozen=True)
class Section:
    """One m-section of an SDP: its ``m=`` line and the lines up to the next one."""

    lines: tuple[str, ...]

    @property
    def _m(self) -> list[str]:
        return self.lines[0][2:].split()

    @property
    def kind(self) -> str:
        return self._m[0] if self._m else ""

    @property
    def port(self) -> int:
        try:
            return int(self._m[1].split("/")[0])
        except (IndexError, ValueError):
            return 0

    @property
    def proto(self) -> str:
        return self._m[2] if len(self._m) > 2 else ""

    @property
    def formats(self) -> tuple[str, ...]:
        return tuple(self._m[3:])

    def attribute(self, name: str) -> str | None:
        """The value of the first ``a=name:value`` (or ``""`` for a flag ``a=name``)."""
        for line in self.lines[1:]:
            if line == f"a={name}":
                return ""
            if line.startswith(f"a={name}:"):
                return line[len(name) + 3:].strip()
        return None

    @property
    def mid(self) -> str | None:
        return self.attribute("mid")

    @property
    def direction(self) -> str:
        """The direction as written (sendrecv when none is)."""
        return next((d for d in _DIRECTIONS if self.attribute(d) is not None), "sendrecv")

    @property
    def rejected(self) -> bool:
        """Port 0 without ``a=bundle-only``: the sender rejected (or stopped) it."""
        return self.port == 0 and self.attribute("bundle-only") is None

    @property
    def codecs(self) -> frozenset[str]:
        """The media codecs it lists, lower case (static payload types included)."""
        names = {_STATIC_PAYLOADS[f] for f in self.formats if f in _STATIC_PAYLOADS}
        for line in self.lines[1:]:
            if line.startswith("a=rtpmap:"):
                parts = line[len("a=rtpmap:"):].split(maxsplit=1)
                if len(parts) == 2:
                    names.add(parts[1].split("/")[0].lower())
        return frozenset(names - _NOT_MEDIA)

    def explicit(self) -> Section:
        """This section with its direction written out (SDP's default is sendrecv;
        aiortc needs it written)."""
        if self.kind not in DEFAULT_ROLES or any(
                self.attribute(d) is not None for d in _DIRECTIONS):
            return self
        return Section((*self.lines, "a=sendrecv"))

    def rejection(self) -> str:
        """This section rejected in an answer: port 0, its mid, nothing else."""
        m = self._m
        lines = [f"m={m[0]} 0 {' '.join(m[2:]) or 'UDP/TLS/RTP/SAVPF 0'}", "c=IN IP4 0.0.0.0"]
        if self.mid is not None:
            lines.append(f"a=mid:{self.mid}")
        lines.append("a=inactive")
        return "\r\n".join(lines)


@dataclass(frozen=True)
class Description:
    """An SDP split into its session lines and its m-sections."""

    session: tuple[str, ...]
    sections: tuple[Section, ...]

    @classmethod
    def parse(cls, sdp: str) -> Description:
        session: list[str] = []
        sections: list[list[str]] = []
        for line in sdp.splitlines():
            line = line.strip()
            if not line:
                continue
            if line.startswith("m="):
                sections.append([line])
            elif sections:
                sections[-1].append(line)
            else:
                session.append(line)
        return cls(tuple(session), tuple(Section(tuple(s)) for s in sections))

    @property
    def bundle(self) -> tuple[str, ...]:
        """The mids of the first BUNDLE group (empty when there is none)."""
        for line in self.session:
            if line.startswith("a=group:BUNDLE"):
                return tuple(line.split()[1:])
        return ()

    def text(self, sections: Sequence[str | Section] | None = None,
             bundle: Sequence[str] | None = None) -> str:
        """The SDP again, with other sections and/or another BUNDLE group."""
        session = list(self.session)
        if bundle is not None:
            session = [line for line in session if not line.startswith("a=group:BUNDLE")]
            if bundle:
                at = next((i for i, line in enumerate(session) if line.startswith("t=")),
                          len(session) - 1) + 1
                session.insert(at, "a=group:BUNDLE " + " ".join(bundle))
        chosen = self.sections if sections is None else sections
        blocks = ["\r\n".join(s.lines) if isinstance(s, Section) else s for s in chosen]
        return "\r\n".join(["\r\n".join(session), *blocks]) + "\r\n"


@dataclass(frozen=True)
class MLine:
    """What Parley makes of one m-line of an offer."""

    index: int
    """Its position in the offer (for candidates that name it by index)."""
    mid: str | None
    kind: str
    role: str | None
    """audio, camera, screen or data; None when rejected."""
    direction: str
    """The direction the offer gives (from the offerer's side)."""
    reason: str = ""
    """Why it was rejected."""

    @property
    def accepted(self) -> bool:
        return self.role is not None

    @property
    def remote_sends(self) -> bool:
        return self.direction in ("sendrecv", "sendonly")

    @property
    def remote_receives(self) -> bool:
        return self.direction in ("sendrecv", "recvonly")


def _judge(section: Section, declared: Mapping[str, str], taken: set[str],
           supported: Mapping[str, Collection[str]]) -> tuple[str | None, str]:
    """The role of one section, or None and why not."""
    kind, mid = section.kind, section.mid
    if section.rejected:
        return None, "rejected by the offerer (port 0)"
    if mid is None:
        return None, "no a=mid"
    if kind == "application":
        if "SCTP" not in section.proto.upper():
            return None, f"application over {section.proto} is not a data channel"
        role = DATA
    elif kind in DEFAULT_ROLES:
        role = declared.get(mid, DEFAULT_ROLES[kind])
        if ROLE_KINDS.get(role) != kind:
            return None, f"role {role!r} does not fit a {kind} m-line"
        wanted = {c.lower() for c in supported.get(kind, ())}
        if not section.codecs & wanted:
            return None, f"no {kind} codec in common (offered {sorted(section.codecs)})"
    else:
        return None, f"kind {kind!r} is not supported"
    if role in taken:
        return None, f"a second {role} m-line"
    return role, ""


class OfferPlan:
    """A remote offer read m-line by m-line: roles, rejections, and the SDP for aiortc.

    Args:
        sdp: The offer as received.
        declared: Its declared roles, mid -> role.
        supported: Codec names Parley can use per kind (``{"audio": {"opus", ...}}``).
    """

    def __init__(self, sdp: str, declared: Mapping[str, str],
                 supported: Mapping[str, Collection[str]]) -> None:
        self.description = Description.parse(sdp)
        taken: set[str] = set()
        lines = []
        for index, section in enumerate(self.description.sections):
            role, reason = _judge(section, declared, taken, supported)
            if role is not None:
                taken.add(role)
            lines.append(MLine(index, section.mid, section.kind, role, section.direction,
                               reason))
        self.mlines: tuple[MLine, ...] = tuple(lines)
        accepted = [s.explicit() for s, m in zip(self.description.sections, lines,
                                                  strict=True) if m.accepted]
        self._accepted_mids = [m.mid for m in lines if m.accepted]
        group = self.description.bundle
        self.bundle = tuple(mid for mid in self._accepted_mids if mid in group)
        """The BUNDLE group aiortc is given: the offer's without rejected mids, in m-line
        order (aiortc's transport belongs to the first m-line it creates, and only that
        one takes candidates)."""
        self.accepted_sdp = self.description.text(accepted, bundle=self.bundle if group
                                                  else None)
        """The offer without its rejected m-lines: what aiortc is given."""

    def role(self, mid: str | None) -> str | None:
        return next((m.role for m in self.mlines if m.mid == mid and m.accepted), None)

    def mline(self, mid: str | None) -> MLine | None:
        return next((m for m in self.mlines if m.mid == mid and m.accepted), None)

    @property
    def rejected(self) -> tuple[MLine, ...]:
        return tuple(m for m in self.mlines if not m.accepted)

    def complete_answer(self, answer_sdp: str) -> str:
        """aiortc's answer to :attr:`accepted_sdp`, with the rejected m-lines put back
        (port 0) where the offer had them.

        Raises:
            ValueError: the answer does not match the accepted m-lines.
        """
        answer = Description.parse(answer_sdp)
        mids = [s.mid for s in answer.sections]
        if mids != self._accepted_mids:
            raise ValueError(f"answer m-lines {mids} do not match {self._accepted_mids}")
        given = iter(answer.sections)
        sections: list[str | Section] = []
        for section, mline in zip(self.description.sections, self.mlines, strict=True):
            sections.append(next(given) if mline.accepted else section.rejection())
        return answer.text(sections)

    def candidate_target(self, mid: str | None, index: int | None) -> tuple[str, int] | None:
        """Where a trickled candidate goes in aiortc's view of the offer, as (mid,
        m-line index): the m-line it names, or the BUNDLE group's first accepted one for
        any m-line of the group; None for a candidate of a rejected, unbundled m-line."""
        if mid is None and index is not None and 0 <= index < len(self.mlines):
            mid = self.mlines[index].mid
        if mid is None:
            return None
        if self.bundle and (mid in self.description.bundle or mid not in self._accepted_mids):
            mid = self.bundle[0]
        if mid not in self._accepted_mids:
            return None
        return mid, self._accepted_mids.index(mid)


def accept_answer(answer_sdp: str, offer_sdp: str) -> tuple[str, tuple[str, ...]]:
    """A remote answer to Parley's own offer, ready for aiortc: every m-line the answer
    rejected (port 0) becomes an inactive copy of the offered one on the bundled
    transport, since aiortc wants one m-line per offered one and cannot represent a
    rejection. Returns the answer to give aiortc and the mids that were rejected.

    Raises:
        ValueError: the answer's m-lines do not match the offer's.
    """
    answer, offer = Description.parse(answer_sdp), Description.parse(offer_sdp)
    if len(answer.sections) != len(offer.sections):
        raise ValueError(f"the answer has {len(answer.sections)} m-lines, "
                         f"the offer {len(offer.sections)}")
    rejected = [i for i, s in enumerate(answer.sections) if s.rejected]
    if not rejected:  # the group as offered, in m-line order: see OfferPlan.bundle
        return answer.text(bundle=_offered_bundle(offer)), ()
    live = next((s for s in answer.sections if not s.rejected), None)
    if live is None:
        raise ValueError("the answer rejects every m-line")
    transport = [line for line in live.lines if line.startswith(_TRANSPORT_ATTRIBUTES)]
    sections: list[str | Section] = list(answer.sections)
    mids = []
    for i in rejected:
        offered = offer.sections[i]
        kept = [line for line in offered.lines[1:]
                if not line.startswith(_TRANSPORT_ATTRIBUTES + _SENDER_ATTRIBUTES)
                and line[2:] not in _DIRECTIONS]
        sections[i] = Section((offered.lines[0], *kept, *transport, "a=inactive"))
        mids.append(offered.mid or "")
    return answer.text(sections, bundle=_offered_bundle(offer)), tuple(mids)


def _offered_bundle(offer: Description) -> tuple[str, ...]:
    return tuple(s.mid for s in offer.sections if s.mid is not None)
