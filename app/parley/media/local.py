"""This participant's media: :class:`LocalMedia` opens the sources the config asks
for and exposes one :class:`SwitchableTrack` each for audio, camera and screen.

A device that is missing or fails is reported through ``on_device_error`` and
replaced by silence / black frames: the call goes on without it.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Callable

import av
from aiortc.mediastreams import MediaStreamTrack

from parley.media import rtx
from parley.media.camera import open_camera
from parley.media.clip import ClipTrack, clip_path
from parley.media.config import MediaConfig
from parley.media.devices import DeviceError, DeviceKind
from parley.media.echo import EchoTrack
from parley.media.microphone import MicrophoneTrack
from parley.media.processing import AudioProcessor, ProcessingOptions
from parley.media.screen import ScreenSource, open_screen
from parley.media.shared import LayerTrack, SharedEncoder
from parley.media.switch import SubscriberTrack, SwitchableTrack
from parley.media.synthetic import PatternTrack, ToneTrack

logger = logging.getLogger(__name__)


class LocalMedia:
    """The local sources, switchable without renegotiation."""

    def __init__(self, local_id: str, config: MediaConfig,
                 on_device_error: Callable[[str, str], None],
                 on_camera_frame: Callable[[av.VideoFrame], None] | None = None) -> None:
        rtx.install()  # Parley's encoders and retransmission policy (media/rtx.py)
        self.local_id = local_id
        self.config = config
        self._on_device_error = on_device_error
        self.audio = SwitchableTrack("audio", "parley-audio")
        self.camera = SwitchableTrack("video", "parley-camera", on_frame=on_camera_frame)
        self.screen = SwitchableTrack("video", "parley-screen", filler=False)
        self.audio.on_source_ended = self._ended_handler("microphone")
        self.camera.on_source_ended = self._ended_handler("camera")
        self.screen.on_source_ended = self._ended_handler("screen")
        self.shared: dict[str, SharedEncoder] = {}
        """The camera's and the screen's shared encoders (``config.encode_once``)."""
        if config.encode_once:
            self.shared = {"camera": SharedEncoder(self.camera),
                           "screen": SharedEncoder(self.screen)}
        self.echo_audio: EchoTrack | None = None
        self.echo_video: EchoTrack | None = None
        self.processor: AudioProcessor | None = None
        """The audio processing of the microphone, made when a microphone opens with any
        of it switched on; the speaker feeds it what it plays."""

    def track_for(self, role: str) -> SubscriberTrack | LayerTrack:
        """A new reader of the track of a role (audio, camera, screen) for one sender:
        the shared encoder's packets for video when it encodes once."""
        shared = self.shared.get(role)
        if shared is not None:
            return shared.subscribe()
        tracks = {"audio": self.audio, "camera": self.camera, "screen": self.screen}
        return tracks[role].subscribe()

    @property
    def screen_sharing(self) -> bool:
        return self.screen.source is not None

    def _ended_handler(self, kind: DeviceKind) -> Callable[[MediaStreamTrack], None]:
        def ended(source: MediaStreamTrack) -> None:
            error = getattr(source, "error", None)
            self._device_error(DeviceError(kind, error or f"{kind} stopped delivering"))
        return ended

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
        for track in (self.audio, self.camera, self.screen):
            await track.stop()
