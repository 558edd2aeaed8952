"""The ground floor: the nouns every room shares (report, field, change, event, trouble) and
the rules that are pure functions of them. Imports nothing of the project, does no I/O.

    report.py   Report, Attachment, ListingEntry, Page; FIELDS, the one declaration of a
                report's fields (model, stored columns, export, hash, diff, rendering derive
                from it)
    change.py   what counts as a change: normalisation, content hash, noise, field diff
    events.py   Event, Alert and their payloads (the webhook wire format), subscriptions
    trouble.py  Problem kinds (what a page or a poll ran into) and Trouble (what operators hear)
    fetchlog.py one HTTP exchange, for the fetch log
    tls.py      the process's one TLS context, shared by the crawler and the channels
"""

AYRDW_WATCH = True  # ayrdw_watch.py checks it: a package of this name installed by another project is not ours
