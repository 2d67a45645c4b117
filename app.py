"""trueloss-dash: `streamlit run app.py` (or `trueloss-dash serve`). The app lives in trueloss_dash.ui."""

from trueloss_dash.ui.app import main

main()
