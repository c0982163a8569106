"""SQLite backend that knows the real bound-parameter limit of the linked SQLite library.

Django 5.2 assumes SQLite's historical limit of 999 parameters, so ``bulk_create`` of a
600-row responsibility list is split into many INSERTs. Every SQLite shipped with Python 3.11
allows 32,766; asking the library (``Connection.getlimit``, Python 3.11+) makes bulk writes one
statement per few thousand rows, as on PostgreSQL. Django 6.0 does the same upstream.
"""

import sqlite3
from functools import cached_property

from django.db.backends.sqlite3 import base, features


class DatabaseFeatures(features.DatabaseFeatures):
    @cached_property
    def max_query_params(self) -> int:
        self.connection.ensure_connection()
        return self.connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
