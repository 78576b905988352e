"""The local web page of `imr-search serve`: routes and templates over the same library
calls as the command line, which hold all the searching."""

from .app import create_app, make_server

__all__ = ["create_app", "make_server"]
