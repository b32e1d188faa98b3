"""The bank's own formats (FORMAT_MODULE_PATH): British dates with one 24-hour time everywhere."""
