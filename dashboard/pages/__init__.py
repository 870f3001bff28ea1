"""One module per page, each with register_page, a layout and its callbacks."""
