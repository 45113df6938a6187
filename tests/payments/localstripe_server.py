"""Run localstripe on 127.0.0.1 only, without its shared /tmp pickle: ``python
localstripe_server.py PORT``. (Its CLI binds every interface and persists state to one file that
parallel runs would share.)"""

import sys

from aiohttp import web
from localstripe import resources, server

resources.Store.dump_to_disk = lambda self: None
resources.Store.try_load_from_disk = lambda self: None

if __name__ == "__main__":
    web.run_app(server.app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
