"""The SDK's :class:`OwnedTasks` (defined in :mod:`parley.media.tasks`, so that the media
mesh below the SDK owns its tasks the same way; the Qt bridge imports it from here)."""

from parley.media.tasks import OwnedTasks

__all__ = ["OwnedTasks"]
