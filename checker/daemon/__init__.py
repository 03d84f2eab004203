"""``apicheck daemon``: check a live daemon against the document of the API version it claims."""
