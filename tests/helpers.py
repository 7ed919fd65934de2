"""Small helpers shared by the chart and page tests."""
import base64

import numpy as np


def decode(v, dtype=None):
    """A trace array from figure JSON as NumPy: Plotly's typed array ``{"dtype", "bdata"[, "shape"]}``
    or a plain list; cast to ``dtype`` when given (``float`` turns JSON nulls into NaN)."""
    if isinstance(v, dict) and "bdata" in v:
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]).newbyteorder("<"))
        if "shape" in v:
            a = a.reshape([int(s) for s in v["shape"].split(",")])
        return a if dtype is None else a.astype(dtype)
    return np.asarray(v, dtype=dtype)


def shown(markdown: str) -> str:
    """What a reader sees of a Markdown message: backslash escapes (ui.text.literal) removed."""
    import re
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace("\u200b", "")


def wait_idle(page, timeout: int = 60_000) -> None:
    """Browser tests: wait until Streamlit says the script run is over (a state, never a fixed time)."""
    page.wait_for_function(
        "() => { const a = document.querySelector('[data-testid=stApp]');"
        " return a && a.getAttribute('data-test-script-state') === 'notRunning'; }", timeout=timeout)
