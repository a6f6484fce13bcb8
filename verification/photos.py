"""Proof photo pipeline: validate, read EXIF, fix orientation, make metadata-free copies, hash.

Pure with respect to the database: `process_photo()` takes bytes (or a file) and returns the display copy,
the thumbnail, the capture time, the GPS position and the perceptual hashes. Storing the copies is the
service's job (`verification.services`), through Django's storage API.

Order matters for safety and speed:
1. The byte size is checked before anything is read into memory.
2. The format is recognised from the first bytes (magic numbers); SVG, HTML and everything else is refused,
   and a file whose extension names a different image format is refused too.
3. The pixel count is read from the header and checked *before* decoding, so a decompression bomb (a small
   file that decodes into gigabytes) never gets decoded.
4. JPEGs are decoded in draft mode: libjpeg scales by 1/2, 1/4 or 1/8 while decoding, so a 12-megapixel
   photo is never decoded at full size when the largest copy kept is 1600 px.
5. Orientation is fixed (`exif_transpose`) before the copies and the hashes are made, so a rotated copy
   of the same photo hashes the same.
6. The copies are encoded from fresh pixel data with no `exif`, `icc_profile`, XMP or comment: the capture
   time and the GPS position are kept only as database fields; the original file is not kept.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import imagehash
from django.utils.translation import gettext_lazy as _
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from verification.exceptions import PhotoRejected

try:  # pillow-heif registers the HEIC/HEIF opener with Pillow
    import pillow_heif

    pillow_heif.register_heif_opener(thumbnails=False)
    HEIF_AVAILABLE = True
except ImportError:  # pragma: no cover - pillow-heif is in requirements.txt
    HEIF_AVAILABLE = False

DISPLAY_MAX_SIDE = 1600
THUMBNAIL_MAX_SIDE = 400
DISPLAY_QUALITY = 82
THUMBNAIL_QUALITY = 75


@dataclass(frozen=True)
class PhotoLimits:
    max_bytes: int = 20 * 1024 * 1024
    max_pixels: int = 40_000_000  # a 50-megapixel image is refused; phones default to 12 MP
    min_side: int = 100


DEFAULT_LIMITS = PhotoLimits()

# Magic numbers → Pillow format name. HEIF brands cover iPhone (heic), Android (heix, mif1) and sequences.
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
_EXTENSIONS = {
    "JPEG": {"jpg", "jpeg", "jpe", "jfif"},
    "PNG": {"png"},
    "WEBP": {"webp"},
    "HEIF": {"heic", "heif", "hif"},
}
_ALL_EXTENSIONS = set().union(*_EXTENSIONS.values())
_FORMAT_LABELS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "HEIF": "HEIC"}

# EXIF tags (numbers from the EXIF 2.32 specification).
_ORIENTATION = 0x0112
_DATETIME = 0x0132
_DATETIME_ORIGINAL = 0x9003
_DATETIME_DIGITIZED = 0x9004
_OFFSET_TIME = 0x9010
_OFFSET_TIME_ORIGINAL = 0x9011
_OFFSET_TIME_DIGITIZED = 0x9012


@dataclass(frozen=True)
class ProcessedPhoto:
    source_format: str
    width: int  # upright size of the original
    height: int
    display: bytes  # JPEG without metadata, longest side at most DISPLAY_MAX_SIDE
    display_size: tuple[int, int]
    thumbnail: bytes  # JPEG without metadata, longest side at most THUMBNAIL_MAX_SIDE
    thumbnail_size: tuple[int, int]
    taken_at: datetime | None  # aware
    taken_at_source: str  # "original", "digitized", "datetime" or "" when unknown
    taken_at_has_offset: bool  # False: the camera gave local time without a zone; the city's zone was assumed
    latitude: float | None
    longitude: float | None
    phash: int  # 64-bit unsigned
    dhash: int


def sniff_format(head: bytes) -> str | None:
    """The image format from the first bytes, or None for anything that is not an accepted image."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "HEIF"
    return None


def _extension(name: str) -> str:
    base = name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    return base.rsplit(".", 1)[-1].lower() if "." in base else ""


def _reject(code: str, message, **params) -> PhotoRejected:
    return PhotoRejected(message % params if params else message, code=code)


def _read_all(file, limits: PhotoLimits) -> bytes:
    size = getattr(file, "size", None)
    if size is not None and size > limits.max_bytes:
        raise _too_large(limits)
    if hasattr(file, "seek"):
        file.seek(0)
    data = file.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        raise _too_large(limits)
    return data


def _too_large(limits: PhotoLimits) -> PhotoRejected:
    return _reject(
        "too_large",
        _("The file is too large. The largest photo accepted is %(megabytes)s MB."),
        megabytes=limits.max_bytes // (1024 * 1024),
    )


def validate_header(data: bytes, *, name: str, limits: PhotoLimits = DEFAULT_LIMITS) -> str:
    """Checks size, format and extension without decoding anything. Returns the format name."""
    if not data:
        raise _reject("empty", _("The file is empty."))
    if len(data) > limits.max_bytes:
        raise _too_large(limits)
    fmt = sniff_format(data[:32])
    extension = _extension(name)
    if fmt is None:
        raise _reject("not_an_image", _("This is not a photo eRaha accepts. Send a JPEG, PNG, WebP or HEIC photo."))
    if fmt == "HEIF" and not HEIF_AVAILABLE:  # pragma: no cover
        raise _reject("not_an_image", _("HEIC photos cannot be read on this server. Send a JPEG photo."))
    if extension and extension not in _EXTENSIONS[fmt]:
        if extension in _ALL_EXTENSIONS:
            raise _reject(
                "wrong_extension",
                _("The file name ends in .%(extension)s but the file is a %(format)s image. Rename it and try again."),
                extension=extension,
                format=_FORMAT_LABELS[fmt],
            )
        raise _reject("not_an_image", _("This is not a photo eRaha accepts. Send a JPEG, PNG, WebP or HEIC photo."))
    return fmt


def _open(data: bytes, fmt: str, limits: PhotoLimits) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[fmt])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(limits) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise _broken() from None
    width, height = image.size
    if width * height > limits.max_pixels:
        raise _too_many_pixels(limits)
    if min(width, height) < limits.min_side:
        raise _reject(
            "too_small", _("The photo is too small (%(width)s × %(height)s pixels)."), width=width, height=height
        )
    return image


def _too_many_pixels(limits: PhotoLimits) -> PhotoRejected:
    return _reject(
        "too_many_pixels",
        _("The photo has too many pixels. The largest accepted is %(megapixels)s megapixels."),
        megapixels=limits.max_pixels // 1_000_000,
    )


def _broken() -> PhotoRejected:
    return _reject("broken", _("The photo could not be read. It may be damaged or only partly uploaded."))


def _parse_offset(value) -> timezone | None:
    if not isinstance(value, str):
        return None
    text = value.strip().rstrip("\x00")
    if text in {"Z", "+00:00", "-00:00"}:
        return UTC
    if len(text) != 6 or text[0] not in "+-" or text[3] != ":":
        return None
    try:
        hours, minutes = int(text[1:3]), int(text[4:6])
    except ValueError:
        return None
    if hours > 14 or minutes > 59:
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if text[0] == "-" else delta)


def _parse_exif_datetime(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    text = value.strip().rstrip("\x00").strip()
    try:
        parsed = datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    if parsed.year < 1990:  # cameras with an unset clock write 0000:00:00 or 1970
        return None
    return parsed


def read_capture_time(exif, *, local_zone: str) -> tuple[datetime | None, str, bool]:
    """(aware capture time, source, had an offset). DateTimeOriginal first, then Digitized, then DateTime.

    Without an OffsetTime tag the camera's local time is assumed to be in `local_zone` (the city's zone).
    """
    try:
        sub = exif.get_ifd(ExifTags.IFD.Exif)
    except Exception:  # a damaged Exif IFD is treated as missing
        sub = {}
    candidates = [
        ("original", sub.get(_DATETIME_ORIGINAL), sub.get(_OFFSET_TIME_ORIGINAL)),
        ("digitized", sub.get(_DATETIME_DIGITIZED), sub.get(_OFFSET_TIME_DIGITIZED)),
        ("datetime", exif.get(_DATETIME), sub.get(_OFFSET_TIME)),
    ]
    for source, raw, raw_offset in candidates:
        naive = _parse_exif_datetime(raw)
        if naive is None:
            continue
        offset = _parse_offset(raw_offset)
        if offset is not None:
            return naive.replace(tzinfo=offset), source, True
        return naive.replace(tzinfo=ZoneInfo(local_zone)), source, False
    return None, "", False


def _dms_to_degrees(value) -> float | None:
    try:
        degrees, minutes, seconds = (float(part) for part in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not (0 <= minutes < 60 and 0 <= seconds < 60.0001):
        return None
    return degrees + minutes / 60 + seconds / 3600


def read_gps(exif) -> tuple[float | None, float | None]:
    """(latitude, longitude) in decimal degrees from the GPS IFD, or (None, None)."""
    try:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    except Exception:
        return None, None
    if not gps:
        return None, None
    latitude = _dms_to_degrees(gps.get(2))
    longitude = _dms_to_degrees(gps.get(4))
    lat_ref = str(gps.get(1, "N")).strip("\x00 ").upper()
    lon_ref = str(gps.get(3, "E")).strip("\x00 ").upper()
    if latitude is None or longitude is None:
        return None, None
    if lat_ref == "S":
        latitude = -latitude
    if lon_ref == "W":
        longitude = -longitude
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180) or (latitude == 0 and longitude == 0):
        return None, None
    return round(latitude, 7), round(longitude, 7)


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode == "RGB":
        return image
    if image.mode in {"RGBA", "LA", "PA"} or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode in {"I;16", "I;16B", "I;16L", "I"}:
        return image.point(lambda value: value / 256).convert("L").convert("RGB")
    return image.convert("RGB")


def _encode_jpeg(image: Image.Image, quality: int) -> bytes:
    # Pillow carries some metadata (the JPEG comment) from `info` into the saved file: clear it, so no
    # exif, icc_profile, xmp or comment is ever written. The images passed here are our own copies.
    image.info = {}
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality, optimize=False)
    return out.getvalue()


def _scaled(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    width, height = size
    longest = max(width, height)
    if longest <= max_side:
        return width, height
    scale = max_side / longest
    return max(1, round(width * scale)), max(1, round(height * scale))


def _draft_request(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """The size to ask `draft()` for so that libjpeg picks the largest scale that fits in `max_side`."""
    width, height = size
    for scale in (1, 2, 4, 8):
        if -(-max(width, height) // scale) <= max_side:
            break
    # Floor division: Pillow picks the scale min(width // w, height // h), which must be at least `scale`.
    return max(1, width // scale), max(1, height // scale)


def process_photo(
    file, *, name: str = "", limits: PhotoLimits = DEFAULT_LIMITS, local_zone: str = "Europe/Helsinki"
) -> ProcessedPhoto:
    """Validates and processes one uploaded photo. Raises PhotoRejected with a translated message."""
    data = file if isinstance(file, bytes) else _read_all(file, limits)
    fmt = validate_header(data, name=name, limits=limits)
    image = _open(data, fmt, limits)
    try:
        return _process_open_image(image, fmt=fmt, local_zone=local_zone)
    except PhotoRejected:
        raise
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError):
        raise _broken() from None
    finally:
        image.close()


def _process_open_image(image: Image.Image, *, fmt: str, local_zone: str) -> ProcessedPhoto:
    try:
        exif = image.getexif()
    except Exception:  # damaged EXIF: the photo itself may still be fine
        exif = Image.Exif()
    orientation = exif.get(_ORIENTATION, 1)
    taken_at, taken_at_source, has_offset = read_capture_time(exif, local_zone=local_zone)
    latitude, longitude = read_gps(exif)
    stored_width, stored_height = image.size
    upright = (stored_height, stored_width) if orientation in {5, 6, 7, 8} else (stored_width, stored_height)

    if fmt == "JPEG":
        # Let libjpeg scale while decoding (1/2, 1/4 or 1/8: the inverse DCT is done at the small size).
        # The scale chosen is the largest whose result fits in DISPLAY_MAX_SIDE, so the decoded image *is*
        # the display copy (at least half of DISPLAY_MAX_SIDE on the longest side) and no full-resolution
        # resample is ever needed; see docs/verification.md for the measured cost.
        image.draft("RGB", _draft_request((stored_width, stored_height), DISPLAY_MAX_SIDE))
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image.load()
    display = image
    if max(image.size) > DISPLAY_MAX_SIDE:
        display = image.resize(_scaled(image.size, DISPLAY_MAX_SIDE), Image.Resampling.LANCZOS, reducing_gap=3.0)
    # Turned upright after the resize (cheaper). exif_transpose reads the orientation from the EXIF that
    # resize() carried over in `info`. The HEIF decoder rotates by itself and pillow-heif then reports
    # orientation 1, so nothing is turned twice; with orientation 1 the copy exif_transpose makes is skipped.
    if orientation in {2, 3, 4, 5, 6, 7, 8}:
        display = ImageOps.exif_transpose(display)
    display = _to_rgb(display)
    # reducing_gap=1.0: an integer box reduction first (cheap), then a short bilinear step; fine for 400 px.
    thumbnail = display.resize(_scaled(display.size, THUMBNAIL_MAX_SIDE), Image.Resampling.BILINEAR, reducing_gap=1.0)

    return ProcessedPhoto(
        source_format=fmt,
        width=upright[0],
        height=upright[1],
        display=_encode_jpeg(display, DISPLAY_QUALITY),
        display_size=display.size,
        thumbnail=_encode_jpeg(thumbnail, THUMBNAIL_QUALITY),
        thumbnail_size=thumbnail.size,
        taken_at=taken_at,
        taken_at_source=taken_at_source,
        taken_at_has_offset=has_offset,
        latitude=latitude,
        longitude=longitude,
        phash=hash_to_int(imagehash.phash(thumbnail)),
        dhash=hash_to_int(imagehash.dhash(thumbnail)),
    )


def hash_to_int(value: imagehash.ImageHash) -> int:
    return int(str(value), 16)


def to_signed64(value: int) -> int:
    """A 64-bit hash as a signed integer for a BigIntegerField (two's complement, so XOR still works)."""
    return value - (1 << 64) if value >= (1 << 63) else value


def to_unsigned64(value: int) -> int:
    return value + (1 << 64) if value < 0 else value


def hamming(a: int, b: int) -> int:
    return ((a ^ b) & 0xFFFFFFFFFFFFFFFF).bit_count()
