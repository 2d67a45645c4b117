"""A Plotly chart that updates in place and keeps the user's zoom while its data grows.

Why not ``st.plotly_chart``: Streamlit derives that element's identity from the figure itself, so
every data change mounts a new chart and Plotly's ``uirevision`` never gets a chance - the zoom is
lost once a second. A tiny custom component with a fixed ``key`` keeps one iframe; each new figure
arrives as a render message and is drawn with ``Plotly.react``, which honours ``uirevision``.

Offline: the component's files (one HTML page + the ``plotly.min.js`` the plotly package ships)
are written once to a cache folder and served by Streamlit itself.
"""

from __future__ import annotations

import shutil
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

_INDEX = """<!doctype html>
<html><head><meta charset="utf-8">
<style>html,body{margin:0;padding:0;overflow:hidden;background:transparent;font-family:"Source Sans Pro",sans-serif}
#chart{width:100%}</style>
<script src="plotly.min.js"></script></head>
<body><div id="chart" data-testid="tl-live-chart"></div>
<script>
function send(type, data) {
  window.parent.postMessage(Object.assign({isStreamlitMessage: true, type: type}, data || {}), "*");
}
var lastSpec = null;
window.addEventListener("message", function (event) {
  var msg = event.data;
  if (!msg || msg.type !== "streamlit:render") return;
  var args = msg.args || {};
  var height = args.height || 440;
  send("streamlit:setFrameHeight", {height: height});
  if (args.spec === lastSpec) return;
  lastSpec = args.spec;
  var fig = JSON.parse(args.spec);
  fig.layout = fig.layout || {};
  fig.layout.height = height;
  fig.layout.autosize = true;
  // uirevision (set by the caller) keeps zoom/pan and hidden traces across these updates
  Plotly.react("chart", fig.data || [], fig.layout, Object.assign({responsive: true}, args.config || {}));
  document.getElementById("chart").setAttribute("data-revision", String(args.revision || ""));
});
send("streamlit:componentReady", {apiVersion: 1});
</script></body></html>
"""


@lru_cache(maxsize=1)
def _component():
    import plotly
    import streamlit.components.v1 as components

    bundle = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    folder = Path(tempfile.gettempdir()) / f"trueloss-live-chart-{plotly.__version__}"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "plotly.min.js"
    if not target.exists() or target.stat().st_size != bundle.stat().st_size:
        tmp = folder / "plotly.min.js.tmp"
        shutil.copyfile(bundle, tmp)
        tmp.replace(target)
    index = folder / "index.html"
    if not index.exists() or index.read_text(encoding="utf-8") != _INDEX:
        index.write_text(_INDEX, encoding="utf-8")
    return components.declare_component("trueloss_live_chart", path=str(folder))


def live_chart(fig: Any, *, key: str, height: int = 440, config: dict | None = None, revision: Any = None) -> None:
    """Draw ``fig`` (a plotly Figure or its JSON; set ``layout.uirevision`` to keep the zoom) in place."""
    spec = fig if isinstance(fig, str) else fig.to_json()
    _component()(spec=spec, height=height, config=config or {}, revision=revision, key=key, default=None)
