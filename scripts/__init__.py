"""The `xinfang` command line: thin click commands over the same services as the API."""
