"""This participant's media: :class:`LocalMedia` opens the sources the config asks
for and exposes one :class:`SwitchableTrack` each for audio, camera and screen.

A device that is missing or fails is reported through ``on_device_error`` and
replaced by silence / black frames: the call goes on without it. A chosen microphone
that stops delivering (unplugged) is replaced by the system default, reported the same
way; :attr:`LocalMedia.missing` says which devices the call has none of now. A device
switched mid-call (:meth:`LocalMedia.use_microphone`, :meth:`LocalMedia.use_camera`)
replaces the source of its track: no renegotiation.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Callable
from dataclasses import replace

import av
from aiortc.mediastreams import MediaStreamTrack

from parley.media import arrival, decoding, estimate, framebuffer, jitter, opus_fec, rtx
from parley.media.camera import open_camera
from parley.media.clip import ClipTrack, clip_path
from parley.media.config import MediaConfig
from parley.media.devices import DeviceError, DeviceKind
from parley.media.echo import EchoTrack
from parley.media.layering import Layer
from parley.media.microphone import MicrophoneTrack
from parley.media.processing import AudioProcessor, ProcessingOptions
from parley.media.screen import ScreenSource, open_screen
from parley.media.shared import LayerTrack, SharedEncoder
from parley.media.shared_audio import AudioPacketTrack, SharedAudioEncoder
from parley.media.switch import SubscriberTrack, SwitchableTrack
from parley.media.synthetic import PatternTrack, ToneTrack

logger = logging.getLogger(__name__)


class LocalMedia:
    """The local sources, switchable without renegotiation."""

    def __init__(self, local_id: str, config: MediaConfig,
                 on_device_error: Callable[[str, str], None],
                 on_camera_frame: Callable[[av.VideoFrame], None] | None = None) -> None:
        rtx.install()  # Parley's encoders and retransmission policy (media/rtx.py)
        framebuffer.install()  # every complete video frame at once (media/framebuffer.py)
        opus_fec.install()  # the SDP asks for the Opus FEC it decodes (media/opus_fec.py)
        jitter.install()  # audio packets to the decoder at once (media/jitter.py)
        estimate.install()  # the receiver's bandwidth estimate (media/estimate.py)
        arrival.install()  # its arrival times from the kernel (media/arrival.py)
        decoding.install()  # decoded frames to the loop in one callback (media/decoding.py)
        self.local_id = local_id
        self.config = config
        self._on_device_error = on_device_error
        self.audio = SwitchableTrack("audio", "parley-audio")
        self._on_camera_frame = on_camera_frame
        self.camera = SwitchableTrack("video", "parley-camera", on_frame=self._camera_frame)
        self.screen = SwitchableTrack("video", "parley-screen", filler=False)
        self.audio.on_source_ended = self._ended_handler("microphone")
        self.camera.on_source_ended = self._ended_handler("camera")
        self.screen.on_source_ended = self._ended_handler("screen")
        self.shared: dict[str, SharedEncoder] = {}
        """The camera's and the screen's shared encoders (``config.encode_once``)."""
        self.shared_audio: SharedAudioEncoder | None = None
        """The microphone's shared encoder (``config.encode_once``)."""
        if config.encode_once:
            self.shared = {"camera": SharedEncoder(self.camera),
                           "screen": SharedEncoder(self.screen)}
            camera = self.shared["camera"]
            self.shared_audio = SharedAudioEncoder(  # a slow link's voice (shared_audio)
                self.audio, video_estimates=lambda: [t.estimate for t in camera.readers()])
        self.echo_audio: EchoTrack | None = None
        self.echo_video: EchoTrack | None = None
        self.processor: AudioProcessor | None = None
        """The audio processing of the microphone, made when a microphone opens with any
        of it switched on; the speaker feeds it what it plays."""

    def track_for(self, role: str, layer: Layer | None = None
                  ) -> SubscriberTrack | LayerTrack | AudioPacketTrack:
        """A new reader of the track of a role (audio, camera, screen) for one sender:
        the shared encoders' packets when it encodes once (``layer``: always that layer
        of them; None: the layer the sender's estimate affords)."""
        shared = self.shared.get(role)
        if shared is not None:
            return shared.subscribe(layer)
        if role == "audio" and self.shared_audio is not None:
            return self.shared_audio.subscribe()
        tracks = {"audio": self.audio, "camera": self.camera, "screen": self.screen}
        return tracks[role].subscribe()

    @property
    def screen_sharing(self) -> bool:
        return self.screen.source is not None

    def _camera_frame(self, frame: av.VideoFrame) -> None:
        # the black filler of a camera that is not there is no picture of you: the
        # self view shows your initials instead
        if self._on_camera_frame is not None and self.camera.source is not None:
            self._on_camera_frame(frame)

    @property
    def missing(self) -> frozenset[DeviceKind]:
        """The devices the call wants and has none of now (none found, or failed), which
        the others are told (presence); synthetic media misses nothing."""
        if self.config.fake_media or self.config.echo:
            return frozenset()
        wanted = (("microphone", self.config.audio, self.audio),
                  ("camera", self.config.video, self.camera))
        return frozenset(kind for kind, want, track in wanted  # type: ignore[misc]
                         if want and track.source is None)

    def _ended_handler(self, kind: DeviceKind) -> Callable[[MediaStreamTrack], None]:
        def ended(source: MediaStreamTrack) -> None:
            error = getattr(source, "error", None) or f"{kind} stopped delivering"
            if kind == "microphone" and self.config.microphone is not None \
                    and not self.config.fake_media:
                self._fall_back_to_default_microphone(error)
                return
            self._device_error(DeviceError(kind, error))
        return ended

    def _fall_back_to_default_microphone(self, error: str) -> None:
        """The chosen microphone went away: the system default takes over (if any)."""
        gone, self.config = self.config.microphone, replace(self.config, microphone=None)
        try:
            self.audio.set_source(MicrophoneTrack(None, self.processor))
        except DeviceError as exc:
            self._device_error(DeviceError("microphone", f"{error}; {exc.message}"))
            return
        self._device_error(DeviceError(
            "microphone", f"{gone} is gone ({error}): using the system default"))

    async def use_microphone(self, device: str | None) -> None:
        """Switch the microphone mid-call (None: the system default); a device that
        cannot be opened is a device error and the current one stays."""
        if self.config.fake_media or self.config.echo or not self.config.audio:
            self.config = replace(self.config, microphone=device)
            return
        try:
            track = MicrophoneTrack(device, self.processor)
        except DeviceError as exc:
            self._device_error(exc)
            return
        self.config = replace(self.config, microphone=device)
        previous = self.audio.set_source(track)
        if previous is not None:
            previous.stop()

    async def use_camera(self, device: str | None) -> None:
        """Switch the camera mid-call (None: the first one); as :meth:`use_microphone`."""
        if self.config.fake_media or self.config.echo or not self.config.video:
            self.config = replace(self.config, camera=device)
            return
        try:
            track = await open_camera(device, self.config.video_size, self.config.fps)
        except DeviceError as exc:
            self._device_error(exc)
            return
        self.config = replace(self.config, camera=device)
        previous = self.camera.set_source(track)
        if previous is not None:
            previous.stop()

    def _device_error(self, error: DeviceError) -> None:
        logger.warning("device error (%s): %s", error.kind, error.message)
        self._on_device_error(error.kind, error.message)

    async def start(self) -> None:
        """Open the microphone and camera (or synthetic sources); never raises DeviceError."""
        config = self.config
        if config.echo:
            self.echo_audio, self.echo_video = EchoTrack("audio"), EchoTrack("video")
            self.audio.set_source(self.echo_audio)
            self.camera.set_source(self.echo_video)
            self.camera.start()
            return
        if config.audio:
            options = ProcessingOptions(config.echo_cancellation, config.noise_suppression,
                                        config.auto_gain_control)
            if not config.fake_media and options.any and self.processor is None:
                # loading the native library takes a while: not on the loop
                self.processor = await asyncio.to_thread(AudioProcessor, options)
            self.audio.set_source(self._open_audio())
        if config.video:
            self.camera.set_source(await self._open_camera())
        self.camera.start()

    def _open_audio(self) -> MediaStreamTrack | None:
        if self.config.fake_media:
            tone = self.config.tone_hz
            return ToneTrack(tone if tone is not None else 300.0 + 100 * (self._hue() % 8))
        try:
            return MicrophoneTrack(self.config.microphone, self.processor)
        except DeviceError as exc:
            self._device_error(exc)
            return None

    async def _open_camera(self) -> MediaStreamTrack | None:
        config = self.config
        clip = clip_path(config.camera)  # a file as the camera (benchmarks), fake or not
        if config.fake_media and clip is None:
            return PatternTrack(config.video_size, config.fps, hue=self._hue())
        try:
            if clip is not None:
                return ClipTrack(clip, config.fps)
            return await open_camera(config.camera, config.video_size, config.fps)
        except DeviceError as exc:
            self._device_error(exc)
            return None

    def _hue(self) -> int:
        return zlib.crc32(self.local_id.encode()) % 360

    def set_audio_muted(self, muted: bool) -> None:
        self.audio.enabled = not muted

    def set_video_paused(self, paused: bool) -> None:
        self.camera.enabled = not paused

    async def start_screen_share(self, what: ScreenSource | None = None) -> bool:
        """Start capturing ``what`` (None: the main screen); False (and a device error)
        when it cannot."""
        if self.screen_sharing:
            return True
        try:
            source = await open_screen(self.config.fake_media, self.config.video_size, what)
        except DeviceError as exc:
            self._device_error(exc)
            return False
        self.screen.set_source(source)
        return True

    async def stop_screen_share(self) -> None:
        previous = self.screen.set_source(None)
        if previous is not None:
            previous.stop()

    async def close(self) -> None:
        for shared in self.shared.values():
            await shared.close()
        if self.shared_audio is not None:
            await self.shared_audio.close()
        for track in (self.audio, self.camera, self.screen):
            await track.stop()
