"""The Docker sandbox: untrusted code and apps in locked-down, single-owner containers."""
from .box import Sandbox
from .errors import SandboxError
from .image import build_image, image_exists
from .policy import DEFAULT, SYSTEM_MAX, Limits, clamp, limits_from
from .recipe import image_tag
from .result import TRUNCATION_MARKER, ExecResult
from .tarsafe import check as check_archive
from .tarsafe import unpack as unpack_archive

__all__ = [
    "Sandbox", "SandboxError", "ExecResult", "Limits", "DEFAULT", "SYSTEM_MAX", "clamp",
    "limits_from", "build_image", "image_exists", "image_tag", "TRUNCATION_MARKER",
    "unpack_archive", "check_archive",
]
