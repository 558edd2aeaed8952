AYRDW_WATCH = True  # ayrdw_watch.py checks it: a package of this name installed by another project is not ours
