"""Importing customers, products, content and interactions from CSV files.

``services.import_file`` is the one entry point; the upload screen, the Celery task and the
``import_data`` command all go through it.
"""
