#!/usr/bin/env python3
"""What `irodsctl start` does before it launches the server, without launching it, so the
entrypoint can then exec `irodsServer -u` itself (in the foreground, as tini's child, so that
`docker stop` reaches it). Run as the irods service account at every start:

  1. upgrade the configuration files if the installed packages are newer than they are;
  2. validate server_config.json, version.json and the service account's irods_environment.json
     against the installed schemas (a refusal stops the container with the reason);
  3. on the catalog provider, recreate the ODBC DSN "iRODS Catalog" in ~irods/.odbc.ini from
     server_config.json and bring the catalog schema up to date. The database plugin connects
     through that DSN, and the file lives in the container's own layer, not on a volume: a
     re-created container (new image, changed setting) would otherwise have no catalog.

Unlike ioa-configure.py this is not standard-library only: it calls the iRODS server's own
Python modules (/var/lib/irods/scripts: irods.controller and friends, whose dependencies the
irods-server package installs), so it does exactly what that release's irodsctl does
(scripts/irods/controller.py, IrodsController.start, in iRODS 4.3.4).
"""
import logging
import sys

sys.path.insert(0, '/var/lib/irods/scripts')

from irods import database_interface, upgrade_configuration  # noqa: E402
from irods.configuration import IrodsConfig  # noqa: E402
from irods.exceptions import IrodsError, IrodsWarning  # noqa: E402


def main():
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format='ioa-irods: %(message)s')
    config = IrodsConfig()
    try:
        if upgrade_configuration.requires_upgrade(config):
            upgrade_configuration.upgrade(config)
        try:
            config.validate_configuration()
        except IrodsWarning as e:  # irodsctl goes on after a warning (e.g. a schema unreachable)
            logging.warning('%s', e)
        if config.is_catalog:
            database_interface.server_launch_hook(config)
    except IrodsError as e:
        logging.error('%s', e)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
