"""trueloss-dash: why does my loss curve look like that?

The core (``run``, ``columns``, ``ingest``, ``diagnose``) imports neither Streamlit, Plotly nor torch.
"""

__version__ = "0.1.0"
