import numpy as np
import pytest
from PySide6.QtGui import QColor

from parley.qt.frames import FrameThrottle, rgb_to_qimage


def test_rgb_to_qimage_copies_the_pixels() -> None:
    rgb = np.zeros((4, 6, 3), dtype=np.uint8)
    rgb[1, 2] = (10, 200, 30)
    image = rgb_to_qimage(rgb)
    rgb[:] = 255  # the media layer reuses its buffer: the image must not change
    assert (image.width(), image.height()) == (6, 4)
    assert image.pixelColor(2, 1) == QColor(10, 200, 30)
    assert image.pixelColor(0, 0) == QColor(0, 0, 0)


def test_rgb_to_qimage_accepts_a_non_contiguous_view() -> None:
    rgb = np.zeros((8, 8, 3), dtype=np.uint8)
    rgb[::2, ::2] = (1, 2, 3)
    image = rgb_to_qimage(rgb[::2, ::2])
    assert (image.width(), image.height()) == (4, 4)
    assert image.pixelColor(3, 3) == QColor(1, 2, 3)


@pytest.mark.parametrize("shape,dtype", [((4, 4), np.uint8), ((4, 4, 4), np.uint8),
                                         ((4, 4, 3), np.float32)])
def test_rgb_to_qimage_refuses_other_arrays(shape: tuple[int, ...], dtype: type) -> None:
    with pytest.raises(ValueError, match=r"expected an \(h, w, 3\) uint8 array"):
        rgb_to_qimage(np.zeros(shape, dtype=dtype))


def test_throttle_drops_until_painted_and_expires_stale_frames() -> None:
    now = [0.0]
    throttle = FrameThrottle(stale_after=0.25, clock=lambda: now[0])
    assert throttle.admit("a")
    assert not throttle.admit("a")  # still converting
    assert throttle.admit("b")  # other participants are independent
    assert throttle.converted("a")
    assert not throttle.admit("a")  # converted, not painted yet
    throttle.painted("a")
    assert throttle.admit("a") and throttle.converted("a")
    now[0] = 0.3  # the view never painted it (hidden): do not stall forever
    assert throttle.admit("a")
    assert throttle.dropped == 2


def test_throttle_never_expires_a_frame_still_converting() -> None:
    now = [0.0]
    throttle = FrameThrottle(stale_after=0.25, clock=lambda: now[0])
    assert throttle.admit("a")
    now[0] = 10.0  # a slow conversion: a second frame would queue behind it
    assert not throttle.admit("a")
    throttle.forget("a")  # they left meanwhile: the late frame is not shown
    assert not throttle.converted("a")
    assert throttle.admit("a")
