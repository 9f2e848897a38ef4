"""A stand-in for Google Colab's ``google.colab``, so that CI runs the chapters as Colab does.

Colab's kernel imports ``google.colab`` when it starts; the chapters' set-up cell and ``course.chapter.in_colab()``
look for it in ``sys.modules``. scripts/test.sh imports this stand-in at kernel start (an IPython startup file,
with this folder's parent on PYTHONPATH). It offers the few names a chapter or the set-up cell may touch:

- ``drive.mount`` / ``drive.flush_and_unmount``, ``files.upload`` / ``files.download`` and ``userdata.get`` need
  Google's servers: each raises :class:`NotAvailableInCI` with a message saying so;
- ``output.enable_custom_widget_manager`` / ``disable_custom_widget_manager`` do nothing (there is no Colab front
  end here), ``output.clear`` clears the cell's output.

There is deliberately no ``google/__init__.py``: ``google`` stays a namespace package, so ``google.protobuf``
(installed with onnx) still imports beside this stand-in.
"""
from __future__ import annotations

import sys
import types

IS_COURSE_STUB = True
__version__ = "0.0.0+course.ci.stub"

_WHY = ("this is the course's CI stand-in for google.colab (scripts/colab_stub), not Google Colab: there is no "
        "Google account or server here")


class NotAvailableInCI(RuntimeError):
    """Raised by every stand-in function that needs Google's servers."""


def _submodule(name: str, doc: str) -> types.ModuleType:
    module = types.ModuleType(f"{__name__}.{name}", doc)
    sys.modules[module.__name__] = module
    return module


# google.colab.drive ------------------------------------------------------------------------------------------
drive = _submodule("drive", "Google Drive: not available in CI.")


def _mount(mountpoint: str = "/content/drive", force_remount: bool = False, timeout_ms: int = 120000,
           readonly: bool = False) -> None:
    raise NotAvailableInCI(
        f"Google Drive is not available in CI ({_WHY}), so drive.mount({mountpoint!r}) cannot work. Keep the Drive "
        "line of the set-up cell commented out; to keep checkpoints between chapters here, set COURSE_ARTIFACTS to "
        "a local folder instead.")


def _flush_and_unmount(timeout_ms: int = 86400000) -> None:
    raise NotAvailableInCI(f"Google Drive is not available in CI ({_WHY}): nothing is mounted.")


drive.mount, drive.flush_and_unmount = _mount, _flush_and_unmount

# google.colab.files ------------------------------------------------------------------------------------------
files = _submodule("files", "Browser uploads and downloads: not available in CI.")


def _upload(*args, **kwargs):
    raise NotAvailableInCI(f"files.upload() needs Colab's browser front end, which CI does not have ({_WHY}).")


def _download(filename, *args, **kwargs):
    raise NotAvailableInCI(f"files.download({filename!r}) needs Colab's browser front end, which CI does not have "
                           f"({_WHY}); the file stays where it is.")


files.upload, files.download = _upload, _download

# google.colab.userdata ---------------------------------------------------------------------------------------
userdata = _submodule("userdata", "Colab secrets: not available in CI.")


class SecretNotFoundError(NotAvailableInCI):
    pass


def _get(key: str):
    raise SecretNotFoundError(f"Colab secret {key!r}: there are no Colab secrets in CI ({_WHY}); read an environment "
                              "variable instead.")


userdata.get, userdata.SecretNotFoundError = _get, SecretNotFoundError

# google.colab.output -----------------------------------------------------------------------------------------
output = _submodule("output", "Colab's output helpers: the widget-manager switches do nothing here.")


def _enable_custom_widget_manager() -> None:
    """On Colab this lets ipywidgets 8 and third-party widgets display; there is no Colab front end in CI."""


def _disable_custom_widget_manager() -> None:
    """See enable_custom_widget_manager."""


def _clear(wait: bool = False, output_tags=()) -> None:
    from IPython.display import clear_output

    clear_output(wait=wait)


output.enable_custom_widget_manager = _enable_custom_widget_manager
output.disable_custom_widget_manager = _disable_custom_widget_manager
output.clear = _clear

__all__ = ["drive", "files", "output", "userdata", "NotAvailableInCI", "IS_COURSE_STUB"]
