"""Notifications: one module per channel (webhook.py, email.py) behind the registry in
base.py, and what a watcher reads (render.py). See base.py for what a channel provides."""

from notify.base import CHANNELS, ChannelError, Notifier, NotifyError, SendResult, Watcher, channel, notifier_for

__all__ = ["CHANNELS", "ChannelError", "Notifier", "NotifyError", "SendResult", "Watcher", "channel", "notifier_for"]

AYRDW_WATCH = True  # ayrdw_watch.py checks it: a package of this name installed by another project is not ours
