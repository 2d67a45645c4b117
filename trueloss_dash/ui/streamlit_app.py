"""Packaged copy of the Streamlit script (used by `trueloss-dash serve` when app.py is not beside the package)."""

from trueloss_dash.ui.app import main

main()
