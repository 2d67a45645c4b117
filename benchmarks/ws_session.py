"""A browser session without a browser: Streamlit's websocket protocol spoken from Python.

Why: ten Chromiums on a two-core machine measure the browsers as much as the server (each one
parses and draws every Plotly update). A :class:`WsSession` sends what the page sends - the
script rerun with widget values, a button press, and the fragment reruns the page schedules
(``auto_rerun``) - and reads what the server sends, at a few milliseconds of CPU per message. So
the server does exactly the work it does for a real browser, and the machine's CPU is left to it.

It knows the live page only by what a user sees: the ``epochs`` box, the ``Start`` button, the
progress text and the queue note.
"""

from __future__ import annotations

import re
import secrets
import threading
import time

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import connect

_POSITION = re.compile(r"Your run is number (\d+) of \d+ in the queue")


class WsSession(threading.Thread):
    """One visitor on ``/live``: opens the page, sets ``epochs``, presses Start when told, follows
    the page's polling fragments until closed. Read ``status_text``, ``positions``, ``runs``."""

    def __init__(self, url: str, page: str = "live") -> None:
        super().__init__(daemon=True)
        self.ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
        self.page = page
        self.uid = secrets.token_urlsafe(18)  # the identity cookie a browser would carry
        self.widgets: dict[str, str] = {}  # label -> widget id
        self.epochs: int | None = None
        self.status_text = ""
        self.positions: set[int] = set()
        self.runs = 0  # script runs this session asked for (full + fragment)
        self.bytes_in = 0
        self.ready = threading.Event()
        self.closed = threading.Event()
        self._press = threading.Event()
        self._lock = threading.Lock()
        self._auto: dict[str, tuple[float, float]] = {}  # fragment id -> (interval, next due)
        self._pending_auto: dict[str, float] = {}
        self._ws = None

    # -- messages out --------------------------------------------------------------------------
    def _send_rerun(self, *, fragment_id: str = "", trigger: str | None = None) -> None:
        msg = BackMsg()
        cs = msg.rerun_script
        cs.page_name = self.page
        if fragment_id:
            cs.fragment_id = fragment_id
            cs.is_auto_rerun = True
        if self.epochs is not None and "epochs" in self.widgets:
            w = cs.widget_states.widgets.add()
            w.id = self.widgets["epochs"]
            w.int_value = self.epochs
        if trigger and trigger in self.widgets:
            w = cs.widget_states.widgets.add()
            w.id = self.widgets[trigger]
            w.trigger_value = True
        self.runs += 1
        self._ws.send(msg.SerializeToString())

    def press_start(self) -> None:
        self._press.set()

    def close(self) -> None:
        self.closed.set()

    # -- messages in ---------------------------------------------------------------------------
    def _element(self, el) -> None:
        kind = el.WhichOneof("type")
        if kind == "button" and el.button.label:
            self.widgets[el.button.label] = el.button.id
        elif kind == "number_input" and el.number_input.label:
            self.widgets[el.number_input.label] = el.number_input.id
        elif kind == "progress":
            self.status_text = el.progress.text
        elif kind == "alert":
            m = _POSITION.search(el.alert.body)
            if m:
                self.positions.add(int(m.group(1)))

    def _handle(self, raw: bytes) -> None:
        self.bytes_in += len(raw)
        msg = ForwardMsg()
        msg.ParseFromString(raw)
        kind = msg.WhichOneof("type")
        if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            self._element(msg.delta.new_element)
        elif kind == "new_session":
            self._pending_auto = {}
        elif kind == "auto_rerun":
            self._pending_auto[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
        elif kind == "stop_auto_rerun":
            for fid in msg.stop_auto_rerun.fragment_ids:
                self._auto.pop(fid, None)
        elif kind == "script_finished":
            now = time.time()
            full = msg.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY
            if full:  # a full run replaces the page's fragments; a fragment run keeps them
                self._auto = {}
            for fid, interval in self._pending_auto.items():
                self._auto[fid] = (interval, now + interval)
            self._pending_auto = {}
            if full:
                self.ready.set()

    def run(self) -> None:
        with connect(self.ws_url, subprotocols=["streamlit"], additional_headers={"Cookie": f"tl_uid={self.uid}"},
                     max_size=None, open_timeout=120) as ws:
            self._ws = ws
            self._send_rerun()
            pressed = False
            while not self.closed.is_set():
                try:
                    raw = ws.recv(timeout=0.05)
                except TimeoutError:
                    raw = None
                if raw is not None:
                    self._handle(raw)
                    continue
                if self._press.is_set() and not pressed and "Start" in self.widgets:
                    pressed = True
                    self._send_rerun(trigger="Start")
                    continue
                now = time.time()
                for fid, (interval, due) in list(self._auto.items()):
                    if now >= due:
                        self._auto[fid] = (interval, now + interval)
                        self._send_rerun(fragment_id=fid)
