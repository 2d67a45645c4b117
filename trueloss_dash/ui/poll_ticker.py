"""An invisible element that turns "a new epoch arrived" into a rerun of one named fragment.

Why: a polling fragment must redraw everything it contains on every run (Streamlit clears what a
fragment run does not draw again), so a page that polled the whole live view every second made
every browser re-render the chart, the diagnosis and some 70 elements once a second even when
nothing had changed. Now the page polls only a tiny fragment (the progress line and this ticker).
The ticker's iframe gets the job's current mark (epochs done) and the mark the live view was last
drawn for; only when they differ does it send the new mark back, and the widget's callback reruns
just the live view's fragment (``st.rerun(<key>)``). An idle poll changes no argument, so the
browser has nothing to redraw.

The component is one static HTML page written once to a cache folder and served by Streamlit.
"""

from __future__ import annotations

import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

_INDEX = """<!doctype html>
<html><head><meta charset="utf-8"></head><body style="margin:0">
<script>
function send(type, data) {
  window.parent.postMessage(Object.assign({isStreamlitMessage: true, type: type}, data || {}), "*");
}
var sent = null, sized = false;
window.addEventListener("message", function (event) {
  var msg = event.data;
  if (!msg || msg.type !== "streamlit:render") return;
  if (!sized) { sized = true; send("streamlit:setFrameHeight", {height: 0}); }
  var args = msg.args || {};
  // ask once per new mark, and only when the view does not show it yet
  if (args.mark !== args.drawn && args.mark !== sent) {
    sent = args.mark;
    send("streamlit:setComponentValue", {value: args.mark, dataType: "json"});
  }
});
send("streamlit:componentReady", {apiVersion: 1});
</script></body></html>
"""


@lru_cache(maxsize=1)
def _component():
    import streamlit.components.v1 as components

    folder = Path(tempfile.gettempdir()) / "trueloss-poll-ticker"
    folder.mkdir(parents=True, exist_ok=True)
    index = folder / "index.html"
    if not index.exists() or index.read_text(encoding="utf-8") != _INDEX:
        tmp = folder / "index.html.tmp"
        tmp.write_text(_INDEX, encoding="utf-8")
        tmp.replace(index)
    return components.declare_component("trueloss_poll_ticker", path=str(folder))


def poll_ticker(mark: str, drawn: str | None, *, key: str, on_change: Callable[[], Any]) -> None:
    """Call ``on_change`` (in a widget callback) once when ``mark`` differs from ``drawn``."""
    _component()(mark=mark, drawn=drawn, key=key, default=None, on_change=on_change)
